"""Statistics and exports in a real browser (issue 18, points 6-7): the agent's and the national
administrator's statistics pages with their two fragments (server-drawn charts and their tables), the CSV
downloads, the queue's export with its filters and one request's PDF archive; screenshots and axe audits."""
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import check_page, login
from tests.browser.journeys import open_menu

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def download(page, name: str):
    with page.expect_download() as started:
        page.get_by_role("link", name=name).or_(page.get_by_role("button", name=name)).first.click()
    return started.value


def test_the_agent_reads_the_statistics_and_exports(page):
    login(page, "agent_caisse")
    open_menu(page, "Statistiques")
    expect(page.locator("#stats-requests")).to_contain_text("Demandes par partenaire")
    expect(page.locator("#stats-requests svg.chart-svg")).to_be_visible()
    expect(page.locator("#stats-accounts")).to_contain_text("CCAS de Saint-Exemple")
    page.locator("#stats-requests details.chart-data summary").first.click()     # the chart's figures
    check_page(page, "statistiques-agent")
    assert download(page, "Télécharger par mois (CSV)").suggested_filename.startswith("demandes-par-mois-12-mois-")
    accounts = download(page, "Télécharger les comptes actifs par partenaire (CSV)")
    assert accounts.suggested_filename.startswith("comptes-actifs-par-partenaire-")

    open_menu(page, "File des demandes")
    # A demo request closed by the seed, on the first page of the closed ones whatever a full run filed before.
    page.get_by_label("Statut").select_option("closed")
    expect(page.locator("#resultats")).to_contain_text("DEMO-000003")
    check_page(page, "file-export")
    exported = download(page, "Exporter ces demandes (CSV)")
    assert exported.suggested_filename.startswith("file-des-demandes-")
    assert "DEMO-000003" in open(exported.path(), encoding="utf-8-sig").read()   # the filter went with it

    page.locator("#resultats").get_by_role("link", name="DEMO-000003").click()
    expect(page.get_by_role("heading", name="Demande DEMO-000003")).to_be_visible()
    check_page(page, "demande-archive-pdf")
    archive = download(page, "Télécharger l'archive PDF")
    assert archive.suggested_filename == "demande-DEMO-000003.pdf"
    assert open(archive.path(), "rb").read(5) == b"%PDF-"


def test_the_national_administrator_reads_every_caisse(page):
    login(page, "admin_national")
    open_menu(page, "Statistiques")
    expect(page.locator("#stats-requests")).to_contain_text("Demandes par caisse")
    expect(page.locator("#stats-accounts")).to_contain_text("Association Le Relais Fictif")
    page.get_by_label("Période", exact=True).select_option("3")
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#stats-requests")).to_contain_text("Sur 3 mois")
    check_page(page, "statistiques-national")
