"""« Demandes à la caisse »: what a partner asks its caisse about its accounts, and the caisse's answers.

A gestionnaire files a habilitation (a new gestionnaire, checked by the creation's own rules), a departure
(notice 15 days ahead; the sweep inactivates on the date), or a correction of a gestionnaire (applied through
the gestionnaire edit); any gestionnaire, or a technicien for themself, reports a fraud, loss or theft (the
account is off at once, the caisse decides). Each request goes to one caisse whose convention in force covers
the partner, is due 5 working days after it was filed, keeps a timeline, emails both sides at each step and is
audited. Every decision is claimed by a conditional UPDATE: of two agents at once, one decides.
"""
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from contracts import events, nir
from contracts.catalogue import IMMEDIATE_REASONS, REPORTED
from contracts.dates import date_fr
from contracts.errors import CapReached, NotAuthorized, NotFound, RuleViolation, ValidationFailed
from contracts.profiles import ADMIN_NATIONAL, GESTIONNAIRE, TECHNICIEN
from services.accounts import access, audit, habilitation, sessions
from services.accounts.authentication import issue_token, recipient
from services.accounts.models import (Account, AccountRequest, AccountRequestStep, Caisse, Convention, Partner,
                                      utcnow)
from services.accounts.working_days import HABILITATION_DELAY, add_working_days

KINDS = {"habilitation": "Habilitation d'un gestionnaire", "departure": "Départ d'un gestionnaire",
         "correction": "Modification d'un gestionnaire", "report": "Signalement de fraude, perte ou vol"}
STATUSES = {"pending": "En attente de la caisse", "approved": "Acceptée", "refused": "Refusée",
            "scheduled": "Départ confirmé, inactivation à la date", "done": "Compte inactivé à la date",
            "blocked": "Départ non effectué (dernier gestionnaire)", "inactivated": "Compte inactivé",
            "reactivated": "Compte réactivé, nouvelle invitation envoyée"}
# What the caisse may answer to each kind of request.
DECISIONS = {"habilitation": ("approve", "refuse"), "departure": ("approve", "refuse"),
             "correction": ("approve", "refuse"), "report": ("inactivate", "reactivate")}
OUTCOMES = {"approve": {"habilitation": "approved", "departure": "scheduled", "correction": "approved"},
            "refuse": "refused", "inactivate": "inactivated", "reactivate": "reactivated"}
CAUSES = {"fraude": "Suspicion de fraude", "perte_vol": "Perte ou vol des identifiants"}
CORRECTABLE = ("civility", "last_name", "first_name", "function", "phone", "email")
NOTICE_DAYS = 15
LAST_ONE = ("c'est le dernier gestionnaire actif de la structure : la caisse doit d'abord habiliter un autre "
            "gestionnaire.")


# --- reading ---------------------------------------------------------------------------------

def today() -> date:
    return utcnow().date()


def row(r: AccountRequest, steps: bool = False) -> dict:
    overdue = r.status == "pending" and today() > r.due_date
    out = {"id": r.id, "kind": r.kind, "kind_label": KINDS[r.kind], "status": r.status,
           "status_label": STATUSES[r.status], "partner_id": r.partner_id, "partner_name": r.partner.name,
           "caisse_code": r.caisse.code, "caisse_name": r.caisse.name, "account_id": r.account_id,
           "account_name": r.account_name, "created_at": r.created_at.isoformat(), "created_by": r.created_by_name,
           "due_date": r.due_date.isoformat(), "overdue": overdue,
           "wanted_date": r.wanted_date.isoformat() if r.wanted_date else None, "data": dict(r.data or {}),
           "decided_at": r.decided_at.isoformat() if r.decided_at else None, "decided_by": r.decided_by_name,
           "reason": r.reason, "decisions": list(DECISIONS[r.kind]) if r.status == "pending" else []}
    if steps:
        out["timeline"] = [{"at": s.at.isoformat(), "who": s.actor_name, "side": s.side, "what": s.what}
                           for s in object_steps(r)]
    return out


def object_steps(r: AccountRequest) -> list[AccountRequestStep]:
    return list(object_session(r).scalars(sa.select(AccountRequestStep).where(
        AccountRequestStep.request_id == r.id).order_by(AccountRequestStep.at, AccountRequestStep.id)))


