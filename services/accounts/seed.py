"""Fictitious demo data: a caisse with two partners of different sizes (one of
them also under convention with a second caisse), their gestionnaires and
techniciens, and one person holding both a gestionnaire and a technicien account;
each caisse has an administrateur de caisse, Valfleuri a plain agent too.

Idempotent: running it twice changes nothing. Every name, address and email
here is invented (``.test`` is a reserved domain); never use real people.
"""
from datetime import date, timedelta
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.accounts import passwords, second_factor, settings
from services.accounts.models import Account, AccountRequest, AccountRequestStep, Caisse, Convention, Partner, utcnow
from services.accounts.working_days import HABILITATION_DELAY, add_working_days
from contracts.catalogue import FEATURES, REPORTED
from services.common.db import seed_command

CAISSES = [
    {"code": "999", "name": "CPAM de Valfleuri", "address": "1 place de l'Exemple, 99000 Valfleuri",
     "departments": ["60", "80"],
     "referents": [{"kind": "person", "name": "Nadia Roussel", "function": "Référente partenariats",
                    "phones": ["01 99 00 00 01", "06 99 00 00 01"], "email": "n.roussel@cpam-valfleuri.test"},
                   {"kind": "mailbox", "name": "Service partenaires", "function": "", "phones": ["01 99 00 00 02"],
                    "email": "partenaires@cpam-valfleuri.test"}],
     "data_protection_email": "dpo@cpam-valfleuri.test",
     "data_protection_address": "Délégué à la protection des données, 1 place de l'Exemple, 99000 Valfleuri"},
    {"code": "998", "name": "CPAM des Hauts-Fictifs", "address": "2 rue Imaginaire, 98000 Fictiville",
     "departments": ["02"],
     "referents": [{"kind": "mailbox", "name": "Pôle partenaires", "function": "", "phones": ["01 98 00 00 01"],
                    "email": "partenaires@cpam-hauts-fictifs.test"}],
     # Like the Annemasse agreement: techniciens unused for 90 days inactivated, no technicien caps.
     "technicien_inactivity": True, "technicien_caps": False,
     "data_protection_email": "dpo@cpam-hauts-fictifs.test"},
]
PARTNERS = [   # (name, kind, siret, members, habilitated body, caisses, the partner's referent for its conventions)
    ("CCAS de Saint-Exemple", "CCAS", "26000000000000", 8, False, ["999"],
     {"name": "Nadia Fontanel", "function": "Directrice du CCAS", "phone": "0199000010",
      "email": "direction@ccas-saint-exemple.test"}),
    ("Association Le Relais Fictif", "Tutelle / mandataire judiciaire", "77500000000007", 30, True, ["999", "998"],
     {"name": "Marc Aubépin", "function": "Président", "phone": "0199000020", "email": "president@relais-fictif.test"}),
]

# (profile, email, password, civility, first name, last name, function, caisse code or partner index)
DEMO_ACCOUNTS = [
    ("admin_national", "admin@assurance-maladie.test", "Admin-Demo-2026!", "M.", "Paul", "Martinet", "Administrateur national", None),
    ("agent_caisse", "agent@cpam-valfleuri.test", "Agent-Demo-2026!", "Mme", "Claire", "Dumoulin", "Chargée des partenariats", "999"),
    ("agent_caisse", "agent@cpam-hauts-fictifs.test", "Agent2-Demo-2026!", "M.", "Karim", "Delaunay", "Chargé des partenariats", "998"),
    ("agent_caisse", "agent2@cpam-valfleuri.test", "Agent3-Demo-2026!", "M.", "Lucas", "Perrin", "Conseiller partenariats", "999"),
    ("gestionnaire", "gestionnaire@ccas-saint-exemple.test", "Gestion-Demo-2026!", "Mme", "Inès", "Berthier", "Responsable du CCAS", 0),
    ("technicien", "technicien@ccas-saint-exemple.test", "Techni-Demo-2026!", "M.", "Hugo", "Lambertin", "Travailleur social", 0),
    ("gestionnaire", "gestionnaire@relais-fictif.test", "Relais-Gest-2026!", "M.", "Bruno", "Castagnet", "Directeur", 1),
    ("gestionnaire", "double@relais-fictif.test", "Double-Gest-2026!", "Mme", "Sonia", "Ferrandi", "Cheffe de service", 1),
    ("technicien", "double@relais-fictif.test", "Double-Tech-2026!", "Mme", "Sonia", "Ferrandi", "Mandataire judiciaire", 1),
    ("technicien", "technicien@relais-fictif.test", "Relais-Tech-2026!", "M.", "Yanis", "Morel", "Mandataire judiciaire", 1),
]

