"""Ids in a URL that name nothing (services.common.ids) through the web and the real services: a huge
number, which SQLite or PostgreSQL refused with an error of ours (OverflowError, DataError: a traceback at
ERROR in the requests and notifier logs, and « Les données envoyées ne sont pas valides » to the person),
now answers the 404 page; a list's cursor that names nothing is said above the list, news included (they
answered a 400 page); no ERROR line is logged by the services meanwhile."""
import html

import pytest

from tests.helpers import csrf_from, json_logs, login

pytestmark = [pytest.mark.integration, pytest.mark.db]

X = "99999999999999999999999"
PAGES = {"technicien": [f"/demandes/{X}", f"/demandes/1/pieces/{X}", f"/documentation/{X}", f"/support/{X}",
                        f"/support/{X}/capture"],
         "agent_caisse": [f"/demandes/{X}/archive.pdf"]}
ACTIONS = {"agent_caisse": [f"/courriels/{X}/renvoyer", f"/maintenances/{X}/annuler", f"/demandes/{X}/actions/take",
                            f"/support/{X}/actions/close"]}
LISTS = {"technicien": [f"/actualites?apres={X}", f"/actualites?apres=-{X}", "/actualites?apres=n-importe"],
         "agent_caisse": [f"/courriels?apres={X}", f"/courriels?apres=-{X}"]}


def service_errors(stack) -> list[dict]:
    return [line for name, lines in json_logs(stack.log_dir).items() if name.startswith(("requests", "notifier"))
            for line in lines if line.get("level") == "ERROR"]


def test_an_id_that_names_nothing_is_the_404_page_and_no_error_of_ours(app, stack):
    before = len(service_errors(stack))
    for profile in ("technicien", "agent_caisse"):
        client = app.test_client()
        login(client, profile)
        for path in PAGES.get(profile, []):
            assert client.get(path).status_code == 404, path
        token = csrf_from(client.get("/").get_data(as_text=True))
        for path in ACTIONS.get(profile, []):
            assert client.post(path, data={"csrf_token": token, "message": "Clos."}).status_code == 404, path
        for path in LISTS.get(profile, []):
            listed = client.get(path)
            assert listed.status_code == 200, path
            assert "Page demandée invalide." in html.unescape(listed.get_data(as_text=True)), path
    assert service_errors(stack)[before:] == []
