"""Numbered schema steps for both stores, and the runner that applies the missing ones.

A store records the steps it has in ``schema_version`` (one row per applied step). Opening a
store applies, in order and in one transaction, every step above its highest number, so a
file or database made by an older release is upgraded in place and a newer one is left
alone. Step 1 is the schema of release 0.1.0, written with ``IF NOT EXISTS``: a store made
by that release (which had no ``schema_version``) already has it, and applying it again
changes nothing. Later steps change the schema; add a new step for every change, never edit
a released one.

Each step is written once per dialect, side by side, so a reviewer sees that SQLite and
PostgreSQL stay equal: the same tables, columns, duplicate key and indexes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["STEPS", "Step", "latest", "pending", "split", "upgrade_sqlite"]


@dataclass(frozen=True, slots=True)
class Step:
    """One schema change: its number, a name for people, and its SQL in each dialect.

    Each is a script of ``;``-separated DDL statements, run inside the migration's
    transaction; ``sqlite`` may instead be a function run on the connection, for a change
    that depends on what the file already has (step 1 reads ``sqlite.SCHEMA`` lazily, which
    imports this module; steps 6 and 9 add columns a store of the unnumbered 0.2 development
    schema may already have).
    """

    version: int
    name: str
    sqlite: str | Callable[[Any], None]
    postgres: str


def _sqlite_baseline(db: Any) -> None:
    from .sqlite import SCHEMA

    for statement in split(SCHEMA):
        db.execute(statement)


def _sqlite_trust(db: Any) -> None:
    """Trust columns, for a store made before adoption existed.

    Terminals already in the store were serving before adoption existed: they are marked
    adopted (their identity is pinned from their stored ``reg`` at the next start), so an
    upgrade does not cut every door off the roster. Review them with ``wac terminals``.
    Stores made between the trust work and numbered steps have the columns already (they
    were added by an unnumbered upgrade): then the states they hold are kept as they are.
    """
    devices = {row[1] for row in db.execute("PRAGMA table_info(devices)")}
    if "state" not in devices:
        db.execute("ALTER TABLE devices ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'")
        db.execute("UPDATE devices SET state = 'adopted'")
        _warn_adopted(int(db.execute("SELECT count(*) FROM devices").fetchone()[0]))
    if "identity" not in devices:
        db.execute("ALTER TABLE devices ADD COLUMN identity TEXT")
    logs = {row[1] for row in db.execute("PRAGMA table_info(logs)")}
    if "pending" not in logs:
        db.execute("ALTER TABLE logs ADD COLUMN pending INTEGER NOT NULL DEFAULT 0")


def _warn_adopted(count: int) -> None:
    if count:
        log.warning(
            "store upgraded: %d terminal(s) already known are marked adopted; review them"
            " with `wac terminals`",
            count,
        )


def _sqlite_queue_taken(db: Any) -> None:
    """``roster_queue.taken`` (a step in flight, and whose) for a store whose queue was made by
    the roster itself before that column existed: step 3's ``IF NOT EXISTS`` kept that older
    table as it was. The roster used to add the column when it started; now this step does."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(roster_queue)")}
    if "taken" not in columns:
        db.execute("ALTER TABLE roster_queue ADD COLUMN taken TEXT")


_PG_TRUST = """
ALTER TABLE devices ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
UPDATE devices SET state = 'adopted';
ALTER TABLE devices ADD COLUMN identity TEXT;
ALTER TABLE logs ADD COLUMN pending SMALLINT NOT NULL DEFAULT 0
"""
"""Terminal trust on PostgreSQL: as :func:`_sqlite_trust` (a PostgreSQL store at step 5
never had the columns: every terminal in it was serving, so it is adopted)."""

