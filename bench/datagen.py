"""Bulk data for the benches, generated in the services' own databases: requests at national
scale (about 100 caisses, a million requests a year) and accounts for the reminders sweep.

Rows go in chunks through SQLAlchemy core executemany (SQLite), or COPY (PostgreSQL): a
million requests load in about a minute. Deterministic (seeded), never committed.
"""
import csv
import io
import json
import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from services.accounts.models import Account, Partner
from services.requests.catalogue import KINDS, STATUSES
from services.requests.models import PartnerRequest, utcnow

CHUNK = 20_000
CAISSES = 100
PARTNERS_PER_CAISSE = 30
# The benched partner (the demo CCAS, partner 1, caisse 999) owns this share of all requests:
# a big structure, so even the 10,000-row database has a deep history to page through.
BENCHED_PARTNER, BENCHED_CAISSE, BENCHED_SHARE = 1, "999", 0.10
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
              "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier")
FIRST_NAMES = ("Marie", "Jean", "Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Emma", "Nathan")


def _insured_key(last: str, first: str, birth: date) -> str:
    from services.requests.lifecycle import insured_key

    return insured_key({"last_name": last, "first_name": first, "birth_date": birth.isoformat()})


def request_rows(start: int, count: int, total: int, now: datetime, rng: random.Random):
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
        birth = date(1930, 1, 1) + timedelta(days=rng.randrange(30_000))
        created = now - timedelta(days=365) * (1 - (n + rng.random()) / total)
        yield {"reference": f"BN-{n:09d}", "partner_id": partner, "caisse_code": caisse,
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
    for offset in range(0, count, CHUNK):
        rows = list(request_rows(offset, min(CHUNK, count - offset), count, now, rng))
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                _copy(conn, PartnerRequest.__table__, rows)
            else:
                conn.execute(sa.insert(PartnerRequest), rows)
    with engine.begin() as conn:      # what autovacuum does on PostgreSQL; SQLite's planner wants it too
        conn.execute(sa.text("ANALYZE"))


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
