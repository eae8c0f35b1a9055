"""Delivery against a real SMTP server (the mail catcher, its own process): retries when the
server comes back, permanent refusals recorded, and a notifier process killed mid-batch then
restarted sends every pending email exactly once."""
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from devtools.stack import REPO_ROOT
from services.common.db import make_engine
from services.notifier import outbox
from services.notifier.mailer import SmtpMailer
from services.notifier.models import OutboxMessage, utcnow
from services.notifier.outbox import Mail
from services.notifier.tests.conftest import MailCatcher

pytestmark = [pytest.mark.integration, pytest.mark.db]


def mail(n, recipient=None):
    return Mail(key=f"test:{n}", kind="password_reset", recipient=recipient or f"personne{n}@structure.example.test",
                subject=f"Objet {n}", text=f"texte {n}", html=f"<p>html {n}</p>")


def test_smtp_down_delays_mail_and_it_goes_once_the_server_is_back(db):
    catcher = MailCatcher()                                   # its port is reserved, nothing listens yet
    mailer = SmtpMailer("127.0.0.1", catcher.smtp_port, timeout=5)
    outbox.enqueue_many(db, [mail(1)])
    assert outbox.deliver_due(db, mailer) == 0
    message = db.scalars(sa.select(OutboxMessage)).one()
    assert (message.status, message.attempts) == ("queued", 1) and "ConnectionRefused" in message.last_error
    assert outbox.deliver_due(db, mailer) == 0                # not due again before its backoff
    catcher.start()
    try:
        assert outbox.deliver_due(db, mailer, now=message.next_attempt_at) == 1
        db.refresh(message)
        assert (message.status, message.attempts, message.last_error) == ("sent", 2, None)
        [received] = catcher.messages()
        assert received["to"] == ["personne1@structure.example.test"] and received["subject"] == "Objet 1"
    finally:
        catcher.stop()


def test_permanent_refusal_is_recorded_and_never_retried(db, mailcatcher):
    mailer = SmtpMailer("127.0.0.1", mailcatcher.smtp_port, timeout=5)
    outbox.enqueue_many(db, [mail(1, "refus.personne@structure.example.test"), mail(2)])
    assert outbox.deliver_due(db, mailer) == 1
    refused, sent = db.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert refused.last_error.startswith("550") and "Destinataire inconnu" in refused.last_error
    assert sent.status == "sent"
    assert outbox.deliver_due(db, mailer, now=utcnow() + timedelta(days=2)) == 0
    assert [m["to"] for m in mailcatcher.messages()] == [["personne2@structure.example.test"]]


def _notifier_process(env):
    return subprocess.Popen([sys.executable, "-m", "nameko", "run", "--config", "services/notifier/config.yaml",
                             "services.notifier.service"], cwd=REPO_ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for: {what}")
        time.sleep(0.05)


def test_notifier_killed_mid_batch_sends_every_pending_email_exactly_once(db, mailcatcher, service_env,
                                                                         database_urls):
    total, before_kill = 12, 4
    outbox.enqueue_many(db, [mail(n) for n in range(total)])
    env = {**os.environ, **service_env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailcatcher.smtp_port),
           # A claimed email is reserved longer than one SMTP exchange may take, so it is never taken
           # over while it is being sent; short here so the restarted notifier retakes it soon.
           "SMTP_TIMEOUT": "5", "EP_OUTBOX_LEASE_SECONDS": "6"}
    engine = make_engine(database_urls["notifier"])

    def statuses():
        with engine.connect() as conn:
            return Counter(conn.scalars(sa.select(OutboxMessage.status)))

    mailcatcher.hold(after=before_kill)          # the 5th email waits at RCPT: the notifier is mid-send
    # (every email is claimed with the 5th: those after it wait for their lease to run out, as the 5th does)
    first = _notifier_process(env)
    try:
        _wait(lambda: mailcatcher.waiting() == 1, "the notifier blocked on its 5th email")
        # The 4th email's outcome is committed while the 5th goes, before its end of data.
        _wait(lambda: statuses()["sent"] == before_kill, "the 4th email recorded")
    finally:
        os.killpg(first.pid, signal.SIGKILL)     # no chance to clean up, as in a crash
        first.wait(10)
    mailcatcher.release()
    assert len(mailcatcher.messages()) == before_kill
    assert statuses() == {"sent": before_kill, "queued": total - before_kill}

    second = _notifier_process(env)
    try:
        _wait(lambda: statuses() == {"sent": total}, "every email marked sent")
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(10)
        engine.dispose()
    received = Counter(to for m in mailcatcher.messages() for to in m["to"])
    assert received == {f"personne{n}@structure.example.test": 1 for n in range(total)}


def test_two_notifiers_side_by_side_send_each_email_once(db, mailcatcher, service_env, database_urls):
    total = 300
    outbox.enqueue_many(db, [mail(n) for n in range(total)])
    env = {**os.environ, **service_env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailcatcher.smtp_port)}
    engine = make_engine(database_urls["notifier"])

    def statuses():
        with engine.connect() as conn:
            return Counter(conn.scalars(sa.select(OutboxMessage.status)))

    mailcatcher.hold(after=0)
    notifiers = [_notifier_process(env) for _ in range(2)]
    try:
        # Both hold a claimed batch at once (each waits at RCPT of its first email), then both go on.
        _wait(lambda: mailcatcher.waiting() == 2, "both notifiers sending")
        mailcatcher.release()
        _wait(lambda: statuses() == {"sent": total}, "every email marked sent")
    finally:
        for process in notifiers:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
        engine.dispose()
    received = Counter(to for m in mailcatcher.messages() for to in m["to"])
    assert received == {f"personne{n}@structure.example.test": 1 for n in range(total)}