def _order():
    """What waits first: reports (the account is off until the caisse decides), then the soonest due; then
    what was decided, the newest first."""
    pending = AccountRequest.status == "pending"
    return (sa.case((pending, 0), else_=1), sa.case((sa.and_(pending, AccountRequest.kind == "report"), 0), else_=1),
            sa.case((pending, AccountRequest.due_date), else_=None), AccountRequest.created_at.desc(),
            AccountRequest.id.desc())


def for_partner(session: Session, actor: Account) -> list[dict]:
    """A gestionnaire: its structure's requests; a technicien: the reports about its own account."""
    query = sa.select(AccountRequest).where(AccountRequest.partner_id == actor.partner_id)
    if actor.profile == TECHNICIEN:
        query = query.where(AccountRequest.account_id == actor.id, AccountRequest.kind == "report")
    return [row(r) for r in session.scalars(query.order_by(AccountRequest.created_at.desc()).limit(200))]


def _queue_query(session: Session, actor: Account):
    """The agent's caisse's requests about partners under a convention in force with it (every caisse's for
    the national admin)."""
    query = sa.select(AccountRequest)
    if actor.profile != ADMIN_NATIONAL:
        query = query.where(AccountRequest.caisse_id == actor.caisse_id,
                            AccountRequest.partner_id.in_(access.partner_ids_of_caisse(session, actor.caisse_id)))
    return query


def queue(session: Session, actor: Account) -> list[dict]:
    return [row(r) for r in session.scalars(_queue_query(session, actor).order_by(*_order()).limit(300))]


def counts(session: Session, actor: Account) -> dict:
    pending = list(session.scalars(_queue_query(session, actor).where(AccountRequest.status == "pending")))
    return {"pending": len(pending), "overdue": sum(1 for r in pending if today() > r.due_date),
            "reports": sum(1 for r in pending if r.kind == "report")}


def visible(session: Session, actor: Account, request_id) -> AccountRequest:
    """A request the actor may see: its structure's (a technicien: its own reports), its caisse's queue."""
    found = access.by_id(session, AccountRequest, request_id)
    if found is not None:
        if actor.profile == GESTIONNAIRE and found.partner_id == actor.partner_id:
            return found
        if actor.profile == TECHNICIEN and found.account_id == actor.id and found.kind == "report":
            return found
        if actor.profile not in (GESTIONNAIRE, TECHNICIEN) and session.scalar(
                _queue_query(session, actor).where(AccountRequest.id == found.id).with_only_columns(AccountRequest.id)):
            return found
    raise NotFound("Demande introuvable.")


def detail(session: Session, actor: Account, request_id) -> dict:
    return row(visible(session, actor, request_id), steps=True)


# --- the timeline and the emails ------------------------------------------------------------------

def _step(session: Session, r: AccountRequest, actor: Account | None, side: str, what: str, emit: list) -> None:
    """One line of the timeline, and its email to both sides (the event id names the step: sent once)."""
    step = AccountRequestStep(request_id=r.id, actor_name=actor.full_name if actor else audit.SYSTEM, side=side,
                              what=what[:500], at=utcnow())
    session.add(step)
    session.flush()
    common = {"kind_label": KINDS[r.kind], "status_label": STATUSES[r.status], "what": what,
              "account_name": r.account_name, "partner_name": r.partner.name, "caisse_name": r.caisse.name,
              "request_id": r.id, "due_date": r.due_date.isoformat()}
    for audience, people in (("partner", _partner_side(session, r)), ("caisse", _caisse_side(session, r))):
        if people:
            emit.append((events.ACCOUNT_REQUEST_STEP, {"event_id": f"account_request:{r.id}:{step.id}:{audience}",
                                                       "recipients": people, "audience": audience, **common}))


def _partner_side(session: Session, r: AccountRequest) -> list[dict]:
    """The structure's active gestionnaires (not the one a habilitation has just created: its invitation
    tells it); a technicien's report: the technicien too (if still active)."""
    people = [g for g in session.scalars(sa.select(Account).where(
        Account.partner_id == r.partner_id, Account.profile == GESTIONNAIRE, Account.status == "active"))
        if not (r.kind == "habilitation" and g.id == r.account_id)]
    reporter = session.get(Account, r.created_by_id) if r.created_by_id else None
    if reporter is not None and reporter.status == "active" and reporter not in people:
        people.append(reporter)
    return [recipient(p) for p in people]


