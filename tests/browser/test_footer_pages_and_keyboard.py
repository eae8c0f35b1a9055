"""Issue 15, points 5 and 7 in a real browser: the four pages every French public-service site publishes,
each reached from the footer (signed out and signed in; screenshot and axe audit of each); a request filed
with the keyboard only, from the login form to the confirmation, the focus visible and moving in the
page's order; and a form whose session expired, filled again after signing in."""
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import check_page, login
from tests.helpers import LOGINS, accounts_db

pytestmark = [pytest.mark.integration, pytest.mark.browser]

FOOTER = [("Accessibilité : partiellement conforme", "Déclaration d'accessibilité", "accessibilite"),
          ("Mentions légales", "Mentions légales", "mentions-legales"),
          ("Données personnelles", "Données personnelles", "donnees-personnelles-publiques"),
          ("Plan du site", "Plan du site", "plan-du-site")]


def footer(page: Page):
    return page.get_by_role("navigation", name="Informations légales")


@pytest.mark.parametrize("signed_in", [False, True], ids=["visiteur", "technicien"])
def test_each_footer_page_from_the_footer(page, signed_in):
    if signed_in:
        login(page, "technicien")
    else:
        page.goto("/page-inexistante")                        # an error page carries the footer too
        expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    for label, heading, name in FOOTER:
        with page.expect_navigation():
            footer(page).get_by_role("link", name=label, exact=True).click()
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        expect(footer(page).get_by_role("link", name=label, exact=True)).to_have_attribute("aria-current", "page")
        check_page(page, f"{'technicien' if signed_in else 'visiteur'}-{name}")
    if signed_in:
        page.goto("/accessibilite")
        expect(page.get_by_role("link", name="Signaler un problème d'accessibilité")).to_have_attribute(
            "href", "/support/signaler?sujet=accessibilite")


# --- the keyboard only -------------------------------------------------------------------------------

FOCUS = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  return {order: Array.prototype.indexOf.call(document.querySelectorAll('*'), el),
          tag: el.tagName.toLowerCase(), name: el.getAttribute('name') || '', text: (el.innerText || '').trim(),
          visible: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none'};
}"""


class Keyboard:
    """Tab / Shift+Tab through a page, checking at every stop that the focus is visible and moves forward
    (backward with Shift+Tab) in the document's order."""

    def __init__(self, page: Page):
        self.page, self.last = page, None

    def new_page(self):
        self.last = None

    def press(self, key: str) -> dict:
        self.page.keyboard.press(key)
        now = self.page.evaluate(FOCUS)
        assert now["visible"], f"focus not visible on {now} ({self.page.url})"
        if self.last is not None and now["order"] != self.last["order"]:
            forward = now["order"] > self.last["order"]
            assert forward == (key == "Tab"), f"{key} went from {self.last} to {now} ({self.page.url})"
        self.last = now
        return now

    def tab_to(self, matches, limit=80) -> dict:
        for _ in range(limit):
            now = self.press("Tab")
            if matches(now):
                return now
        raise AssertionError(f"never reached by Tab on {self.page.url}")


def named(name):
    return lambda f: f["name"] == name


def labelled(text):
    return lambda f: f["text"] == text


def test_a_request_filed_with_the_keyboard_only(page):
    keys, name = Keyboard(page), "Clavier" + "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:8])
    page.goto("/connexion")
    skip = keys.press("Tab")
    assert skip["text"] == "Aller au contenu"                    # the first stop: the skip link
    keys.tab_to(named("email"))
    page.keyboard.type(LOGINS["technicien"][0])
    keys.tab_to(named("password"))
    page.keyboard.type(LOGINS["technicien"][1])
    keys.press("Shift+Tab")                                      # back to the address, then on again
    keys.tab_to(named("password"))
    keys.tab_to(lambda f: f["tag"] == "button" and f["text"] == "Se connecter")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()

    keys.new_page()
    keys.tab_to(labelled("Nouvelle demande"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    keys.new_page()
    keys.tab_to(labelled("Demander un document"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Demander un document")).to_be_visible()

    keys.new_page()
    keys.tab_to(named("insured.civility"))
    page.keyboard.press("ArrowDown")                             # the first civility
    keys.tab_to(named("insured.last_name"))
    page.keyboard.type(name)
    keys.tab_to(named("insured.first_name"))
    page.keyboard.type("Jeanne")
    keys.tab_to(named("insured.birth_date"))
    page.keyboard.type("17051980")
    keys.tab_to(named("insured.department"))
    page.keyboard.type("60")
    keys.tab_to(named("document_type"))
    page.keyboard.press("ArrowDown")                             # the first document offered
    keys.tab_to(named("comment"))
    page.keyboard.type("Demande déposée au clavier.")
    keys.tab_to(named("files"))                                  # no file: its picker is not opened
    keys.tab_to(lambda f: f["tag"] == "button" and f["text"] == "Déposer la demande")
    page.keyboard.press("Space")                                 # a button is pressed with Space too
    expect(page.get_by_role("status").filter(has_text="est déposée auprès de la caisse")).to_be_visible()
    expect(page.get_by_text(name, exact=False).first).to_be_visible()
    check_page(page, "clavier-demande-deposee")


def test_a_form_whose_session_expired_comes_back_filled(page):
    name = "Saisie" + "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:8])
    login(page, "technicien")
    page.goto("/demandes/nouvelle/999/document")
    page.locator('[name="insured.last_name"]').fill(name)
    page.locator('[name="comment"]').fill(f"Un long commentaire pour {name}.")
    accounts_db("UPDATE sessions SET last_seen_at = :old WHERE id = (SELECT max(id) FROM sessions WHERE account_id = "
                "(SELECT id FROM account WHERE email = :email AND profile = 'technicien'))",
                old="2000-01-01 00:00:00", email=LOGINS["technicien"][0])
    with page.expect_navigation(url="**/connexion"):
        page.get_by_role("button", name="Déposer la demande").click()
    expect(page.get_by_text("votre saisie a été conservée")).to_be_visible()
    check_page(page, "saisie-conservee-connexion")
    page.get_by_label("Adresse électronique professionnelle").fill(LOGINS["technicien"][0])
    page.get_by_label("Mot de passe", exact=True).fill(LOGINS["technicien"][1])
    with page.expect_navigation(url="**/demandes/nouvelle/999/document"):
        page.get_by_role("button", name="Se connecter").click()
    expect(page.locator('[name="insured.last_name"]')).to_have_value(name)
    expect(page.locator('[name="comment"]')).to_have_value(f"Un long commentaire pour {name}.")
    expect(page.locator("#saisie-conservee")).to_contain_text("pièces jointes sont à choisir de nouveau")
    check_page(page, "saisie-conservee-formulaire")
    page.reload()
    expect(page.locator('[name="insured.last_name"]')).to_have_value("")                # taken back once
