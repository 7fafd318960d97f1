"""The schema's history: a database written by the first release is upgraded without losing
a row, the migrations arrive exactly at hall.models, and a database written by a newer
release is refused with a message."""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect, text

from hall import migrations
from hall.db import make_engine
from hall.errors import SchemaTooNew
from hall.migrations import runner
from hall.models import Base
from hall.queue import QueueEngine
from hall.ratings import cases, figures, records
from hall.ratings.terms import CaseStep, Channel, Grouping
from tests.conftest import OPEN_MORNING, ROOT
from tests.hall.conftest import _plain
from tests.hall.ratings.by_hand import as_kept, counted_by_hand, hand_figures, kept_totals
from tests.hall.ratings.month import month, serve

RELEASE_DB = ROOT / "tests" / "hall" / "data" / "release-0.1.db"  # written by release 0.1's engine
RELEASE_TABLES = ("tickets", "ticket_sequences", "counters", "ticket_events", "device_status")


def release_rows() -> dict[str, list[tuple]]:
    with sqlite3.connect(RELEASE_DB) as con:
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in RELEASE_TABLES}


def as_release_rows(url: str) -> dict[str, list[tuple]]:
    """The upgraded database's rows in the release's columns, as SQLite text, for comparison."""
    columns = {"ticket_events": "id, ticket_id, kind, counter, at, detail"}
    tables = {"ticket_events": "events"}
    engine = create_engine(url)
    out = {}
    with engine.connect() as con:
        for table in RELEASE_TABLES:
            rows = con.execute(text(f"select {columns.get(table, '*')} from {tables.get(table, table)}")).all()
            out[table] = sorted((tuple(map(_plain, row)) for row in rows), key=repr)
    engine.dispose()
    return out


def load_release_into_postgres(url: str) -> None:
    """The first release's schema (revision 0001, with no revision stamped, as that release
    left it) filled with the release file's rows."""
    engine = create_engine(url)
    with engine.begin() as con:
        command.upgrade(runner.config(con), migrations.BASELINE)
        con.execute(text("drop table alembic_version"))
    source = create_engine(f"sqlite:///{RELEASE_DB}")
    meta = MetaData()
    meta.reflect(engine)
    with source.connect() as src, engine.begin() as dst:
        for table in RELEASE_TABLES:
            rows = [dict(r._mapping) for r in src.execute(text(f"select * from {table}"))]
            for row in rows:
                if "paused" in row:
                    row["paused"] = bool(row["paused"])
            dst.execute(meta.tables[table].insert(), rows)
        dst.execute(text("select setval('tickets_id_seq', (select max(id) from tickets))"))
        dst.execute(text("select setval('ticket_events_id_seq', (select max(id) from ticket_events))"))
    source.dispose()
    engine.dispose()


@pytest.fixture
def release_url(db_url, tmp_path) -> str:
    if db_url.startswith("sqlite"):
        copy = tmp_path / "release.db"
        shutil.copy(RELEASE_DB, copy)
        return f"sqlite:///{copy}"
    load_release_into_postgres(db_url)
    return db_url


def test_a_first_release_database_is_upgraded_and_keeps_every_row(release_url, spec, clock):
    before = release_rows()
    assert len(before["tickets"]) == 60 and len(before["ticket_events"]) == 122
    engine = QueueEngine(spec, release_url, clock=clock)
    try:
        assert as_release_rows(release_url) == before
        probe = create_engine(release_url)
        with probe.connect() as con:
            assert con.execute(text("select version_num from alembic_version")).scalar() == migrations.HEAD
            hall_ids = {h for (h,) in con.execute(text("select distinct hall_id from events"))}
            first = con.execute(text("select payload from events order by id limit 1")).scalar()
        probe.dispose()
        assert hall_ids == {"chengguan"}
        assert json.loads(first)["ticket"]["number"] == "A001"
        # The hall goes on from where the release left it.
        assert engine.counter_state("3").current is not None
        clock.now = OPEN_MORNING
        last_a = max(int(n[1:]) for (_i, _h, day, _s, _svc, p, _q, n, *_rest) in before["tickets"]
                     if p == "A" and day == "2026-11-25")
        assert engine.issue_ticket("social_security").number == f"A{last_a + 1:03d}"
    finally:
        engine.close()


def test_the_baseline_revision_is_the_first_release_schema(tmp_path):
    fresh = create_engine(f"sqlite:///{tmp_path / 'baseline.db'}")
    with fresh.begin() as con:
        command.upgrade(runner.config(con), migrations.BASELINE)
    release = create_engine(f"sqlite:///{RELEASE_DB}")

    def shape(engine):
        found = inspect(engine)
        return {t: ([(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(t)],
                    found.get_pk_constraint(t)["constrained_columns"],
                    sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(t)),
                    sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(t)),
                    sorted((tuple(f["constrained_columns"]), f["referred_table"]) for f in found.get_foreign_keys(t)))
                for t in RELEASE_TABLES}
    try:
        assert shape(fresh) == shape(release)
    finally:
        fresh.dispose()
        release.dispose()


