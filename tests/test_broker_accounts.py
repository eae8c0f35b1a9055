"""Each application on its own broker account, limited to its own queues (deploy/rabbitmq/definitions.json),
on the real local broker: the whole system runs a small journey under these limits, and the requests
service's account cannot read the accounts service's calls (clear passwords travel in ``authenticate``).

The accounts are made for this run on a private vhost with rabbitmqctl, with the very regexes of the
definitions file, and deleted afterwards (users are broker-wide: their names carry the run's id)."""
import json
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pika
import pika.exceptions
import pytest

from devtools.scratch import RABBITMQCTL, private_databases, private_vhost
from tests.conftest import Mailbox, running_stack, web_app
from tests.helpers import login

# Not `db`: what is tested is the broker's permissions, the same whatever database the services use (the
# PostgreSQL pass would start a second private stack for nothing).
pytestmark = [pytest.mark.integration]

DEFINITIONS = Path(__file__).resolve().parents[1] / "deploy" / "rabbitmq" / "definitions.json"
SERVICES = ("accounts", "requests", "notifier")
APPLICATIONS = ("web", *SERVICES)
RUN_ID = uuid.uuid4().hex[:10]


def rabbitmqctl(*args):
    subprocess.run([RABBITMQCTL, "-q", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def accounts_on_vhost():
    """{application: AMQP URI of its own account} on a fresh vhost, with the definitions' permissions."""
    definitions = json.loads(DEFINITIONS.read_text())
    vhost, made = f"ep-test-{RUN_ID}-accounts", []
    with private_vhost(vhost):
        try:
            uris = {}
            for app in APPLICATIONS:
                user, password = f"ep-{RUN_ID}-{app}", secrets.token_hex(24)   # no leading "-"
                rabbitmqctl("add_user", user, password)
                made.append(user)
                [perm] = [p for p in definitions["permissions"] if p["user"] == app]
                rabbitmqctl("set_permissions", "-p", vhost, user, perm["configure"], perm["write"], perm["read"])
                for topic in (t for t in definitions["topic_permissions"] if t["user"] == app):
                    rabbitmqctl("set_topic_permissions", "-p", vhost, user, topic["exchange"], topic["write"],
                                topic["read"])
                uris[app] = f"amqp://{quote(user, safe='')}:{password}@127.0.0.1:5672/{quote(vhost, safe='')}"
            yield uris
        finally:
            for user in made:
                subprocess.run([RABBITMQCTL, "-q", "delete_user", user], capture_output=True)


@pytest.fixture(scope="module")
def limited_stack(accounts_on_vhost, rpc_secret, tmp_path_factory):
    """The seeded system, each process on its own account; the web (and the health checks) as ``web``."""
    names = {s: f"ep_{RUN_ID}_broker_{s}" for s in SERVICES}
    with private_databases(tmp_path_factory.mktemp("broker-db"), names, None) as urls:
        env = {"AMQP_URI": accounts_on_vhost["web"], "EP_RPC_SECRET": rpc_secret,
               "EP_ATTACHMENTS_DIR": str(tmp_path_factory.mktemp("broker-attachments")),
               **{f"{s.upper()}_DATABASE_URL": url for s, url in urls.items()}}
        yield from running_stack(env, tmp_path_factory, "broker-logs",
                                 process_env={s: {"AMQP_URI": accounts_on_vhost[s]} for s in SERVICES})


def refused(uri, act) -> bool:
    """True when the broker closes the channel with ACCESS_REFUSED (403) for ``act(channel)``."""
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        act(connection.channel())
        return False
    except pika.exceptions.ChannelClosedByBroker as closed:
        assert closed.reply_code == 403, closed
        return True
    finally:
        if connection.is_open:
            connection.close()


def test_the_system_works_on_its_own_accounts(limited_stack, accounts_on_vhost):
    """Sign-in (web → accounts), a request filed (web → requests → accounts), taken by an agent, and the
    technicien's email (requests' event → notifier → accounts as a service → SMTP)."""
    for service in SERVICES:          # the containers' health checks, each with its own account
        env = {**limited_stack.env, "AMQP_URI": accounts_on_vhost[service],
               f"{service.upper()}_HEALTH_PORT": str(limited_stack.health_ports[service])}
        for mode in ("pret", "rpc"):  # its readiness probe (the broker with its account: a fresh connection), its RPC
            check = subprocess.run([sys.executable, "deploy/healthcheck.py", service, mode],
                                   cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True,
                                   timeout=30)
            assert check.returncode == 0, (mode, check.stderr)
    from tests.test_web_requests import act, created_id, document_request, submit, unique_name

    app = next(web_app(limited_stack))
    try:
        mailbox = Mailbox(limited_stack.env["EP_MAILCATCHER_URL"])
        client, agent = app.test_client(), app.test_client()
        assert login(client, "technicien_b").status_code == 303
        # Its account may hear accounts' announcements (services/web/session_cache.py): page reads reuse checks.
        deadline = time.monotonic() + 10
        while not app.extensions["session_cache"].is_listening:
            assert time.monotonic() < deadline, "the web's account could not bind to accounts' announcements"
            time.sleep(0.05)
        request_id = created_id(submit(client, "document", document_request(unique_name())))
        login(agent, "agent_caisse")
        assert "Prise en charge" in act(agent, request_id, "take").get_data(as_text=True)
        email = mailbox.wait_for("technicien@relais-fictif.test", containing="sur la demande")
        assert f"/demandes/{request_id}" in email["text"]
    finally:
        app.extensions["session_listener"].stop()
        app.extensions["services"].client.close()


def test_the_requests_account_cannot_read_the_accounts_calls(limited_stack, accounts_on_vhost):
    requests_uri = accounts_on_vhost["requests"]
    # Its own queue, yes; the accounts service's queue, where `authenticate` carries clear passwords, no.
    assert not refused(requests_uri, lambda ch: ch.queue_declare("rpc-requests", passive=True))
    assert refused(requests_uri, lambda ch: ch.basic_consume("rpc-accounts", lambda *a: None))
    assert refused(requests_uri, lambda ch: ch.basic_get("rpc-accounts"))
    assert refused(requests_uri, lambda ch: ch.queue_declare("rpc-accounts", durable=True))
    # Nor a copy of them through a queue of its own bound to the accounts' calls or to everything.
    for key in ("accounts.*", "accounts.authenticate", "#"):
        assert refused(requests_uri, lambda ch, key=key: ch.queue_bind(
            ch.queue_declare("", exclusive=True).method.queue, "nameko-rpc", routing_key=key)), key
    # Nor the replies to the web: reply keys carry their account's name, and each binds only its own.
    web_user, requests_user = (f"ep-{RUN_ID}-{app}" for app in ("web", "requests"))
    reply_id = "0b6f3a52-6a43-4c57-9a3e-2f1d6f0f6c11"
    assert refused(requests_uri, lambda ch: ch.queue_bind(
        ch.queue_declare("", exclusive=True).method.queue, "nameko-rpc", routing_key=f"{web_user}.{reply_id}"))
    assert not refused(requests_uri, lambda ch: ch.queue_bind(
        ch.queue_declare("", exclusive=True).method.queue, "nameko-rpc", routing_key=f"{requests_user}.{reply_id}"))
    # The web calls services but consumes no service's queue either.
    assert refused(accounts_on_vhost["web"], lambda ch: ch.basic_get("rpc-accounts"))
    assert refused(accounts_on_vhost["notifier"], lambda ch: ch.basic_get("rpc-requests"))
