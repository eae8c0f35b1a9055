"""An insured person's data on request, through the web: the caisse agent finds,
downloads and erases it; the person's name never goes into a URL; partners
cannot reach the screen."""
import json

import pytest

from tests.helpers import csrf_from, login
from tests.test_web_requests import created_id, document_request, submit, text, unique_name

pytestmark = pytest.mark.db


def person_of_a_new_request(client) -> tuple[dict, int]:
    """A technicien (signed in on ``client``) files a request for a new person: (the person as the
    screen's form asks for it, the request's id)."""
    name = unique_name()
    login(client, "technicien")
    reference_id = created_id(submit(client, "document", document_request(name)))
    return {"last_name": name.lower(), "first_name": "JEANNE", "birth_date": "17/05/1980"}, reference_id


def test_agent_exports_then_erases_a_person_data(client, app):
    person, reference_id = person_of_a_new_request(client)
    name = person["last_name"].capitalize()
    agent = app.test_client()
    login(agent, "agent_caisse")
    page = text(agent.get("/donnees-personnelles"))
    person["csrf_token"] = csrf_from(page)

    found = agent.post("/donnees-personnelles", data={**person, "action": "chercher"})
    assert found.status_code == 200 and "1 demande dans votre caisse" in text(found)
    exported = agent.post("/donnees-personnelles", data={**person, "action": "exporter"})
    assert exported.mimetype == "application/json" and "attachment" in exported.headers["Content-Disposition"]
    data = json.loads(exported.get_data(as_text=True))
    assert [r["insured"]["last_name"] for r in data["requests"]] == [name]

    unconfirmed = agent.post("/donnees-personnelles", data={**person, "action": "effacer"})
    assert unconfirmed.status_code == 400 and "Cochez la case" in text(unconfirmed)
    erased = agent.post("/donnees-personnelles", data={**person, "action": "effacer", "confirm": "oui"})
    assert erased.status_code == 303
    assert "1 demande(s) effacée(s)" in text(agent.get("/donnees-personnelles"))
    assert agent.get(f"/demandes/{reference_id}").status_code == 404
    again = agent.post("/donnees-personnelles", data={**person, "action": "chercher"})
    assert "Aucune demande de votre caisse ne concerne cette personne." in text(again)

    bad = agent.post("/donnees-personnelles", data={**person, "birth_date": "", "action": "chercher"})
    assert bad.status_code == 400 and 'id="p-birth_date-error"' in text(bad)


def test_partners_cannot_reach_personal_data(client):
    login(client, "technicien")
    assert client.get("/donnees-personnelles").status_code == 403
