"""Fictitious demo requests in every status, with their timelines, so a newcomer
sees a living history (ids match services.accounts.seed: partner 1 "CCAS de
Saint-Exemple" and partner 2 "Association Le Relais Fictif", caisse 999), and
caisse 998's request settings. Idempotent. The insured people are invented."""
import hashlib
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.common.db import seed_command
from services.requests.lifecycle import insured_key
from services.requests import name_search, statistics, tally
from services.requests import storage as stores
from services.requests.models import (CaisseSetting, Document, PartnerRequest, RequestEvent, SupportEvent,
                                      SupportReport, utcnow)

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
        name_search.index(session, request)
        statistics.on_filed(session, request)
        session.add(RequestEvent(request_id=request.id, at=when, author_id=author_id, author_name=author_name,
                                 side="partner", to_status="submitted"))
        for n, (side, to_status, message) in enumerate(steps, start=1):
            who = AGENT if side == "caisse" else AUTHORS[partner][:2]
            session.add(RequestEvent(request_id=request.id, at=when + timedelta(days=n), author_id=who[0],
                                     author_name=who[1], side=side,
                                     from_status=request.status if to_status else None, to_status=to_status,
                                     message=message))
            if to_status:
                statistics.on_status(session, request, to_status, when + timedelta(days=n))
                request.status = to_status
            request.updated_at = when + timedelta(days=n)
        tally.moved(session, request, None, request.status)
    session.commit()


# Issue 15: a support report of the CCAS's technicien, answered by the caisse, and the portal's documentation:
# a national user guide and caisse 999's CGU in force with its previous version.
DEMO_REPORT = "SUP-DEMO-000001"
DEMO_DOCUMENTS = [   # (caisse, category, title, version, days ago, position in this list of its first version, or None)
    ("", "guide", "Guide d'utilisation de l'Espace Partenaires", "2026.1", 30, None),
    ("999", "cgu", "Conditions générales d'utilisation — CPAM de Valfleuri", "2025-06", 200, None),
    ("999", "cgu", "Conditions générales d'utilisation — CPAM de Valfleuri", "2026-01", 20, 1),
]


def demo_pdf(title: str, version: str) -> bytes:
    """A one-page A4 PDF (150 dpi) with the document's title, drawn by Pillow: a readable demo file."""
    import io

    from PIL import Image, ImageDraw

    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    for n, line in enumerate((title, f"Version {version}", "Document de démonstration, fictif.")):
        draw.text((120, 160 + 60 * n), line, fill="black", font_size=36)
    out = io.BytesIO()
    page.save(out, "PDF", resolution=150)
    return out.getvalue()


def seed_support_and_documentation(session: Session, store) -> None:
    if session.scalar(sa.select(SupportReport.id).filter_by(reference=DEMO_REPORT)) is None:
        when = utcnow() - timedelta(days=2)
        author_id, author_name, author_email = AUTHORS[1]
        report = SupportReport(
            reference=DEMO_REPORT, level="caisse", caisse_code="999", caisse_name="CPAM de Valfleuri",
            category="dysfonctionnement", status="answered", happened_at=when - timedelta(hours=1),
            description="Le bouton « Déposer la demande » reste grisé après l'ajout d'une pièce jointe.",
            page="/demandes/nouvelle/999/document", reporter_id=author_id, reporter_profile="technicien",
            reporter_name=author_name, reporter_email=author_email, partner_id=1, partner_name="CCAS de Saint-Exemple",
            created_at=when, updated_at=when + timedelta(hours=3))
        session.add(report)
        session.flush()
        session.add_all([
            SupportEvent(report_id=report.id, at=when, author_id=author_id, author_name=author_name, side="reporter",
                         action="filed", to_status="submitted"),
            SupportEvent(report_id=report.id, at=when + timedelta(hours=3), author_id=AGENT[0], author_name=AGENT[1],
                         side="caisse", action="answer", to_status="answered",
                         message="Le fichier était un PDF protégé par mot de passe : enregistrez-le sans protection.")])
    if session.scalar(sa.select(Document.id).limit(1)) is None:
        made = []
        for caisse, category, title, version, days_ago, series in DEMO_DOCUMENTS:
            data = demo_pdf(title, version)
            document = Document(
                series_id=None if series is None else made[series].id, caisse_code=caisse, category=category,
                title=title, version=version, storage_key=store.put(data), filename=f"{category}-{version}.pdf",
                content_type="application/pdf", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                published_at=utcnow() - timedelta(days=days_ago), author_name="Équipe de démonstration")
            session.add(document)
            session.flush()
            document.series_id = document.series_id or document.id
            made.append(document)
    session.commit()


def seed_all(session: Session) -> None:
    seed(session)
    seed_support_and_documentation(session, stores.from_env())


if __name__ == "__main__":
    seed_command("requests", seed_all)
