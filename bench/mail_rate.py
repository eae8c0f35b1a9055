"""Figure 3, ``mail_ratio``: emails per second the notifier delivers to the local SMTP server
(devtools.mailcatcher), from its outbox, divided by a plain smtplib loop sending the same
messages (same MIME build) to the same server over one connection.

The notifier runs as a real process; the messages are queued in its outbox by the product's
own ``outbox.enqueue_many`` and counted delivered when marked sent. Rounds alternate, so the
noise of a shared machine falls on both; the rates are averaged over the rounds.

The target holds "on a loaded machine": a defined load, not whatever else runs. The figure is
measured under ``--load`` busy processes (default two per core), started before the rounds and
stopped after, so they weigh on the notifier's rounds and the plain loop's alike; each is a session
of its own at the bench's nice level, scheduled like the services' processes (each its own session,
as are PostgreSQL's backends). ``mail_calm_ratio`` is the same measure without them.

    .venv/bin/python -m bench.mail_rate [--mails 1000] [--rounds 2] [--load 4]
"""
import os
import smtplib
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench import harness

TEXT = ("Bonjour,\n\nVotre mot de passe expire bientôt. Choisissez-en un nouveau depuis votre espace.\n" * 12)
HTML = "<html><body>" + "<p>Bonjour, votre mot de passe expire bientôt.</p>" * 40 + "</body></html>"


def _queue(engine, count: int) -> list[int]:
    from services.notifier import outbox

    tag = uuid.uuid4().hex[:8]
    mails = [outbox.Mail(f"bench:{tag}:{n}", "password_renewal_reminder", f"banc{n}@ccas-saint-exemple.test",
                         "Votre mot de passe expire bientôt", TEXT, HTML, recipient_name=f"Alice Banc{n}")
             for n in range(count)]
    with Session(engine) as session:
        outbox.enqueue_many(session, mails)
        return list(session.scalars(sa.text("SELECT id FROM outbox_message WHERE idempotency_key LIKE :k"),
                                    {"k": f"bench:{tag}:%"}))


def _notifier_rate(engine, count: int) -> float:
    """From before queueing to the last email's ``sent_at`` (the notifier's clock, this machine's): the
    polling only waits for the end, rarely, so the bench's own queries weigh little on the notifier's side."""
    from services.notifier.models import OutboxMessage, utcnow

    started, started_at = time.perf_counter(), utcnow()
    ids = _queue(engine, count)
    done = sa.select(sa.func.count(), sa.func.max(OutboxMessage.sent_at)).where(
        OutboxMessage.status == "sent", OutboxMessage.id.between(min(ids), max(ids)))
    with engine.connect() as conn:
        while (found := conn.execute(done).one())[0] < count:
            conn.rollback()
            time.sleep(0.25)
            if time.perf_counter() - started > 600:
                raise TimeoutError("the notifier did not deliver in 10 minutes")
    return count / (found[1] - started_at).total_seconds()


def _plain_rate(engine, env: dict, count: int) -> float:
    """The same rows (read back from the outbox) through one smtplib connection."""
    from services.notifier.mailer import SmtpMailer
    from services.notifier.models import OutboxMessage

    with Session(engine) as session:
        messages = list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(count)))
    build = SmtpMailer("127.0.0.1", env["SMTP_PORT"]).build
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", int(env["SMTP_PORT"]), timeout=20) as smtp:
        for message in messages:
            smtp.send_message(build(message))
    return count / (time.perf_counter() - started)


DEFAULT_LOAD = 2 * (os.cpu_count() or 1)


@contextmanager
def busy(count: int):
    """``count`` processes spinning on the CPU until the block ends."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
                for _ in range(count)]
    try:
        time.sleep(0.5 if spinners else 0)      # running before the first round starts
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def _rates(engine, env: dict, mails: int, rounds: int, load: int) -> tuple[float, float, float]:
    """(notifier, plain) mails per second, averaged over ``rounds``, under ``load`` spinners; the load average after."""
    notifier, plain = [], []
    with busy(load):
        for _ in range(rounds):
            notifier.append(_notifier_rate(engine, mails))
            plain.append(_plain_rate(engine, env, mails))
        load_average = os.getloadavg()[0]
    notifier_rate, plain_rate = sum(notifier) / rounds, sum(plain) / rounds
    print(f"  {load} busy processes (load average {load_average:.1f}): notifier (outbox -> SMTP) {notifier_rate:.0f} "
          f"mails/s; plain smtplib loop {plain_rate:.0f} mails/s ({mails} mails x {rounds} rounds)")
    return notifier_rate, plain_rate, load_average


def run(mails: int = 1000, rounds: int = 2, load: int = DEFAULT_LOAD) -> dict:
    with harness.environment() as context:
        with harness.running(context, ["mailcatcher", "notifier"]):
            harness.wait_for_smtp(context)
            engine = harness.engine(context["urls"]["notifier"])
            calm_notifier, calm_plain, _ = _rates(engine, context["env"], mails, rounds, 0)
            notifier_rate, plain_rate, load_average = _rates(engine, context["env"], mails, rounds, load)
            engine.dispose()
    ratio, calm = notifier_rate / plain_rate, calm_notifier / calm_plain
    print(f"mail_ratio {ratio:.2f} under {load} busy processes (target >= 0.85); without them {calm:.2f}")
    return {"mail_ratio": round(ratio, 2), "mail_notifier_per_s": round(notifier_rate, 1),
            "mail_plain_per_s": round(plain_rate, 1), "mail_load": load, "mail_load_average": round(load_average, 1),
            "mail_calm_ratio": round(calm, 2)}


def main():
    harness.command_line(run, mails=1000, rounds=2, load=DEFAULT_LOAD)


if __name__ == "__main__":
    main()
