"""Numbered schema steps: a store made by release 0.1.0 opens, upgraded, with its data.

``RELEASE_0_1_0`` is the SQLite schema that release wrote (frozen here on purpose: the test
must keep building the old file however the current schema grows).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from wac_toolkit.protocol.models import LogRecord
from wac_toolkit.store import LogQuery, open_store
from wac_toolkit.store.migrations import STEPS, latest

RELEASE_0_1_0 = """
CREATE TABLE devices (sn TEXT PRIMARY KEY, modelname TEXT, firmware TEXT, devinfo TEXT,
    remote TEXT, first_seen INTEGER, last_seen INTEGER);
CREATE TABLE logs (id INTEGER PRIMARY KEY, sn TEXT NOT NULL, enrollid INTEGER, name TEXT,
    time TEXT NOT NULL, time_raw TEXT, mode INTEGER, inout INTEGER, event INTEGER, temp REAL,
    verifymode INTEGER, logindex INTEGER, received_at INTEGER NOT NULL,
    has_image INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX logs_natural_key ON logs (
    sn, ifnull(enrollid, -1), time, ifnull(mode, -1), ifnull(inout, -1), ifnull(event, -1));
CREATE INDEX logs_time ON logs (time);
CREATE TABLE log_images (log_id INTEGER PRIMARY KEY REFERENCES logs (id) ON DELETE CASCADE,
    image BLOB NOT NULL);
CREATE TABLE credentials (sn TEXT NOT NULL, enrollid INTEGER NOT NULL,
    backupnum INTEGER NOT NULL, name TEXT, admin INTEGER NOT NULL DEFAULT 0, record TEXT,
    record_is_number INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL,
    PRIMARY KEY (sn, enrollid, backupnum));
INSERT INTO devices VALUES ('OLD1', 'M1', '1.0', '{"modelname": "M1"}', '10.0.0.9:1', 1, 2);
INSERT INTO logs (sn, enrollid, name, time, mode, inout, event, received_at)
    VALUES ('OLD1', 7, 'Ann', '2025-07-01 08:00:00', 0, 0, 0, 1);
INSERT INTO credentials VALUES ('OLD1', 7, 11, 'Ann', 0, '0012', 0, 1);
"""

MAIN_BEFORE_STEPS = """
CREATE TABLE devices (sn TEXT PRIMARY KEY, modelname TEXT, firmware TEXT, devinfo TEXT,
    remote TEXT, first_seen INTEGER, last_seen INTEGER,
    state TEXT NOT NULL DEFAULT 'pending', identity TEXT);
CREATE TABLE logs (id INTEGER PRIMARY KEY, sn TEXT NOT NULL, enrollid INTEGER, name TEXT,
    time TEXT NOT NULL, time_raw TEXT, mode INTEGER, inout INTEGER, event INTEGER, temp REAL,
    verifymode INTEGER, logindex INTEGER, received_at INTEGER NOT NULL,
    has_image INTEGER NOT NULL DEFAULT 0, pending INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX logs_natural_key ON logs (
    sn, ifnull(enrollid, -1), time, ifnull(mode, -1), ifnull(inout, -1), ifnull(event, -1));
CREATE INDEX logs_time ON logs (time);
CREATE TABLE log_images (log_id INTEGER PRIMARY KEY REFERENCES logs (id) ON DELETE CASCADE,
    image BLOB NOT NULL);
CREATE TABLE credentials (sn TEXT NOT NULL, enrollid INTEGER NOT NULL,
    backupnum INTEGER NOT NULL, name TEXT, admin INTEGER NOT NULL DEFAULT 0, record TEXT,
    record_is_number INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL,
    PRIMARY KEY (sn, enrollid, backupnum));
CREATE TABLE quarantine (id INTEGER PRIMARY KEY, sn TEXT NOT NULL, cmd TEXT NOT NULL,
    reason TEXT NOT NULL, raw TEXT NOT NULL, received_at INTEGER NOT NULL);
CREATE UNIQUE INDEX quarantine_once ON quarantine (sn, cmd, raw);
CREATE TABLE roster_conflicts (id INTEGER PRIMARY KEY, sn TEXT NOT NULL,
    enrollid INTEGER NOT NULL, backupnum INTEGER NOT NULL, record TEXT NOT NULL, name TEXT,
    first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, count INTEGER NOT NULL DEFAULT 1,
    UNIQUE (sn, enrollid, backupnum, record));
INSERT INTO devices VALUES ('ADOPT', 'M1', '1.0', '{}', NULL, 1, 2, 'adopted',
    '{"cpusn": "C1"}');
INSERT INTO devices VALUES ('PEND', 'M1', '1.0', '{}', NULL, 1, 3, 'pending', NULL);
INSERT INTO devices VALUES ('BLOCK', 'M1', '1.0', '{}', NULL, 1, 4, 'blocked', NULL);
INSERT INTO logs (sn, enrollid, time, received_at, pending)
    VALUES ('ADOPT', 7, '2025-07-01 08:00:00', 1, 0), ('PEND', 8, '2025-07-01 08:00:00', 1, 1);
INSERT INTO quarantine (sn, cmd, reason, raw, received_at)
    VALUES ('PEND', 'sendlog', 'no time', '{}', 1);
"""
"""A store made by main's code between the trust and fault work and numbered steps: the
trust columns, quarantine and conflicts were made by unnumbered ``IF NOT EXISTS``/ALTERs."""

AT = datetime(2025, 8, 1, 6, 0, tzinfo=UTC)
KEY = {"mode": 0, "inout": 0, "event": 0}


def test_steps_are_numbered_without_gaps_and_named():
    assert [s.version for s in STEPS] == list(range(1, latest() + 1))
    assert all(s.name and s.sqlite and s.postgres for s in STEPS)


async def test_a_release_0_1_0_sqlite_file_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(RELEASE_0_1_0)
    with open_store(path) as store:
        assert store.schema_version() == latest()
        assert [d["sn"] for d in store.devices()] == ["OLD1"]
        assert store.device_states() == {"OLD1": ("adopted", None)}  # it was serving
        assert store.credentials("OLD1")[0].record == "0012"
        old = LogRecord.from_wire({"enrollid": 7, "time": "2025-07-01 08:00:00", **KEY})
        new = LogRecord.from_wire({"enrollid": 7, "time": "2025-07-02 08:00:00", **KEY})
        assert await store.ingest_logs("OLD1", [old, new], logindex=2, received_at=AT) == [1]
        assert [r[4] for r in store.fetch_logs(LogQuery())] == [
            "2025-07-01 08:00:00", "2025-07-02 08:00:00",
        ]  # fmt: skip
    with sqlite3.connect(path) as db:
        versions = [v for (v,) in db.execute("SELECT version FROM schema_version ORDER BY 1")]
        indexes = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        key = [c for (_, _, c) in db.execute("PRAGMA index_info(logs_natural_key)")]
    assert versions == list(range(1, latest() + 1))
    # step 2 added logs_sn_time, step 10 replaced it by the duplicate key led by (sn, time)
    assert "logs_sn_time" not in indexes and key[:2] == ["sn", "time"]
    with open_store(path) as store:  # opening again applies nothing twice
        assert store.schema_version() == latest() and store.count_logs() == 2


async def test_a_postgresql_database_at_step_1_is_upgraded(pg_cluster, pg_dsn):
    dbname = pg_dsn.rsplit("/", 1)[1]
    pg_cluster.psql(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at BIGINT NOT NULL);"
        + STEPS[0].postgres
        + "INSERT INTO schema_version VALUES (1, 'baseline', 0);"
        " INSERT INTO logs (sn, enrollid, time, mode, inout, event, received_at)"
        " VALUES ('OLD1', 7, '2025-07-01 08:00:00', 0, 0, 0, 1);",
        dbname,
    )
    with open_store(pg_dsn) as store:
        assert store.schema_version() == latest()
        old = LogRecord.from_wire({"enrollid": 7, "time": "2025-07-01 08:00:00", **KEY})
        assert await store.ingest_logs("OLD1", [old], logindex=1, received_at=AT) == []
    indexes = pg_cluster.psql(
        "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE tablename = 'logs'", dbname
    )
    assert "logs_sn_time" not in indexes.split()  # step 10: the key led by (sn, time) serves
    assert 'logs_natural_key ON public.logs USING btree (sn, "time",' in indexes


async def test_a_store_made_before_numbered_steps_keeps_terminal_states(tmp_path):
    path = tmp_path / "main.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(MAIN_BEFORE_STEPS)
    with open_store(path) as store:
        assert store.schema_version() == latest()
        assert store.device_states() == {
            "ADOPT": ("adopted", {"cpusn": "C1"}), "PEND": ("pending", None),
            "BLOCK": ("blocked", None),
        }  # fmt: skip
        assert [r[1] for r in store.fetch_logs(LogQuery())] == ["ADOPT"]
        assert len(store.fetch_logs(LogQuery(include_pending=True))) == 2
        assert store.quarantine_count() == 1
        assert await store.quarantine_frame("PEND", "sendlog", [("no time", "{}")]) == 0


async def test_a_postgresql_database_at_step_5_marks_its_terminals_adopted(pg_cluster, pg_dsn):
    """A database made before trust (the first PostgreSQL store): every terminal in it was
    serving, so it stays served (adopted), as on SQLite."""
    dbname = pg_dsn.rsplit("/", 1)[1]
    before = "".join(s.postgres + ";" for s in STEPS[:5])
    pg_cluster.psql(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at BIGINT NOT NULL);"
        + before
        + "INSERT INTO schema_version SELECT g, 'old', 0 FROM generate_series(1, 5) g;"
        " INSERT INTO devices (sn, modelname) VALUES ('OLD1', 'M1');"
        " INSERT INTO logs (sn, enrollid, time, mode, inout, event, received_at)"
        " VALUES ('OLD1', 7, '2025-07-01 08:00:00', 0, 0, 0, 1);",
        dbname,
    )
    with open_store(pg_dsn) as store:
        assert store.schema_version() == latest()
        assert store.device_states() == {"OLD1": ("adopted", None)}
        assert len(store.fetch_logs(LogQuery())) == 1  # not pending
        assert store.quarantine_count() == 0


def test_gateways_starting_together_apply_each_step_once(backend):
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: open_store(backend), range(4)))
    try:
        assert {s.schema_version() for s in stores} == {latest()}
    finally:
        for s in stores:
            s.close()


ROSTER_QUEUE_BEFORE_TAKEN = """
CREATE TABLE roster_queue (id INTEGER PRIMARY KEY AUTOINCREMENT, sn TEXT NOT NULL,
    kind TEXT NOT NULL, enrollid INTEGER NOT NULL, backupnum INTEGER, enabled INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    created_at INTEGER NOT NULL);
INSERT INTO roster_queue (sn, kind, enrollid, backupnum, created_at)
    VALUES ('DOOR', 'setuserinfo', 7, 10, 1);
"""
"""The queue as the roster made it itself before steps were marked in flight: step 3's
``CREATE TABLE IF NOT EXISTS`` leaves such a table as it is."""


async def test_a_queue_made_before_steps_were_marked_in_flight_gets_the_column(tmp_path):
    path = tmp_path / "queue.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(MAIN_BEFORE_STEPS + ROSTER_QUEUE_BEFORE_TAKEN)
    with open_store(path) as store:
        assert store.schema_version() == latest()
        step, _ = await store.roster_write(lambda tx: tx.take_step("DOOR", 5, "gateway"))
        assert step is not None and (step.kind, step.enrollid, step.backupnum) == (
            "setuserinfo", 7, 10,
        )  # fmt: skip
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT taken FROM roster_queue").fetchall() == [("gateway",)]
        [(name,)] = db.execute("SELECT name FROM schema_version WHERE version = 9").fetchall()
    assert "taken" in name


async def test_a_store_of_the_previous_schema_is_upgraded_with_its_queue(backend):
    """A store at step 8 (the release before ``taken`` had its own step) on either backend:
    opening it applies steps 9 and 10 once and the queued steps are taken as before."""
    with open_store(backend) as store:
        await store.roster_write(
            lambda tx: tx.queue_steps("DOOR", [("deleteuser", 7, 13, None)], 1)
        )
    _set_version(backend, 8)
    with open_store(backend) as store:
        assert store.schema_version() == latest() == 10
        step, _ = await store.roster_write(lambda tx: tx.take_step("DOOR", 5, "gateway"))
        assert step is not None and step.kind == "deleteuser"
    with open_store(backend) as store:  # nothing applied twice
        assert store.schema_version() == 10
        assert store.roster_read(lambda tx: tx.pending_rows())[0][2] == "deleteuser"


def _set_version(backend: str, version: int) -> None:
    """Forget the steps above ``version``, as a store of that release would have it."""
    if "://" not in backend:
        with sqlite3.connect(backend) as db:
            db.execute("DELETE FROM schema_version WHERE version > ?", (version,))
        return
    import psycopg

    with psycopg.connect(backend, autocommit=True) as db:
        db.execute("DELETE FROM schema_version WHERE version > %s", (version,))
