"""The caisse's own staff and settings in a real browser, reached from the menu: the
administrateur de caisse invites an agent on « Agents de la caisse » and sets the technicien
inactivity rule on « Paramètres de la caisse » (whose requests part loads as an HTMX fragment,
or says it is unavailable); the national admin reaches a new caisse's agents from « Caisses ».
Every page screenshotted and audited by axe-core."""
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import check_page, login
from tests.browser.journeys import fill_person
from tests.helpers import rpc_as

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def menu(page):
    return page.get_by_role("navigation", name="Menu principal")


def test_the_administrateur_invites_an_agent(page, mailbox):
    login(page, "agent_caisse")
    with page.expect_navigation():
        menu(page).get_by_role("link", name="Agents de la caisse", exact=True).click()
    expect(page.get_by_role("heading", name="Agents de la caisse", level=1)).to_be_visible()
    form = page.locator("form", has=page.get_by_role("button", name="Inviter l'agent"))
    email = f"agent-{uuid.uuid4().hex[:8]}@cpam-valfleuri.test"
    fill_person(form, "Navigateur", "Noémie", "Conseillère partenariats", "perso@gmail.com")
    with page.expect_navigation():
        form.get_by_role("button", name="Inviter l'agent").click()
    expect(page.get_by_text("Une adresse électronique professionnelle est exigée")).to_be_visible()
    check_page(page, "agents-de-la-caisse-erreur")
    form.get_by_label("Adresse électronique professionnelle").fill(email)
    with page.expect_navigation():
        form.get_by_role("button", name="Inviter l'agent").click()
    expect(page.get_by_text("est invité(e) comme agent de la caisse")).to_be_visible()
    expect(page.get_by_role("row", name="Noémie Navigateur")).to_contain_text("Invitation en attente")
    assert "Agent de caisse" in mailbox.wait_for(email)["text"]
    check_page(page, "agents-de-la-caisse-invitation")


def test_the_settings_screen_with_its_requests_part(page, app):
    login(page, "agent_caisse")
    with page.expect_navigation():
        menu(page).get_by_role("link", name="Paramètres de la caisse", exact=True).click()
    expect(page.get_by_role("heading", name="Paramètres de la caisse", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Demandes", exact=True)).to_be_visible()
    # The requests service's own part, loaded into the page (hx-get /caisse/parametres/demandes).
    expect(page.get_by_role("heading", name="Demandes des partenaires")).to_be_visible()
    try:
        page.get_by_label("Inactiver les comptes de technicien sans connexion").check()
        page.get_by_label("Délai sans connexion avant l'inactivation (jours)").fill("12")
        with page.expect_navigation():
            page.get_by_role("button", name="Enregistrer les règles").click()
        expect(page.locator("#technicien_inactivity_days-error")).to_contain_text("de 30 à 730")
        page.get_by_label("Délai sans connexion avant l'inactivation (jours)").fill("120")
        with page.expect_navigation():
            page.get_by_role("button", name="Enregistrer les règles").click()
        expect(page.get_by_text("Les règles des comptes de la caisse sont enregistrées.")).to_be_visible()
        expect(page.get_by_label("Délai sans connexion avant l'inactivation (jours)")).to_have_value("120")
        check_page(page, "parametres-de-la-caisse-enregistres")
    finally:
        rpc_as(app, "agent_caisse")("save_caisse_rules", {"technicien_caps": "on"})


def test_the_national_admin_reaches_a_caisses_agents_from_caisses(page, app):
    code = str(700 + uuid.uuid4().int % 299)
    rpc_as(app, "admin_national")("save_caisse", {"code": code, "name": f"CPAM du Navigateur {code}"})
    login(page, "admin_national")
    with page.expect_navigation():
        menu(page).get_by_role("link", name="Caisses", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name=f"Agents de CPAM du Navigateur {code}").click()
    expect(page.get_by_text("invitez le premier, il sera administrateur de la caisse")).to_be_visible()
    check_page(page, "agents-nouvelle-caisse")
