"""The request pipeline (services/web/pipeline.py): its one table of what each guard lets
through covers exactly the app's endpoints; and during a national maintenance window the
sign-in stays open to its last step, the second factor's code, so that the national
administrator (whose second factor is mandatory) can follow or end the window."""
import html
import uuid

import pytest

from services.web.pipeline import OPEN
from tests.helpers import LOGINS, ROLES, code_step, login, post_form, second_factor_code
from tests.test_web_notices import cancel, schedule

pytestmark = pytest.mark.db


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_every_endpoint_has_its_row_in_the_guards_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(OPEN) == set(), "endpoints the guards table does not classify"
    assert set(OPEN) - endpoints == set(), "rows of the guards table naming no endpoint"


def test_during_a_national_window_the_national_admin_signs_in_with_the_code(app):
    announcer = app.test_client()
    login(announcer, "admin_national")
    message = f"Migration nationale {uuid.uuid4().hex[:6]}"
    window = schedule(announcer, -5, 30, message)                   # no caisse: every caisse
    try:
        admin = app.test_client()
        email, password = LOGINS["admin_national"]
        step = code_step(text(post_form(admin, "/connexion", {"email": email, "password": password})))
        assert step, "the password step should lead to the code step"
        signed_in = admin.post("/connexion/code", data={**step, "code": second_factor_code(
            ROLES["admin_national"][0], email, database_url=app.config["TEST_ACCOUNTS_DATABASE_URL"])})
        assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/"
        screens = admin.get("/maintenances")
        assert screens.status_code == 200 and message in text(screens)

        technicien = app.test_client()
        login(technicien, "technicien")
        closed = technicien.get("/")
        assert closed.status_code == 503
        assert "L'Espace Partenaires est en maintenance" in text(closed) and message in text(closed)
    finally:
        cancel(announcer, window)