_QUARANTINE = """
CREATE TABLE IF NOT EXISTS quarantine (
    id {serial},
    sn TEXT NOT NULL,
    cmd TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    received_at {int} NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS quarantine_once ON quarantine (sn, cmd, {raw})
"""
"""Unreadable items a terminal sent, kept once each (:mod:`wac_toolkit.quarantine`). On
PostgreSQL the key holds a digest of ``raw``: a B-tree entry cannot hold an oversized frame."""

_CONFLICTS = """
CREATE TABLE IF NOT EXISTS roster_conflicts (
    id {serial},
    sn TEXT NOT NULL,
    enrollid {int} NOT NULL,
    backupnum INTEGER NOT NULL,
    record TEXT NOT NULL,
    name TEXT,
    first_at {int} NOT NULL,
    last_at {int} NOT NULL,
    count INTEGER NOT NULL DEFAULT 1,
    UNIQUE (sn, enrollid, backupnum, record)
)
"""
"""Keypad enrolments that would have changed someone else's credential, kept for the
operator (:meth:`.roster_sql.RosterSQL.record_conflict`)."""

_PG_SERIAL = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"


_PG_BASELINE = """
CREATE TABLE IF NOT EXISTS devices (
    sn TEXT PRIMARY KEY,
    modelname TEXT,
    firmware TEXT,
    devinfo TEXT,
    remote TEXT,
    first_seen BIGINT,
    last_seen BIGINT
);
CREATE TABLE IF NOT EXISTS logs (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    sn TEXT NOT NULL,
    enrollid BIGINT,
    name TEXT,
    time TEXT COLLATE "C" NOT NULL,  -- byte order, as SQLite compares
    time_raw TEXT,
    mode INTEGER,
    inout INTEGER,
    event INTEGER,
    temp DOUBLE PRECISION,
    verifymode INTEGER,
    logindex BIGINT,
    received_at BIGINT NOT NULL,
    has_image SMALLINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS logs_natural_key ON logs (
    sn, coalesce(enrollid, -1), time, coalesce(mode, -1), coalesce(inout, -1),
    coalesce(event, -1)
);
CREATE INDEX IF NOT EXISTS logs_time ON logs (time);
CREATE TABLE IF NOT EXISTS log_images (
    log_id BIGINT PRIMARY KEY REFERENCES logs (id) ON DELETE CASCADE,
    image BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
    sn TEXT NOT NULL,
    enrollid BIGINT NOT NULL,
    backupnum INTEGER NOT NULL,
    name TEXT,
    admin INTEGER NOT NULL DEFAULT 0,
    record TEXT,
    record_is_number SMALLINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (sn, enrollid, backupnum)
);
"""

_ROSTER = """
CREATE TABLE IF NOT EXISTS roster_people (
    enrollid {int} PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    admin INTEGER NOT NULL DEFAULT 0,
    enabled INTEGER NOT NULL DEFAULT 1,
    valid_from TEXT{c},
    valid_until TEXT{c},
    removed INTEGER NOT NULL DEFAULT 0,
    source TEXT
);
CREATE TABLE IF NOT EXISTS roster_credentials (
    enrollid {int} NOT NULL,
    backupnum INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (enrollid, backupnum)
);
CREATE TABLE IF NOT EXISTS roster_assignments (
    enrollid {int} NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (enrollid, kind, name)
);
CREATE TABLE IF NOT EXISTS roster_groups (
    name TEXT NOT NULL,
    sn TEXT NOT NULL,
    PRIMARY KEY (name, sn)
);
CREATE TABLE IF NOT EXISTS roster_meta (key TEXT PRIMARY KEY, value {int} NOT NULL);
CREATE TABLE IF NOT EXISTS roster_planned (sn TEXT PRIMARY KEY, generation {int} NOT NULL);
CREATE TABLE IF NOT EXISTS roster_enabled (
    sn TEXT NOT NULL,
    enrollid {int} NOT NULL,
    enabled INTEGER NOT NULL,
    PRIMARY KEY (sn, enrollid)
);
CREATE TABLE IF NOT EXISTS roster_queue (
    id {serial},
    sn TEXT NOT NULL,
    kind TEXT NOT NULL,
    enrollid {int} NOT NULL,
    backupnum INTEGER,
    enabled INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at {int} NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at {int} NOT NULL,
    taken TEXT
);
CREATE INDEX IF NOT EXISTS roster_queue_order ON roster_queue (sn, id);
CREATE INDEX IF NOT EXISTS roster_queue_person ON roster_queue (enrollid);
CREATE TABLE IF NOT EXISTS roster_outcomes (
    id {outcome_id},
    sn TEXT NOT NULL,
    kind TEXT NOT NULL,
    enrollid {int} NOT NULL,
    backupnum INTEGER,
    enabled INTEGER,
    ok INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    reason TEXT,
    at {int} NOT NULL
);
"""
"""The roster's tables (:mod:`.roster_sql`).
Queue ids are never reused in either dialect (AUTOINCREMENT, an identity column)."""