# Second factor of the profiles that must have one, enrolled with FIXED secrets published in the
# README so that anyone can log in to the demo: never use them, nor these accounts, anywhere real.
DEMO_TOTP_SECRETS = {
    ("admin_national", "admin@assurance-maladie.test"): "EPDEMOADMINNATIONALNEPASUTILISER",
    ("agent_caisse", "agent@cpam-valfleuri.test"): "EPDEMOAGENTVALFLEURINEPASUTILISE",
    ("agent_caisse", "agent@cpam-hauts-fictifs.test"): "EPDEMOAGENTHAUTSFICTIFSNEPASUTIL",
    ("agent_caisse", "agent2@cpam-valfleuri.test"): "EPDEMOAGENTSIMPLEVALFLEURINEPASU",
}
# One administrateur de caisse per caisse (services.accounts.staff); agent2@ is a plain agent.
DEMO_CAISSE_ADMINS = {"agent@cpam-valfleuri.test", "agent@cpam-hauts-fictifs.test"}


@lru_cache(maxsize=None)
def _demo_hash(password: str) -> str:
    """Hashed once per process: tests seed a fresh database many times."""
    return passwords.hash_password(password)


def _get_or_create(session, model, key: dict, **values):
    row = session.scalars(sa.select(model).filter_by(**key)).first()
    if row is None:
        row = model(**key, **values)
        session.add(row)
        session.flush()
    return row


def seed(session: Session) -> None:
    caisses = {c["code"]: _get_or_create(session, Caisse, {"code": c["code"]}, **{k: v for k, v in c.items()
                                                                                 if k != "code"}) for c in CAISSES}
    partners = []
    for name, kind, siret, members, habilitated, codes, referent in PARTNERS:
        partner = _get_or_create(session, Partner, {"siret": siret}, name=name, kind=kind, member_count=members,
                                 habilitated_body=habilitated, address="Adresse fictive")
        partners.append(partner)
        for code in codes:
            _get_or_create(session, Convention, {"partner_id": partner.id, "caisse_id": caisses[code].id},
                           start_date=date(2026, 1, 1), features=list(FEATURES), partner_referent=referent)
    agent = None
    for profile, email, password, civility, first, last, function, owner in DEMO_ACCOUNTS:
        existing = session.scalars(sa.select(Account).filter_by(email=email, profile=profile)).first()
        if existing:
            _enrol_demo(existing)      # a demo database from before the second factor
            continue
        partner = partners[owner] if isinstance(owner, int) else None
        gestionnaire = None
        if profile == "technicien":
            gestionnaire = session.scalars(sa.select(Account).filter_by(partner_id=partner.id,
                                                                        profile="gestionnaire")).first()
        creator = gestionnaire if profile == "technicien" else agent if profile == "gestionnaire" else None
        account = Account(
            email=email, profile=profile, civility=civility, first_name=first, last_name=last, function=function,
            phone="0199000000", caisse_id=caisses[owner].id if isinstance(owner, str) else None,
            partner_id=partner.id if partner else None, gestionnaire_id=gestionnaire.id if gestionnaire else None,
            created_by_id=creator.id if creator else None, created_by_name=creator.full_name if creator else "Démonstration",
            password_hash=_demo_hash(password), password_changed_at=utcnow(),
            cgu_version=settings.cgu_version(), caisse_admin=email in DEMO_CAISSE_ADMINS)
        session.add(account)
        session.flush()
        _enrol_demo(account)
        if email == "agent@cpam-valfleuri.test":
            agent = account
    session.commit()



def _enrol_demo(account: Account) -> None:
    secret = DEMO_TOTP_SECRETS.get((account.profile, account.email))
    if secret and account.totp_secret is None:
        second_factor.demo_enrol(account, secret)