def _caisse_side(session: Session, r: AccountRequest) -> list[dict]:
    """The caisse's active agents; for a report, its local referents too."""
    people = [recipient(a) for a in session.scalars(sa.select(Account).where(
        Account.caisse_id == r.caisse_id, Account.profile == "agent_caisse", Account.status == "active")
        .order_by(Account.id))]
    if r.kind == "report":
        seen = {p["email"] for p in people}
        for referent in r.caisse.referents or []:
            email = str(referent.get("email") or "").strip().lower()
            if email and email not in seen:
                seen.add(email)
                first, _, last = str(referent.get("name") or "Madame, Monsieur").partition(" ")
                people.append({"email": email, "first_name": first, "last_name": last, "caisses": [r.caisse.code]})
    return people


# --- filing ----------------------------------------------------------------------------------------

def _caisse_of(session: Session, partner: Partner, data: dict, kind: str) -> Caisse:
    """The caisse the request goes to: one whose convention in force covers the partner (and is not suspended);
    with several, the one chosen (a report, urgent, goes to the first when none is named)."""
    caisses = list(session.scalars(sa.select(Caisse).where(Caisse.id.in_(sa.select(Convention.caisse_id).where(
        Convention.partner_id == partner.id, access.open_to_partner()))).order_by(Caisse.code)))
    if not caisses:
        raise RuleViolation("Aucune convention en vigueur ne relie votre structure à une caisse.")
    chosen = [c for c in caisses if c.code == str(data.get("caisse") or "")]
    if chosen:
        return chosen[0]
    if len(caisses) == 1 or kind == "report":
        return caisses[0]
    raise ValidationFailed(None, {"caisse": "Choisissez la caisse à laquelle adresser la demande."})


def _date(data: dict, key: str, label: str) -> date:
    try:
        return date.fromisoformat(str(data.get(key) or "").strip())
    except ValueError:
        raise ValidationFailed(None, {key: f"{label} : une date au format JJ/MM/AAAA."}) from None


def _gestionnaire_of(session: Session, partner_id: int, raw_id, key: str = "account_id") -> Account:
    account = access.by_id(session, Account, raw_id)
    if account is None or account.partner_id != partner_id or account.profile != GESTIONNAIRE \
            or account.status != "active":
        raise ValidationFailed(None, {key: "Choisissez un gestionnaire actif de la structure."})
    return account


def _open_request(session: Session, kind: str, account_id: int) -> None:
    if session.scalar(sa.select(AccountRequest.id).where(AccountRequest.kind == kind, AccountRequest.account_id == account_id,
                                                         AccountRequest.status.in_(("pending", "scheduled")))):
        raise RuleViolation("Une demande de ce type est déjà en cours pour ce compte.")


def _others(session: Session, account: Account) -> list[Account]:
    return [g for g in habilitation._active(session, account.partner_id, GESTIONNAIRE) if g.id != account.id]


def file(session: Session, actor: Account, kind: str, data: dict, emit: list) -> dict:
    """A gestionnaire files any kind; a technicien only a report about its own account."""
    if kind not in KINDS:
        raise ValidationFailed(None, {"kind": "Type de demande inconnu."})
    if actor.profile == TECHNICIEN and kind != "report":
        raise NotAuthorized()
    partner, errors = actor.partner, {}
    try:
        caisse = _caisse_of(session, partner, data, kind)
    except ValidationFailed as exc:
        caisse, errors = None, dict(exc.fields)
    r = AccountRequest(kind=kind, partner_id=partner.id, created_by_id=actor.id,
                       created_by_name=actor.full_name, created_at=utcnow(), data={}, decided_by_name="", reason="")
    r.due_date = add_working_days(r.created_at.date(), HABILITATION_DELAY if kind != "report" else 0)
    try:
        what = {"habilitation": _habilitation, "departure": _departure, "correction": _correction,
                "report": _report}[kind](session, actor, partner, r, data)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:                           # every field's message at once, nothing written
        session.rollback()
        raise ValidationFailed(None, errors)
    r.caisse_id = caisse.id
    session.add(r)
    session.flush()
    r.partner, r.caisse = partner, caisse
    audit.record(session, "account_request_filed", actor=actor, partner_id=partner.id, caisse_id=caisse.id,
                 details=f"{KINDS[kind]} n° {r.id} : {r.account_name}")
    _step(session, r, actor, "partner", what, emit)
    session.commit()
    return row(r, steps=True)


