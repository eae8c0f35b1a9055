"""Statistics and the caisse's exports through the web on the session's stack (issue 18, points 6-7): the
page and its two fragments, CSV a French spreadsheet opens (BOM, ``;``, decimal comma, dd/mm/yyyy, no
formula), the queue's export with the queue's filters and scope, and one request's PDF archive (pypdf reads
its title and timeline; no NIR; partners find nothing there)."""
import csv
import io
import re

import pytest
from pypdf import PdfReader

from contracts.nir import find_nir
from tests.helpers import csrf_from, login
from tests.test_web_requests import act, created_id, document_request, insured, submit, text, unique_name

pytestmark = pytest.mark.db


def rows_of(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "UTF-8 BOM"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def export(client, **filters):
    token = csrf_from(text(client.get("/file")))
    return client.post("/file/export.csv", data={**filters, "csrf_token": token})


@pytest.fixture(scope="module")
def filed(app):
    """Two requests of the CCAS to caisse 999 for one new name (one answered, with a formula-looking comment),
    one of the Relais to caisse 998 for the same name."""
    name = unique_name()
    technicien, agent, relais = app.test_client(), app.test_client(), app.test_client()
    login(technicien, "technicien")
    login(agent, "agent_caisse")
    login(relais, "technicien_b")
    answered = created_id(submit(technicien, "document", document_request(name)))
    waiting = created_id(submit(technicien, "etude_dossier", {**insured(name), "dossier_type": "c2s",
                                                              "comment": "=SOMME(A1:A2)"}))
    elsewhere = created_id(submit(relais, "document", document_request(name), caisse="998"))
    assert act(agent, answered, "take").status_code == 200
    assert act(agent, answered, "answer", "Attestation envoyée à l'adresse de la personne.").status_code == 200
    return {"name": name, "answered": answered, "waiting": waiting, "elsewhere": elsewhere, "agent": agent,
            "technicien": technicien}


def test_the_statistics_page_loads_its_two_fragments(filed, app):
    agent = filed["agent"]
    page = text(agent.get("/statistiques"))
    assert 'hx-get="/statistiques/fragments/demandes?mois=12"' in page and "/statistiques/fragments/comptes" in page
    requests = text(agent.get("/statistiques/fragments/demandes?mois=12", headers={"HX-Request": "true"}))
    assert "<svg" in requests and 'scope="row"' in requests and "CCAS de Saint-Exemple" in requests
    assert "Délai médian" in requests and "<html" not in requests
    accounts = text(agent.get("/statistiques/fragments/comptes", headers={"HX-Request": "true"}))
    assert "Comptes actifs par partenaire" in accounts and "Association Le Relais Fictif" in accounts
    admin = app.test_client()
    login(admin, "admin_national")
    national = text(admin.get("/statistiques/fragments/demandes", headers={"HX-Request": "true"}))
    assert "Demandes par caisse" in national and "CPAM de Valfleuri" in national


def test_statistics_csv_opens_in_a_french_spreadsheet(filed):
    response = filed["agent"].get("/statistiques/mois.csv?mois=3")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert re.search(r"attachment; filename\*=UTF-8''demandes-par-mois-3-mois-\d{4}-\d{2}-\d{2}\.csv",
                     response.headers["Content-Disposition"])
    rows = rows_of(response)
    assert rows[0][:5] == ["Mois", "Déposées", "Répondues", "Médiane du délai de réponse (jours)",
                           "90e centile du délai de réponse (jours)"]
    assert len(rows) == 4 and re.fullmatch(r"\d{2}/\d{4}", rows[-1][0])
    this_month = rows[-1]
    assert int(this_month[1]) >= 3 and int(this_month[2]) >= 1
    assert re.fullmatch(r"\d+,\d", this_month[3])                      # decimal comma
    by_partner = {r[0]: r for r in rows_of(filed["agent"].get("/statistiques/repartition.csv"))[1:]}
    assert int(by_partner["CCAS de Saint-Exemple"][1]) >= 2
    accounts = rows_of(filed["agent"].get("/statistiques/comptes.csv"))
    assert accounts[0] == ["Partenaire", "Gestionnaires actifs", "Techniciens actifs", "Total"]
    assert filed["agent"].get("/statistiques/autre.csv").status_code == 404


def test_the_queue_export_keeps_the_filters_and_the_scope(filed, app):
    agent = filed["agent"]
    rows = rows_of(export(agent, q=filed["name"], status="tous"))
    assert rows[0][:4] == ["Référence", "Type", "Statut", "Personne"]
    assert len(rows) == 3 and all(filed["name"].upper() in r[3] for r in rows[1:])     # not caisse 998's
    assert all(re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", r[4]) for r in rows[1:])
    only_open = rows_of(export(agent, q=filed["name"]))                                 # the queue's default
    assert len(only_open) == 2 and only_open[1][2] == "Déposée"
    other = app.test_client()
    login(other, "agent_autre_caisse")
    theirs = rows_of(export(other, q=filed["name"], status="tous"))
    assert len(theirs) == 2 and theirs[1][0] != rows[1][0]                              # only their own
    assert 'action="/file/export.csv"' in text(agent.get("/file"))


def test_a_formula_never_reaches_a_spreadsheet():
    from contracts.spreadsheet import french_csv

    made = french_csv(["a", "b"], [["=SOMME(A1)", 1.25], ["+33 1", "@x"]])
    assert made.splitlines()[1:] == ["'=SOMME(A1);1,2", "'+33 1;'@x"]


def test_the_archive_pdf_has_the_timeline_and_no_nir(filed, app):
    response = filed["agent"].get(f"/demandes/{filed['answered']}/archive.pdf")
    assert response.headers["Content-Type"] == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.get_data()))
    content = "\n".join(page.extract_text() for page in reader.pages)
    assert reader.metadata.title.startswith("Demande DP-")
    assert filed["name"].upper() in content and "Historique" in content
    assert "Attestation envoyée à l'adresse de la personne." in content and "Répondue" in content
    assert "Prise en charge" in content and "Déposée" in content
    assert not find_nir(content)
    admin = app.test_client()
    login(admin, "admin_national")
    assert admin.get(f"/demandes/{filed['answered']}/archive.pdf").status_code == 200
    other = app.test_client()
    login(other, "agent_autre_caisse")
    assert other.get(f"/demandes/{filed['answered']}/archive.pdf").status_code == 404
    assert filed["technicien"].get(f"/demandes/{filed['answered']}/archive.pdf").status_code == 404
