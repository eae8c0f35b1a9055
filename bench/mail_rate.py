"""Figure 3, ``mail_ratio``: emails per second the notifier delivers to the local SMTP server
(devtools.mailcatcher), from its outbox, divided by a plain smtplib loop sending the same
messages (same MIME build) to the same server over one connection.

The notifier runs as a real process; the messages are queued in its outbox by the product's
own ``outbox.enqueue_many`` and counted delivered when marked sent. Rounds alternate, so the
noise of a shared machine falls on both; the rates are averaged over the rounds.

    .venv/bin/python -m bench.mail_rate [--mails 1000] [--rounds 2]
"""
import smtplib
import time
import uuid

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
    started = time.perf_counter()
    ids = _queue(engine, count)
    done = sa.text("SELECT count(*) FROM outbox_message WHERE status = 'sent' AND id BETWEEN :a AND :b")
    with engine.connect() as conn:
        while conn.execute(done, {"a": min(ids), "b": max(ids)}).scalar() < count:
            conn.rollback()
            time.sleep(0.02)
            if time.perf_counter() - started > 600:
                raise TimeoutError("the notifier did not deliver in 10 minutes")
    return count / (time.perf_counter() - started)


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


def run(mails: int = 1000, rounds: int = 2) -> dict:
    with harness.environment() as context:
        with harness.running(context, ["mailcatcher", "notifier"]):
            harness.wait_for_smtp(context)
            engine = harness.engine(context["urls"]["notifier"])
            notifier, plain = [], []
            for _ in range(rounds):
                notifier.append(_notifier_rate(engine, mails))
                plain.append(_plain_rate(engine, context["env"], mails))
            engine.dispose()
    notifier_rate, plain_rate = sum(notifier) / rounds, sum(plain) / rounds
    print(f"  notifier (outbox -> SMTP): {notifier_rate:.0f} mails/s; plain smtplib loop: {plain_rate:.0f} mails/s "
          f"({mails} mails x {rounds} rounds)")
    ratio = notifier_rate / plain_rate
    print(f"mail_ratio {ratio:.2f} (target >= 0.85)")
    return {"mail_ratio": round(ratio, 2), "mail_notifier_per_s": round(notifier_rate, 1),
            "mail_plain_per_s": round(plain_rate, 1)}


def main():
    harness.command_line(run, mails=1000, rounds=2)


if __name__ == "__main__":
    main()