def _habilitation(session, actor, partner, r, data) -> str:
    errors, wanted = {}, None
    try:
        wanted = _date(data, "wanted_date", "Date souhaitée")
    except ValidationFailed as exc:
        errors = dict(exc.fields)
    if wanted and wanted < today():
        errors["wanted_date"] = "La date souhaitée ne peut pas être passée."
    try:
        person = habilitation.checked_new_person(session, partner, GESTIONNAIRE, data)
    except ValidationFailed as exc:
        raise ValidationFailed(None, {**exc.fields, **errors}) from None
    if errors:
        raise ValidationFailed(None, errors)
    pending = session.scalar(sa.select(AccountRequest.id).where(
        AccountRequest.kind == "habilitation", AccountRequest.partner_id == partner.id,
        AccountRequest.status == "pending", AccountRequest.data["email"].as_string() == person["email"]))
    if pending:
        raise ValidationFailed(None, {"email": "Une demande d'habilitation est déjà en cours pour cette adresse."})
    # Each request is emailed to every agent of the caisse: no more waiting than the cap leaves places for
    # (counted under the partner's lock, taken by checked_new_person).
    waiting = session.scalar(sa.select(sa.func.count()).select_from(AccountRequest).where(
        AccountRequest.kind == "habilitation", AccountRequest.partner_id == partner.id,
        AccountRequest.status == "pending"))
    places = habilitation.free_places(session, partner, GESTIONNAIRE)
    if places is not None and waiting >= places:
        raise CapReached(f"Les places de gestionnaire encore libres pour {partner.name} ({places}) sont déjà "
                         f"demandées ({waiting} demande{'s' if waiting > 1 else ''} en attente de la caisse) : "
                         "attendez sa réponse avant d'en demander une autre.")
    r.data, r.wanted_date = person, wanted
    r.account_name = f"{person['first_name']} {person['last_name']}"
    return f"Demande d'habilitation de {r.account_name}, souhaitée pour le {date_fr(wanted)}."


def _departure(session, actor, partner, r, data) -> str:
    account = _gestionnaire_of(session, partner.id, data.get("account_id"))
    on = _date(data, "date", "Date de départ")
    earliest = today() + timedelta(days=NOTICE_DAYS)
    if on < earliest:
        raise ValidationFailed(None, {"date": f"Le départ se signale au moins {NOTICE_DAYS} jours à l'avance : "
                                              f"choisissez le {date_fr(earliest)} ou une date ultérieure."})
    successor = None
    if data.get("successor_id"):
        successor = _gestionnaire_of(session, partner.id, data.get("successor_id"), "successor_id")
        if successor.id == account.id:
            raise ValidationFailed(None, {"successor_id": "Choisissez un autre gestionnaire que celui qui part."})
    _open_request(session, "departure", account.id)
    habilitating = session.scalar(sa.select(AccountRequest.id).where(
        AccountRequest.kind == "habilitation", AccountRequest.partner_id == partner.id, AccountRequest.status == "pending"))
    if not _others(session, account) and not habilitating:
        raise RuleViolation(f"Départ impossible pour l'instant : {LAST_ONE} Demandez d'abord l'habilitation de son "
                            "successeur.")
    r.account_id, r.account_name, r.wanted_date = account.id, account.full_name, on
    r.data = {"successor_id": successor.id if successor else None,
              "successor_name": successor.full_name if successor else ""}
    then = f" ; ses techniciens seront rattachés à {successor.full_name}" if successor else ""
    return f"Départ de {account.full_name} signalé pour le {date_fr(on)}{then}."


