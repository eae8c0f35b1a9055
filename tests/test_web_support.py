"""Support reports and the documentation (issue 15, points 3-4) through the web, against the running services,
clamd and the mail catcher: the form's presets, refusals on their field, the referents' and the reporter's
emails, the queue of the caisse and of national support, who sees what; publishing and downloading documents,
their versions and their announcement in the news."""
import html
import io
import re
import uuid
from datetime import date

import pytest

from services.requests.tests.test_attachments import PDF, PNG, build_png
from services.requests.tests.test_readability import encrypted_pdf, pdf_with_pages
from tests.helpers import csrf_from, login

pytestmark = pytest.mark.db

NIR = "2 84 05 99 123 456 06"
REFERENTS = ("n.roussel@cpam-valfleuri.test", "partenaires@cpam-valfleuri.test")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def file_report(client, fields=None, screenshot=None, **headers):
    page = client.get("/support/signaler")
    assert page.status_code == 200, text(page)
    data = {"category": "dysfonctionnement", "description": f"Le bouton ne répond pas ({uuid.uuid4().hex[:6]}).",
            "happened_on": date.today().isoformat(), "happened_time": "09:15", "page": "/demandes",
            **(fields or {}), "csrf_token": csrf_from(text(page))}
    if screenshot:
        data["screenshot"] = (io.BytesIO(screenshot[1]), screenshot[0])
    return client.post("/support/signaler", data=data, content_type="multipart/form-data", headers=headers)


def report_id(response) -> int:
    assert response.status_code == 303, text(response)
    return int(re.fullmatch(r"/support/(\d+)", response.headers["Location"])[1])


def act(client, rid, action, message=""):
    page = text(client.get(f"/support/{rid}"))
    return client.post(f"/support/{rid}/actions/{action}", data={"csrf_token": csrf_from(page), "message": message},
                       headers={"HX-Request": "true", "HX-Target": "signalement"})


def test_the_form_is_preset_from_the_link_or_the_page_one_came_from(client):
    login(client, "technicien")
    page = text(client.get("/support/signaler?sujet=accessibilite&page=/accessibilite"))
    assert 'name="category" value="accessibilite" checked' in page
    assert 'name="page" value="/accessibilite"' in page
    assert "Seulement les pièces nécessaires, lisibles" in page
    came = text(client.get("/support/signaler", headers={"Referer": "http://localhost/demandes?q=x"}))
    assert 'name="page" value="/demandes"' in came and 'value="dysfonctionnement" checked' in came
    foreign = text(client.get("/support/signaler", headers={"Referer": "https://ailleurs.example/piege"}))
    assert 'name="page" value=""' in foreign
    assert "Transmis à : <strong>CPAM de Valfleuri</strong>" in page


def test_a_partner_under_two_conventions_chooses_the_caisse(client):
    login(client, "technicien_b")
    page = text(client.get("/support/signaler"))
    assert 'name="caisse_code"' in page and "CPAM des Hauts-Fictifs" in page
    refused = file_report(client)
    assert refused.status_code == 400 and "Caisse : choisissez la caisse concernée." in text(refused)


def test_bad_input_is_shown_on_its_field(client):
    login(client, "technicien")
    nir = text(file_report(client, {"description": f"Mon numéro {NIR} est refusé."}))
    assert re.search(r'id="s-description-error">[^<]*sécurité sociale', nir) or "NIR" in nir
    assert 'aria-invalid="true" aria-describedby="s-description-error"' in nir
    tiny = file_report(client, screenshot=("capture.png", build_png(10, 10)))
    assert tiny.status_code == 400
    assert re.search(r'id="s-screenshot-error">Le fichier « capture.png » ne peut pas être lu : l\'image est trop '
                     r'petite', text(tiny))


def test_filed_answered_escalated_and_closed_with_the_emails(client, app, mailbox):
    login(client, "technicien")
    before = len(mailbox.messages())
    rid = report_id(file_report(client, screenshot=("capture.png", PNG)))
    page = text(client.get(f"/support/{rid}"))
    reference = re.search(r"Signalement (SUP-\d{4}-\d{6})", page)[1]
    assert "Transmis à la caisse" in page and "capture.png" in page
    for referent in REFERENTS:
        mail = mailbox.wait_for(referent, after=before, containing=reference)
        assert f"/support/{rid}" in mail["text"]
    assert reference in text(client.get("/support"))
    assert client.get(f"/support/{rid}/capture").data == PNG

    agent = app.test_client()
    login(agent, "agent_caisse")
    assert reference in text(agent.get("/support/file"))
    before = len(mailbox.messages())
    answered = act(agent, rid, "answer", "Rechargez la page, le correctif est en place.")
    assert answered.status_code == 200 and "Répondu" in text(answered)
    mail = mailbox.wait_for("technicien@ccas-saint-exemple.test", after=before, containing=reference)
    assert "Une réponse à votre signalement" in mail["text"]
    assert "Rechargez la page" in text(client.get(f"/support/{rid}"))

    other = app.test_client()
    login(other, "agent_autre_caisse")
    assert other.get(f"/support/{rid}").status_code == 404
    assert reference not in text(other.get("/support/file"))

    escalated = act(agent, rid, "escalate", "Erreur reproduite, à corriger par le support national.")
    assert "Transmis au support national" in text(escalated)
    admin = app.test_client()
    login(admin, "admin_national")
    assert reference in text(admin.get("/support/file"))
    closed = act(admin, rid, "close")
    assert "Clos" in text(closed)
    timeline = text(client.get(f"/support/{rid}")).split("Historique", 1)[1]
    assert timeline.index("Répondu") < timeline.index("Transmis au support national") < timeline.index("Clos")


def test_the_documentation_is_published_versioned_downloaded_and_announced(client, app):
    agent = app.test_client()
    login(agent, "agent_caisse")
    title = f"Guide des demandes {uuid.uuid4().hex[:6]}"

    def publish(version, data, series_id=""):
        page = text(agent.get("/documentation"))
        return agent.post("/documentation", data={
            "csrf_token": csrf_from(page), "category": "guide", "title": title, "version": version,
            "series_id": series_id, "file": (io.BytesIO(data), "guide.pdf")}, content_type="multipart/form-data")

    refused = publish("1", encrypted_pdf("secret"))
    assert refused.status_code == 400
    assert re.search(r'id="d-file-error">Le fichier « guide.pdf » ne peut pas être lu : il est protégé', text(refused))
    assert publish("1", PDF).status_code == 303
    listing = text(agent.get("/documentation"))
    series = re.search(rf'<option value="(\d+)"[^>]*>{re.escape(title)} \(version 1\)', listing)[1]
    assert publish("2", pdf_with_pages(2), series).status_code == 303

    login(client, "technicien")
    page = text(client.get("/documentation"))
    assert title in page and "version 2" in page and "Versions précédentes (1)" in page
    assert "Publier un document" not in page
    links = re.findall(r'href="(/documentation/\d+)" download', page)
    assert pdf_with_pages(2) in [client.get(link).data for link in links]
    news = text(agent.get("/actualites"))
    assert f"Nouvelle version : {title} (version 2)" in news

    plain = app.test_client()
    login(plain, "agent_simple")
    assert "Publier un document" not in text(plain.get("/documentation"))
    other = app.test_client()
    login(other, "agent_autre_caisse")
    assert title not in text(other.get("/documentation"))
    newest = max(int(link.rsplit("/", 1)[1]) for link in links)
    assert other.get(f"/documentation/{newest}").status_code == 404
