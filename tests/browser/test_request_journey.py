"""A request's whole life in real browsers, from the login page: the technicien
files a document request with an attachment (a NIR typed first is refused),
the agent takes it in charge and asks for more, the technicien answers, the
agent closes it, and the technicien reads the timeline. HTMX does the actions
in place; each main page gets a screenshot and an axe report."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from services.requests.tests.test_attachments import PDF
from tests.browser.helpers import check_page, login

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def _name() -> str:
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10]).capitalize()


def test_a_document_request_from_filing_to_closing(new_page, tmp_path):
    name = _name()
    attachment = tmp_path / "justificatif.pdf"
    attachment.write_bytes(PDF)

    technicien = new_page()
    login(technicien, "technicien_b")
    menu = technicien.get_by_role("navigation", name="Menu principal")
    with technicien.expect_navigation():
        menu.get_by_role("link", name="Nouvelle demande", exact=True).click()
    check_page(technicien, "demande-choix")
    with technicien.expect_navigation():
        technicien.get_by_role("link", name="Demander un document").first.click()

    form = technicien.locator("form.card")
    form.get_by_label("Civilité (obligatoire)").select_option("Mme")
    form.get_by_label("Nom (obligatoire)", exact=True).fill(name)
    form.get_by_label("Prénom (obligatoire)").fill("Jeanne")
    form.get_by_label("Date de naissance (obligatoire)").fill("1980-05-17")
    form.get_by_label("Département de résidence (obligatoire)").select_option("60")
    form.get_by_label("Document demandé (obligatoire)").select_option("attestation_droits")
    form.get_by_label("Commentaire").fill("NIR 2 84 05 99 123 456 06")
    form.get_by_label("Pièces jointes (facultatif)").set_input_files(str(attachment))
    form.get_by_role("button", name="Déposer la demande").click()
    expect(technicien.get_by_text("Ne saisissez jamais de numéro de sécurité sociale").last).to_be_visible()
    check_page(technicien, "demande-formulaire-erreurs")

    form = technicien.locator("form.card")
    form.get_by_label("Commentaire").fill("Attestation pour l'hébergement.")
    form.get_by_label("Pièces jointes (facultatif)").set_input_files(str(attachment))
    form.get_by_role("button", name="Déposer la demande").click()
    expect(technicien.get_by_text("est déposée auprès de la caisse")).to_be_visible()
    reference = technicien.get_by_role("heading", level=1).inner_text().split()[1]
    check_page(technicien, "demande-detail")

    agent = new_page()
    login(agent, "agent_caisse")
    check_page(agent, "accueil-agent-file")
    agent.get_by_role("navigation", name="Menu principal").get_by_role("link", name="File des demandes").click()
    agent.get_by_label("Nom ou prénom de la personne").fill(name)
    expect(agent.locator("#resultats").get_by_role("link", name=reference)).to_be_visible()
    expect(agent).to_have_url(re.compile(rf"/file\?.*q={name}"))            # hx-push-url: back and reload work
    check_page(agent, "file-filtree")
    with agent.expect_navigation():
        agent.locator("#resultats").get_by_role("link", name=reference).click()
    agent.get_by_role("button", name="Prendre en charge").click()
    expect(agent.locator("#demande h1")).to_contain_text("Prise en charge")
    agent.locator("summary", has_text="Demander des compléments au partenaire").click()
    agent.get_by_label("Message (obligatoire)").first.fill("Merci de joindre le justificatif de domicile.")
    agent.get_by_role("button", name="Demander des compléments au partenaire").click()
    expect(agent.locator("#demande h1")).to_contain_text("En attente du partenaire")
    check_page(agent, "demande-agent")

    technicien.reload()
    technicien.locator("summary", has_text="Répondre à la caisse").click()
    technicien.get_by_label("Message (obligatoire)").first.fill("Voici le justificatif.")
    technicien.get_by_role("button", name="Répondre à la caisse").click()
    expect(technicien.locator("#demande h1")).to_contain_text("Prise en charge")

    agent.reload()
    agent.once("dialog", lambda dialog: dialog.accept())         # hx-confirm: "Clôturer cette demande ?"
    agent.get_by_role("button", name="Clôturer").click()
    expect(agent.locator("#demande h1")).to_contain_text("Clôturée")

    technicien.reload()
    timeline = technicien.locator(".timeline")
    for step in ("Déposée", "Prise en charge", "En attente du partenaire", "Clôturée",
                 "Merci de joindre le justificatif de domicile.", "Voici le justificatif.", "justificatif.pdf"):
        expect(timeline).to_contain_text(step)
    check_page(technicien, "demande-chronologie")