def _correction(session, actor, partner, r, data) -> str:
    account = _gestionnaire_of(session, partner.id, data.get("account_id"))
    wanted = {k: data[k] for k in CORRECTABLE if k in data and str(data[k] or "").strip()}
    changes = habilitation.checked_edit(session, account, wanted)
    if not changes:
        raise ValidationFailed(None, {"last_name": "Indiquez au moins une donnée à corriger."})
    _open_request(session, "correction", account.id)
    r.account_id, r.account_name, r.data = account.id, account.full_name, changes
    return f"Correction demandée pour {account.full_name} : {', '.join(_labels(changes))}."


def _labels(changes: dict) -> list[str]:
    names = {"civility": "civilité", "last_name": "nom", "first_name": "prénom", "function": "fonction",
             "phone": "téléphone", "email": "adresse électronique"}
    return [f"{names[k]} « {v} »" for k, v in changes.items()]


def _report(session, actor, partner, r, data) -> str:
    """The account is off at once: its sessions end, it cannot sign in until the caisse decides."""
    if actor.profile == TECHNICIEN:
        account = actor
    else:
        account = access.by_id(session, Account, data.get("account_id"))
        if account is None or account.partner_id != partner.id:
            raise ValidationFailed(None, {"account_id": "Choisissez un compte de la structure."})
    cause = str(data.get("cause") or "")
    if cause not in CAUSES:
        raise ValidationFailed(None, {"cause": "Choisissez : fraude, ou perte ou vol des identifiants."})
    description = " ".join(str(data.get("description") or "").split())
    if len(description) > 1000:
        raise ValidationFailed(None, {"description": "1 000 caractères au maximum."})
    if nir.find_nir(description):
        raise ValidationFailed(None, {"description": nir.MESSAGE})
    if account.status != "active":
        raise RuleViolation("Ce compte est déjà inactif : il ne peut plus servir.")
    account.status, account.inactivated_at, account.inactivation_reason = "inactive", utcnow(), REPORTED
    sessions.end_all(session, account.id, "inactivated")
    audit.record(session, "account_reported", actor=actor, target=account, details=CAUSES[cause])
    r.account_id, r.account_name = account.id, account.full_name
    r.data = {"cause": cause, "cause_label": CAUSES[cause], "description": description, "profile": account.profile}
    r.wanted_date = None
    return (f"{CAUSES[cause]} signalé pour le compte de {account.full_name} : ses sessions sont fermées et il ne "
            "peut plus se connecter jusqu'à la décision de la caisse.")


# --- the caisse's decisions --------------------------------------------------------------------------

def needs_proof(r: AccountRequest, decision: str) -> bool:
    """Like the actions they stand for: creating or inactivating an account, changing its email."""
    return decision in ("inactivate", "reactivate") or (decision == "approve" and (
        r.kind in ("habilitation", "departure") or "email" in (r.data or {})))


def decide(session: Session, actor: Account, r: AccountRequest, decision: str, reason: str, emit: list) -> dict:
    if decision not in DECISIONS[r.kind]:
        raise ValidationFailed(None, {"decision": "Décision impossible pour cette demande."})
    reason = " ".join(str(reason or "").split())[:500]
    if decision == "refuse" and not reason:
        raise ValidationFailed(None, {"reason": "Indiquez le motif du refus : la structure le recevra."})
    if nir.find_nir(reason):
        raise ValidationFailed(None, {"reason": nir.MESSAGE})
    outcome = OUTCOMES[decision]
    outcome = outcome[r.kind] if isinstance(outcome, dict) else outcome
    claimed = session.execute(sa.update(AccountRequest).where(AccountRequest.id == r.id,
                                                              AccountRequest.status == "pending")
                              .values(status=outcome, decided_at=utcnow(), decided_by_name=actor.full_name,
                                      reason=reason)).rowcount
    if claimed != 1:
        session.rollback()
        raise RuleViolation("Cette demande a déjà été traitée.")
    session.refresh(r)
    what = _refused(r, reason) if decision == "refuse" else \
        {"habilitation": _approve_habilitation, "departure": _confirm_departure, "correction": _apply_correction,
         "report": _decide_report}[r.kind](session, actor, r, decision, emit)
    audit.record(session, "account_request_decided", actor=actor, partner_id=r.partner_id, caisse_id=r.caisse_id,
                 details=f"{KINDS[r.kind]} n° {r.id} : {STATUSES[r.status]}")
    _step(session, r, actor, "caisse", what, emit)
    session.commit()
    return row(r, steps=True)


