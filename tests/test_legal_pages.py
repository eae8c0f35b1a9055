"""What every French public-service site publishes (issue 15, point 5): « Accessibilité », « Mentions
légales », « Données personnelles » and « Plan du site », public, linked from every page's footer (signed in
or not, error pages included), against the running services; the retention periods are the README's."""
import html
import re

import pytest

from contracts import retention
from devtools.stack import REPO_ROOT
from services.web import remembered
from services.web.navigation import CAISSE_ADMIN_MENU, FOOTER, MENU
from tests.helpers import csrf_from, login

pytestmark = pytest.mark.db
PAGES = {"/accessibilite": "Déclaration d'accessibilité", "/mentions-legales": "Mentions légales",
         "/protection-des-donnees": "Données personnelles", "/plan-du-site": "Plan du site"}


def text(response) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def footer_of(page: str) -> str:
    return page[page.index('<nav class="footer-legal"'):]


def forget_contacts():
    """The pages read the caisses' contacts through the web process's 5-minute cache: a test that just
    changed them asks afresh (what a visitor sees within five minutes)."""
    remembered._answers.clear()


def test_the_readme_retention_rows_are_the_pages_cell_for_cell():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = readme.index("| donnée | durée | réglage | où |") + 2
    rows = []
    for line in readme[start:]:
        if not line.startswith("|"):
            break
        rows.append(tuple(cell.strip() for cell in line.strip().strip("|").split(" | ")))
    assert rows == list(retention.ROWS)


def test_every_page_links_the_four_pages_signed_out_signed_in_and_on_error_pages(client, app):
    for url in ("/connexion", "/mot-de-passe-oublie", "/nexiste-pas", *PAGES):
        footer = footer_of(text(client.get(url)))
        for path in PAGES:
            assert f'href="{path}"' in footer, (url, path)
    assert "Accessibilité : partiellement conforme" in footer
    with app.test_request_context("/"):
        from flask import render_template
        flood = render_template("too_many_requests.html")          # the page answered to a flood, without layout
    assert all(f'href="{path}"' in flood for path in PAGES)
    for path, title in PAGES.items():
        page = client.get(path)
        assert page.status_code == 200 and f"<h1>{title}</h1>" in text(page)
    login(client, "technicien")
    for url in ("/", "/demandes/nouvelle", "/demandes/999999", *PAGES):
        footer = footer_of(text(client.get(url)))
        assert all(f'href="{path}"' in footer for path in PAGES), url
    assert len(FOOTER) == len(PAGES)


def test_the_accessibility_statement_says_partially_compliant_and_how_to_report(client):
    page = text(client.get("/accessibilite"))
    assert "partiellement conforme" in page and "Aucun audit RGAA complet" in page
    assert "axe-core" in page and "WCAG 2.1" in page and "clavier" in page
    assert "Défenseur des droits" in page and "Libre réponse 71120" in page
    assert "/support/signaler" not in page                      # signed out: the referents of every caisse
    assert "CPAM de Valfleuri" in page and "CPAM des Hauts-Fictifs" in page
    login(client, "technicien")
    page = text(client.get("/accessibilite"))
    assert 'href="/support/signaler?sujet=accessibilite"' in page
    assert "n.roussel@cpam-valfleuri.test" in page and "CPAM des Hauts-Fictifs" not in page    # its own caisse


def test_the_personal_data_page_gives_the_retention_table_and_each_caisses_contact(client):
    page = text(client.get("/protection-des-donnees"))
    for data, duration, _setting, _where in retention.ROWS:
        assert retention.plain(data) in page and retention.plain(duration) in page
    assert "article 6.1.e" in page and "www.cnil.fr" in page
    assert "dpo@cpam-valfleuri.test" in page and "dpo@cpam-hauts-fictifs.test" in page
    login(client, "technicien")                                   # CCAS de Saint-Exemple: Valfleuri only
    page = text(client.get("/protection-des-donnees"))
    assert "dpo@cpam-valfleuri.test" in page and "dpo@cpam-hauts-fictifs.test" not in page


def test_the_caisse_administrateur_sets_the_data_protection_contact(client, app):
    login(client, "agent_caisse")
    url = "/caisse/parametres/protection-des-donnees"
    settings = text(client.get("/caisse/parametres"))
    assert 'value="dpo@cpam-valfleuri.test"' in settings
    refused = client.post(url, data={"email": "pas-une-adresse", "address": "",
                                     "csrf_token": csrf_from(settings)})
    assert refused.status_code == 200
    shown = text(refused)
    assert "Adresse électronique du délégué à la protection des données : une adresse valide." in shown
    assert re.search(r'aria-invalid="true"[^>]*aria-describedby="[^"]*email', shown) or 'aria-invalid="true"' in shown
    try:
        done = client.post(url, data={"email": "protection@cpam-valfleuri.test", "address": "BP 12, 99000 Valfleuri",
                                      "csrf_token": csrf_from(settings)})
        assert done.status_code == 303
        assert "Le contact de protection des données est enregistré." in text(client.get(done.headers["Location"]))
        assert "protection des données, adresse électronique" in text(client.get("/journal"))
        forget_contacts()
        visitor = app.test_client()
        page = text(visitor.get("/protection-des-donnees"))
        assert "protection@cpam-valfleuri.test" in page and "BP 12, 99000 Valfleuri" in page
    finally:
        client.post(url, data={"email": "dpo@cpam-valfleuri.test",
                               "address": "Délégué à la protection des données, 1 place de l'Exemple, 99000 Valfleuri",
                               "csrf_token": csrf_from(settings)})
        forget_contacts()
    plain = app.test_client()
    login(plain, "agent_simple")                                  # not an administrateur de caisse
    assert plain.post(url, data={"email": "x@cpam-valfleuri.test", "csrf_token": csrf_from(
        text(plain.get("/")))}).status_code == 403


def test_the_site_map_is_the_menus(client):
    page = text(client.get("/plan-du-site"))
    for profile, menu in MENU.items():
        for _endpoint, label in menu:
            assert label in page
    assert "Après connexion : Technicien" in page and 'href="/connexion"' in page
    assert 'href="/demandes/nouvelle"' not in page                 # listed, not linked, signed out
    login(client, "technicien")
    page = text(client.get("/plan-du-site"))
    assert 'href="/demandes/nouvelle"' in page and "Vos pages" in page and "Après connexion" not in page
    assert CAISSE_ADMIN_MENU[0][1] not in page
