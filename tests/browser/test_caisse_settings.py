"""The caisse's settings of requests in a real browser, reached from the menu: the national
administrator (« Caisses » → « Paramètres des demandes ») changes the documents offered, the
delivery policy and the overdue delay (HTMX, the fragment swapped in place); the partner then
meets them on « Demander un document ». Each page screenshotted and audited by axe-core."""
import pytest
from playwright.sync_api import expect

from services.web.users import identity_of
from tests.browser.helpers import check_page, login
from tests.helpers import LOGINS, authenticated

pytestmark = [pytest.mark.integration, pytest.mark.browser]
DEFAULTS = {"documents": ["attestation_droits", "notification_droits", "ceam_provisoire", "vitale_perte_vol",
                          "vaccination", "depistage", "mt_dents", "examen_sante", "autre"],
            "delivery": "portail_habilites", "late_after_days": 10}


def choose(page, days):
    page.get_by_label("Certificat provisoire de remplacement de la carte européenne (CEAM)").uncheck()
    page.get_by_label("Bon de dépistage").uncheck()
    page.get_by_label("Toujours à l'adresse connue de l'assuré").check()
    page.get_by_label("Une demande non traitée est signalée en retard après (jours)").fill(days)
    page.get_by_role("button", name="Enregistrer les paramètres des demandes").click()


def test_the_requests_settings_from_the_menu_and_on_the_partners_form(page, new_page, app):
    login(page, "admin_national")
    menu = page.get_by_role("navigation", name="Menu principal")
    with page.expect_navigation():
        menu.get_by_role("link", name="Caisses", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Paramètres des demandes de CPAM de Valfleuri").click()
    expect(page.get_by_role("heading", name="Paramètres des demandes")).to_be_visible()
    check_page(page, "parametres-demandes")
    try:
        # axe leaves empty style attributes behind, which HTMX's settling would copy onto the swapped
        # elements (a CSP report of the test's own making): each step starts from a fresh page.
        page.reload()
        choose(page, "0")
        expect(page.locator("#f-late-days-error")).to_have_text("Un nombre de jours entre 1 et 365.")
        expect(page.get_by_label("Bon de dépistage")).not_to_be_checked()         # what was chosen stays
        check_page(page, "parametres-demandes-erreur")
        page.reload()
        choose(page, "8")
        expect(page.get_by_role("status")).to_contain_text("Les paramètres des demandes sont enregistrés.")
        expect(page.locator("#parametres-demandes li").first).to_contain_text("Paul Martinet : documents proposés")
        check_page(page, "parametres-demandes-enregistres")

        partner = new_page()
        login(partner, "technicien_b")
        with partner.expect_navigation():
            partner.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Nouvelle demande").click()
        with partner.expect_navigation():
            partner.get_by_role("region", name="CPAM de Valfleuri").get_by_role(
                "link", name="Demander un document").click()
        expect(partner.locator("#envoi-documents")).to_contain_text("à l'adresse connue de l'assuré")
        choices = partner.get_by_label("Document demandé")
        expect(choices.locator('option[value="notification_droits"]')).to_have_count(1)
        expect(choices.locator('option[value="ceam_provisoire"]')).to_have_count(0)
        check_page(partner, "demande-document-parametres")
    finally:                                    # the demo's defaults again, for the other tests
        who = identity_of(authenticated(app, *LOGINS["admin_national"]))
        with app.app_context():
            app.extensions["services"].call("requests", "save_request_settings", DEFAULTS, "999", who=who)
