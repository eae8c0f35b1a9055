"""Bulk data for the benches, generated in the services' own databases: requests at national
scale (about 100 caisses, a million requests a year) and accounts for the reminders sweep.

Rows go in chunks through SQLAlchemy core executemany (SQLite), or COPY (PostgreSQL): a
million requests load in about a minute. Deterministic (seeded), never committed.
"""
import csv
import io
import json
import random
from functools import lru_cache
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from services.accounts.models import Account, Partner
from services.requests.catalogue import KINDS, STATUSES
from services.requests import name_search, tally
from services.requests.models import PartnerRequest, RequestNameWord, utcnow

CHUNK = 20_000
CAISSES = 100
PARTNERS_PER_CAISSE = 30
# The benched partner (the demo CCAS, partner 1, caisse 999) owns this share of all requests:
# a big structure, so even the 10,000-row database has a deep history to page through.
BENCHED_PARTNER, BENCHED_CAISSE, BENCHED_SHARE = 1, "999", 0.10
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
              "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier")
# A rare name: RARE_COUNT requests of the benched partner in caisse 999, in either database.
RARE_NAME, RARE_COUNT = "Quenouillère", 20
FIRST_NAMES = ("Marie", "Jean", "Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Emma", "Nathan")


def _insured_key(last: str, first: str, birth: date) -> str:
    from services.requests.lifecycle import insured_key

    return insured_key({"last_name": last, "first_name": first, "birth_date": birth.isoformat()})


def request_rows(start: int, count: int, total: int, now: datetime, rng: random.Random, first_id: int = 1):
    """Requests ``start`` to ``start + count`` of ``total`` created over the year before ``now``,
    in creation order as a live database fills (ids follow time, a page's rows lie close)."""
    kinds, statuses = list(KINDS), list(STATUSES)
    for n in range(start, start + count):
        if rng.random() < BENCHED_SHARE:
            partner, caisse = BENCHED_PARTNER, BENCHED_CAISSE
        else:
            caisse_n = rng.randrange(CAISSES)
            partner, caisse = 1000 + caisse_n * PARTNERS_PER_CAISSE + rng.randrange(PARTNERS_PER_CAISSE), f"{caisse_n:03d}"
        last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
        if n % max(1, total // RARE_COUNT) == 0:       # the same few people whatever the size
            partner, caisse, last = BENCHED_PARTNER, BENCHED_CAISSE, RARE_NAME
        birth = date(1930, 1, 1) + timedelta(days=rng.randrange(30_000))
        created = now - timedelta(days=365) * (1 - (n + rng.random()) / total)
        yield {"id": first_id + n, "reference": f"BN-{n:09d}", "partner_id": partner, "caisse_code": caisse,
               "convention_caisse_code": caisse, "kind": rng.choice(kinds), "status": rng.choice(statuses),
               "insured_civility": "Mme", "insured_last_name": last, "insured_first_name": first,
               "insured_birth_date": birth, "insured_department": "60",
               "insured_key": _insured_key(last, first, birth), "details": {}, "delivery": "",
               "partner_habilitated": False, "created_by": 1, "created_by_name": "Hugo Lambertin",
               "created_by_email": "technicien@ccas-saint-exemple.test", "created_at": created,
               "updated_at": created, "closed_at": None}


def add_requests(engine: sa.Engine, count: int, seed: int = 7) -> None:
    """``count`` requests (chunks, one transaction each)."""
    rng, now = random.Random(seed), utcnow()
    with engine.connect() as conn:              # ids given here, after the seeded demo requests
        first_id = (conn.scalar(sa.select(sa.func.max(PartnerRequest.id))) or 0) + 1
    word_indexes = list(RequestNameWord.__table__.indexes)    # built once at the end: faster than row by row
    for word_index in word_indexes:
        word_index.drop(engine)
    for offset in range(0, count, CHUNK):
        rows = list(request_rows(offset, min(CHUNK, count - offset), count, now, rng, first_id))
        words = [word for r in rows for word in _name_words(r)]
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                _copy(conn, PartnerRequest.__table__, rows)
                _copy(conn, RequestNameWord.__table__, words)
            else:
                conn.execute(sa.insert(PartnerRequest), rows)
                # Ten rows a request: straight to the driver (SQLAlchemy stores datetimes as str() does).
                table = RequestNameWord.__table__
                conn.exec_driver_sql(str(sa.insert(table).compile(dialect=engine.dialect)),
                                     [tuple(str(v) if isinstance(v, datetime) else v for v in (w[c.name] for c in table.c))
                                      for w in words])
    for word_index in word_indexes:
        word_index.create(engine)
    with engine.begin() as conn:      # what autovacuum does on PostgreSQL; SQLite's planner wants it too
        tally.rebuild(conn)           # the caisses' counts, as the submissions would have kept them
        if engine.dialect.name == "postgresql":     # the ids were given: the sequence follows them
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('partner_request', 'id'), "
                                 "(SELECT max(id) FROM partner_request))"))
        conn.execute(sa.text("ANALYZE"))


