"""Every main page in a real browser: a full-page screenshot and an axe-core
audit (no serious or critical WCAG 2.1 A/AA violation), written to
test-output/browser/. The pages are reached as a person would: the login form,
then the main menu."""
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import check_page, login

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# Every signed-in profile's entries (issue 15), and the agents' queue of support reports.
EVERYONE = [("Documentation", "documentation"), ("Signaler un dysfonctionnement", "signaler"),
            ("Mes signalements", "mes-signalements")]
SUPPORT_AGENT = [("Signalements à traiter", "signalements-a-traiter"), *EVERYONE]

# The main menu of each demo profile (services/web/navigation.py MENU): role -> [(menu label, file name)].
MENU_PAGES = {
    "admin_national": [("Caisses", "caisses"), ("Agents des caisses", "agents-des-caisses"),
                       ("Partenaires", "partenaires"), ("Maintenances", "maintenances"),
                       ("Courriels envoyés", "courriels"), ("Statistiques", "statistiques"), ("Supervision", "supervision"),
                       ("Support national", "support-national"), *EVERYONE],
    # The demo agent of Valfleuri is its administrateur de caisse: the last two entries are the role's.
    "agent_caisse": [("File des demandes", "file-des-demandes"), ("Demandes des partenaires", "demandes-des-partenaires"),
                     ("Partenaires", "partenaires"),
                     ("Invitations en attente", "invitations"), ("Journal des actions", "journal"),
                     ("Actualités", "actualites"), ("Maintenances", "maintenances"),
                     ("Courriels envoyés", "courriels"), ("Données d'une personne", "donnees-personnelles"),
                     ("Statistiques", "statistiques"), ("Supervision", "supervision"), *SUPPORT_AGENT,
                     ("Agents de la caisse", "agents-de-la-caisse"), ("Paramètres de la caisse", "parametres-de-la-caisse")],
    "agent_simple": [("File des demandes", "file-des-demandes"), ("Demandes des partenaires", "demandes-des-partenaires"),
                     ("Partenaires", "partenaires"),
                     ("Invitations en attente", "invitations"), ("Journal des actions", "journal"),
                     ("Actualités", "actualites"), ("Maintenances", "maintenances"),
                     ("Courriels envoyés", "courriels"), ("Données d'une personne", "donnees-personnelles"),
                     ("Statistiques", "statistiques"), ("Supervision", "supervision"), *SUPPORT_AGENT],
    "gestionnaire": [("Demandes", "demandes"), ("Habilitations", "habilitations"),
                     ("Demandes à la caisse", "demandes-a-la-caisse"), ("Conventions", "conventions"),
                     ("Invitations en attente", "invitations"), ("Actualités", "actualites"), *EVERYONE],
    "technicien": [("Nouvelle demande", "nouvelle-demande"), ("Demandes de ma structure", "demandes"),
                   ("Actualités", "actualites"), ("Fraude, perte ou vol", "fraude-perte-vol"), *EVERYONE],
}


def menu(page):
    return page.get_by_role("navigation", name="Menu principal")


def test_login_page(page):
    page.goto("/connexion")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    check_page(page, "connexion")


@pytest.mark.parametrize("role", MENU_PAGES)
def test_home_page(page, role):
    login(page, role)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # Every menu entry is checked below: a new entry goes into MENU_PAGES.
    shown = [text.strip() for text in menu(page).get_by_role("link").all_inner_texts()]
    assert shown == ["Accueil", *(label for label, _ in MENU_PAGES[role])]
    check_page(page, f"{role}-accueil")


@pytest.mark.parametrize("role,label,name", [pytest.param(role, label, name, id=f"{role}-{name}")
                                             for role, pages in MENU_PAGES.items() for label, name in pages])
def test_menu_page(page, role, label, name):
    login(page, role)
    with page.expect_navigation():
        menu(page).get_by_role("link", name=label, exact=True).click()
    expect(menu(page).get_by_role("link", name=label, exact=True)).to_have_attribute("aria-current", "page")
    check_page(page, f"{role}-{name}")

