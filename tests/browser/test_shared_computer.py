"""What a shared computer keeps after a person has gone: htmx must not store page snapshots
(tables of insured people's names) in localStorage, where they would survive the logout."""
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login
from tests.browser.journeys import open_menu

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_searching_the_history_leaves_no_page_snapshot_in_local_storage(page):
    login(page, "technicien")
    open_menu(page, "Demandes de ma structure")
    expect(page.locator("#resultats")).to_contain_text("DEMO-")
    with page.expect_response(lambda response: response.url.endswith("/demandes")
                              and response.request.method == "POST"):
        page.get_by_label("Nom ou prénom de la personne").fill("Martin")    # hx-post: no name in a URL
    page.get_by_role("link", name="Accueil").first.click()
    page.go_back()                                                           # the list comes back from the server
    expect(page.locator("#resultats")).to_contain_text("DEMO-")
    stored = page.evaluate("() => Object.keys(window.localStorage)")
    assert not [key for key in stored if key.startswith("htmx")], stored
