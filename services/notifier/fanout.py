"""Emails to many people: walk them page after page from the accounts service (keyset
pages, ``after_id``), so any number of accounts goes through with the memory of one page,
and queue each page in one transaction, skipping keys already queued."""
from datetime import datetime, timedelta
from typing import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notifier import outbox

LEASE = timedelta(minutes=10)


def pages(fetch: Callable[[int], dict]) -> Iterator[list[dict]]:
    """``fetch(after_id)`` -> {"items": [...], "next": after_id of the next page, or None}."""
    after_id = 0
    while True:
        page = fetch(after_id)
        yield page["items"]
        if page.get("next") is None:
            return
        after_id = page["next"]


def queue_for_people(session: Session, fetch: Callable[[int], dict], plan: Callable[[list[dict]], list]) -> int:
    """``plan(people)`` -> [(key, render)], ``render()`` -> outbox.Mail: only the keys not yet
    queued are rendered. Returns how many emails were queued."""
    queued = 0
    for people in pages(fetch):
        planned = plan(people)
        already = outbox.queued_keys(session, [key for key, _ in planned])
        queued += outbox.enqueue_many(session, [render() for key, render in planned if key not in already])
    return queued


def claim(session: Session, model, row_id: int, lease_column, now: datetime) -> bool:
    """Reserve a fan-out job for this instance: of two notifiers, one walks the people."""
    won = session.execute(sa.update(model).where(model.id == row_id, sa.or_(lease_column.is_(None),
                                                                          lease_column < now))
                          .values({lease_column: now + LEASE})).rowcount == 1
    session.commit()
    return won
