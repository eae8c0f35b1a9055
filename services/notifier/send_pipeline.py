"""A claimed batch of emails goes through three green threads, so that what the notifier does
between two emails overlaps what the SMTP server does with one:

    prepare (MIME, to bytes) ──> transmit (SMTP) ──> record (outcome committed, here)

Under eventlet each waits on its socket without holding the others: email k+1 is built while
email k is on the wire, and email k's outcome is committed while email k+1 goes (MAIL FROM, RCPT TO,
DATA and the message). One rule keeps the crash bound of sending one by one: an email's end of data
(the line with one dot, from which the server delivers it) goes only once the previous email's outcome
is committed, so a notifier killed at any moment leaves at most one email delivered but not recorded.
"""
import smtplib
from typing import Callable, Sequence

import eventlet
from eventlet.queue import LightQueue, Queue
from eventlet.semaphore import Semaphore

# A send that failed this way is the email's outcome (retried or failed); anything else stops the batch.
SEND_ERRORS = (smtplib.SMTPException, OSError)


class _End:
    def __init__(self, error: BaseException | None = None):
        self.error = error


def run(items: Sequence, prepare: Callable, transmit: Callable, record: Callable,
        may_send: Callable) -> tuple[list, BaseException | None]:
    """Send ``items`` in order: ``prepare(item, pause)`` ahead of the wire (calling ``pause()`` between
    its steps lets the wire go on), ``transmit(prepared, before_end)``
    (raises one of SEND_ERRORS on failure), ``record([(item, error or None), …])`` commits outcomes.
    ``may_send()`` is asked before every item but the first. Returns the items never tried (to be
    released) and the unexpected error that stopped the batch, if any (its item is in neither)."""
    prepared = Queue(maxsize=1)         # one email built ahead of the one on the wire
    finished = LightQueue()
    recorded = Semaphore(1)             # taken by an email's end of data, given back once its outcome is committed
    decided = 0                         # items sent, failed or broken, in order

    def preparing():
        for item in items:
            try:
                ready = prepare(item, eventlet.sleep)
            except Exception as exc:
                prepared.put((item, _End(exc)))
                return
            prepared.put((item, ready))

    def transmitting():
        nonlocal decided
        try:
            for index in range(len(items)):
                item, ready = prepared.get()
                if isinstance(ready, _End):
                    decided += 1
                    raise ready.error
                if index and not may_send():
                    break
                holds = []
                try:
                    transmit(ready, lambda: holds.append(recorded.acquire()))
                except SEND_ERRORS as exc:
                    finished.put((item, exc, holds))
                else:
                    finished.put((item, None, holds))
                decided += 1
        except BaseException as exc:
            finished.put(_End(exc))
            return
        finished.put(_End())

    threads = [eventlet.spawn(preparing), eventlet.spawn(transmitting)]
    try:
        end = None
        while end is None:
            outcomes = [finished.get()]
            while not finished.empty():
                outcomes.append(finished.get_nowait())
            end = next((o for o in outcomes if isinstance(o, _End)), None)
            done = [o for o in outcomes if not isinstance(o, _End)]
            if done:
                record([(item, error) for item, error, _ in done])
                for _, _, holds in done:
                    for _ in holds:
                        recorded.release()
        return list(items[decided:]), end.error
    finally:
        for thread in threads:
            thread.kill()
