"""Issue 14 in a real browser, each screen reached from the menu, with its screenshot and axe
audit: the SIRET attempt of the issue (the agent of CPAM des Hauts-Fictifs types the SIRET of the
CCAS de Saint-Exemple: a proposal, the name and its status only, no staff), the CCAS's gestionnaire
answering it in « Conventions »; the partner's record, its convention (end date, notice, tacit
renewal, referent) and the per-convention suspension; the national admin's cut-off."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import check_page, login
from tests.browser.journeys import open_menu
from tests.helpers import rpc_as
from tests.test_conventions import CCAS_SIRET, forget_pending_proposals
from tests.test_web_partners import fictitious_siret

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_the_siret_attempt_of_the_issue(new_page, app):
    forget_pending_proposals()
    agent = new_page()
    login(agent, "agent_autre_caisse")
    open_menu(agent, "Partenaires")
    with agent.expect_navigation():
        agent.get_by_role("link", name="Enregistrer un partenaire").click()
    agent.get_by_label("Nom de la structure").fill("CCAS de Saint-Exemple")
    agent.get_by_label("Type de structure").select_option("CCAS")
    agent.get_by_label("SIRET").fill(CCAS_SIRET)
    agent.get_by_label("Adresse").fill("1 rue de l'Exemple")
    agent.get_by_label("Nombre de membres de la structure").fill("8")
    agent.get_by_label("Date de début de la convention").fill("2026-01-01")
    with agent.expect_navigation():
        agent.get_by_role("button", name="Enregistrer le partenaire").click()
    expect(agent).to_have_url(re.compile(r"/partenaires$"))
    expect(agent.get_by_text("Ce SIRET est déjà connu : CCAS de Saint-Exemple reçoit une proposition")).to_be_visible()
    row = agent.get_by_role("row", name=re.compile("CCAS de Saint-Exemple"))
    expect(row).to_contain_text("Proposition en attente de la réponse de la structure")
    expect(row.get_by_role("link")).to_have_count(0)                       # no page of the CCAS to open
    expect(agent.locator("body")).not_to_contain_text("ccas-saint-exemple.test")
    check_page(agent, "agent-proposition-de-convention")
    agent.goto("/partenaires/1")
    expect(agent.get_by_text("Partenaire introuvable.")).to_be_visible()

    gestionnaire = new_page()
    login(gestionnaire, "gestionnaire")
    open_menu(gestionnaire, "Conventions")
    proposal = gestionnaire.locator("section.convention", has_text="CPAM des Hauts-Fictifs").filter(
        has_text="Proposition en attente")
    expect(proposal.get_by_role("button", name=re.compile("^Accepter la convention"))).to_be_visible()
    check_page(gestionnaire, "gestionnaire-proposition-de-convention")
    gestionnaire.once("dialog", lambda dialog: dialog.accept())          # hx-confirm
    with gestionnaire.expect_navigation():
        proposal.get_by_role("button", name=re.compile("^Refuser")).click()
    expect(gestionnaire.get_by_text("La convention proposée par CPAM des Hauts-Fictifs est refusée.")).to_be_visible()
    agent.reload()
    open_menu(agent, "Partenaires")
    expect(agent.get_by_role("row", name=re.compile("CCAS de Saint-Exemple"))).to_contain_text(
        "Proposition refusée par la structure")


def test_partner_record_convention_and_suspension(new_page, app):
    name = f"Structure du navigateur {uuid.uuid4().hex[:6]}"
    rpc_as(app, "agent_caisse")("register_partner", {
        "name": name, "kind": "Association", "siret": fictitious_siret(), "address": "2 rue du Navigateur",
        "member_count": 12, "start_date": "2026-01-01", "features": ["document"]})
    agent = new_page()
    login(agent, "agent_caisse")
    open_menu(agent, "Partenaires")
    with agent.expect_navigation():
        agent.get_by_role("link", name=name).click()

    with agent.expect_navigation():
        agent.get_by_role("link", name="Modifier la fiche du partenaire").click()
    agent.get_by_label("Nombre de membres de la structure").fill("beaucoup")
    with agent.expect_navigation():
        agent.get_by_role("button", name="Enregistrer la fiche").click()
    expect(agent.get_by_text("Nombre de membres de la structure : un nombre entier positif.")).to_be_visible()
    check_page(agent, "partenaire-fiche")
    agent.get_by_label("Nombre de membres de la structure").fill("30")
    agent.get_by_label(re.compile("^Organisme habilité")).check()
    with agent.expect_navigation():
        agent.get_by_role("button", name="Enregistrer la fiche").click()
    expect(agent.get_by_text(f"La fiche de {name} est enregistrée.")).to_be_visible()

    with agent.expect_navigation():
        agent.get_by_role("link", name=re.compile("^Modifier la convention")).click()
    agent.get_by_label("Date de fin", exact=True).fill("2027-12-31")
    agent.get_by_label("Préavis contre la reconduction").select_option("caisse")
    agent.get_by_label("Nom", exact=True).fill("Nadia Navigatrice")
    agent.get_by_label("Adresse électronique").fill("nadia@structure-essai.test")
    check_page(agent, "partenaire-convention")
    with agent.expect_navigation():
        agent.get_by_role("button", name="Enregistrer la convention").click()
    expect(agent.get_by_text("La convention avec CPAM de Valfleuri est enregistrée.")).to_be_visible()
    expect(agent.get_by_text("préavis donné par la caisse : elle prend fin le 31/12/2027")).to_be_visible()

    agent.once("dialog", lambda dialog: dialog.accept())
    with agent.expect_navigation():
        agent.get_by_role("button", name="Suspendre l'accès du partenaire à votre caisse").click()
    expect(agent.get_by_text(f"L'accès de {name} à CPAM de Valfleuri est suspendu.")).to_be_visible()
    expect(agent.get_by_role("button", name="Rétablir l'accès du partenaire à votre caisse")).to_be_visible()
    check_page(agent, "partenaire-suspendu-pour-la-caisse")

    admin = new_page()
    login(admin, "admin_national")
    open_menu(admin, "Partenaires")
    with admin.expect_navigation():
        admin.get_by_role("link", name=name).click()
    admin.once("dialog", lambda dialog: dialog.accept())
    with admin.expect_navigation():
        admin.get_by_role("button", name="Couper la structure de toutes les caisses").click()
    expect(admin.get_by_text(f"L'accès de {name} à toutes les caisses est suspendu.")).to_be_visible()
    check_page(admin, "admin-structure-coupee")