@lru_cache(maxsize=None)
def _prefixes(last: str, first: str) -> tuple[str, ...]:
    return tuple(sorted(name_search.prefixes(last, first)))


def _name_words(row: dict) -> list[dict]:
    """The request's name-search rows (services.requests.name_search.rows), the names' prefixes cached:
    the generator draws from a few names."""
    return [{"request_id": row["id"], "prefix": p, "caisse_code": row["caisse_code"],
             "partner_id": row["partner_id"], "created_at": row["created_at"]}
            for p in _prefixes(row["insured_last_name"], row["insured_first_name"])]


def _copy(conn, table: sa.Table, rows: list[dict]) -> None:
    columns = list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([json.dumps(v) if isinstance(v, dict) else r"\N" if v is None else v
                         for v in (row[c] for c in columns)])
    buffer.seek(0)
    cursor = conn.connection.driver_connection.cursor()
    cursor.copy_expert(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)


def add_technicians(engine: sa.Engine, count: int, start: int = 0, expiring_within_days: int = 10) -> None:
    """``count`` active techniciens spread over the demo partners, each with a password set long
    enough ago that a renewal reminder is due (so the sweep renders and queues one email each)."""
    from services.accounts import settings

    renewal = settings.password_renewal_days("technicien")
    changed = utcnow() - timedelta(days=renewal - expiring_within_days)
    with engine.connect() as conn:
        partners = list(conn.scalars(sa.select(Partner.id).order_by(Partner.id)))
    for offset in range(0, count, CHUNK):
        rows = [{"email": f"bench-{n}@ccas-saint-exemple.test", "civility": "Mme", "first_name": "Alice",
                 "last_name": f"Banc{n}", "function": "", "phone": "", "profile": "technicien", "status": "active",
                 "partner_id": partners[n % len(partners)], "password_hash": "bench-no-login",
                 "password_changed_at": changed, "cgu_version": "1", "activity_at": changed, "failed_logins": 0,
                 "created_at": changed, "created_by_name": ""}
                for n in range(start + offset, start + min(offset + CHUNK, count))]
        with engine.begin() as conn:
            conn.execute(sa.insert(Account), rows)


# --- the caisse's other logs: emails sent (notifier) and the journal of actions (accounts) --------------

def _bulk(engine: sa.Engine, table: sa.Table, rows: list[dict]) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            _copy(conn, table, rows)
        else:
            conn.execute(sa.insert(table), rows)


def _spread(n: int, total: int, now: datetime, days: int) -> datetime:
    """The ``n``-th of ``total`` rows over the ``days`` before ``now``, oldest first (ids follow time)."""
    return now - timedelta(days=days) * (1 - (n + 0.5) / total)


