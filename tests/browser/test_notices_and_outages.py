"""What a person sees when the platform is not fully there, in real browsers: the
maintenance banner before a window, the maintenance page with the caisse's referents
during one, and a stopped service degrading its own region while the rest works.
Windows are for the CPAM des Hauts-Fictifs (998) and cancelled at the end."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import check_page, login, sign_in
from tests.browser.journeys import open_menu
from tests.helpers import LOGINS
from tests.helpers import login as client_login
from tests.test_web_notices import cancel, local, schedule

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def announce(page, starts_in: int, ends_in: int, message: str, scope: str | None = None) -> int:
    """Announce a window through the form; returns its id (the newest cancel link)."""
    open_menu(page, "Maintenances")
    if scope:
        page.get_by_label("Périmètre").select_option(label=scope)
    page.get_by_label("Début (heure de Paris)").fill(local(starts_in))
    page.get_by_label("Fin (heure de Paris)").fill(local(ends_in))
    page.get_by_label("Message aux utilisateurs").fill(message)
    with page.expect_navigation():
        page.get_by_role("button", name="Annoncer").click()
    expect(page.get_by_role("status").first).to_contain_text("La maintenance est annoncée")
    return max(int(n) for n in re.findall(r"/maintenances/(\d+)/annuler", page.content()))


def cancel_as(app, role: str, window: int) -> None:
    """Clean-up through the web in a fresh session, whatever the browser's state."""
    client = app.test_client()
    client_login(client, role)
    cancel(client, window)


def test_maintenance_banner_before_and_page_during_a_window(new_page, app):
    agent = new_page()
    login(agent, "agent_autre_caisse")
    window = announce(agent, 90, 150, "Mise à jour du logiciel de la caisse.")
    try:
        partner = new_page()
        login(partner, "technicien_b")                        # works with 998 (and 999)
        banner = partner.get_by_role("region", name="Maintenance")
        expect(banner).to_contain_text("Maintenance prévue")
        expect(banner).to_contain_text("Mise à jour du logiciel de la caisse.")
        check_page(partner, "bandeau-maintenance")
    finally:
        cancel_as(app, "agent_autre_caisse", window)

    admin = new_page()
    login(admin, "admin_national")
    window = announce(admin, -5, 60, "Bascule de la base de données.", scope="CPAM des Hauts-Fictifs")
    try:
        agent.goto("/")
        expect(agent.get_by_role("heading", level=1)).to_have_text("L'Espace Partenaires est en maintenance")
        expect(agent.get_by_text("Bascule de la base de données.")).to_be_visible()
        expect(agent.locator("main")).to_contain_text("Pôle partenaires")         # the other channel
        check_page(agent, "page-maintenance")
    finally:
        cancel_as(app, "admin_national", window)
    agent.goto("/")
    expect(agent.get_by_role("heading", level=1)).to_have_text(re.compile("^Bonjour"))


def test_during_a_national_window_the_national_admin_signs_in_with_the_code(new_page, app):
    announcer = app.test_client()
    client_login(announcer, "admin_national")
    window = schedule(announcer, -5, 60, "Migration nationale des serveurs.")
    try:
        admin = new_page()
        login(admin, "admin_national")             # password, then the code step (tests/browser/helpers.py)
        open_menu(admin, "Maintenances")
        expect(admin.get_by_role("heading", level=1)).to_have_text("Maintenances programmées")
        expect(admin.locator("main")).to_contain_text("Migration nationale des serveurs.")
        check_page(admin, "maintenance-nationale-administrateur")

        technicien = new_page()
        sign_in(technicien, *LOGINS["technicien"])
        expect(technicien.get_by_role("heading", level=1)).to_have_text("L'Espace Partenaires est en maintenance")
        expect(technicien.get_by_text("Migration nationale des serveurs.")).to_be_visible()
        check_page(technicien, "maintenance-nationale-technicien")
    finally:
        cancel(announcer, window)


def test_a_stopped_service_degrades_its_region_only(new_page, stack):
    technicien = new_page()
    login(technicien, "technicien")
    expect(technicien.locator("#recent-requests")).to_contain_text("DEMO-000001")
    stack.stop_process("requests")
    try:
        technicien.reload()
        region = technicien.locator("#recent-requests")
        expect(region.get_by_role("alert")).to_contain_text("Service momentanément indisponible")
        expect(technicien.get_by_role("heading", level=1)).to_have_text("Bonjour Hugo")   # the rest of the page
        check_page(technicien, "service-indisponible")
        open_menu(technicien, "Actualités")                                 # another service's screen works
        expect(technicien.get_by_role("heading", level=1)).to_contain_text("Actualités")
    finally:
        stack.start_process("requests")
        stack.wait_healthy(["requests"])
    technicien.goto("/")
    expect(technicien.locator("#recent-requests")).to_contain_text("DEMO-000001")