def test_the_migrations_arrive_exactly_at_the_models(db_url):
    engine = create_engine(db_url)
    try:
        with engine.begin() as con:
            command.upgrade(runner.config(con), "head")
        with engine.connect() as con:
            differences = compare_metadata(MigrationContext.configure(con, opts={"compare_type": True}),
                                           Base.metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_head_names_the_last_script():
    assert migrations.HEAD == runner.head()


def test_a_database_of_a_newer_release_is_refused(db_url, tmp_path):
    make_engine(db_url).dispose()
    engine = create_engine(db_url)
    with engine.begin() as con:
        con.execute(text("update alembic_version set version_num = '0099'"))
    engine.dispose()
    with pytest.raises(SchemaTooNew, match="'0099', written by a newer release"):
        make_engine(db_url)
    result = subprocess.run([sys.executable, "-m", "hall", "serve", "--database", db_url, "--port", "0"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "newer release of hall-kiosk" in result.stderr


def test_the_previous_releases_person_hashes_and_request_digests_are_cleared_and_its_tickets_kept(
        release_url, spec, clock):
    """The previous release keyed person hashes from the hall's secret in its own database, and
    its idempotency keys' digests were made over them: both go; every ticket stays, and the
    secret too (it signs the tickets' links)."""
    old = create_engine(release_url)
    with old.begin() as con:
        runner.stamp(con, migrations.BASELINE)
        command.upgrade(runner.config(con), "0004")
        con.execute(text("update tickets set person_hash = :h where number like 'A%'"), {"h": "ab" * 32})
        con.execute(text("insert into idempotency_keys (hall_id, principal, key, fingerprint, answer, at) "
                         "values ('chengguan', 'device:kiosk-01', 'ticket-0001', :f, '{}', :at)"),
                    {"f": "cd" * 32, "at": OPEN_MORNING.replace(tzinfo=None)})
        con.execute(text("insert into hall_secrets (hall_id, name, value) values ('chengguan', 'signing', :v)"),
                    {"v": "ef" * 32})
        secrets = con.execute(text("select hall_id, name, value from hall_secrets")).all()
    old.dispose()
    engine = QueueEngine(spec, release_url, clock=clock)
    try:
        assert as_release_rows(release_url) == release_rows()  # the release's rows held no hashes
        probe = create_engine(release_url)
        with probe.connect() as con:
            assert con.execute(text("select count(*) from tickets where person_hash is not null")).scalar() == 0
            assert con.execute(text("select count(*) from idempotency_keys")).scalar() == 0
            assert con.execute(text("select hall_id, name, value from hall_secrets")).all() == secrets
        probe.dispose()
    finally:
        engine.close()


def test_a_database_of_the_previous_release_gets_ratings_and_keeps_its_tickets(release_url, spec, clock):
    """A hall at revision 0004 (the release before ratings), a counter terminal registered:
    upgraded, its tickets stay, its terminal is bound to no counter yet, and a transaction it
    completed can still be rated late."""
    engine = create_engine(release_url)
    with engine.begin() as con:
        runner.stamp(con, migrations.BASELINE)
        command.upgrade(runner.config(con), "0004")
        con.execute(text("insert into devices (hall_id, device_id, kind, token_hash, created_at, offline) "
                         "values ('chengguan', 'counter-03', 'counter', :digest, '2026-11-24 08:00:00', false)"),
                    {"digest": "0" * 64})
        completed = con.execute(text("select id from tickets where status = 'completed' and day = '2026-11-25' "
                                     "order by id limit 1")).scalar()
    engine.dispose()
    before = release_rows()
    hall = QueueEngine(spec, release_url, clock=clock)
    try:
        assert as_release_rows(release_url) == before
        probe = create_engine(release_url)
        with probe.connect() as con:
            assert con.execute(text("select version_num from alembic_version")).scalar() == migrations.HEAD == "0018"
            assert con.execute(text("select counters from devices")).all() == [("",)]
            assert con.execute(text("select count(*) from served_tickets")).scalar() == 0
        probe.dispose()
        with hall.transaction() as session:
            rating = records.rate(session, spec=spec, ticket_id=completed, level=4, reasons=[], comment="",
                                  channel=Channel.KIOSK, identified=False, now=clock())
            assert (rating.ticket_id, rating.staff_job_no, rating.counter) == (completed, None, "1")
    finally:
        hall.close()


def test_failed_logins_are_kept_when_they_come_to_be_counted_per_source(db_url):
    """0005 keys the failures by source too: a row of 0004 keeps its count under the source
    '' (no client's), with its block as its last failure, to be forgotten like the others."""
    engine = create_engine(db_url)
    row = {"hall": "chengguan", "job": "1001", "failures": 5, "until": "2026-11-25 01:15:00.000000"}
    try:
        with engine.begin() as con:
            command.upgrade(runner.config(con), "0004")
            con.execute(text("insert into login_failures (hall_id, job_no, failures, blocked_until) "
                             "values (:hall, :job, :failures, :until)"), row)
            con.execute(text("insert into login_failures (hall_id, job_no, failures) values (:hall, '9', 1)"), row)
        with engine.begin() as con:
            command.upgrade(runner.config(con), "head")
        with engine.connect() as con:
            rows = sorted(tuple(map(_plain, r)) for r in con.execute(text(
                "select hall_id, source, job_no, failures, blocked_until, last_failed_at from login_failures")))
    finally:
        engine.dispose()
    assert rows[0] == ("chengguan", "", "1001", 5, row["until"], row["until"])
    assert rows[1][:5] == ("chengguan", "", "9", 1, None) and rows[1][5] is not None


def test_a_database_with_ratings_gets_its_totals_counted_from_its_transactions(db_url, spec, clock):
    """A hall at 0007 with a month of transactions, ratings, prompts ended and an appeal
    upheld: 0008 counts the daily totals from those rows, the figures come out the same as the
    rows counted by hand, and the writes go on adding to them."""
    days = [date(2026, 11, 24), date(2026, 11, 25)]
    engine = QueueEngine(spec, db_url, clock=clock)
    try:
        done = month(engine, clock, days=days, per_day=2)
        done.append(serve(engine, clock, day=days[-1], at=(15, 0), counter="7", service="taxation", job_no="0701",
                          wait=12, service_minutes=6, level=1, reasons=("slow",)))
        with engine.transaction() as session:
            records.end_prompts(session, spec=spec, now=clock() + timedelta(minutes=5))
            [first, *_] = cases.cases(session, spec=spec, now=clock(), unfinished=True)
            for step in (CaseStep.APPEAL, CaseStep.REVIEW, CaseStep.UPHOLD):
                cases.take_step(session, spec=spec, case_id=first.case.id, step=step, note="复核", job_no="9001",
                                now=clock())
    finally:
        engine.close()
    old = create_engine(db_url)
    with old.begin() as con:   # as revision 0007 left it: the same rows, no totals (nor what came after it)
        con.execute(text("alter table devices drop column location"))
        for table in ("matter_notices", "matter_steps", "matter_sequences", "matter_cases"):
            con.execute(text(f"drop table {table}"))
        con.execute(text("drop index ix_event_kind"))
        con.execute(text("drop index ix_rating_day"))
        con.execute(text("alter table ratings drop column day"))
        for table in ("uplink_counters", "uplink_cases", "region_supervisors", "uplink_devices", "uplink_days",
                      "uplink_tickets", "uplink_events", "uplink_halls", "regions", "uplink_state"):
            con.execute(text(f"drop table {table}"))
        con.execute(text("drop table display_notices"))
        con.execute(text("drop table staff_photos"))
        con.execute(text("alter table staff drop column post"))
        con.execute(text("alter table staff drop column department"))
        con.execute(text("drop table rating_totals"))
        con.execute(text("drop table duration_totals"))
        con.execute(text("drop index ix_case_open"))
        con.execute(text("drop index ix_served_phone"))
        con.execute(text("update alembic_version set version_num = '0007'"))
    old.dispose()
    engine = QueueEngine(spec, db_url, clock=clock)
    try:
        with engine.reading() as session:
            counted = counted_by_hand(session, spec)
            assert kept_totals(session) == as_kept(counted)
            got = {f.key: (f.transactions, f.rated, f.not_rated, f.satisfied, f.bad, f.below_threshold)
                   for f in figures.figures(session, spec=spec, by=Grouping.STAFF, start=days[0], end=days[-1])}
        assert got == hand_figures(counted[0], Grouping.STAFF, spec.ratings.satisfaction_threshold)
        assert sum(c.get("set_aside", 0) for c in counted[0].values()) == 1
        assert sum(sum(c.values()) for c in counted[0].values()) == len(done)
        serve(engine, clock, day=days[-1], at=(16, 0), counter="3", service="household", job_no="0301", wait=5,
              service_minutes=2, level=4)
        with engine.reading() as session:
            assert kept_totals(session) == as_kept(counted_by_hand(session, spec))
    finally:
        engine.close()
