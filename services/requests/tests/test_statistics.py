"""Statistics kept with the requests (issue 18, point 6) and the caisse's exports (point 7): the monthly
counts and delay histograms move in the transactions that file and answer, agree with a recount from the
requests, stay as kept counts when requests are erased or purged, and each caller reads only its scope."""
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from contracts.errors import NotAuthorized, NotFound
from services.requests import caisse_settings, counters, retention, statistics, tally
from services.requests.models import (CaisseSetting, PartnerRequest, RequestDelayStat, RequestMonthStat, RequestOpenDay,
                                      utcnow)
from services.requests.tests.conftest import insured, upload
from services.requests.tests.test_requests_service import PDF, payload, tag

pytestmark = pytest.mark.db


def month_row(db, partner_id, kind, month=None):
    db.expire_all()
    row = db.get(RequestMonthStat, {"caisse_code": "999", "month": month or utcnow().strftime("%Y-%m"),
                                    "partner_id": partner_id, "kind": kind})
    return (row.filed, row.answered) if row else (0, 0)


def snapshot(db) -> tuple:
    db.expire_all()
    months = sorted(db.execute(sa.select(RequestMonthStat.caisse_code, RequestMonthStat.month,
                                         RequestMonthStat.partner_id, RequestMonthStat.kind, RequestMonthStat.filed,
                                         RequestMonthStat.answered)).all())
    delays = sorted(db.execute(sa.select(RequestDelayStat.caisse_code, RequestDelayStat.month, RequestDelayStat.kind,
                                         RequestDelayStat.bucket, RequestDelayStat.answered)).all())
    return months, delays


PARTNER_NAMES = {"partners": [{"id": 1, "name": "CCAS de Saint-Exemple"},
                              {"id": 2, "name": "Association Le Relais Fictif"}]}


def statistics_of(as_, role, names=PARTNER_NAMES, months=12):
    """``request_statistics`` as ``role``, accounts answering ``names`` for the names of the groups."""
    worker = as_(role)
    worker.services.call.return_value = names
    return worker.request_statistics(months)


