"""The habilitation journey in real browsers, from the login page: a gestionnaire
creates a technicien through the habilitations form, the invitation arrives in
the mail catcher, the new technicien (another browser) opens the link, chooses a
password, logs in, accepts the CGU and reaches the home page."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import check_page, login, sign_in
from tests.helpers import link_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PASSWORD = "Activation-Solide-2026!"


def test_gestionnaire_invites_a_technicien_who_activates_the_account(new_page, mailbox):
    # The bigger demo partner (Le Relais Fictif): room under its technicien cap.
    email = f"t-{uuid.uuid4().hex}@relais-fictif.test"
    gestionnaire = new_page()
    login(gestionnaire, "gestionnaire_b")
    menu = gestionnaire.get_by_role("navigation", name="Menu principal")
    with gestionnaire.expect_navigation():
        menu.get_by_role("link", name="Habilitations", exact=True).click()
    form = gestionnaire.locator("form.person-form")
    form.get_by_label("Civilité").select_option("Mme")
    form.get_by_label("Nom", exact=True).fill("Navigatrice")
    form.get_by_label("Prénom").fill("Ambre")
    form.get_by_label("Fonction").fill("Conseillère")
    form.get_by_label("Téléphone professionnel").fill("01 23 45 67 89")
    form.get_by_label("Adresse électronique professionnelle").fill(email)
    with gestionnaire.expect_navigation():
        form.get_by_role("button", name="Créer le compte technicien").click()
    expect(gestionnaire.get_by_role("status").filter(has_text=email)).to_contain_text("Ambre Navigatrice est créé")
    expect(gestionnaire.get_by_role("row").filter(has_text=email)).to_contain_text("Technicien")

    path = link_in(mailbox.wait_for(email), "/activation/")

    technicien = new_page()                              # the invited person's own browser
    technicien.goto(path)
    expect(technicien.get_by_role("heading", name="Activer votre compte")).to_be_visible()
    expect(technicien.get_by_text("Bienvenue Ambre")).to_be_visible()
    check_page(technicien, "activation")
    technicien.get_by_label("Nouveau mot de passe", exact=True).fill(PASSWORD)
    technicien.get_by_label("Confirmez le nouveau mot de passe").fill(PASSWORD)
    with technicien.expect_navigation():
        technicien.get_by_role("button", name="Enregistrer").click()
    expect(technicien.get_by_role("status")).to_contain_text("Votre mot de passe est enregistré")

    sign_in(technicien, email, PASSWORD)
    expect(technicien).to_have_url(re.compile(r"/cgu$"))                # nothing before the CGU
    check_page(technicien, "cgu")
    technicien.get_by_label("J'ai lu et j'accepte les conditions générales d'utilisation").check()
    with technicien.expect_navigation():
        technicien.get_by_role("button", name="Accepter et continuer").click()
    expect(technicien.get_by_role("heading", level=1)).to_have_text("Bonjour Ambre")
    expect(technicien.get_by_role("navigation", name="Menu principal")).to_be_visible()
