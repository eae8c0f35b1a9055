"""The delivery log the caisse reads: who was sent which email, when, with what result;
and putting a failed email back in the queue (recorded with who asked).

A caisse agent sees the emails of their caisse's users (the caisses travel with each
recipient, see contracts.events), but an email one caisse's action caused (its maintenance,
its newsletter, an event naming its ``caisse_code``) only under that caisse
(rendering.caused_by); the national admin sees every email.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.errors import NotFound, RuleViolation, ValidationFailed
from services.common import ids
from services.notifier import settings
from services.notifier.models import MessageCaisse, MessageResend, OutboxMessage, utcnow
from services.notifier.rendering import KIND_LABELS

STATUS_LABELS = {"queued": "En attente d'envoi", "sent": "Envoyé", "failed": "En échec"}
MAX_PAGE = 200


def _iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def _caisse(who: dict, caisse_code: str | None) -> str | None:
    """The caisse whose users' emails ``who`` reads (None: every email, the national admin's)."""
    code = who.get("caisse_code") if who["profile"] == "agent_caisse" else caisse_code
    if who["profile"] == "agent_caisse" and not code:
        raise RuleViolation("Votre compte n'est rattaché à aucune caisse.")
    return code


def _scoped(query, who: dict, caisse_code: str | None):
    if code := _caisse(who, caisse_code):
        query = query.where(OutboxMessage.id.in_(
            sa.select(MessageCaisse.message_id).where(MessageCaisse.caisse_code == str(code))))
    return query


def _listed(who: dict, caisse_code: str | None, status: str | None):
    """(the select of the messages ``who`` may list, the id column to walk newest first), one page read
    whatever the log's size: a caisse's messages along its (caisse_code, message_id) index; with a status
    (« en échec »: a few in a hundred), that status's along (status, id), each checked for the caisse."""
    code = _caisse(who, caisse_code)
    if not code:
        return sa.select(OutboxMessage), OutboxMessage.id
    if status:
        return sa.select(OutboxMessage).where(sa.exists().where(
            MessageCaisse.message_id == OutboxMessage.id, MessageCaisse.caisse_code == str(code))), OutboxMessage.id
    return (sa.select(OutboxMessage).join(MessageCaisse, MessageCaisse.message_id == OutboxMessage.id)
            .where(MessageCaisse.caisse_code == str(code)), MessageCaisse.message_id)


def row(message: OutboxMessage, resends: int = 0) -> dict:
    return {"id": message.id, "kind": message.kind, "kind_label": KIND_LABELS.get(message.kind, message.kind),
            "recipient": message.recipient, "recipient_name": message.recipient_name,
            "subject": message.subject, "status": message.status, "status_label": STATUS_LABELS[message.status],
            "attempts": message.attempts, "last_error": message.last_error,
            "created_at": _iso(message.created_at), "sent_at": _iso(message.sent_at),
            "next_attempt_at": _iso(message.next_attempt_at) if message.status == "queued" else None,
            "resends": resends}


def entries(session: Session, who: dict, filters: dict, cursor, limit) -> dict:
    """Newest first, keyset-paginated: ``cursor`` is the ``next_cursor`` of the previous page."""
    try:
        limit = max(1, min(int(limit or 50), MAX_PAGE))
    except (TypeError, ValueError):
        raise ValidationFailed(None, {"cursor": ids.BAD_CURSOR})
    cursor = ids.cursor(cursor)
    status, kind = filters.get("status") or None, filters.get("kind") or None
    if status and status not in STATUS_LABELS:
        raise ValidationFailed(None, {"status": "Statut inconnu."})
    if kind and kind not in KIND_LABELS:
        raise ValidationFailed(None, {"kind": "Type de courriel inconnu."})
    query, newest_first = _listed(who, filters.get("caisse_code") or None, status)
    if status:
        query = query.where(OutboxMessage.status == status)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if filters.get("recipient"):
        needle = str(filters["recipient"]).strip().lower()[:254]
        query = query.where(sa.func.lower(OutboxMessage.recipient).contains(needle, autoescape=True))
    if cursor is not None:
        query = query.where(newest_first < cursor)
    messages = list(session.scalars(query.order_by(newest_first.desc()).limit(limit + 1)))
    page = messages[:limit]
    counts = dict(session.execute(sa.select(MessageResend.message_id, sa.func.count()).where(
        MessageResend.message_id.in_([m.id for m in page])).group_by(MessageResend.message_id)).all()) if page else {}
    return {"rows": [row(m, counts.get(m.id, 0)) for m in page],
            "next_cursor": page[-1].id if len(messages) > limit else None,
            "kinds": KIND_LABELS, "statuses": STATUS_LABELS}


def resend(session: Session, who: dict, message_id) -> dict:
    """A failed email back in the queue, sent again by the next delivery round."""
    message_id = ids.row_id(message_id)
    if message_id is None:
        raise NotFound("Courriel introuvable.")
    message = session.scalars(_scoped(sa.select(OutboxMessage), who, None)
                              .where(OutboxMessage.id == message_id)).first()
    if message is None:
        raise NotFound("Courriel introuvable.")
    session.add(MessageResend(message_id=message.id, actor_id=who.get("id"), previous_error=message.last_error,
                              actor_name=f"{who.get('first_name') or ''} {who.get('last_name') or ''}".strip()))
    reset = session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == message.id,
                                                           OutboxMessage.status == "failed")
                            .values(status="queued", attempts=0, next_attempt_at=utcnow(), locked_until=None)).rowcount
    if reset != 1:                       # checked by the update itself: two clicks put it back once
        session.rollback()
        raise RuleViolation("Seul un courriel en échec peut être renvoyé.")
    session.commit()
    session.refresh(message)
    return row(message, session.scalar(sa.select(sa.func.count()).where(MessageResend.message_id == message.id)))


def purge(session: Session, now=None) -> int:
    """Emails sent or failed longer ago than the retention leave the log (GDPR: it names people);
    queued ones stay whatever their age: they are still to be delivered."""
    cutoff = (now or utcnow()) - settings.delivery_log_retention()
    old = (OutboxMessage.status.in_(("sent", "failed")), OutboxMessage.created_at < cutoff)
    ids = sa.select(OutboxMessage.id).where(*old)
    for model in (MessageCaisse, MessageResend):
        session.execute(sa.delete(model).where(model.message_id.in_(ids)))
    purged = session.execute(sa.delete(OutboxMessage).where(*old)).rowcount
    session.commit()
    return purged