def seed_account_requests(session: Session) -> None:
    """« Demandes à la caisse » to look at in the demo (``make run``): one of each kind, a late one, a report
    first in Valfleuri's queue. Written as they would stand, without emails; only once."""
    if session.scalar(sa.select(AccountRequest.id).limit(1)):
        return
    accounts = {(a.profile, a.email): a for a in session.scalars(sa.select(Account))}
    caisses = {c.code: c for c in session.scalars(sa.select(Caisse))}
    ccas, relais = (accounts[("gestionnaire", e)] for e in ("gestionnaire@ccas-saint-exemple.test",
                                                            "gestionnaire@relais-fictif.test"))
    double = accounts[("gestionnaire", "double@relais-fictif.test")]
    lost = Account(email="ancien-poste@ccas-saint-exemple.test", profile="technicien", civility="Mme", first_name="Lise",
                   last_name="Perdue", function="Conseillère", phone="0199000030", partner_id=ccas.partner_id,
                   gestionnaire_id=ccas.id, created_by_id=ccas.id, created_by_name=ccas.full_name, status="inactive",
                   inactivated_at=utcnow(), inactivation_reason=REPORTED)
    session.add(lost)
    session.flush()
    now, today = utcnow(), utcnow().date()
    ago = now - timedelta(days=9)
    rows = [  # (gestionnaire, caisse, kind, status, account, filed at, wanted date, data, reason, the timeline)
        (ccas, "999", "report", "pending", lost, now, None,
         {"cause": "perte_vol", "cause_label": "Perte ou vol des identifiants", "description": "Sacoche volée",
          "profile": "technicien"}, "",
         ["Perte ou vol des identifiants signalé pour le compte de Lise Perdue : ses sessions sont fermées et il ne "
          "peut plus se connecter jusqu'à la décision de la caisse."]),
        (ccas, "999", "habilitation", "pending", None, ago, today + timedelta(days=3),
         {"civility": "M.", "last_name": "Renfort", "first_name": "Théo", "function": "Adjoint de direction",
          "phone": "0199000031", "email": "theo.renfort@ccas-saint-exemple.test"}, "",
         ["Demande d'habilitation de Théo Renfort."]),
        (relais, "999", "correction", "pending", relais, now, None, {"function": "Directeur général"}, "",
         ["Correction demandée pour Bruno Castagnet : fonction « Directeur général »."]),
        (relais, "998", "departure", "scheduled", double, ago, today + timedelta(days=30),
         {"successor_id": relais.id, "successor_name": relais.full_name}, "",
         ["Départ de Sonia Ferrandi signalé.", "Départ confirmé."]),
        (relais, "998", "habilitation", "refused", None, ago, today,
         {"civility": "Mme", "last_name": "Doublon", "first_name": "Anne", "function": "Bénévole",
          "phone": "0199000032", "email": "anne.doublon@relais-fictif.test"}, "Les bénévoles ne sont pas gestionnaires.",
         ["Demande d'habilitation d'Anne Doublon.", "Demande refusée : Les bénévoles ne sont pas gestionnaires."]),
    ]
    for by, code, kind, status, account, at, wanted, data, reason, steps in rows:
        person_name = account.full_name if account else f"{data['first_name']} {data['last_name']}"
        request = AccountRequest(kind=kind, status=status, partner_id=by.partner_id, caisse_id=caisses[code].id,
                                 account_id=account.id if account else None, account_name=person_name, created_at=at,
                                 created_by_id=by.id, created_by_name=by.full_name, wanted_date=wanted, data=data,
                                 due_date=add_working_days(at.date(), 0 if kind == "report" else HABILITATION_DELAY),
                                 decided_at=now if status != "pending" else None, reason=reason,
                                 decided_by_name="Claire Dumoulin" if status != "pending" else "")
        session.add(request)
        session.flush()
        for index, what in enumerate(steps):
            session.add(AccountRequestStep(request_id=request.id, at=at + timedelta(hours=index), what=what,
                                           actor_name=by.full_name if index == 0 else "Karim Delaunay",
                                           side="partner" if index == 0 else "caisse"))
    session.commit()


def demo(session: Session) -> None:
    seed(session)
    seed_account_requests(session)


if __name__ == "__main__":
    seed_command("accounts", demo)