_ROSTER_SQLITE = _ROSTER.format(
    int="INTEGER", c="", serial="INTEGER PRIMARY KEY AUTOINCREMENT",
    outcome_id="INTEGER PRIMARY KEY",
)  # fmt: skip
_ROSTER_PG = _ROSTER.format(
    int="BIGINT", c=' COLLATE "C"', serial="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    outcome_id="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
)  # fmt: skip

_PRESENCE = """
CREATE TABLE IF NOT EXISTS gateways (
    gateway TEXT PRIMARY KEY,
    started {int} NOT NULL,
    heartbeat {int} NOT NULL,
    expires {int} NOT NULL
);
CREATE TABLE IF NOT EXISTS presence (
    sn TEXT PRIMARY KEY,
    gateway TEXT NOT NULL,
    since {int} NOT NULL,
    expires {int} NOT NULL
);
CREATE INDEX IF NOT EXISTS presence_gateway ON presence (gateway);
"""
"""Leases: which gateway holds which terminal until when (UTC microseconds, the database's
clock), and each gateway's heartbeat. Only the PostgreSQL store uses them (one SQLite file
has one gateway); SQLite has the tables so both schemas stay the same."""

_COMMANDS = """
CREATE TABLE IF NOT EXISTS commands (
    id {serial},
    sn TEXT NOT NULL,
    gateway TEXT NOT NULL,
    cmd TEXT NOT NULL,
    fields TEXT NOT NULL,
    expect_reply INTEGER NOT NULL,
    timeout_ms {int} NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    reply TEXT,
    error_kind TEXT,
    error TEXT,
    created_at {int} NOT NULL
);
CREATE INDEX IF NOT EXISTS commands_queued ON commands (gateway, state, id);
"""
"""Commands routed to the gateway holding a terminal (``queued`` -> ``taken`` -> ``done`` or
``failed``); the sender reads the outcome and deletes the row."""

_LOGS_KEY = """
DROP INDEX IF EXISTS logs_sn_time;
DROP INDEX IF EXISTS logs_natural_key;
CREATE UNIQUE INDEX logs_natural_key ON logs (
    sn, time, {null}(enrollid, -1), {null}(mode, -1), {null}(inout, -1), {null}(event, -1)
)
"""
"""The duplicate key led by ``(sn, time)``, and ``logs_sn_time`` dropped: the same rows are
duplicates (same columns, NULL-safe), and every query ``logs_sn_time`` served (a terminal's
latest records, forget, adopt, the ``sn`` filter) is served by the key's first columns.

Why (bench/README.md): a terminal sends its records in time order with a different person
in each, so a key led by ``(sn, enrollid)`` put a frame's 100 rows on as many index pages
of that terminal (the writer journalled and wrote about 50 pages per frame); led by
``(sn, time)`` they land on one or two. With the third index gone, the SQLite writer's CPU
per frame fell by half. ``logs_time`` stays: ``Session.logs()`` orders by time and reads
time ranges across terminals."""

