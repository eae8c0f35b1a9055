"""Maintenance notices, news, the newsletter and the delivery log, through the
web, against the running services and the mail catcher. Windows are scheduled
for the CPAM des Hauts-Fictifs (998) and cancelled at the end, so the other
tests, which work with the CPAM de Valfleuri, never meet them."""
import html
import re
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import csrf_from, login, post_form, rpc_as, search

pytestmark = pytest.mark.db

PARIS = ZoneInfo("Europe/Paris")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def local(minutes_from_now: int) -> str:
    """What a browser's datetime-local input sends: Paris wall-clock time."""
    return (datetime.now(PARIS) + timedelta(minutes=minutes_from_now)).strftime("%Y-%m-%dT%H:%M")


def schedule(client, starts_in, ends_in, message, caisse_code=None):
    fields = {"starts_at": local(starts_in), "ends_at": local(ends_in), "message": message}
    if caisse_code:
        fields["caisse_code"] = caisse_code
    response = post_form(client, "/maintenances", fields)
    assert response.status_code == 303, text(response)
    page = text(client.get("/maintenances"))
    return max(int(n) for n in re.findall(r"/maintenances/(\d+)/annuler", page))       # the newest


def cancel(client, maintenance_id):
    page = text(client.get("/maintenances"))
    response = client.post(f"/maintenances/{maintenance_id}/annuler", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303


def test_a_coming_maintenance_is_announced_by_email_and_banner(client, app, mailbox):
    agent = app.test_client()
    login(agent, "agent_autre_caisse")
    refused = post_form(agent, "/maintenances", {"starts_at": local(60), "ends_at": local(30), "message": "x"})
    assert refused.status_code == 400 and "La fin doit suivre le début." in text(refused)

    seen = len(mailbox.messages())
    message = f"Mise à jour du serveur {uuid.uuid4().hex[:6]}"
    window = schedule(agent, 60, 120, message)
    try:
        # The banner: for the caisse's agents and its partners' users, not for other caisses.
        assert message in text(agent.get("/"))
        login(client, "technicien_b")                     # partner 2 works with 998 too
        assert "Maintenance prévue" in text(client.get("/")) and message in text(client.get("/"))
        other = app.test_client()
        login(other, "agent_caisse")
        assert message not in text(other.get("/"))
        # The notice: to the active users in scope, once.
        notice = mailbox.wait_for("technicien@relais-fictif.test", after=seen, containing="maintenance prévue")
        assert message in notice["text"]
        mailbox.wait_for("agent@cpam-hauts-fictifs.test", after=seen, containing="maintenance prévue")
        told = [m["to"][0] for m in mailbox.messages()[seen:] if "maintenance prévue" in m["subject"]]
        assert "agent@cpam-valfleuri.test" not in told and "technicien@ccas-saint-exemple.test" not in told
        assert len(told) == len(set(told))
    finally:
        cancel(agent, window)
    assert message not in text(agent.get("/"))


def test_a_window_out_of_the_coming_year_is_a_field_error_and_the_edit_form_is_filled(app):
    agent = app.test_client()
    login(agent, "agent_autre_caisse")
    for starts_at, ends_at in (("0001-01-01T00:00", "0001-01-01T00:30"), ("9999-12-31T23:59", "9999-12-31T23:59"),
                               ("9999-12-31T23:00", "9999-12-31T23:30")):
        refused = post_form(agent, "/maintenances", {"starts_at": starts_at, "ends_at": ends_at, "message": "x"})
        assert refused.status_code == 400, text(refused)         # was a 500: OverflowError in contracts.dates
        assert "Début : une date dans l'année qui vient est attendue." in text(refused)
    message = f"Migration de la base {uuid.uuid4().hex[:6]}"
    window = schedule(agent, 60 * 24 * 10, 60 * 24 * 10 + 90, message)       # ten days ahead: no notice yet
    try:
        page = text(agent.get(f"/maintenances/{window}"))
        assert "Modifier la maintenance du" in page and f">{message}</textarea>" in page
        for field in ("starts_at", "ends_at"):                   # was blank: the form without errors is falsy
            assert re.search(rf'id="m-{field}" name="{field}" value="\d{{4}}-\d\d-\d\dT\d\d:\d\d"', page), field
    finally:
        cancel(agent, window)


def test_during_a_maintenance_the_page_gives_the_caisse_referents(client, app):
    admin = app.test_client()
    login(admin, "admin_national")
    message = f"Bascule de la base {uuid.uuid4().hex[:6]}"
    window = schedule(admin, -5, 30, message, caisse_code="998")
    try:
        login(client, "agent_autre_caisse")
        closed = client.get("/")
        assert closed.status_code == 503
        page = text(closed)
        assert "L'Espace Partenaires est en maintenance" in page and message in page
        assert "CPAM des Hauts-Fictifs" in page and "Pôle partenaires" in page
        assert "mailto:partenaires@cpam-hauts-fictifs.test" in page
        # Partner 2 still reaches its other caisse: a banner, not the maintenance page.
        partner = app.test_client()
        login(partner, "technicien_b")
        assert partner.get("/").status_code == 200 and "Maintenance en cours" in text(partner.get("/"))
        # Another caisse's agent works as usual.
        other = app.test_client()
        login(other, "agent_caisse")
        assert other.get("/file").status_code == 200
        assert message not in text(other.get("/"))
    finally:
        cancel(admin, window)
    assert client.get("/").status_code == 200


def test_news_newsletter_digest_and_one_click_unsubscribe(client, app, mailbox):
    login(client, "technicien_b")
    page = text(client.get("/mon-compte/notifications"))
    assert "CPAM des Hauts-Fictifs : non abonné(e)" in page
    token = csrf_from(page)
    subscribed = client.post("/mon-compte/lettre-d-information",
                             data={"csrf_token": token, "caisse_code": "998", "subscribed": "oui"})
    assert subscribed.status_code == 303
    assert "CPAM des Hauts-Fictifs : abonné(e)" in text(client.get("/mon-compte/notifications"))

    agent = app.test_client()
    login(agent, "agent_autre_caisse")
    empty = post_form(agent, "/actualites", {"title": "", "body": ""})
    assert empty.status_code == 400 and "Titre : ce champ est obligatoire." in text(empty)
    title = f"Permanence d'accueil {uuid.uuid4().hex[:6]}"
    assert post_form(agent, "/actualites", {"title": title, "body": "Le jeudi matin, sans rendez-vous."}
                     ).status_code == 303
    assert title in text(client.get("/actualites"))
    assert client.post("/actualites", data={"csrf_token": token, "title": "x", "body": "y"}).status_code == 403

    digest = mailbox.wait_for("technicien@relais-fictif.test", containing="les actualités de votre caisse")
    assert title in digest["text"]
    unsubscribe = re.search(r"https?://[^/\s]+(/actualites/desabonnement/[^\s\"<>]+)", digest["text"])[1]
    assert "Me désabonner" in text(client.get(unsubscribe))           # a link follower unsubscribes no one
    assert "CPAM des Hauts-Fictifs : abonné(e)" in text(client.get("/mon-compte/notifications"))
    one_click = app.test_client().post(unsubscribe, data={"List-Unsubscribe": "One-Click"})   # no session, no CSRF
    assert one_click.status_code == 200 and "Vous êtes désabonné(e)" in text(one_click)
    assert "CPAM des Hauts-Fictifs : non abonné(e)" in text(client.get("/mon-compte/notifications"))
    assert app.test_client().post("/actualites/desabonnement/faux-jeton").status_code == 404


def test_agent_sees_a_failed_email_and_sends_it_again(client, app, mailbox):
    address = f"refus-{uuid.uuid4().hex[:8]}@relais-fictif.test"       # the mail catcher refuses it (550)
    rpc_as(app, "gestionnaire_b")("create_technicien", {
        "civility": "M.", "last_name": "Refuse", "first_name": "Paul", "function": "Conseiller",
        "phone": "0123456789", "email": address})
    login(client, "agent_caisse")
    deadline = time.monotonic() + 20
    while 'class="badge badge-mail-failed"' not in (page := text(search(client, "/courriels", recipient=address))):
        assert time.monotonic() < deadline, page
        time.sleep(0.5)
    assert "Habilitation" in page or "habilitation" in page
    assert "550" in page
    resent = client.post(re.search(r'action="(/courriels/\d+/renvoyer)"', page)[1], data={"csrf_token": csrf_from(page)})
    assert resent.status_code == 303
    assert "est remis dans la file d'envoi" in text(client.get(resent.headers["Location"]))
    deadline = time.monotonic() + 20
    while "renvoyé 1 fois" not in (page := text(search(client, "/courriels", recipient=address))):
        assert time.monotonic() < deadline, page
        time.sleep(0.5)
    outsider = app.test_client()
    login(outsider, "technicien")
    assert outsider.get("/courriels").status_code == 403
