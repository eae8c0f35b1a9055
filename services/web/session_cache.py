"""A page read (GET) reuses this web process's last check of the same session for a few seconds.

Every request used to ask accounts whether its session was still open (users.py): on a page read
that round trip was a third of the page (issue 17, point 3). Now, per web process:

- only reads use a remembered check: every POST (every change) asks accounts, and forgets what it
  remembered, since the change may be the person's own (CGU accepted, password changed);
- a check is remembered ``EP_SESSION_RECHECK_SECONDS`` at most (5 by default, 0 switches this off);
- whatever this process asks accounts for a change forgets every check of the process at once: an
  agent's change is seen by the next page served here, not a few milliseconds later;
- accounts announces what makes checks stale (services/accounts/change_notices.py): an account whose
  sessions ended (logout, « Déconnecter mes autres sessions », new password or email, inactivation, report
  of fraud) or whose row changed (role, steps), and everyone when a caisse, a partner or a convention
  changed (suspension, settings, rights); a thread of each web process listens and forgets those checks
  at once, so a copy of the cookie stops opening pages as soon as the session ends, not
  ``EP_SESSION_RECHECK_SECONDS`` later;
- fail closed: while that listener is not bound (starting, broker away, connection lost), nothing is
  remembered and every request asks accounts, as before; a check that started before an announcement
  concerning it arrived is not kept.

What may lag by the recheck delay on page reads: a session reaching its idle or maximum duration, a
password reaching its expiry date, and an announcement lost on the way. Nothing but page reads rely on
it; the services still authorise every call.
"""
import hashlib
import json
import logging
import os
import threading
import time

import socket

import pika
from flask import current_app, has_request_context, request

from contracts import broker
from contracts.events import ACCOUNTS

log = logging.getLogger(__name__)
NOTICE = "session_checks_stale"     # the routing key accounts publishes on (services/accounts/change_notices.py)
EXCHANGE = f"{ACCOUNTS}.events"
READS = frozenset({"GET", "HEAD"})
# What the web asks accounts at nearly every request, POSTs included, and changes no one's rights.
READS_OF_ACCOUNTS = frozenset({"resume_session", "health"})
MAX_ENTRIES = 20_000                # a web process serves far fewer people than this within a few seconds
RECONNECT_SECONDS = 1.0


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()      # no session token kept in memory as such


