"""The caisse's settings of requests through the web (documents offered, delivery policy, overdue
delay), what the partner then meets on the form, and the features the services refuse
(« Non ouvert à votre structure »), against the running services."""
import html

import pytest

from services.web.users import identity_of
from tests.helpers import LOGINS, authenticated, csrf_from, login

pytestmark = pytest.mark.db
URL = "/caisse/parametres/demandes?caisse=999"
DEFAULTS = {"documents": ["attestation_droits", "notification_droits", "ceam_provisoire", "vitale_perte_vol",
                          "vaccination", "depistage", "mt_dents", "examen_sante", "autre"],
            "delivery": "portail_habilites", "late_after_days": "10"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(client, data, htmx=False):
    token = csrf_from(text(client.get(URL)))
    return client.post(URL, data={**data, "csrf_token": token}, headers={"HX-Request": "true"} if htmx else {})


def as_service(app, role, service, method, *args):
    who = identity_of(authenticated(app, *LOGINS[role]))
    with app.app_context():
        return app.extensions["services"].call(service, method, *args, who=who)


def test_the_national_administrator_sets_a_caisses_requests(client, app):
    login(client, "admin_national")
    assert client.get("/caisse/parametres/demandes").headers["Location"] == "/admin/caisses"   # which caisse?
    assert 'href="/caisse/parametres/demandes?caisse=999"' in text(client.get("/admin/caisses"))
    page = text(client.get(URL))
    assert "Notification de droits / justificatif de prestations" in page and 'value="adresse"' in page
    assert '<h2 id="parametres-demandes-titre">' in page
    embedded = text(client.get(URL, headers={"HX-Request": "true", "HX-Current-URL": "http://web/caisse/parametres"}))
    assert "<main" not in embedded and '<h3 id="parametres-demandes-titre">' in embedded   # in « Paramètres de la caisse »
    try:
        refused = post(client, {"delivery": "pigeon", "late_after_days": "0"})
        assert refused.status_code == 400
        shown = text(refused)
        for message in ("Proposez au moins un document.", "Choisissez comment la caisse envoie les documents.",
                        "Un nombre de jours entre 1 et 365."):
            assert message in shown
        assert 'aria-invalid="true" aria-describedby="f-late-days-error"' in shown
        fragment = post(client, {"documents": ["autre"], "delivery": "x", "late_after_days": "3"}, htmx=True)
        assert fragment.status_code == 200 and "<main" not in text(fragment)   # the fragment, with its message
        assert 'value="autre" checked' in text(fragment)
        saved = post(client, {"documents": ["attestation_droits", "notification_droits", "vaccination"],
                              "delivery": "adresse", "late_after_days": "7"})
        assert saved.status_code == 303
        page = text(client.get(saved.headers["Location"]))
        assert "Les paramètres des demandes sont enregistrés." in page and "Paul Martinet" in page
        assert 'value="7"' in page and 'value="ceam_provisoire" checked' not in page

        partner = app.test_client()
        login(partner, "technicien_b")                                     # a habilitated body
        form = text(partner.get("/demandes/nouvelle/999/document"))
        assert 'value="notification_droits"' in form and 'value="ceam_provisoire"' not in form
        assert 'value="vaccination"' in form and 'value="depistage"' not in form
        assert "envoyés par la caisse à l'adresse connue de l'assuré" in form
        token = csrf_from(form)
        refused = partner.post("/demandes/nouvelle/999/document", data={
            "csrf_token": token, "insured.civility": "Mme", "insured.last_name": "Parametre",
            "insured.first_name": "Lina", "insured.birth_date": "1980-05-17", "insured.department": "60",
            "document_type": "ceam_provisoire"})
        assert refused.status_code == 400 and "Ce document n'est pas proposé par cette caisse." in text(refused)
    finally:
        assert post(client, DEFAULTS).status_code == 303


def test_an_agent_who_is_not_the_caisses_administrateur_is_refused(app):
    for role in ("agent_simple", "technicien"):          # a plain agent of the caisse, a partner's technicien
        client = app.test_client()
        login(client, role)
        assert client.get("/caisse/parametres/demandes").status_code == 403, role


def test_history_and_news_answer_not_open_where_the_convention_does_not_open_them(client, app):
    partner = next(p for p in as_service(app, "agent_caisse", "accounts", "list_partners")
                   if p["name"] == "CCAS de Saint-Exemple")
    convention = next(c for c in as_service(app, "agent_caisse", "accounts", "get_partner", partner["id"])
                      ["conventions"] if c["caisse_code"] == "999")
    kept = [f for f in convention["features"] if f not in ("historique", "actualites", "rendez_vous")]
    login(client, "technicien")
    try:
        as_service(app, "agent_caisse", "accounts", "set_convention_features", convention["id"], kept)
        home = text(client.get("/"))
        assert 'href="/demandes"' not in home and 'href="/actualites"' not in home           # nor in the menu
        for path in ("/demandes", "/actualites", "/demandes/nouvelle/999/rendez_vous"):
            page = client.get(path)
            assert page.status_code == 403, path
            assert "Non ouvert à votre structure" in text(page)
        assert client.get("/fragments/demandes-recentes").status_code == 200       # their own requests
    finally:
        as_service(app, "agent_caisse", "accounts", "set_convention_features", convention["id"],
                   convention["features"])
    assert client.get("/demandes").status_code == 200


def test_the_history_of_one_caisse_only_where_its_convention_opens_it(client, app):
    partner = next(p for p in as_service(app, "agent_autre_caisse", "accounts", "list_partners")
                   if p["name"] == "Association Le Relais Fictif")
    convention = next(c for c in as_service(app, "agent_autre_caisse", "accounts", "get_partner", partner["id"])
                      ["conventions"] if c["caisse_code"] == "998")
    login(client, "technicien_b")
    assert 'id="f-caisse"' in text(client.get("/demandes"))                # two caisses to choose from
    try:
        as_service(app, "agent_autre_caisse", "accounts", "set_convention_features", convention["id"],
                   [f for f in convention["features"] if f != "historique"])
        page = text(client.get("/demandes"))
        assert 'id="f-caisse"' not in page and "Demandes de ma structure" in page
        refused = client.get("/demandes?caisse=998")
        assert refused.status_code == 403 and "Non ouvert à votre structure" in text(refused)
    finally:
        as_service(app, "agent_autre_caisse", "accounts", "set_convention_features", convention["id"],
                   convention["features"])
