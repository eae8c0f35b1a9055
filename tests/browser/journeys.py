"""Steps the browser journeys share: filling a person's identity, activating an
account from the emailed link (password, first login, CGU), and filing a request."""
import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import check_page, sign_in
from tests.helpers import link_in

PASSWORD = "Activation-Solide-2026!"


def fill_person(form: Locator, last_name: str, first_name: str, function: str, email: str) -> None:
    form.get_by_label("Civilité").select_option("Mme")
    form.get_by_label("Nom", exact=True).fill(last_name)
    form.get_by_label("Prénom").fill(first_name)
    form.get_by_label("Fonction").fill(function)
    form.get_by_label("Téléphone professionnel").fill("01 23 45 67 89")
    form.get_by_label(re.compile("^Adresse électronique professionnelle")).fill(email)


def activate_from_email(page: Page, mailbox, email: str, first_name: str, screenshots: bool = False) -> None:
    """The invited person's own browser: the link from the email, a password, the first
    login, the CGU; leaves the page on the person's home page."""
    page.goto(link_in(mailbox.wait_for(email), "/activation/"))
    expect(page.get_by_role("heading", name="Activer votre compte")).to_be_visible()
    expect(page.get_by_text(f"Bienvenue {first_name}")).to_be_visible()
    if screenshots:
        check_page(page, "activation")
    page.get_by_label("Nouveau mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Votre mot de passe est enregistré")
    sign_in(page, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/cgu$"))                        # nothing before the CGU
    if screenshots:
        check_page(page, "cgu")
    page.get_by_label("J'ai lu et j'accepte les conditions générales d'utilisation").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Accepter et continuer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Bonjour {first_name}")


def open_menu(page: Page, label: str) -> None:
    with page.expect_navigation():
        page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=label, exact=True).click()