def _refused(r: AccountRequest, reason: str) -> str:
    if r.kind == "report":
        raise ValidationFailed(None, {"decision": "Décision impossible pour cette demande."})
    return f"Demande refusée : {reason}"


def _approve_habilitation(session, actor, r, decision, emit) -> str:
    """The creation's own path (its rules again, the cap as it is today, the invitation)."""
    created = habilitation.create_account(session, actor, r.partner, GESTIONNAIRE, dict(r.data), emit,
                                          commit=False)
    r.account_id = created["id"]
    return f"Habilitation acceptée : le compte de {r.account_name} est créé, une invitation lui est envoyée."


def _confirm_departure(session, actor, r, decision, emit) -> str:
    return f"Départ confirmé : le compte de {r.account_name} sera inactivé le {date_fr(r.wanted_date)}."


def _apply_correction(session, actor, r, decision, emit) -> str:
    """Through the gestionnaire edit of the habilitation (its checks, its audit, its emails)."""
    account = session.get(Account, r.account_id) if r.account_id else None
    if account is None or account.status != "active":
        session.rollback()
        raise RuleViolation("Ce compte n'est plus actif : la correction ne peut pas être appliquée.")
    habilitation.edit_gestionnaire(session, actor, account, dict(r.data), emit)
    return f"Correction appliquée : {', '.join(_labels(r.data))}."


def _decide_report(session, actor, r, decision, emit) -> str:
    account = session.get(Account, r.account_id) if r.account_id else None
    if account is None or account.inactivation_reason != REPORTED:
        session.rollback()
        raise RuleViolation("Ce compte n'est plus en attente de décision.")
    if decision == "inactivate":
        cause = r.data.get("cause") if r.data.get("cause") in IMMEDIATE_REASONS else "fraude"
        habilitation._inactivate(session, actor, account, cause, emit)   # the caisse's fraud inactivation
        return f"Compte de {r.account_name} inactivé ({CAUSES[cause].lower()})."
    # Reactivated with a fresh invitation: the reported password opens nothing any more.
    account.password_hash, account.password_changed_at = None, None
    issue_token(session, account, "invitation", emit)
    habilitation.reactivate(session, actor, account, on_report=True, commit=False)
    return f"Compte de {r.account_name} réactivé : une nouvelle invitation à choisir un mot de passe est envoyée."


# --- the departure on its date (a scheduled sweep) ----------------------------------------------------

def departures_due(session: Session, emit: list, now=None) -> int:
    """Confirmed departures whose date has come: claimed one by one (two instances act once). The last
    gestionnaire is never inactivated: the request says why, both sides are emailed."""
    on = (now or utcnow()).date()
    count = 0
    for r in list(session.scalars(sa.select(AccountRequest).where(AccountRequest.kind == "departure",
                                                                  AccountRequest.status == "scheduled",
                                                                  AccountRequest.wanted_date <= on))):
        if session.execute(sa.update(AccountRequest).where(AccountRequest.id == r.id, AccountRequest.status == "scheduled")
                           .values(status="done")).rowcount != 1:
            session.rollback()
            continue
        session.refresh(r)
        account = session.get(Account, r.account_id) if r.account_id else None
        if account is not None and account.partner_id:
            habilitation._lock_partner(session, account.partner_id)   # the last-gestionnaire rule, race-free
            session.refresh(account)
        if account is None or account.status != "active":
            what = "Le compte était déjà inactif à la date du départ."
        elif not _others(session, account):
            r.status, r.reason = "blocked", "Inactivation non effectuée : " + LAST_ONE
            what = r.reason
        else:
            successor = session.get(Account, r.data.get("successor_id") or 0)
            others = _others(session, account)
            heir = successor if successor in others else max(others, key=lambda g: (g.created_at, g.id))
            habilitation._inactivate(session, None, account, "demande_partenaire", emit, heir=heir)
            what = f"Compte de {r.account_name} inactivé à la date du départ ; ses techniciens sont rattachés à " \
                   f"{heir.full_name}."
            count += 1
        _step(session, r, None, "system", what, emit)
        session.commit()
    return count
