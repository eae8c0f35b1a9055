"""The delivery log and resend through the RPC methods: a caisse agent sees only their
caisse's users' emails, the admin all; keyset pages; only a failed email is resent, once,
with who asked recorded. And every email of one event is queued in one transaction."""
import uuid

import pytest
import sqlalchemy as sa

from contracts import events
from contracts.errors import NotAuthorized, NotFound, RuleViolation
from services.notifier import outbox
from services.notifier.event_emails import enqueue_event
from services.notifier.models import MessageResend, OutboxMessage
from services.notifier.outbox import Mail

pytestmark = pytest.mark.db


def recipient(email, caisses):
    return {"email": email, "first_name": "Anne", "last_name": "Aubert", "account_id": 40, "caisses": caisses}


def review_event(*people):
    return {"event_id": str(uuid.uuid4()), "recipients": list(people), "partner_name": "CCAS d'Essai",
            "caisse_name": "CPAM de Valfleuri", "reminder": False}


def test_one_event_queues_all_its_emails_or_none(db):
    payload = review_event(recipient("a@essai.test", ["999"]), recipient("b@essai.test", ["999", "998"]))
    assert enqueue_event(db, events.REVIEW_REQUESTED, payload) == 2
    assert enqueue_event(db, events.REVIEW_REQUESTED, payload) == 0                  # delivered twice
    broken = [Mail("k1", "password_reset", "c@essai.test", "s", "t", "h"),
              Mail("k2", "password_reset", None, "s", "t", "h")]                     # fails mid-batch
    with pytest.raises(sa.exc.IntegrityError):
        outbox.enqueue_many(db, broken)
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 2


def test_agents_see_their_caisse_users_and_the_admin_everyone(as_, db):
    enqueue_event(db, events.REVIEW_REQUESTED, review_event(recipient("a@essai.test", ["999"])))
    enqueue_event(db, events.REVIEW_REQUESTED, review_event(recipient("b@essai.test", ["999", "998"])))
    enqueue_event(db, events.REVIEW_REQUESTED, review_event(recipient("c@essai.test", ["998"])))
    seen = lambda who, **kw: [r["recipient"] for r in as_(who).delivery_log(**kw)["rows"]]   # noqa: E731
    assert seen("agent_999") == ["b@essai.test", "a@essai.test"]
    assert seen("agent_998") == ["c@essai.test", "b@essai.test"]
    assert seen("agent_998", filters={"caisse_code": "999"}) == ["c@essai.test", "b@essai.test"]   # own only
    assert seen("admin") == ["c@essai.test", "b@essai.test", "a@essai.test"]
    assert seen("admin", filters={"caisse_code": "999", "recipient": "A@"}) == ["a@essai.test"]
    first = as_("admin").delivery_log(limit=2)
    rest = as_("admin").delivery_log(cursor=first["next_cursor"], limit=2)
    assert [r["recipient"] for r in first["rows"] + rest["rows"]] == ["c@essai.test", "b@essai.test", "a@essai.test"]
    assert rest["next_cursor"] is None
    row = first["rows"][0]
    assert (row["kind_label"], row["status_label"], row["attempts"]) == ("Revue des habilitations",
                                                                         "En attente d'envoi", 0)
    with pytest.raises(NotAuthorized):
        as_("tech_a").delivery_log()


def test_an_email_one_caisse_caused_is_that_caisse_s_business_only(as_, db):
    """Recipient b belongs to 999 and 998 (a convention with 998 not started yet, say): what 999 did to b
    (the event names 999 as its cause) is not 998's to read; an event with no caisse behind it is both's."""
    payload = {"event_id": str(uuid.uuid4()), "recipients": [recipient("b@essai.test", ["999", "998"])],
               "partner_name": "CCAS d'Essai", "caisse_name": "CPAM de Valfleuri", "suspended": True,
               "caisse_code": "999"}
    enqueue_event(db, events.PARTNER_ACCESS_CHANGED, payload)
    enqueue_event(db, events.REVIEW_REQUESTED, review_event(recipient("b@essai.test", ["999", "998"])))
    seen = lambda who: [r["kind_label"] for r in as_(who).delivery_log()["rows"]]   # noqa: E731
    assert seen("agent_999") == ["Revue des habilitations", "Accès du partenaire suspendu ou rétabli"]
    assert seen("agent_998") == ["Revue des habilitations"]


