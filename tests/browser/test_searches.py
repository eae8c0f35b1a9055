"""A search by name in a real browser (issue 16): POSTed by htmx, the list updates in place, and
neither the address bar nor the served web's access log ever holds the name."""
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import check_page, login
from tests.browser.journeys import open_menu
from tests.helpers import access_lines

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_the_history_search_by_name_keeps_the_name_out_of_urls_and_logs(page, stack):
    login(page, "technicien_b")
    open_menu(page, "Demandes de ma structure")
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    with page.expect_response(lambda response: response.url.endswith("/demandes")
                              and response.request.method == "POST"):
        page.get_by_label("Nom ou prénom de la personne").fill("Lefevre")
    expect(page.locator("#resultats")).to_contain_text("LEFÈVRE Jean")
    expect(page.locator("#resultats")).to_contain_text("DEMO-000006")
    check_page(page, "historique-recherche-par-nom")
    assert "lefevre" not in page.url.lower()
    assert not [url for url in requested if "lefevre" in url.lower()], requested
    served = access_lines(stack.log_dir, '"POST /demandes HTTP/1.1"')       # its line once the answer has left
    assert any((line["method"], line["path"]) == ("POST", "/demandes") for line in served)
    assert "lefevre" not in (stack.log_dir / "web.log").read_text(errors="replace").lower()
