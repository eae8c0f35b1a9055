"""Fictitious demo data: one caisse, one partner, one account per profile.

Idempotent: running it twice changes nothing. Every name, address and email
here is invented (``.test`` is a reserved domain); never use real people.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.accounts import passwords
from services.accounts.models import Account, Caisse, Partner, utcnow
from services.common.db import seed_command

DEMO_CAISSE = {"code": "999", "name": "CPAM de Valfleuri"}
DEMO_PARTNER = {"name": "CCAS de Saint-Exemple", "kind": "CCAS"}

# (profile, email, password, civility, first name, last name, belongs to)
DEMO_ACCOUNTS = [
    ("admin_national", "admin@assurance-maladie.test", "Admin-Demo-2026!", "M.", "Paul", "Martinet", None),
    ("agent_caisse", "agent@cpam-valfleuri.test", "Agent-Demo-2026!", "Mme", "Claire", "Dumoulin", "caisse"),
    ("gestionnaire", "gestionnaire@ccas-saint-exemple.test", "Gestion-Demo-2026!", "Mme", "Inès", "Berthier", "partner"),
    ("technicien", "technicien@ccas-saint-exemple.test", "Techni-Demo-2026!", "M.", "Hugo", "Lambertin", "partner"),
]


def _get_or_create(session, model, key: dict, **values):
    row = session.scalars(sa.select(model).filter_by(**key)).first()
    if row is None:
        row = model(**key, **values)
        session.add(row)
        session.flush()
    return row


def seed(session: Session) -> None:
    caisse = _get_or_create(session, Caisse, {"code": DEMO_CAISSE["code"]}, name=DEMO_CAISSE["name"])
    partner = _get_or_create(session, Partner, {"name": DEMO_PARTNER["name"]}, kind=DEMO_PARTNER["kind"])
    for profile, email, password, civility, first, last, owner in DEMO_ACCOUNTS:
        existing = session.scalars(sa.select(Account).filter_by(email=email, profile=profile)).first()
        if existing:
            continue
        session.add(Account(
            email=email, profile=profile, civility=civility, first_name=first, last_name=last,
            caisse_id=caisse.id if owner == "caisse" else None,
            partner_id=partner.id if owner == "partner" else None,
            password_hash=passwords.hash_password(password), password_changed_at=utcnow(),
        ))
    session.commit()


if __name__ == "__main__":
    seed_command("accounts", seed)
