"""« Demandes à la caisse » in real browsers (issue 15, points 1 and 2): a structure's gestionnaire asks for
a new gestionnaire's habilitation, the caisse's agent sees it counted on its home page and in its queue and
approves it, the invitation arrives at the real SMTP catcher and the new gestionnaire activates the account;
the gestionnaire then gives notice of its colleague's departure, and reports a theft of the colleague's
credentials: the colleague's browser is signed out at once and the report comes first in the caisse's queue.
Each new page gets a screenshot and an axe report."""
import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import check_page, login
from tests.browser.journeys import activate_from_email, fill_person, open_menu
from tests.browser.test_full_journey import letters
from tests.helpers import rpc_as
from tests.test_web_partners import fictitious_siret

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_habilitation_request_approval_invitation_departure_and_theft_report(app, new_page, mailbox):
    tag = uuid.uuid4().hex[:8]
    first_email, second_email = f"g-{tag}@ccas-demandes.test", f"g2-{tag}@ccas-demandes.test"
    agent_rpc = rpc_as(app, "agent_caisse")
    partner = agent_rpc("register_partner", {
        "name": f"CCAS des Demandes {letters()}", "kind": "CCAS", "siret": fictitious_siret(),
        "address": "1 place de la Mairie", "member_count": 8, "start_date": "2026-01-01", "features": ["document"]})
    agent_rpc("create_gestionnaire", partner["id"], {"civility": "Mme", "last_name": "Demandeuse", "first_name": "Gaëlle",
                                                     "function": "Directrice", "phone": "0123456789",
                                                     "email": first_email})
    gestionnaire = new_page()
    activate_from_email(gestionnaire, mailbox, first_email, "Gaëlle")

    # The gestionnaire asks for a second gestionnaire.
    open_menu(gestionnaire, "Demandes à la caisse")
    expect(gestionnaire.get_by_role("heading", level=1)).to_have_text("Demandes à la caisse")
    check_page(gestionnaire, "demandes-caisse")
    form = gestionnaire.locator("#form-habilitation")
    last_name = f"Releve{letters()}"
    fill_person(form, last_name, "Nora", "Adjointe", second_email)
    form.get_by_label("Date souhaitée").fill((date.today() + timedelta(days=7)).isoformat())
    with gestionnaire.expect_navigation():
        form.get_by_role("button", name="Envoyer la demande d'habilitation").click()
    expect(gestionnaire.get_by_role("status")).to_contain_text("Votre demande d'habilitation est transmise")
    expect(gestionnaire.get_by_text("En attente de la caisse").first).to_be_visible()
    request_title = gestionnaire.get_by_role("heading", level=1).inner_text()
    check_page(gestionnaire, "demande-caisse-detail")

    # The caisse's agent: counted on its home page, in its queue; approves.
    agent = new_page()
    login(agent, "agent_caisse")
    expect(agent.locator("#account-request-counts")).to_contain_text("à traiter")
    check_page(agent, "accueil-agent-demandes")
    open_menu(agent, "Demandes des partenaires")
    check_page(agent, "file-demandes-partenaires")
    with agent.expect_navigation():
        agent.get_by_role("link", name=request_title).click()
    check_page(agent, "demande-partenaire")
    with agent.expect_navigation():
        agent.get_by_role("button", name="Accepter : créer le compte et l'inviter").click()
    expect(agent.get_by_role("status")).to_contain_text("La demande est acceptée.")
    expect(agent.locator("ol.timeline")).to_contain_text("Habilitation acceptée")

    # The invitation reaches the SMTP catcher; the new gestionnaire activates the account.
    colleague = new_page()
    activate_from_email(colleague, mailbox, second_email, "Nora")

    # The departure: less than 15 days ahead is refused on the date field, then given properly.
    gestionnaire.goto("/demandes-caisse")
    form = gestionnaire.locator("#form-depart")
    form.get_by_label("Gestionnaire qui part").select_option(label=f"Nora {last_name}")
    form.get_by_label("Date du départ").fill((date.today() + timedelta(days=5)).isoformat())
    with gestionnaire.expect_navigation():
        form.get_by_role("button", name="Signaler le départ").click()
    expect(gestionnaire.locator("#d-date-error")).to_contain_text("15 jours")
    check_page(gestionnaire, "depart-trop-tot")
    form = gestionnaire.locator("#form-depart")
    form.get_by_label("Date du départ").fill((date.today() + timedelta(days=20)).isoformat())
    with gestionnaire.expect_navigation():
        form.get_by_role("button", name="Signaler le départ").click()
    expect(gestionnaire.get_by_role("status")).to_contain_text("Le départ est signalé à la caisse")

    # A theft of the colleague's credentials: reported in one step, the colleague is out at once.
    gestionnaire.goto("/demandes-caisse")
    form = gestionnaire.locator("#form-signalement")
    form.get_by_label("Compte concerné").select_option(label=f"Nora {last_name} (gestionnaire)")
    form.get_by_label("Motif").select_option("perte_vol")
    form.get_by_label(re.compile("^Circonstances")).fill("Ordinateur portable volé")
    with gestionnaire.expect_navigation():
        form.get_by_role("button", name="Signaler et couper le compte").click()
    expect(gestionnaire.get_by_role("status")).to_contain_text("Le signalement est enregistré")
    report_title = gestionnaire.get_by_role("heading", level=1).inner_text()
    check_page(gestionnaire, "signalement-detail")
    colleague.goto("/")
    expect(colleague).to_have_url(re.compile(r"/connexion"))
    agent.goto("/caisse/demandes-partenaires")
    expect(agent.locator("tbody tr").first).to_contain_text("Signalement de fraude, perte ou vol")
    expect(agent.get_by_role("link", name=report_title)).to_be_visible()
    check_page(agent, "file-avec-signalement")
