"""Issue 15 in real browsers, each person in their own: a technicien reports a malfunction with a screenshot,
the caisse's referents get the email, an agent answers from the emailed link, the technicien reads the answer
from their own email, the agent escalates and national support closes; the caisse's administrateur publishes a
document and its new version, the technicien downloads it and reads the announcement in the news.
Every new page is screenshotted and audited by axe (tests/browser/helpers.check_page)."""
import re
import uuid
from datetime import date

import pytest
from playwright.sync_api import expect

from services.requests.tests.test_attachments import PDF, PNG
from services.requests.tests.test_readability import pdf_with_pages
from tests.browser.helpers import check_page, login
from tests.browser.journeys import open_menu
from tests.helpers import link_in

REFERENT = "n.roussel@cpam-valfleuri.test"
TECHNICIEN = "technicien@ccas-saint-exemple.test"

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_a_report_from_the_form_to_national_support_through_the_emails(new_page, mailbox, tmp_path):
    capture = tmp_path / "capture.png"
    capture.write_bytes(PNG)
    technicien = new_page()
    login(technicien, "technicien")
    open_menu(technicien, "Demandes de ma structure")
    open_menu(technicien, "Signaler un dysfonctionnement")
    form = technicien.locator("form[enctype]")
    expect(form.get_by_label("Page concernée (adresse dans le portail)")).to_have_value("/demandes")   # came from
    expect(form.get_by_label("Dysfonctionnement")).to_be_checked()
    check_page(technicien, "support-signaler")
    form.get_by_label("Ce qui s'est passé (obligatoire)").fill("Le filtre par statut ne change pas la liste.")
    form.get_by_role("button", name="Envoyer le signalement").click()
    expect(technicien.locator("#s-happened-on-error")).to_contain_text("Date")          # on its field
    check_page(technicien, "support-signaler-erreur")
    form = technicien.locator("form[enctype]")
    form.get_by_label("Date (obligatoire)").fill(date.today().isoformat())
    form.get_by_label("Heure approximative (facultatif)").fill("10:30")
    form.get_by_label("Capture d'écran (facultatif)").set_input_files(str(capture))
    before = len(mailbox.messages())
    with technicien.expect_navigation():
        form.get_by_role("button", name="Envoyer le signalement").click()
    expect(technicien.get_by_text("est transmis")).to_be_visible()
    reference = re.search(r"SUP-\d{4}-\d{6}", technicien.get_by_role("heading", level=1).inner_text())[0]
    check_page(technicien, "support-detail")

    # The referent's email leads the agent to the report; the agent answers.
    to_referent = mailbox.wait_for(REFERENT, after=before, containing=reference)
    agent = new_page()
    login(agent, "agent_caisse")
    open_menu(agent, "Signalements à traiter")
    expect(agent.get_by_role("link", name=reference)).to_be_visible()
    check_page(agent, "support-file")
    agent.goto(link_in(to_referent, "/support/"))
    expect(agent.get_by_role("link", name="capture.png")).to_be_visible()
    agent.locator("summary", has_text="Répondre").click()
    agent.get_by_label("Message (obligatoire)").first.fill("Corrigé : rechargez la page (Ctrl+F5).")
    before = len(mailbox.messages())
    agent.get_by_role("button", name="Répondre").click()
    expect(agent.locator("#signalement h1")).to_contain_text("Répondu")
    check_page(agent, "support-agent")

    # The technicien follows the email to the answer.
    to_reporter = mailbox.wait_for(TECHNICIEN, after=before, containing=reference)
    assert "Une réponse à votre signalement" in to_reporter["text"]
    technicien.goto(link_in(to_reporter, "/support/"))
    expect(technicien.locator(".timeline")).to_contain_text("Corrigé : rechargez la page")

    # Still wrong: the agent escalates, national support closes; the technicien sees every step.
    agent.reload()
    agent.locator("summary", has_text="Transmettre au support national").click()
    agent.locator("#s-action-escalate-message").fill("Reproduit sur deux postes : à corriger.")
    agent.get_by_role("button", name="Transmettre au support national").click()
    expect(agent.locator("#signalement h1")).to_contain_text("Transmis au support national")
    admin = new_page()
    login(admin, "admin_national")
    open_menu(admin, "Support national")
    check_page(admin, "support-national")
    with admin.expect_navigation():
        admin.get_by_role("link", name=reference).click()
    admin.get_by_role("button", name="Clore le signalement").click()
    expect(admin.locator("#signalement h1")).to_contain_text("Clos")
    open_menu(technicien, "Mes signalements")
    expect(technicien.get_by_role("row", name=re.compile(reference))).to_contain_text("Clos")
    check_page(technicien, "support-mes-signalements")

    # The accessibility statement's link presets the category.
    technicien.goto("/support/signaler?sujet=accessibilite&page=/accessibilite")
    expect(technicien.get_by_label("Accessibilité")).to_be_checked()
    expect(technicien.get_by_label("Page concernée (adresse dans le portail)")).to_have_value("/accessibilite")


def test_the_caisse_publishes_a_document_and_its_new_version_which_partners_download(new_page, tmp_path):
    title = f"Guide des demandes {uuid.uuid4().hex[:6]}"
    first, second = tmp_path / "guide-v1.pdf", tmp_path / "guide-v2.pdf"
    first.write_bytes(PDF)
    second.write_bytes(pdf_with_pages(2))
    agent = new_page()
    login(agent, "agent_caisse")
    open_menu(agent, "Documentation")
    form = agent.locator("form[enctype]")
    form.get_by_label("Catégorie").select_option("guide")
    form.get_by_label("Titre").fill(title)
    form.get_by_label("Version (ex. 2026-06 ou 2.1)").fill("1")
    form.get_by_label("Fichier (obligatoire)").set_input_files(str(first))
    with agent.expect_navigation():
        form.get_by_role("button", name="Publier").click()
    expect(agent.get_by_text("est publié")).to_be_visible()
    form = agent.locator("form[enctype]")
    form.get_by_label("Nouvelle version de").select_option(label=f"{title} (version 1)")
    form.get_by_label("Titre").fill(title)
    form.get_by_label("Version (ex. 2026-06 ou 2.1)").fill("2")
    form.get_by_label("Fichier (obligatoire)").set_input_files(str(second))
    with agent.expect_navigation():
        form.get_by_role("button", name="Publier").click()
    check_page(agent, "documentation-publication")

    technicien = new_page()
    login(technicien, "technicien")
    open_menu(technicien, "Documentation")
    document = technicien.locator("article", has_text=title)
    expect(document).to_contain_text("version 2")
    document.locator("summary", has_text="Versions précédentes").click()
    check_page(technicien, "documentation")
    with technicien.expect_download() as download:
        document.get_by_role("link", name=re.compile("^Télécharger")).click()
    assert open(download.value.path(), "rb").read() == pdf_with_pages(2)
    with technicien.expect_download() as download:
        document.get_by_role("link", name=re.compile("^Version 1")).click()
    assert open(download.value.path(), "rb").read() == PDF
    open_menu(technicien, "Actualités")
    expect(technicien.get_by_text(f"Nouvelle version : {title} (version 2)")).to_be_visible()
