"""Fictitious demo requests in every status, with their timelines, so a newcomer
sees a living history (ids match services.accounts.seed: partner 1 "CCAS de
Saint-Exemple" and partner 2 "Association Le Relais Fictif", caisse 999), and
caisse 998's request settings. Idempotent. The insured people are invented."""
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.common.db import seed_command
from services.requests.lifecycle import insured_key
from services.requests.models import CaisseSetting, PartnerRequest, RequestEvent, utcnow

AGENT = (2, "Claire Dumoulin")
AUTHORS = {1: (5, "Hugo Lambertin", "technicien@ccas-saint-exemple.test"),
           2: (9, "Yanis Morel", "technicien@relais-fictif.test")}

# (reference, partner, kind, insured (civ, last, first, birth, dept), details, days ago, steps)
# steps: (actor, to_status or None, message) after submission, one day apart
DEMO = [
    ("DEMO-000001", 1, "document", ("Mme", "Moreau", "Lucie", "1987-04-12", "60"),
     {"document_type": "attestation_droits", "comment": ""}, 1, []),
    ("DEMO-000002", 1, "etude_dossier", ("M.", "Girard", "Karim", "1979-09-30", "60"),
     {"dossier_type": "c2s", "comment": "Ressources modestes, dossier complet déposé en main propre."}, 6,
     [("caisse", "in_progress", "")]),
    ("DEMO-000003", 1, "rendez_vous", ("Mme", "Petitjean", "Odile", "1951-02-03", "80"),
     {"reason": "droits", "preferred_days": ["mardi", "jeudi"], "preferred_times": ["matin"], "channel": "accueil",
      "comment": ""}, 14,
     [("caisse", "in_progress", ""), ("caisse", "answered", "Rendez-vous fixé le mardi à 9 h 30 à l'accueil."),
      ("caisse", "closed", "")]),
    ("DEMO-000004", 1, "contact_caisse", ("M.", "Roussel", "Théo", "2001-11-21", "60"),
     {"subject": "courrier", "message": "M. Roussel a reçu un courrier qu'il ne comprend pas."}, 9,
     [("caisse", "in_progress", ""),
      ("caisse", "waiting_partner", "Pouvez-vous nous transmettre une copie du courrier reçu ?")]),
    ("DEMO-000005", 1, "suivi_ame", ("Mme", "Benali", "Samira", "1990-06-15", "60"),
     {"filed_on": (date.today() - timedelta(days=40)).isoformat(), "comment": ""}, 20,
     [("caisse", "not_admissible", "Cette personne relève d'une autre caisse : orientez-la vers celle-ci.")]),
    ("DEMO-000006", 2, "signalement", ("M.", "Lefèvre", "Jean", "1960-01-08", "80"),
     {"difficulty": "renoncement", "description": "Renonce à ses soins faute de complémentaire.",
      "consent": True}, 3, [("caisse", "in_progress", "")]),
    ("DEMO-000007", 2, "document", ("Mme", "Carpentier", "Élise", "1944-12-24", "60"),
     {"document_type": "prevention", "prevention_offer": "vaccination", "comment": ""}, 25,
     [("caisse", "in_progress", ""), ("partner", None, "La personne est hébergée au foyer jusqu'à fin du mois."),
      ("caisse", "answered", "Bon de vaccination transmis.")]),
]


# CPAM des Hauts-Fictifs chose like the Annemasse and L'Aigle agreements: attestations and prevention
# offers only, always sent to the insured's address (CPAM de Valfleuri keeps the defaults).
DEMO_SETTINGS = {"998": {"documents": ["attestation_droits", "notification_droits", "vaccination", "depistage",
                                       "mt_dents", "examen_sante"], "delivery": "adresse"}}


def seed(session: Session) -> None:
    for code, values in DEMO_SETTINGS.items():
        if session.get(CaisseSetting, code) is None:
            session.add(CaisseSetting(caisse_code=code, late_after_days=10, **values))
    for reference, partner, kind, insured, details, days_ago, steps in DEMO:
        if session.scalar(sa.select(PartnerRequest.id).filter_by(reference=reference)):
            continue
        civility, last, first, birth, dept = insured
        author_id, author_name, author_email = AUTHORS[partner]
        when = utcnow() - timedelta(days=days_ago)
        request = PartnerRequest(
            reference=reference, partner_id=partner, caisse_code="999", convention_caisse_code="999", kind=kind,
            status="submitted", insured_civility=civility, insured_last_name=last, insured_first_name=first,
            insured_birth_date=date.fromisoformat(birth), insured_department=dept,
            insured_key=insured_key({"last_name": last, "first_name": first, "birth_date": birth}), details=details,
            delivery=("portail" if partner == 2 else "adresse") if kind == "document" else "",
            partner_habilitated=partner == 2, created_by=author_id, created_by_name=author_name,
            created_by_email=author_email, created_at=when, updated_at=when)
        session.add(request)
        session.flush()
        session.add(RequestEvent(request_id=request.id, at=when, author_id=author_id, author_name=author_name,
                                 side="partner", to_status="submitted"))
        for n, (side, to_status, message) in enumerate(steps, start=1):
            who = AGENT if side == "caisse" else AUTHORS[partner][:2]
            session.add(RequestEvent(request_id=request.id, at=when + timedelta(days=n), author_id=who[0],
                                     author_name=who[1], side=side,
                                     from_status=request.status if to_status else None, to_status=to_status,
                                     message=message))
            if to_status:
                request.status = to_status
            request.updated_at = when + timedelta(days=n)
    session.commit()


if __name__ == "__main__":
    seed_command("requests", seed)
