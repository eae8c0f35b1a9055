"""Who the notifier writes to: accounts streamed in keyset pages (flat memory for
any number of accounts), the caisses each person belongs to, and a caisse's
public contacts (its local referents, the other channel during a maintenance)."""
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from contracts.errors import NotFound
from services.accounts import access, settings
from services.accounts.caisse_settings import data_protection, public_referent
from services.accounts.models import Account, Caisse, Convention, Partner

MAX_PAGE = 1000


def recipient(account: Account) -> dict:
    """contracts.events envelope: the caisses let the notifier show a caisse its users' emails; the
    contacts are what the emails that name someone to turn to show (the caisses' local referents)."""
    session = object_session(account)
    return {"email": account.email, "first_name": account.first_name, "last_name": account.last_name,
            "account_id": account.id, "caisses": caisse_codes(session, account), "contacts": contacts(session, account)}


def contacts(session: Session, account: Account) -> list[dict]:
    """The caisses a person turns to, with their local referents: an agent's own caisse, the caisses of a
    partner's active conventions."""
    if account.caisse is not None:
        caisses = [account.caisse]
    elif account.partner_id is not None:
        caisses = session.scalars(sa.select(Caisse).where(Caisse.id.in_(sa.select(Convention.caisse_id).where(
            Convention.partner_id == account.partner_id, access.open_to_partner()))).order_by(Caisse.code))
    else:
        caisses = []
    return [{"name": c.name, "referents": [public_referent(r) for r in c.referents or []]} for c in caisses]


def _caisses_by_partner(session: Session, partner_ids) -> dict[int, list[str]]:
    """partner id -> codes of every caisse it has (or had) a convention with, from its first day (not a mere
    proposal, nor one still to start: that caisse has no business with the partner's people yet, its delivery log
    included): one query per page."""
    found: dict[int, list[str]] = {}
    if partner_ids:
        rows = session.execute(sa.select(Convention.partner_id, Caisse.code).join(Caisse)
                               .where(Convention.partner_id.in_(partner_ids), Convention.status.in_(("active", "ended")),
                                      Convention.start_date <= date.today())
                               .distinct()
                               .order_by(Convention.partner_id, Caisse.code))
        for partner_id, code in rows:
            found.setdefault(partner_id, []).append(code)
    return found


def caisse_codes(session: Session, account: Account) -> list[str]:
    if account.caisse is not None:
        return [account.caisse.code]
    return _caisses_by_partner(session, [account.partner_id]).get(account.partner_id, [])


def _person(account: Account, caisses: dict[int, list[str]]) -> dict:
    return {"account_id": account.id, "email": account.email, "first_name": account.first_name,
            "last_name": account.last_name, "profile": account.profile,
            "caisses": [account.caisse.code] if account.caisse else caisses.get(account.partner_id, [])}


def _page(session: Session, query, after_id: int, limit: int):
    limit = max(1, min(int(limit), MAX_PAGE))
    accounts = list(session.scalars(query.where(Account.id > int(after_id or 0)).order_by(Account.id).limit(limit)))
    caisses = _caisses_by_partner(session, {a.partner_id for a in accounts if a.partner_id})
    return accounts, caisses, (accounts[-1].id if len(accounts) == limit else None)


def active_users(session: Session, caisse_code: str | None, after_id: int = 0, limit: int = 500,
                 feature: str | None = None) -> dict:
    """Active accounts with a password, of one caisse (its agents and the users of partners under
    a convention open to them today) or of all caisses (``None``, the national admins too); with
    ``feature`` (e.g. "actualites" for the newsletter), only the partners whose convention opens it.
    {"items": [person], "next": after_id for the next page or None}."""
    query = sa.select(Account).where(Account.status == "active", Account.password_hash.is_not(None))
    opened = None
    if caisse_code is not None:
        caisse_id = sa.select(Caisse.id).where(Caisse.code == str(caisse_code)).scalar_subquery()
        partners = sa.select(Convention.partner_id).where(Convention.caisse_id == caisse_id, access.open_to_partner())
        query = query.where(sa.or_(Account.caisse_id == caisse_id, Account.partner_id.in_(partners)))
        if feature is not None:         # features are a JSON list: read per convention, not in SQL
            opened = {c.partner_id for c in session.scalars(sa.select(Convention).where(
                Convention.caisse_id == caisse_id, access.open_to_partner())) if feature in (c.features or [])}
    accounts, caisses, following = _page(session, query, after_id, limit)
    if opened is not None:
        accounts = [a for a in accounts if a.partner_id is None or a.partner_id in opened]
    return {"items": [_person(a, caisses) for a in accounts], "next": following}


def password_expiries(session: Session, after_id: int = 0, limit: int = 500) -> dict:
    """Active accounts whose password expires (renewal period of their profile, not 0), with the
    moment it was set (the reminders' key: a new password starts new reminders) and its expiry."""
    query = sa.select(Account).where(Account.status == "active", Account.password_changed_at.is_not(None))
    accounts, caisses, following = _page(session, query, after_id, limit)
    items = []
    for account in accounts:
        days = settings.password_renewal_days(account.profile)
        if days:
            items.append({**_person(account, caisses),
                          "password_changed_at": account.password_changed_at.isoformat() + "Z",
                          "expires_at": (account.password_changed_at + timedelta(days=days)).isoformat() + "Z"})
    return {"items": items, "next": following}


def caisse_contacts(session: Session, caisse_code: str) -> dict:
    """What a maintenance page shows as the other channel: the caisse's name and local referents."""
    caisse = session.scalars(sa.select(Caisse).where(Caisse.code == str(caisse_code))).first()
    if caisse is None:
        raise NotFound("Caisse inconnue.")
    return _contacts(caisse)


def _contacts(caisse: Caisse) -> dict:
    return {"code": caisse.code, "name": caisse.name, "referents": [public_referent(r) for r in caisse.referents or []],
            "data_protection": data_protection(caisse)}


def public_directory(session: Session) -> list[dict]:
    """Every caisse's contacts, for the public pages a signed-out visitor reads (« Données personnelles »,
    « Accessibilité »): what the footer shows a signed-in person of their own caisse."""
    return [_contacts(c) for c in session.scalars(sa.select(Caisse).order_by(Caisse.name))]


def referents_of(session: Session, partner: Partner, caisse_id: int | None) -> list[dict]:
    """Who hears of a fraud inactivation of the partner's only gestionnaire: the partner's referent
    and the local referents of the caisse that made it (every caisse in force, for the national admin)."""
    query = sa.select(Convention).where(Convention.partner_id == partner.id, access.in_force())
    if caisse_id is not None:
        query = query.where(Convention.caisse_id == caisse_id)
    people, seen = [], set()
    for convention in session.scalars(query):
        caisse = session.get(Caisse, convention.caisse_id)
        for person in [convention.partner_referent or {}, *(caisse.referents or [])]:
            email = str(person.get("email") or "").strip().lower()
            if email and email not in seen:
                seen.add(email)
                first, _, last = str(person.get("name") or "Madame, Monsieur").partition(" ")
                people.append({"email": email, "first_name": first, "last_name": last, "caisses": [caisse.code]})
    return people
