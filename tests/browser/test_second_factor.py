"""Enrolling an authenticator app from « Mon compte » in a real browser (the QR code is
inline SVG under the strict CSP), the recovery codes shown once, then the login's code step;
« Confirmez votre identité » before creating an account; every page screenshotted and
audited by axe-core."""
import time
import uuid

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import check_page, login, sign_in
from tests.browser.journeys import fill_person
from tests.helpers import LOGINS, accounts_db, new_technicien

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PASSWORD = "Activation-Solide-2026!"


def test_enrolment_from_my_account_then_login_with_the_code(page, app, mailbox):
    email = new_technicien(app, mailbox, app.test_client(), PASSWORD)
    sign_in(page, email, PASSWORD)
    page.get_by_label("J'ai lu et j'accepte les conditions générales d'utilisation").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Accepter et continuer").click()

    page.goto("/mon-compte")
    with page.expect_navigation():
        page.get_by_role("link", name="Double authentification").click()
    expect(page.get_by_text("Non activée.")).to_be_visible()
    check_page(page, "double-authentification")
    with page.expect_navigation():
        page.get_by_role("button", name="Activer la double authentification").click()
    qr = page.locator("svg.qr")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 200                   # sized by app.css, no style attribute
    secret = page.locator("#totp-key").inner_text().replace(" ", "")
    check_page(page, "double-authentification-qr")

    field = page.get_by_label("Code à 6 chiffres de votre application")
    field.fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer et activer").click()
    expect(page.locator("#confirm-code-error")).to_contain_text("Code incorrect")
    expect(field).to_have_attribute("aria-invalid", "true")
    field.fill(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer et activer").click()
    codes = page.get_by_role("list", name="Codes de secours").get_by_role("listitem")
    expect(codes).to_have_count(10)
    check_page(page, "codes-de-secours")

    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
    page.goto("/connexion")
    page.get_by_label("Adresse électronique professionnelle").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Double authentification")).to_be_visible()
    check_page(page, "connexion-code")
    page.get_by_label("Code à 6 chiffres de votre application").fill(pyotp.TOTP(secret).at(time.time() + 30))
    with page.expect_navigation():
        page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()


def test_creating_an_account_after_a_while_asks_to_confirm_ones_identity(page):
    login(page, "gestionnaire_b")
    email, password = LOGINS["gestionnaire_b"]
    accounts_db("UPDATE sessions SET reauthenticated_at = :old WHERE ended_at IS NULL AND account_id = "
                "(SELECT id FROM account WHERE email = :email AND profile = 'gestionnaire')",
                old="2000-01-01 00:00:00", email=email)                  # the login was long ago
    page.goto("/habilitations")
    new_email = f"confirme-{uuid.uuid4().hex[:6]}@relais-fictif.test"
    form = page.locator("form.person-form")
    fill_person(form, "Confirmée", "Lina", "Conseillère", new_email)
    with page.expect_navigation():
        form.get_by_role("button", name="Créer le compte technicien").click()
    expect(page.get_by_role("heading", name="Confirmez votre identité")).to_be_visible()
    check_page(page, "confirmez-votre-identite")
    page.get_by_label("Mot de passe, ou code à 6 chiffres de votre application").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer et continuer").click()
    expect(page.get_by_text(f"une invitation à choisir son mot de passe est envoyée à {new_email}")).to_be_visible()
