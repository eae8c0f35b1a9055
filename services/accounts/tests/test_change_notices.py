"""What accounts announces to the web once a change is committed (services/accounts/change_notices.py),
read from a queue bound on a real broker, as the web's listener binds it."""
import json
import time
import types
import uuid

import pika
import pytest
import sqlalchemy as sa

from devtools.scratch import private_vhost
from services.accounts import sessions
from services.accounts.change_notices import NOTICE, ChangeNotices
from services.accounts.models import Caisse, UserSession, utcnow
from services.accounts.tests.conftest import account

GESTIONNAIRE = "gestionnaire@ccas-saint-exemple.test"


@pytest.fixture
def heard():
    """(the notices provider, set up on a private vhost; read() -> the notices received so far)."""
    with private_vhost(f"ep-test-{uuid.uuid4().hex[:8]}-notices") as uri:
        notices = ChangeNotices()
        notices.container = types.SimpleNamespace(config={"AMQP_URI": uri})
        notices.setup()
        connection = pika.BlockingConnection(pika.URLParameters(uri))
        channel = connection.channel()
        notices.publisher.publish({"accounts": []}, exchange=notices.exchange, routing_key="warm-up")  # declares it
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, notices.exchange.name, routing_key=NOTICE)

        def read(wait=0.5):
            time.sleep(wait)
            found = []
            while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
                found.append(json.loads(message[2]))
            return found

        try:
            yield notices, read
        finally:
            notices.stop()
            connection.close()


def test_ended_sessions_are_announced_for_their_account_after_the_commit_only(session, heard):
    _, read = heard
    gestionnaire = account(session, GESTIONNAIRE)
    sessions.open_session(session, gestionnaire.id, "Firefox", utcnow())
    session.commit()
    read()
    sessions.end_all(session, gestionnaire.id, "others")
    assert read(0.2) == []                                # not before the commit
    session.commit()
    assert read() == [{"accounts": [gestionnaire.id]}]


def test_a_rolled_back_change_is_not_announced(session, heard):
    _, read = heard
    gestionnaire = account(session, GESTIONNAIRE)
    sessions.end_all(session, gestionnaire.id, "others")
    session.rollback()
    session.commit()
    assert read() == []


def test_a_change_of_a_caisse_or_a_bulk_update_of_accounts_is_announced_for_everyone(session, heard):
    _, read = heard
    caisse = session.scalars(sa.select(Caisse)).first()
    caisse.name = caisse.name + " "
    session.commit()
    assert read() == [{"all": True}]
    session.execute(sa.text("SELECT 1"))
    session.execute(sa.update(UserSession).where(UserSession.id == -1).values(end_reason="x"))
    session.commit()
    assert read() == []                                    # nothing in the summaries changed
    from services.accounts.models import Account
    session.execute(sa.update(Account).where(Account.id == -1).values(first_name="x"))
    session.commit()
    assert read() == [{"all": True}]


def test_a_change_of_an_account_row_is_announced_for_that_account(session, heard):
    _, read = heard
    gestionnaire = account(session, GESTIONNAIRE)
    gestionnaire.first_name = "Annoncée"
    session.commit()
    assert read() == [{"accounts": [gestionnaire.id]}]
