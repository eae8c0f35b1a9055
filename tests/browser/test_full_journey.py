"""The whole journey in real browsers, each person in their own browser and from the
login page: the agent registers a partner and habilitates its gestionnaire (and meets
the cap), the invitation arrives in the SMTP server, the gestionnaire sets a password,
accepts the CGU and creates a technicien, who does the same and files a document
request with an attachment (a NIR is refused as it is typed), the agent takes it in
charge and asks for more, the technicien answers, the agent closes it, and the
technicien reads the timeline. Each main page gets a screenshot and an axe report."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from services.requests.tests.test_attachments import PDF
from tests.browser.helpers import check_page, login
from tests.browser.journeys import activate_from_email, fill_person, open_menu

pytestmark = [pytest.mark.integration, pytest.mark.browser]
NIR = "2 84 05 99 123 456 06"


def letters() -> str:
    """Names take letters only; a random one keeps runs apart."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10]).capitalize()


def siret() -> str:
    """A fresh SIRET with a valid Luhn key."""
    body = f"{uuid.uuid4().int % 10**13:013d}"
    for last in "0123456789":
        digits = [int(c) for c in body + last]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return body + last
    raise AssertionError("unreachable")


def test_from_habilitation_to_a_closed_request(new_page, mailbox, tmp_path):
    tag = uuid.uuid4().hex[:8]
    partner = f"CCAS de Parcours {letters()}"
    gestionnaire_email, technicien_email = f"g-{tag}@ccas-parcours.test", f"t-{tag}@ccas-parcours.test"
    person = letters()
    attachment = tmp_path / "justificatif.pdf"
    attachment.write_bytes(PDF)

    # The agent registers the partner (8 members: 2 gestionnaires, 5 techniciens at most).
    agent = new_page()
    login(agent, "agent_caisse")
    open_menu(agent, "Partenaires")
    with agent.expect_navigation():
        agent.get_by_role("link", name="Enregistrer un partenaire").click()
    agent.get_by_label("Nom de la structure").fill(partner)
    agent.get_by_label("Type de structure").select_option("CCAS")
    agent.get_by_label("SIRET").fill(siret())
    agent.get_by_label("Adresse").fill("1 place de la Mairie, 60000 Exemple")
    agent.get_by_label("Nombre de membres de la structure").fill("8")
    with agent.expect_navigation():
        agent.get_by_role("button", name="Enregistrer le partenaire").click()
    expect(agent.get_by_role("heading", level=1)).to_contain_text(partner)

    # ... habilitates two gestionnaires; a third is refused: the cap is reached.
    for n, (email, first) in enumerate([(gestionnaire_email, "Gaëlle"), (f"g2-{tag}@ccas-parcours.test", "Inès")]):
        fill_person(agent.locator("form.person-form"), f"Gestion{letters()}", first, "Responsable", email)
        with agent.expect_navigation():
            agent.get_by_role("button", name="Habiliter le gestionnaire").click()
        expect(agent.get_by_text(f"Gestionnaires actifs : {n + 1} / 2")).to_be_visible()
    check_page(agent, "agent-partenaire-habilite")
    fill_person(agent.locator("form.person-form"), "Troisieme", "Zoé", "Adjointe", f"g3-{tag}@ccas-parcours.test")
    with agent.expect_navigation():
        agent.get_by_role("button", name="Habiliter le gestionnaire").click()
    expect(agent.get_by_role("alert").filter(has_text="nombre maximal de gestionnaires")).to_contain_text(
        "2 pour 8 membres")
    check_page(agent, "plafond-atteint")

    # The gestionnaire, from the email, creates a technicien.
    gestionnaire = new_page()
    activate_from_email(gestionnaire, mailbox, gestionnaire_email, "Gaëlle")
    open_menu(gestionnaire, "Habilitations")
    fill_person(gestionnaire.locator("form.person-form"), "Navigatrice", "Ambre", "Conseillère", technicien_email)
    with gestionnaire.expect_navigation():
        gestionnaire.get_by_role("button", name="Créer le compte technicien").click()
    expect(gestionnaire.get_by_role("row").filter(has_text=technicien_email)).to_contain_text("Technicien")

    # The technicien activates the account and files a document request.
    technicien = new_page()
    activate_from_email(technicien, mailbox, technicien_email, "Ambre", screenshots=True)
    open_menu(technicien, "Nouvelle demande")
    check_page(technicien, "demande-choix")
    with technicien.expect_navigation():
        technicien.get_by_role("link", name="Demander un document").first.click()
    form = technicien.locator("form.card")
    form.get_by_label("Civilité (obligatoire)").select_option("Mme")
    form.get_by_label("Nom (obligatoire)", exact=True).fill(person)
    form.get_by_label("Prénom (obligatoire)").fill("Jeanne")
    form.get_by_label("Date de naissance (obligatoire)").fill("1980-05-17")
    form.get_by_label("Département de résidence (obligatoire)").select_option("60")
    form.get_by_label("Document demandé (obligatoire)").select_option("attestation_droits")
    comment = form.get_by_label("Commentaire")
    comment.fill(f"Son numéro : {NIR}")                                   # refused as it is typed
    expect(technicien.locator("#f-comment-live")).to_contain_text("Ne saisissez jamais de numéro de sécurité sociale")
    check_page(technicien, "demande-nir-refuse")
    comment.fill("Attestation pour l'hébergement.")
    expect(technicien.locator("#f-comment-live")).to_be_empty()
    form.get_by_label("Pièces jointes (facultatif)").set_input_files(str(attachment))
    form.get_by_role("button", name="Déposer la demande").click()
    expect(technicien.get_by_text("est déposée auprès de la caisse")).to_be_visible()
    reference = technicien.get_by_role("heading", level=1).inner_text().split()[1]
    check_page(technicien, "demande-detail")

    # The agent finds it in the queue, takes it in charge and asks for more.
    agent.goto("/")
    check_page(agent, "accueil-agent-file")
    open_menu(agent, "File des demandes")
    agent.get_by_label("Nom ou prénom de la personne").fill(person)
    expect(agent.locator("#resultats").get_by_role("link", name=reference)).to_be_visible()
    expect(agent).to_have_url(re.compile(r"/file$"))                  # POSTed: the person's name in no URL
    check_page(agent, "file-filtree")
    with agent.expect_navigation():
        agent.locator("#resultats").get_by_role("link", name=reference).click()
    agent.get_by_role("button", name="Prendre en charge").click()
    expect(agent.locator("#demande h1")).to_contain_text("Prise en charge")
    expect(agent.locator("#demande")).to_be_focused()                        # focus follows the new state
    agent.locator("summary", has_text="Demander des compléments au partenaire").click()
    agent.get_by_label("Message (obligatoire)").first.fill("Merci de joindre le justificatif de domicile.")
    agent.get_by_role("button", name="Demander des compléments au partenaire").click()
    expect(agent.locator("#demande h1")).to_contain_text("En attente du partenaire")
    check_page(agent, "demande-agent")

    # The technicien answers, the agent closes, the technicien reads the timeline.
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
