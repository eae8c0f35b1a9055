"""Active accounts by partner (issue 18, point 6): the caisse agent's partners (convention in force with
their caisse, ``access.visible_partner_ids``) or every partner (national administrator). One grouped count
over the accounts, whose number does not grow with the requests."""
import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.profiles import GESTIONNAIRE, TECHNICIEN
from services.accounts import access
from services.accounts.models import Account, Partner


def active_accounts(session: Session, actor: Account) -> dict:
    visible = access.visible_partner_ids(session, actor)
    partners = sa.select(Partner.id, Partner.name).order_by(Partner.name, Partner.id)
    counts = (sa.select(Account.partner_id, Account.profile, sa.func.count())
              .where(Account.status == "active", Account.profile.in_((GESTIONNAIRE, TECHNICIEN)))
              .group_by(Account.partner_id, Account.profile))
    if visible is not None:
        partners = partners.where(Partner.id.in_(visible))
        counts = counts.where(Account.partner_id.in_(visible))
    found = {(partner_id, profile): count for partner_id, profile, count in session.execute(counts).all()}
    rows = [{"id": pid, "name": name, "gestionnaires": found.get((pid, GESTIONNAIRE), 0),
             "techniciens": found.get((pid, TECHNICIEN), 0)} for pid, name in session.execute(partners).all()]
    for row in rows:
        row["total"] = row["gestionnaires"] + row["techniciens"]
    return {"partners": rows, "total": {key: sum(r[key] for r in rows)
                                        for key in ("gestionnaires", "techniciens", "total")}}