class SessionCache:
    def __init__(self, ttl: float, clock=time.monotonic):
        self.ttl, self.clock = ttl, clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dict]] = {}    # key -> (expires, summary)
        self._ended: dict[int, float] = {}                   # account id -> when its checks were said stale
        self._all_ended = float("-inf")                       # when every check was said stale
        self._listening = False

    # --- what the request pipeline uses --------------------------------------------------------
    def lookup(self, token: str) -> dict | None:
        with self._lock:
            entry = self._entries.get(_key(token)) if self._listening else None
            if entry is None:
                return None
            if entry[0] <= self.clock():
                del self._entries[_key(token)]
                return None
            return entry[1]

    def store(self, token: str, summary: dict, asked_at: float) -> None:
        """``asked_at``: when the check was asked (``self.clock()``), to drop it if an end was announced since."""
        with self._lock:
            stale_since = max(self._all_ended, self._ended.get(summary.get("id"), float("-inf")))
            if not self._listening or self.ttl <= 0 or stale_since >= asked_at:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._drop_expired()
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
            self._entries[_key(token)] = (self.clock() + self.ttl, summary)

    def forget(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._entries.pop(_key(token), None)

    # --- what the listener does ----------------------------------------------------------------
    def stale(self, account_ids=(), everyone: bool = False) -> None:
        with self._lock:
            now = self.clock()
            if everyone:
                self._all_ended = now
                self._entries.clear()
                return
            accounts = set(account_ids)
            for account_id in accounts:
                self._ended[account_id] = now
            for key in [k for k, (_, summary) in self._entries.items() if summary.get("id") in accounts]:
                del self._entries[key]
            if len(self._ended) > MAX_ENTRIES:
                # Kept only as long as a check started before them may still be in flight.
                self._ended = {a: at for a, at in self._ended.items() if at > now - max(self.ttl, 60)}

    def listening(self, yes: bool) -> None:
        """Bound: remember from now on (empty). Unbound: remember nothing and forget everything."""
        with self._lock:
            self._listening = yes
            self._entries.clear()

    @property
    def is_listening(self) -> bool:
        return self._listening

    def _drop_expired(self) -> None:
        now = self.clock()
        self._entries = {k: e for k, e in self._entries.items() if e[0] > now}


def after_call(service: str, method: str) -> None:
    """What this web process just asked accounts for a change (a POST, or outside any request) may have
    changed someone's sessions or rights (an inactivation, a caisse's settings): this process forgets every
    check at once, without waiting for the announcement; other processes hear it within milliseconds."""
    if service != ACCOUNTS or method in READS_OF_ACCOUNTS or (has_request_context() and request.method in READS):
        return
    cache = current_app.extensions.get("session_cache")
    if cache is not None:
        cache.stale(everyone=True)


class Listener:
    """One daemon thread per web process (started after gunicorn's fork): binds an exclusive queue to
    accounts' events exchange for the announcements, and tells the cache whether it is bound."""

    def __init__(self, cache: SessionCache, amqp_uri: str):
        self.cache, self.addresses = cache, broker.addresses(amqp_uri)
        self._pid, self._lock, self._stop = None, threading.Lock(), threading.Event()

    def ensure_started(self) -> None:
        if self._pid == os.getpid() or self.cache.ttl <= 0:
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self.cache.listening(False)         # whatever a parent process had is not ours
                threading.Thread(target=self._run, name="session-ends", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        said = None
        while not self._stop.is_set():
            for address in self.addresses:
                try:
                    self._listen(address)
                except Exception as exc:          # any failure: fail closed, then try again
                    if repr(exc) != said:         # once per cause, not every second while accounts starts
                        said = repr(exc)
                        log.info("accounts' announcements not heard (%s): every request asks accounts", said)
                finally:
                    self.cache.listening(False)
                if self._stop.is_set():
                    return
            self._stop.wait(RECONNECT_SECONDS)

    def _listen(self, address: str) -> None:
        params = pika.URLParameters(address)
        params.heartbeat = 10                      # a silently dead link is found within seconds
        params.socket_timeout = params.stack_timeout = 2
        params.connection_attempts = 1
        # A node that refuses connections is tried quietly: pika logs every failed attempt as an ERROR,
        # once a second for as long as the broker is away (the RPC client reports the outage already).
        socket.create_connection((params.host, params.port), timeout=2).close()
        connection = pika.BlockingConnection(params)
        try:
            channel = connection.channel()
            # Passive: accounts declares its exchange; until it has, there is nothing to hear and nothing kept.
            channel.exchange_declare(EXCHANGE, exchange_type="topic", passive=True)
            queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            channel.queue_bind(queue, EXCHANGE, routing_key=NOTICE)
            channel.basic_consume(queue, self._on_notice, auto_ack=True)
            self.cache.listening(True)
            log.info("accounts' announcements heard: page reads reuse session checks for %ss", self.cache.ttl)
            while not self._stop.is_set():
                connection.process_data_events(time_limit=1)
        finally:
            self.cache.listening(False)
            try:
                connection.close()
            except Exception as exc:         # already gone: nothing left to close
                log.debug("listener's connection closed already: %r", exc)

    def _on_notice(self, channel, method, properties, body) -> None:
        try:
            notice = json.loads(body)
            accounts = [int(a) for a in notice.get("accounts", ())]
        except (ValueError, TypeError, AttributeError):
            notice, accounts = {"all": True}, []          # unreadable: assume the worst
        self.cache.stale(accounts, everyone=bool(notice.get("all")))
