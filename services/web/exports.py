"""Downloads the web builds from what a service returned (issue 18): CSV for a spreadsheet in French
(contracts.spreadsheet) and one request with its timeline as a PDF for the caisse's archive (fpdf2, with
the DejaVu font of Debian's fonts-dejavu-core so that French accents render; files listed, never embedded)."""
from datetime import datetime
from urllib.parse import quote

from flask import Response
from fpdf import FPDF

from contracts.dates import PARIS, date_fr, datetime_fr
from contracts.spreadsheet import french_csv

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
FONT = "DejaVu"
SIDES = {"partner": "partenaire", "caisse": "caisse", "system": "système"}
DIRECTIONS = {"in": "reçue du partenaire", "out": "envoyée par la caisse"}


def download(body, content_type: str, filename: str) -> Response:
    return Response(body, content_type=content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


def csv_download(filename: str, header: list[str], rows) -> Response:
    return download(french_csv(header, rows).encode("utf-8"), "text/csv; charset=utf-8", filename)


def today_stamp() -> str:
    return datetime.now(PARIS).strftime("%Y-%m-%d")


def size_label(size: int) -> str:
    if size < 1024:
        return f"{size} octets"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} Ko"
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")


class ArchivePdf(FPDF):
    def __init__(self, reference: str):
        super().__init__(format="A4")
        self.reference = reference
        self.add_font(FONT, "", FONT_DIR + "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR + "DejaVuSans-Bold.ttf")
        self.set_auto_page_break(True, margin=18)
        self.set_lang("fr")

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 6, f"{self.reference} — page {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str, size: int = 13):
        self.ln(3)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 10)

    def line(self, text: str, indent: float = 0):
        self.set_x(self.l_margin + indent)
        self.multi_cell(self.epw - indent, 5.5, text, new_x="LMARGIN", new_y="NEXT")

    def pair(self, label: str, value: str):
        self.line(f"{label} : {value or '—'}")


def request_pdf(found: dict, details: list[tuple[str, str]], departments: dict) -> bytes:
    """``found``: the requests service's ``request_archive`` (no NIR: never stored, masked if one came in);
    ``details``: its fields as the detail page shows them."""
    pdf = ArchivePdf(found["reference"])
    pdf.set_title(f"Demande {found['reference']}")
    pdf.set_author("Espace Partenaires")
    pdf.set_creator("Espace Partenaires — archive de la caisse")
    pdf.add_page()
    pdf.heading(f"Demande {found['reference']} — {found['kind_label']}", 16)
    pdf.line(f"Archive de la caisse, éditée le {datetime.now(PARIS).strftime('%d/%m/%Y à %H:%M')}")
    pdf.heading("La demande")
    pdf.pair("Statut", found["status_label"])
    pdf.pair("Déposée le", datetime_fr(found["created_at"]))
    pdf.pair("Première réponse le", datetime_fr(found.get("answered_at")))
    pdf.pair("Déposée par", found["created_by_name"])
    pdf.pair("Caisse qui la traite", found["caisse_code"])
    pdf.pair("Caisse de la convention", found.get("convention_caisse_code"))
    insured = found["insured"]
    pdf.heading("La personne")
    pdf.pair("Nom", f"{insured['civility']} {insured['last_name'].upper()} {insured['first_name']}")
    pdf.pair("Date de naissance", date_fr(insured["birth_date"]))
    pdf.pair("Département de résidence", departments.get(insured["department"], insured["department"]))
    if details:
        pdf.heading("Le contenu")
        for label, value in details:
            pdf.pair(label, str(value))
    pdf.heading("Historique")
    for line in found["timeline"]:
        pdf.set_font(FONT, "B", 10)
        status = f" — {line['status_label']}" if line["status_label"] else ""
        pdf.line(f"{datetime_fr(line['at'])} — {line['author'] or '—'} "
                 f"({SIDES.get(line['side'], line['side'])}){status}")
        pdf.set_font(FONT, "", 10)
        if line["message"]:
            pdf.line(line["message"], indent=6)
        for attachment in line["attachments"]:
            pdf.line(f"Pièce jointe {DIRECTIONS.get(attachment['direction'], '')} : {attachment['filename']} "
                     f"({size_label(attachment['size'])}) — non incluse dans cette archive", indent=6)
    return bytes(pdf.output())
