"""Nothing typed is lost (issue 15, point 7), against the running services: a request form posted after its
session expired keeps what was typed (not the files) in the requests service; after signing in again the
person lands on the form, filled, once; the web's cookie, its logs and the services' logs never hold it. A
submission while the requests service is down comes back with what was typed."""
import html
import io
import logging

import pytest

from services.web import drafts
from services.web.views.requests_ui import UNAVAILABLE
from tests.helpers import LOGINS, accounts_db, csrf_from, login
from tests.test_web_requests import NIR, unique_name

pytestmark = pytest.mark.db
URL = "/demandes/nouvelle/999/document"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def expire_session(role="technicien"):
    """The person's latest session left idle long enough to end (EP_SESSION_IDLE_MINUTES)."""
    accounts_db("UPDATE sessions SET last_seen_at = :old WHERE id = (SELECT max(id) FROM sessions WHERE account_id = "
                "(SELECT id FROM account WHERE email = :email AND profile = 'technicien'))",
                old="2000-01-01 00:00:00", email=LOGINS[role][0])


def typed(name: str) -> dict:
    return {"insured.civility": "Mme", "insured.last_name": name, "insured.first_name": "Jeanne",
            "insured.birth_date": "1980-05-17", "insured.department": "60", "document_type": "attestation_droits",
            "comment": f"Commentaire {name} pour la caisse"}


def post(client, fields, csrf, htmx=False):
    return client.post(URL, data={**fields, "csrf_token": csrf, "files": [(io.BytesIO(b"%PDF-1.4"), "piece.pdf")]},
                       content_type="multipart/form-data", headers={"HX-Request": "true"} if htmx else {})


def cookie_session(app, client) -> dict:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value) if cookie else {}


def test_an_expired_session_keeps_the_typed_form_until_the_person_signs_in_again(app, client, stack, caplog):
    caplog.set_level(logging.DEBUG)
    name = unique_name()
    login(client, "technicien")
    csrf = csrf_from(text(client.get(URL)))
    expire_session()
    # The expiry is noticed first by a field checked as it is typed: silent, and the form's POST still counts.
    check = client.post("/demandes/verifier-champ?type=document&champ=comment", data={"comment": name},
                        headers={"HX-Request": "true", "X-CSRFToken": csrf})
    assert check.status_code == 200 and check.get_data(as_text=True).strip() == ""
    assert name not in repr(cookie_session(app, client))
    kept = post(client, typed(name), csrf)
    assert kept.status_code == 303 and kept.headers["Location"] == "/connexion"
    cookie = cookie_session(app, client)
    assert drafts.EXPIRED_KEY not in cookie
    assert cookie.get(drafts.RESUME_KEY) == URL and name not in repr(cookie)          # the address, not the input
    page = text(client.get("/connexion"))
    assert "votre saisie a été conservée" in page and "pièces jointes seront à choisir de nouveau" in page
    back = client.post("/connexion", data={"email": LOGINS["technicien"][0], "password": LOGINS["technicien"][1],
                                           "csrf_token": csrf_from(page)})
    assert back.status_code == 303 and back.headers["Location"] == URL                 # straight back to the form
    assert drafts.RESUME_KEY not in cookie_session(app, client)
    form = text(client.get(URL))
    assert f'value="{name}"' in form and f"Commentaire {name} pour la caisse" in form
    assert 'value="attestation_droits" selected' in form or 'value="attestation_droits" checked' in form
    assert drafts.RESTORED in form
    again = text(client.get(URL))                                                       # taken back once: gone
    assert name not in again and drafts.RESTORED not in again
    logs = "\n".join(r.getMessage() for r in caplog.records)
    logs += "\n".join(p.read_text(errors="replace") for p in stack.log_dir.glob("*.log"))
    assert name not in logs


def test_the_htmx_submission_of_an_expired_session_is_kept_too_but_never_a_nir(app, client):
    name = unique_name()
    login(client, "technicien")
    csrf = csrf_from(text(client.get(URL)))
    expire_session()
    kept = post(client, {**typed(name), "comment": f"NIR {NIR}"}, csrf, htmx=True)
    assert kept.status_code == 200 and kept.headers["HX-Redirect"] == "/connexion"
    page = text(client.get("/connexion"))
    assert "numéro de sécurité sociale n'a pas été conservé" in page
    login(client, "technicien")
    form = text(client.get(URL))
    assert f'value="{name}"' in form and NIR not in form


def test_a_signed_out_post_without_an_expired_session_keeps_nothing(app, client):
    """No session behind the cookie at all (never signed in): nobody to keep it for."""
    page = text(client.get("/connexion"))
    refused = client.post(URL, data={**typed(unique_name()), "csrf_token": csrf_from(page)})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/connexion")
    assert drafts.RESUME_KEY not in cookie_session(app, client)


def test_the_form_comes_back_filled_when_the_requests_service_is_down_on_submit(stack, client):
    name = unique_name()
    login(client, "technicien")
    csrf = csrf_from(text(client.get(URL)))
    stack.stop_process("requests")
    try:
        answer = post(client, typed(name), csrf)
        page = text(answer)
        assert answer.status_code == 503 and UNAVAILABLE in page
        assert f'value="{name}"' in page and f"Commentaire {name} pour la caisse" in page
        assert 'name="idempotency_key"' in page                                        # sent again: no duplicate
    finally:
        stack.start_process("requests")
        stack.wait_healthy(["requests"])