def test_buckets_and_percentiles():
    assert [statistics.bucket_of(h) for h in (0, 0.9, 47.5, 48, 71, 24 * 59.5, 24 * 60, 24 * 400)] == \
        [0, 0, 47, 48, 48, 24 * 59, 24 * 60 // 168 * 168, 365 * 24]
    assert statistics.percentile({}, 0.5) is None
    assert statistics.percentile({10: 1}, 0.5) == 10.5                        # inside its 1-hour bucket
    histogram = {0: 50, 48: 40, 96: 10}                                      # 100 answers
    assert statistics.percentile(histogram, 0.5) == 1.0                      # the 50th is the last of the first hour
    assert statistics.percentile(histogram, 0.9) == 72.0                     # the 90th ends the 2nd-day bucket


def test_counted_at_filing_and_at_the_first_answer_only(as_, db):
    tech, agent = as_("tech_a"), as_("agent_999")
    before, total_before = month_row(db, 1, "document"), month_row(db, 0, "document")
    made = tech.submit("document", "999", payload("document"), None)
    assert month_row(db, 1, "document") == (before[0] + 1, before[1])
    assert month_row(db, 0, "document") == (total_before[0] + 1, total_before[1])
    agent.act(made["id"], "take", "", None)
    assert month_row(db, 1, "document")[1] == before[1]                      # taking in charge is no answer
    agent.act(made["id"], "answer", "Voici l'attestation.", None)
    agent.act(made["id"], "close", "", None)                                 # closing after answering: counted once
    assert month_row(db, 1, "document") == (before[0] + 1, before[1] + 1)
    assert month_row(db, 0, "document")[1] == total_before[1] + 1
    db.expire_all()
    assert db.get(PartnerRequest, made["id"]).answered_at is not None
    assert snapshot(db) == (statistics.rebuild(db) or snapshot(db))          # a recount from the requests agrees


def test_erasure_and_retention_keep_the_counts(as_, db, storage, monkeypatch):
    tech, agent = as_("tech_a"), as_("agent_999")
    person = insured(last=f"Compte-{tag()}", first="Zoé", birth="1991-04-05")
    erased = tech.submit("etude_dossier", "999", payload("etude_dossier", person), [upload("a.pdf", PDF)])
    agent.act(erased["id"], "take", "", None)
    agent.act(erased["id"], "reject", "Hors de notre ressort.", None)
    purged = tech.submit("document", "999", payload("document"), None)
    agent.act(purged["id"], "take", "", None)
    agent.act(purged["id"], "close", "", None)
    kept = snapshot(db)
    agent.personal_data_erase({"last_name": person["last_name"], "first_name": "Zoé", "birth_date": "1991-04-05"})
    monkeypatch.setenv("EP_REQUEST_RETENTION_DAYS", "1")
    assert retention.purge_finished(db, storage, now=utcnow() + timedelta(days=2)) >= 1
    db.expire_all()
    assert db.get(PartnerRequest, erased["id"]) is None and db.get(PartnerRequest, purged["id"]) is None
    assert snapshot(db) == kept                          # kept counts: nothing personal in them, nothing removed


def test_each_caller_reads_its_scope(as_, db):
    tech, agent = as_("tech_a"), as_("agent_999")
    made = tech.submit("rendez_vous", "999", payload("rendez_vous"), None)
    agent.act(made["id"], "take", "", None)
    agent.act(made["id"], "answer", "Rendez-vous fixé.", None)
    late = tech.submit("document", "999", payload("document"), None)
    late_998 = as_("tech_b").submit("document", "998", payload("document"), None)
    db.execute(sa.update(PartnerRequest).where(PartnerRequest.id.in_([late["id"], late_998["id"]]))
               .values(created_at=utcnow() - timedelta(days=20)))
    tally.rebuild(db.connection())               # backdated by hand: the backlog by day counted again
    db.commit()
    mine = statistics_of(as_, "agent_999")
    assert len(mine["months"]) == 12 and mine["months"][-1] == utcnow().strftime("%Y-%m")
    assert not mine["national"] and mine["late_after_days"] == 10
    by_partner = {g["id"]: g for g in mine["groups"]}
    assert by_partner[1]["name"] == "CCAS de Saint-Exemple" and by_partner[1]["filed"] >= 1
    assert mine["total"]["filed"] == sum(r["filed"] for r in mine["by_month"]) == sum(g["filed"] for g in mine["groups"])
    assert mine["total"]["median_hours"] is not None and mine["total"]["p90_hours"] >= mine["total"]["median_hours"]
    assert mine["total"]["overdue"] >= 1 and by_partner[1]["overdue"] >= 1    # past the caisse's 10 days
    assert statistics_of(as_, "agent_998")["total"]["filed"] < mine["total"]["filed"]
    everyone = statistics_of(as_, "admin", [{"code": "999", "name": "CPAM de Valfleuri"}], months=3)
    assert everyone["national"] and len(everyone["months"]) == 3
    by_caisse = {g["id"]: g for g in everyone["groups"]}
    assert by_caisse["999"]["name"] == "CPAM de Valfleuri"
    assert by_caisse["999"]["overdue"] == mine["total"]["overdue"]          # the same count, read for every caisse
    db.execute(sa.update(CaisseSetting).where(CaisseSetting.caisse_code == "998").values(late_after_days=30))
    db.commit()
    assert by_caisse["998"]["overdue"] >= 1
    assert statistics_of(as_, "admin", [], months=3)["total"]["overdue"] == \
        everyone["total"]["overdue"] - by_caisse["998"]["overdue"]             # 20 days: not late under 30
    for role in ("tech_a", "gest_a"):
        with pytest.raises(NotAuthorized):
            as_(role).request_statistics(12)


def test_statistics_read_the_aggregates_not_the_requests(as_, db):
    """A month counted in the table is reported even though no request of it exists (kept counts)."""
    old = (utcnow().replace(day=1) - timedelta(days=40)).strftime("%Y-%m")
    statistics._count_month(db, "999", old, 1, "signalement", filed=7, answered=3)
    for hours in (2, 30, 200):
        counters.bump(db, RequestDelayStat, {"caisse_code": "999", "month": old, "kind": "signalement",
                                                "bucket": statistics.bucket_of(hours)}, answered=1)
    db.commit()
    shown = {m["month"]: m for m in statistics_of(as_, "agent_999", months=6)["by_month"]}
    assert shown[old]["filed"] >= 7 and shown[old]["by_kind"]["signalement"] >= 7 and shown[old]["answered"] >= 3
    assert shown[old]["median_hours"] is not None


def test_the_page_reads_the_aggregates_from_covering_indexes(db):
    """The statistics page's reads of the caisses' monthly totals and of the delay histograms can be answered
    from an index alone (migration 0025): read from the table, they went row by row among every partner's rows
    and the page grew with them (bench.statistics_scale 1.35 on SQLite, 1.52 on PostgreSQL -> 1.18). On both
    databases every column these statements name is in one index; SQLite's plan also says it uses it
    (PostgreSQL's choice depends on its statistics and visibility map)."""
    read = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if "request_month_stat" in statement or "request_delay_stat" in statement:
            read.append((statement, parameters))

    engine = db.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for who in ({"profile": "agent_caisse", "caisse_code": "999", "id": 1}, {"profile": "admin_national", "id": 2}):
            statistics.request_statistics(db, who)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len(read) == 8                     # by month and kind, by group, two histograms; agent and national
    inspector = sa.inspect(engine)
    covered = [(statement, parameters, table) for statement, parameters in read
               for table in ("request_delay_stat", "request_month_stat")
               if table in statement and (table == "request_delay_stat" or f"{table}.partner_id = " in statement)]
    assert len(covered) == 6                  # the histograms (4) and the national totals (2)
    for statement, parameters, table in covered:
        named = set(re.findall(rf"{table}\.(\w+)", statement))
        assert any(named <= set(index["column_names"]) for index in inspector.get_indexes(table)), statement
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                plan = " ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                                                              parameters))
            assert "COVERING INDEX" in plan, (statement, plan)


def test_queue_export_has_the_queue_filters_and_scope(as_, db):
    tech = as_("tech_a")
    name = f"Export-{tag()}"
    mine = tech.submit("document", "999", payload("document", insured(last=name)), None)
    tech.submit("etude_dossier", "999", payload("etude_dossier", insured(last=name)), None)
    agent = as_("agent_999")
    found = agent.export_queue({"q": name, "kind": "document"})
    assert [r["reference"] for r in found["rows"]] == [mine["reference"]] and not found["truncated"]
    assert found["limit"] == statistics.EXPORT_MAX
    assert as_("agent_998").export_queue({"q": name})["rows"] == []           # another caisse's: absent
    for role in ("tech_a", "admin"):
        with pytest.raises(NotAuthorized):
            as_(role).export_queue({})


def test_archive_lists_files_and_is_the_caisse_s_only(as_, db):
    tech = as_("tech_a")
    made = tech.submit("document", "999", payload("document"), [upload("justificatif.pdf", PDF)])
    as_("agent_999").act(made["id"], "take", "", None)
    archived = as_("agent_999").request_archive(made["id"])
    assert archived["reference"] == made["reference"] and len(archived["timeline"]) == 2
    assert archived["timeline"][0]["attachments"] == [{"filename": "justificatif.pdf", "size": len(PDF),
                                                       "direction": "in"}]
    assert "actions" not in archived and "content_b64" not in str(archived)
    assert as_("admin").request_archive(made["id"])["reference"] == made["reference"]
    with pytest.raises(NotFound):
        as_("agent_998").request_archive(made["id"])
    with pytest.raises(NotFound):
        as_("admin").request_archive(10 ** 9)
    for role in ("tech_a", "gest_a"):
        with pytest.raises(NotAuthorized):
            as_(role).request_archive(made["id"])


def test_nothing_nir_shaped_leaves_in_an_archive():
    nir = "2 84 05 75 123 456 72"
    assert statistics._no_nir({"a": [nir, "Bonjour"], "b": 3}) == {"a": [statistics.NIR_HIDDEN, "Bonjour"], "b": 3}


def late_by_partner(db, days: int) -> dict:
    """The overdue count read from the requests themselves (the definition), to compare with the tally."""
    db.expire_all()
    return dict(db.execute(sa.select(PartnerRequest.partner_id, sa.func.count())
                           .where(PartnerRequest.caisse_code == "999", caisse_settings.late_clause(days))
                           .group_by(PartnerRequest.partner_id)).all())


def test_overdue_from_the_backlog_by_day_equals_a_count_of_the_requests(as_, db, storage):
    """Days wholly past the delay come from request_open_day, the day the delay ends in from the requests: on
    either side of the cutoff, through taking, answering and erasure, the two agree with a count of the requests."""
    tech, agent = as_("tech_a"), as_("agent_999")
    days = caisse_settings.late_after_days(db, "999")
    cutoff = caisse_settings.late_cutoff(days)
    ages = [cutoff - timedelta(minutes=1), cutoff + timedelta(minutes=1), cutoff - timedelta(hours=30),
            cutoff - timedelta(days=3), cutoff - timedelta(days=3), cutoff + timedelta(days=2), utcnow()]
    made = [tech.submit("document", "999", payload("document"), None)["id"] for _ in ages]
    for request_id, at in zip(made, ages):
        db.execute(sa.update(PartnerRequest).where(PartnerRequest.id == request_id).values(created_at=at))
    tally.rebuild(db.connection())                # backdated by hand: counted again, as the migration does
    db.commit()
    assert tally.late(db, days, lambda c: c == "999", "partner_id") == late_by_partner(db, days)
    before = late_by_partner(db, days).get(1, 0)
    agent.act(made[0], "take", "", None)                        # still untreated: still late
    agent.act(made[3], "take", "", None)
    agent.act(made[3], "answer", "Voici l'attestation.", None)  # answered: no longer late
    agent.act(made[4], "take", "", None)
    agent.act(made[4], "close", "Sans suite.", None)
    assert late_by_partner(db, days)[1] == before - 2
    assert tally.late(db, days, lambda c: c == "999", "partner_id") == late_by_partner(db, days)
    from services.requests.personal_data import delete_requests

    delete_requests(db, [db.get(PartnerRequest, made[2])], storage)   # erased: neither late nor kept by day
    db.commit()
    assert late_by_partner(db, days)[1] == before - 3
    assert tally.late(db, days, lambda c: c == "999", "partner_id") == late_by_partner(db, days)
    assert statistics_of(as_, "agent_999")["total"]["overdue"] == sum(late_by_partner(db, days).values())
    # The caisse's total rows, read by the national page, hold the same count.
    assert tally.late(db, days, lambda c: c == "999", "caisse_code") == {"999": sum(late_by_partner(db, days).values())}


def test_rebuild_counts_answers_from_the_timelines(db):
    """The migration's backfill: requests answered before the tables existed get their first answer's date."""
    request = db.scalars(sa.select(PartnerRequest).where(PartnerRequest.status.in_(statistics.ANSWERED))).first()
    request.answered_at = None
    db.commit()
    statistics.rebuild(db)
    db.commit()
    db.expire_all()
    assert isinstance(db.get(PartnerRequest, request.id).answered_at, datetime)


def test_twenty_filings_then_twenty_answers_at_once_keep_every_count(db, clamd, storage):
    """Pushed: each call served at once by its own worker on its own database connection (as parallel requests
    are): the statistics and the home page's tallies equal a recount from the requests afterwards."""
    import eventlet
    from nameko.testing.services import worker_factory
    from sqlalchemy.orm import Session

    from contracts import identity
    from services.common.caller import CallerIdentity
    from services.conftest import WORKER_AUD
    from services.requests import tally
    from services.requests.models import RequestStatusTally, RequestTally
    from services.requests.scanning import ClamdScanner
    from services.requests.service import RequestsService
    from services.requests.tests.conftest import SECRET, WHO

    bind = db.get_bind()
    engine = sa.create_engine(bind.url, poolclass=sa.pool.NullPool,
                              connect_args={"timeout": 15} if bind.dialect.name == "sqlite" else {})

    def at_once(role, call, items):
        token = identity.sign(WHO[role], SECRET, WORKER_AUD)

        def one(item):
            own = Session(engine, expire_on_commit=False)
            try:
                worker = worker_factory(RequestsService, db=own, caller=CallerIdentity(token, SECRET, WORKER_AUD),
                                        scanner=ClamdScanner(socket_path=clamd.socket_path), storage=storage)
                worker.services.call.return_value = None
                return call(worker, item)
            finally:
                own.close()
        return list(eventlet.GreenPool(len(items)).imap(one, items))

    def kept():
        db.expire_all()
        return (snapshot(db),
                sorted((t.caisse_code, t.week, t.kind, t.status, t.count) for t in db.query(RequestTally) if t.count),
                sorted((t.caisse_code, t.status, t.count) for t in db.query(RequestStatusTally) if t.count),
                sorted((t.caisse_code, t.partner_id, t.day, t.count) for t in db.query(RequestOpenDay) if t.count))

    db.commit()
    filed_before, answered_before = month_row(db, 1, "document")
    made = at_once("tech_a", lambda w, _: w.submit("document", "999", payload("document"), None), [None] * TWENTY)
    at_once("agent_999", lambda w, request: (w.act(request["id"], "take", "", None),
                                              w.act(request["id"], "answer", "Voici l'attestation.", None)), made)
    engine.dispose()
    assert month_row(db, 1, "document") == (filed_before + TWENTY, answered_before + TWENTY)
    counted = kept()
    statistics.rebuild(db)
    tally.rebuild(db.connection())
    db.commit()
    assert kept() == counted                          # nothing lost to a concurrent update, nothing counted twice


TWENTY = 20