def test_every_kind_has_a_french_label(as_):
    kinds = as_("admin").delivery_log()["kinds"]
    for kind in ("convention_answered", "account_request_step", "partner_access_changed"):
        assert kinds[kind] and kinds[kind] != kind


def test_resend_a_failed_email_once_and_audited(as_, db):
    enqueue_event(db, events.REVIEW_REQUESTED, review_event(recipient("a@essai.test", ["999"])))
    message = db.scalars(sa.select(OutboxMessage)).one()
    with pytest.raises(RuleViolation):
        as_("agent_999").resend(message.id)                                   # not failed: nothing to resend
    db.execute(sa.update(OutboxMessage).values(status="failed", attempts=8, last_error="550 inconnu"))
    db.commit()
    with pytest.raises(NotFound):
        as_("agent_998").resend(message.id)                                   # not their caisse's user
    row = as_("agent_999").resend(message.id)
    assert (row["status"], row["attempts"], row["resends"]) == ("queued", 0, 1)
    with pytest.raises(RuleViolation):
        as_("agent_999").resend(message.id)
    audit = db.scalars(sa.select(MessageResend)).one()
    assert (audit.actor_name, audit.previous_error) == ("Claire Dumoulin", "550 inconnu")


def test_the_log_forgets_emails_after_the_retention_but_never_a_queued_one(db, monkeypatch):
    from datetime import timedelta

    from services.notifier import delivery_log
    from services.notifier.models import utcnow

    monkeypatch.setenv("EP_DELIVERY_LOG_DAYS", "30")
    tag = uuid.uuid4().hex[:8]
    outbox.enqueue_many(db, [Mail(f"purge:{tag}:{n}", "password_reset", f"{n}-{tag}@essai.test", "Objet", "t", "<p>t</p>")
                             for n in ("old-sent", "old-failed", "old-queued", "recent-sent")])
    rows = {r.recipient.split("-" + tag)[0]: r for r in db.query(OutboxMessage).filter(OutboxMessage.recipient.contains(tag))}
    for name, row in rows.items():
        row.status = name.split("-")[1] if name != "recent-sent" else "sent"
        row.created_at = utcnow() - timedelta(days=31 if name.startswith("old") else 29)
    db.add(MessageResend(message_id=rows["old-failed"].id, actor_name="Agent"))
    db.commit()
    assert delivery_log.purge(db) >= 2
    left = {r.recipient.split("-" + tag)[0] for r in db.query(OutboxMessage).filter(OutboxMessage.recipient.contains(tag))}
    assert left == {"old-queued", "recent-sent"}
    assert db.query(MessageResend).filter_by(message_id=rows["old-failed"].id).count() == 0


def test_supervision_counts_waiting_and_failed_emails_per_caisse_in_reach(as_, db):
    """Waiting and failed (last 24 h) emails per caisse: an agent their caisse only, the admin every caisse
    an email went to plus all emails; the last sweep run is recorded by the sweep's timer method."""
    enqueue_event(db, events.REVIEW_REQUESTED, review_event(recipient("a@essai.test", ["999"])))
    enqueue_event(db, events.REVIEW_REQUESTED, review_event(recipient("b@essai.test", ["999", "998"])))
    db.execute(sa.update(OutboxMessage).where(OutboxMessage.recipient == "b@essai.test").values(status="failed"))
    db.commit()
    agent = as_("agent_999").supervision()
    assert agent["service"] == "notifier" and agent["status"] == "ok"
    assert [(e["caisse_code"], e["pending"], e["failed_24h"]) for e in agent["emails"]] == [("999", 1, 1)]
    assert agent["emails"][0]["oldest_age_seconds"] >= 0 and "all_emails" not in agent
    assert [s["kind"] for s in agent["sweeps"]] == ["sweep"] and agent["sweeps"][0]["ran"] is False
    admin = as_("admin").supervision()
    assert [(e["caisse_code"], e["pending"], e["failed_24h"]) for e in admin["emails"]] == [("998", 0, 1), ("999", 1, 1)]
    assert (admin["all_emails"]["pending"], admin["all_emails"]["failed_24h"]) == (1, 1)
    assert [e["pending"] for e in as_("agent_998").supervision()["emails"]] == [0]
    with pytest.raises(NotAuthorized):
        as_("tech_a").supervision()
