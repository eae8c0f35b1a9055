"""Every form of the web, posted with random and hostile values (tests/fuzz/hostile.py) for the
fields the page shows, some missing, some extra: never a 500, nothing half written (a refused
request stores no row), and what was stored comes back escaped, never as markup or script.
On the spare system, through the Flask app and the real services."""
import html
import io
import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.requests.tests.test_attachments import PDF
from tests.fuzz.hostile import IMG, SCRIPT, text
from tests.helpers import csrf_from, login

pytestmark = [pytest.mark.integration]

EXAMPLES = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
KINDS = ("contact_caisse", "etude_dossier", "suivi_ame", "signalement", "rendez_vous", "document")
# role (None: anonymous) -> [(page that shows the form, where it posts)]; {…} filled from the spare system.
FORMS = {
    None: [("/connexion", "/connexion"), ("/mot-de-passe/oublie", "/mot-de-passe/oublie"),
           ("/connexion", "/mot-de-passe/nouveau/jeton-invalide"), ("/connexion", "/activation/jeton-invalide")],
    "technicien": [*((f"/demandes/nouvelle/999/{k}",) * 2 for k in KINDS),
                   ("/demandes/{request}", "/demandes/{request}/actions/message"),
                   ("/mon-compte/mot-de-passe", "/mon-compte/mot-de-passe"),
                   ("/mon-compte/notifications", "/mon-compte/notifications"),
                   ("/mon-compte/notifications", "/mon-compte/lettre-d-information"),
                   ("/demandes/nouvelle/999/document", "/demandes/verifier-champ?type=document&champ=comment")],
    "gestionnaire": [("/habilitations", "/habilitations")],
    "agent_caisse": [("/partenaires/nouveau", "/partenaires/nouveau"),
                     ("/partenaires/{partner}", "/partenaires/{partner}/gestionnaires"),
                     ("/maintenances", "/maintenances"), ("/actualites", "/actualites"),
                     ("/donnees-personnelles", "/donnees-personnelles"), ("/file", "/file/delai"), ("/file", "/file/export.csv"),
                     ("/caisse/agents", "/caisse/agents"), ("/caisse/parametres", "/caisse/parametres/regles"),
                     ("/caisse/parametres", "/caisse/parametres/referents"),
                     ("/caisse/parametres", "/caisse/parametres/protection-des-donnees")],
    "admin_national": [("/admin/caisses/nouvelle", "/admin/caisses/nouvelle")],
}
# Pages where what the fuzz stored is shown back.
SHOWN = {"technicien": ["/demandes", "/actualites", "/"], "agent_caisse": ["/file", "/partenaires", "/maintenances",
                                                                           "/actualites", "/", "/protection-des-donnees"],
         "admin_national": ["/admin/caisses"]}


class Spare:
    def __init__(self, app, stack):
        self.app, self.stack = app, stack
        self.clients = {}
        self.requests_db = sa.create_engine(stack.env["REQUESTS_DATABASE_URL"])

    def client(self, role):
        if role not in self.clients:
            self.clients[role] = self.app.test_client()
            if role:
                login(self.clients[role], role)
        return self.clients[role]

    def requests_count(self) -> int:
        with self.requests_db.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM partner_request"))


@pytest.fixture(scope="module")
def spare(spare_app, spare_stack):
    return Spare(spare_app, spare_stack)


@pytest.fixture(scope="module")
def places(spare):
    """The ids the forms' addresses need, on the spare system's demo data."""
    tech = spare.client("technicien")
    request = re.search(r'href="/demandes/(\d+)"', tech.get("/demandes").get_data(as_text=True))[1]
    partner = re.search(r'href="/partenaires/(\d+)"', spare.client("agent_caisse").get("/partenaires")
                        .get_data(as_text=True))[1]
    return {"request": request, "partner": partner}


def field_names(page: str) -> list[str]:
    return sorted(set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', page)) - {"csrf_token"})


def post_hostile(spare, role, page_url, post_url, data):
    client = spare.client(role)
    page = client.get(page_url)
    assert page.status_code < 500
    token = csrf_from(page.get_data(as_text=True))
    before = spare.requests_count()
    form = {**data, "csrf_token": token}
    response = client.post(post_url, data=form, headers={"X-CSRFToken": token})
    body = response.get_data(as_text=True)
    assert response.status_code < 500, (post_url, response.status_code, body[:500])
    assert SCRIPT not in body and IMG not in body, post_url                        # echoed, but escaped
    written = spare.requests_count() - before
    if post_url.startswith("/demandes/nouvelle"):
        assert written == (1 if response.status_code == 303 else 0), (response.status_code, written)
    else:
        assert written == 0


@pytest.mark.parametrize("role,page_url,post_url", [(role, page, post) for role, forms in FORMS.items()
                                                    for page, post in forms])
def test_hostile_values_in_every_form(spare, places, role, page_url, post_url):
    page_url, post_url = page_url.format(**places), post_url.format(**places)
    names = field_names(spare.client(role).get(page_url).get_data(as_text=True))
    assert names or post_url.startswith("/mot-de-passe/nouveau") or post_url.startswith("/activation"), page_url
    names = names or ["password", "confirm"]
    hostile_form = st.dictionaries(st.sampled_from([*names, "champ-en-trop"]), st.one_of(text, st.lists(text, max_size=3)),
                                   max_size=len(names) + 1)

    @EXAMPLES
    @given(hostile_form)
    def answers(data):
        post_hostile(spare, role, page_url, post_url, data)

    answers()


def test_stored_markup_comes_back_escaped(spare, places):
    """Store the scripts where they are accepted (a news item, a message), then read every page."""
    agent, tech = spare.client("agent_caisse"), spare.client("technicien")
    page = agent.get("/actualites").get_data(as_text=True)
    assert agent.post("/actualites", data={"title": SCRIPT, "body": IMG, "csrf_token": csrf_from(page)}).status_code == 303
    post_hostile(spare, "technicien", f"/demandes/{places['request']}",
                 f"/demandes/{places['request']}/actions/message", {"message": f"{SCRIPT} {IMG}"})
    for role, pages in SHOWN.items():
        for url in [*pages, f"/demandes/{places['request']}"] if role != "admin_national" else pages:
            body = spare.client(role).get(url).get_data(as_text=True)
            assert SCRIPT not in body and IMG not in body, url
    shown = html.unescape(tech.get("/actualites").get_data(as_text=True))
    assert SCRIPT in shown                                           # stored as text, shown as text


def test_oversized_files_are_refused_and_store_nothing(spare):
    tech = spare.client("technicien")
    url = "/demandes/nouvelle/999/document"
    fields = {"insured.civility": "Mme", "insured.last_name": "Lourde", "insured.first_name": "Ines",
              "insured.birth_date": "1980-05-17", "insured.department": "60", "document_type": "attestation_droits"}
    before = spare.requests_count()
    for size, status in ((11 * 1024 * 1024, 400), (26 * 1024 * 1024, 413)):
        token = csrf_from(tech.get(url).get_data(as_text=True))
        big = PDF + b"0" * size
        response = tech.post(url, data={**fields, "csrf_token": token, "files": [(io.BytesIO(big), "gros.pdf")]},
                             content_type="multipart/form-data")
        assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert spare.requests_count() == before