STEPS: tuple[Step, ...] = (
    Step(1, "release 0.1.0: devices, logs and their duplicate key, photos, credentials",
         _sqlite_baseline, _PG_BASELINE),
    Step(2, "logs by terminal and time (latest_records, per-terminal queries)",
         "CREATE INDEX IF NOT EXISTS logs_sn_time ON logs (sn, time);",
         "CREATE INDEX IF NOT EXISTS logs_sn_time ON logs (sn, time);"),
    Step(3, "the roster: people, credentials, assignments, groups, the sync queue, outcomes",
         _ROSTER_SQLITE, _ROSTER_PG),
    Step(4, "presence: which gateway holds which terminal (leases), gateway heartbeats",
         _PRESENCE.format(int="INTEGER"), _PRESENCE.format(int="BIGINT")),
    Step(5, "commands routed through the database to the gateway holding the terminal",
         _COMMANDS.format(int="INTEGER", serial="INTEGER PRIMARY KEY AUTOINCREMENT"),
         _COMMANDS.format(int="BIGINT",
                          serial="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")),
    Step(6, "terminal trust: devices.state and pinned identity, logs.pending (known ones adopted)",
         _sqlite_trust, _PG_TRUST),
    Step(7, "quarantine: unreadable items terminals sent, once each",
         _QUARANTINE.format(serial="INTEGER PRIMARY KEY", int="INTEGER", raw="raw"),
         _QUARANTINE.format(serial=_PG_SERIAL, int="BIGINT", raw="md5(raw)")),
    Step(8, "roster conflicts: keypad enrolments that clash with someone else's credential",
         _CONFLICTS.format(serial="INTEGER PRIMARY KEY", int="INTEGER"),
         _CONFLICTS.format(serial=_PG_SERIAL, int="BIGINT")),
    Step(9, "roster_queue.taken for queues made before steps were marked in flight",
         _sqlite_queue_taken, "ALTER TABLE roster_queue ADD COLUMN IF NOT EXISTS taken TEXT"),
    Step(10, "logs: duplicate key led by (sn, time), serving per-terminal queries; logs_sn_time"
         " dropped", _LOGS_KEY.format(null="ifnull"), _LOGS_KEY.format(null="coalesce")),
)  # fmt: skip
"""Every step, oldest first; numbers are 1, 2, 3, ... without gaps."""

assert [s.version for s in STEPS] == list(range(1, len(STEPS) + 1))

SQLITE_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
)
PG_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
)


def latest() -> int:
    """The schema version this release writes."""
    return STEPS[-1].version


def pending(current: int) -> list[Step]:
    """The steps a store at ``current`` still needs, oldest first."""
    return [s for s in STEPS if s.version > current]


def now_micros() -> int:
    return int(datetime.now(UTC).timestamp() * 1_000_000)


def upgrade_sqlite(db: Any) -> list[int]:
    """Bring a SQLite connection's schema to :func:`latest`; returns the steps applied.

    Runs in one ``BEGIN IMMEDIATE`` transaction, so two processes opening the same old file
    at once apply each step once (the second waits, then finds nothing to do). SQLite's DDL
    is transactional; ``executescript`` would commit, so scripts run statement by statement.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(SQLITE_VERSION_TABLE)
        row = db.execute("SELECT max(version) FROM schema_version").fetchone()
        current = int(row[0] or 0)
        applied = []
        for step in pending(current):
            if callable(step.sqlite):
                step.sqlite(db)
            else:
                for statement in split(step.sqlite):
                    db.execute(statement)
            db.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?,?,?)",
                (step.version, step.name, now_micros()),
            )
            applied.append(step.version)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return applied


def split(script: str) -> list[str]:
    """Statements of a DDL script (ours: no semicolons inside literals or triggers)."""
    return [s.strip() for s in script.split(";") if s.strip()]