def add_messages(engine: sa.Engine, count: int, seed: int = 11) -> None:
    """``count`` emails of the delivery log over the last 300 days (within its retention), each for one
    caisse's user; caisse 999 gets BENCHED_SHARE of them. Sent mostly, some failed; the few still
    queued are due in 2100 (the bench's notifier leaves them alone)."""
    from services.notifier.models import MessageCaisse, OutboxMessage
    from services.notifier.rendering import KIND_LABELS

    rng, now, kinds = random.Random(seed), utcnow(), list(KIND_LABELS)
    with engine.connect() as conn:
        first_id = (conn.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0) + 1
    for offset in range(0, count, CHUNK):
        messages, caisses = [], []
        for n in range(offset, min(offset + CHUNK, count)):
            caisse = BENCHED_CAISSE if rng.random() < BENCHED_SHARE else f"{rng.randrange(CAISSES):03d}"
            status = rng.choices(("sent", "failed", "queued"), (95, 4, 1))[0]
            created = _spread(n, count, now, 300)
            messages.append({"id": first_id + n, "idempotency_key": f"bench:{first_id + n}", "kind": rng.choice(kinds),
                             "recipient": f"banc{n}@ccas-saint-exemple.test", "recipient_name": "Alice Banc",
                             "account_id": None, "subject": "Votre mot de passe expire bientôt", "body_text": "Bonjour",
                             "body_html": "<p>Bonjour</p>", "headers": None, "status": status,
                             "attempts": 1 if status == "sent" else 5 if status == "failed" else 0,
                             "last_error": "550 boîte inconnue" if status == "failed" else None,
                             "next_attempt_at": datetime(2100, 1, 1) if status == "queued" else created,
                             "locked_until": None, "created_at": created,
                             "sent_at": created if status == "sent" else None})
            caisses.append({"message_id": first_id + n, "caisse_code": caisse})
        _bulk(engine, OutboxMessage.__table__, messages)
        _bulk(engine, MessageCaisse.__table__, caisses)
    _analyze(engine, OutboxMessage.__table__)


def add_audit_entries(engine: sa.Engine, count: int, seed: int = 13) -> None:
    """``count`` entries of the journal of actions over the last year: BENCHED_SHARE about caisse 999's
    demo partners and the caisse itself, the others about partners and caisses the bench makes up."""
    from services.accounts.audit import ACTIONS
    from services.accounts.models import AuditEntry, Caisse, Convention

    rng, now, actions = random.Random(seed), utcnow(), list(ACTIONS)
    with engine.connect() as conn:
        caisse = conn.scalar(sa.select(Caisse.id).where(Caisse.code == BENCHED_CAISSE))
        partners = sorted(set(conn.scalars(sa.select(Convention.partner_id).where(Convention.caisse_id == caisse))))
    for offset in range(0, count, CHUNK):
        rows = []
        for n in range(offset, min(offset + CHUNK, count)):
            if rng.random() < BENCHED_SHARE:
                partner, caisse_id = (rng.choice(partners), None) if rng.random() < 0.8 else (None, caisse)
            else:
                partner, caisse_id = 1000 + rng.randrange(CAISSES * PARTNERS_PER_CAISSE), 1000 + rng.randrange(CAISSES)
            rows.append({"at": _spread(n, count, now, 365), "actor_id": None, "actor_name": "Hugo Lambertin",
                         "action": rng.choice(actions), "target_id": None, "target_name": "Alice Banc",
                         "partner_id": partner, "caisse_id": caisse_id, "details": ""})
        _bulk(engine, AuditEntry.__table__, rows)
    _analyze(engine, AuditEntry.__table__)


def _analyze(engine: sa.Engine, table: sa.Table) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":          # the ids were given: the sequence follows them
            conn.execute(sa.select(sa.func.setval(sa.func.pg_get_serial_sequence(table.name, "id"),
                                                  sa.select(sa.func.max(table.c.id)).scalar_subquery())))
        conn.execute(sa.text("ANALYZE"))
