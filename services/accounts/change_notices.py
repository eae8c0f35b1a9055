"""Announcing, once committed, what makes the web's remembered session checks stale: the accounts whose
sessions ended or whose row changed, or everyone when a caisse, a partner or a convention changed (their
rights, settings and steps are in every summary). The web forgets those checks at once
(services/web/session_cache.py).

Found where the database sees it, not where each rule is written: every flushed change of an
``Account``, ``Caisse``, ``Partner`` or ``Convention``, every bulk UPDATE or DELETE of their tables, and
every ended session (``noted`` by services/accounts/sessions.py, whose bulk end names its account).

Best effort on purpose, not through the event outbox: nothing is lost if no web listens (a web that
does not hear announcements remembers nothing), and an outbox row would wait for a listener forever.
The announcement goes on accounts' events exchange, routing key ``session_checks_stale``, with no confirm
and no retry: a change is never slowed or failed by it, and a lost one costs at most the web's recheck
delay.
"""
import logging

import sqlalchemy as sa
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy.orm import Session

from contracts import broker
from contracts.events import ACCOUNTS
from services.accounts.models import Account, Caisse, Convention, Partner

log = logging.getLogger(__name__)
NOTICE = "session_checks_stale"
EVERYONE = "*"
_PENDING = "stale_session_checks"    # in the SQLAlchemy session's info, until its commit or rollback
_IN_EVERY_SUMMARY = (Caisse, Partner, Convention)
_TABLES = {model.__table__.name for model in (Account, *_IN_EVERY_SUMMARY)}


def noted(session: Session | None, account_id) -> None:
    """This account's checks are stale once the transaction commits (``EVERYONE``: every account's)."""
    if session is not None:
        session.info.setdefault(_PENDING, set()).add(account_id)


def _flushed(session: Session, flush_context, instances) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Account):
            noted(session, instance.id if instance.id is not None else EVERYONE)
        elif isinstance(instance, _IN_EVERY_SUMMARY):
            noted(session, EVERYONE)


def _executed(state) -> None:
    if (state.is_update or state.is_delete) and getattr(state.statement, "table", None) is not None \
            and state.statement.table.name in _TABLES:
        noted(state.session, EVERYONE)


def _rolled_back(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


class ChangeNotices(DependencyProvider):
    """Publishes what was noted after each commit of this process's database sessions."""

    def setup(self):
        config = broker.fill_in(dict(self.container.config))
        self.exchange = get_event_exchange(ACCOUNTS, config)
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=False, serializer="json",
                                   declare=[self.exchange], retry=False)
        self._listeners = (("before_flush", _flushed), ("do_orm_execute", _executed),
                           ("after_soft_rollback", _rolled_back), ("after_commit", self._committed))
        for name, listener in self._listeners:
            sa.event.listen(Session, name, listener)

    def stop(self):
        for name, listener in self._listeners:
            sa.event.remove(Session, name, listener)

    def _committed(self, session: Session) -> None:
        stale = session.info.pop(_PENDING, None)
        if not stale:
            return
        notice = {"all": True} if EVERYONE in stale else {"accounts": sorted(stale)}
        try:
            self.publisher.publish(notice, exchange=self.exchange, routing_key=NOTICE)
        except Exception as exc:      # the web's recheck delay bounds what a lost notice costs
            log.warning("%s not announced: %r", NOTICE, exc)
