"""SQLite store: one file, WAL, durable commits, duplicate-proof ingest.

All writes go through one writer thread. It takes every write waiting in its queue and runs
them in a single transaction (group commit), then resolves each caller's future; a gateway
acknowledges a ``sendlog`` only after that. With ``synchronous=FULL`` (the default) an
acknowledged row survives a power cut; ``NORMAL`` survives a process crash.

Records carry no id (PROTOCOL.md 4.2), so duplicates are recognised by their natural key
``(sn, enrollid, time, mode, inout, event)`` and ignored. Punch photos live in their own
table so the log table stays small and fast to scan.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ..errors import StoreError
from ..private import create_private_file, tighten
from ..protocol.models import BackupNum, DeviceInfo, LogRecord, UserCredential, VerifyMode
from . import roster_sql
from .base import LOG_COLUMNS, LogQuery, RosterTx
from .migrations import upgrade_sqlite

__all__ = ["SQLiteStore"]

log = logging.getLogger(__name__)
T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    sn TEXT PRIMARY KEY,
    modelname TEXT,
    firmware TEXT,
    devinfo TEXT,
    remote TEXT,
    first_seen INTEGER,
    last_seen INTEGER
);
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY,
    sn TEXT NOT NULL,
    enrollid INTEGER,
    name TEXT,
    time TEXT NOT NULL,
    time_raw TEXT,
    mode INTEGER,
    inout INTEGER,
    event INTEGER,
    temp REAL,
    verifymode INTEGER,
    logindex INTEGER,
    received_at INTEGER NOT NULL,
    has_image INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS logs_natural_key ON logs (
    sn, ifnull(enrollid, -1), time, ifnull(mode, -1), ifnull(inout, -1), ifnull(event, -1)
);
CREATE INDEX IF NOT EXISTS logs_time ON logs (time);
CREATE TABLE IF NOT EXISTS log_images (
    log_id INTEGER PRIMARY KEY REFERENCES logs (id) ON DELETE CASCADE,
    image BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
    sn TEXT NOT NULL,
    enrollid INTEGER NOT NULL,
    backupnum INTEGER NOT NULL,
    name TEXT,
    admin INTEGER NOT NULL DEFAULT 0,
    record TEXT,
    record_is_number INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (sn, enrollid, backupnum)
);
"""

_INSERT_LOG = (
    "INSERT OR IGNORE INTO logs (sn, enrollid, name, time, time_raw, mode, inout, event, temp,"
    " verifymode, logindex, received_at, has_image) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_INSERT_PENDING_LOG = _INSERT_LOG.replace("has_image)", "has_image, pending)").replace("?)", "?,1)")
"""A record from a terminal not adopted (yet): kept, but left out of ``fetch_logs``."""
_memory_ids = itertools.count()


def _tighten(path: str) -> None:
    """Store files an older version left readable by others become owner-only (once SQLite
    has accepted the file as a database: a file that is not one is left as it was)."""
    for suffix in ("", "-wal", "-shm"):
        tighten(path + suffix)


def micros(moment: datetime) -> int:
    """UTC microseconds since the epoch: compact, exact, and fast to turn into pandas times."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


class SQLiteStore:
    """The default store.

    Args:
        path: database file; ``":memory:"`` keeps everything in memory (tests, demos).
        synchronous: ``"FULL"`` (power-loss durable acks) or ``"NORMAL"`` (crash durable).
    """

    def __init__(self, path: str | Path = "wac.sqlite", *, synchronous: str = "FULL") -> None:
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA", "OFF"):
            raise ValueError(f"unknown synchronous level {synchronous!r}")
        self.path = str(path)
        self.synchronous = synchronous.upper()
        created = True
        if self.path == ":memory:":
            self._uri = f"file:wac-memory-{next(_memory_ids)}?mode=memory&cache=shared"
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._uri = Path(self.path).absolute().as_uri()
            # 600 before SQLite opens it: SQLite gives its -wal and -shm the file's mode.
            created = create_private_file(self.path)
        self._keeper = self._connect()  # keeps a memory database alive; creates the schema
        upgrade_sqlite(self._keeper)  # numbered steps (migrations.py); SCHEMA is step 1
        if not created:
            _tighten(self.path)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._failing: str | None = None
        """Why writes fail right now (disk full, read-only), or None while they work."""
        self._closed = False
        self._closing = threading.Lock()
        """Makes "not closed, so queue the write" atomic with :meth:`close`."""
        self._writer = threading.Thread(target=self._write_loop, name="wac-store", daemon=True)
        self._writer.start()

    def __repr__(self) -> str:
        return f"<SQLiteStore {self.path}>"

    # -- writes -------------------------------------------------------------------------------

    async def save_device(
        self,
        info: DeviceInfo,
        remote: str | None,
        seen_at: datetime,
        *,
        state: str | None = None,
        identity: dict[str, str] | None = None,
    ) -> None:
        """Remember a terminal's latest ``reg``; with ``state`` also its trust state and
        pinned identity (see :meth:`set_device_state`)."""
        devinfo = json.dumps(info.to_wire() | {"cpusn": info.cpusn}, ensure_ascii=False)
        at = micros(seen_at)

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO devices (sn, modelname, firmware, devinfo, remote, first_seen,"
                " last_seen) VALUES (?,?,?,?,?,?,?) ON CONFLICT (sn) DO UPDATE SET"
                " modelname=excluded.modelname, firmware=excluded.firmware,"
                " devinfo=excluded.devinfo, remote=excluded.remote, last_seen=excluded.last_seen,"
                " first_seen=coalesce(devices.first_seen, excluded.first_seen)",
                (info.sn, info.modelname, info.firmware, devinfo, remote, at, at),
            )
            if state is not None:
                _set_state(db, info.sn, state, identity)

        await self._submit(write)

    async def set_device_state(
        self, sn: str, state: str, identity: dict[str, str] | None = None
    ) -> None:
        """Set a terminal's trust state (``pending``/``adopted``/``blocked``) and pinned
        identity; a serial never seen gets a row (adopted ahead of its first connection).
        Adopting it promotes the logs it sent while pending into the normal log."""

        def write(db: sqlite3.Connection) -> None:
            _set_state(db, sn, state, identity)

        await self._submit(write)

    async def forget_device(self, sn: str) -> bool:
        """Drop a terminal: its row, what it is known to hold, and the logs it sent while
        pending (records accepted from it while adopted stay). False if it was unknown."""

        def write(db: sqlite3.Connection) -> bool:
            cursor = db.execute("DELETE FROM devices WHERE sn = ?", (sn,))
            db.execute("DELETE FROM logs WHERE sn = ? AND pending = 1", (sn,))
            db.execute("DELETE FROM credentials WHERE sn = ?", (sn,))
            return cursor.rowcount > 0

        return await self._submit(write)

    async def ingest_logs(
        self,
        sn: str,
        records: Sequence[LogRecord],
        *,
        logindex: int | None,
        received_at: datetime,
        pending: bool = False,
    ) -> list[int]:
        """Store records, dropping duplicates; ``pending`` marks them as from a terminal not
        adopted yet (left out of ``fetch_logs`` unless asked for). Returns the positions of
        the records that were new."""
        values = [
            (r.enrollid, r.time, r.time_raw, r.name, r.mode, r.inout, r.event, r.temp, r.image,
             r.verifymode)
            for r in records
        ]  # fmt: skip
        return await self.ingest_values(
            sn, values, logindex=logindex, received_at=received_at, pending=pending
        )

    async def ingest_values(
        self,
        sn: str,
        values: Sequence[tuple[Any, ...]],
        *,
        logindex: int | None,
        received_at: datetime,
        pending: bool = False,
    ) -> list[int]:
        """:meth:`ingest_logs` for records as value tuples in
        :data:`~wac_toolkit.protocol.models.LOG_VALUES` order, as the gateway reads them: the
        rows are built straight from the wire values, no record object per row."""
        at = micros(received_at)
        insert = _INSERT_PENDING_LOG if pending else _INSERT_LOG
        if not values:
            return []
        columns = _log_columns(values)
        photos = columns[-1] is not None and any(columns[-1])

        def rows() -> list[tuple[Any, ...]]:
            return [
                (sn, enrollid, name, time, None if raw == time else raw,
                 None if mode is None else int(mode), inout, event, temp, verifymode, logindex,
                 at, 1 if image else 0)
                for enrollid, time, raw, name, mode, inout, event, temp, image, verifymode
                in values
            ]  # fmt: skip

        def write(db: sqlite3.Connection) -> list[int]:
            if not photos:
                # Fast path: all new or all replayed. A partly replayed batch is redone row by row.
                db.execute("SAVEPOINT batch")
                before = db.total_changes
                _insert_columns(db, pending, (sn, logindex, at), columns[:-1])
                changed = db.total_changes - before
                if changed in (0, len(values)):
                    db.execute("RELEASE batch")
                    return list(range(changed))
                db.execute("ROLLBACK TO batch")
                db.execute("RELEASE batch")
            new: list[int] = []
            for position, row in enumerate(rows()):
                cursor = db.execute(insert, row)
                if not cursor.rowcount:
                    continue
                new.append(position)
                image = values[position][8]
                if image and (data := _image_bytes(image)):
                    db.execute(
                        "INSERT INTO log_images (log_id, image) VALUES (?, ?)",
                        (cursor.lastrowid, data),
                    )
            return new

        return await self._submit(write)

    async def save_credential(self, sn: str, credential: UserCredential) -> None:
        record = credential.record
        row = (
            sn, credential.enrollid, int(credential.backupnum), credential.name,
            credential.admin, None if record is None else str(record),
            1 if isinstance(record, int) else 0, micros(datetime.now(UTC)),
        )  # fmt: skip

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO credentials (sn, enrollid, backupnum, name, admin, record,"
                " record_is_number, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                row,
            )
            if credential.name:
                db.execute(
                    "UPDATE credentials SET name = ? WHERE sn = ? AND enrollid = ?",
                    (credential.name, sn, credential.enrollid),
                )

        await self._submit(write)

    async def delete_credential(self, sn: str, enrollid: int, backupnum: int) -> None:
        args: tuple[object, ...]
        if backupnum == BackupNum.ALL:
            sql, args = "sn = ? AND enrollid = ?", (sn, enrollid)
        elif backupnum == BackupNum.ALL_FINGERPRINTS:
            sql, args = "sn = ? AND enrollid = ? AND backupnum BETWEEN 0 AND 9", (sn, enrollid)
        else:
            sql, args = "sn = ? AND enrollid = ? AND backupnum = ?", (sn, enrollid, backupnum)

        def write(db: sqlite3.Connection) -> None:
            db.execute(f"DELETE FROM credentials WHERE {sql}", args)

        await self._submit(write)

    async def quarantine_frame(
        self,
        sn: str,
        cmd: str,
        items: Sequence[tuple[str, str]],
        received_at: datetime | None = None,
    ) -> int:
        """Keep unreadable items (``(reason, raw)`` pairs) a terminal sent; returns how many
        were new (a re-sent batch quarantines nothing twice)."""
        at = micros(received_at or datetime.now(UTC))
        rows = [(sn, cmd, reason, raw, at) for reason, raw in items]

        def write(db: sqlite3.Connection) -> int:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO quarantine (sn, cmd, reason, raw, received_at)"
                " VALUES (?,?,?,?,?)",
                rows,
            )
            return db.total_changes - before

        return await self._submit(write)

    async def run_write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` inside the writer's next transaction. Not part of the
        :class:`~.base.Store` protocol: for the store's own modules (:mod:`.roster_sql`,
        :mod:`.copy`); everything else uses the typed methods."""
        return await self._submit(fn)

    # -- the roster's tables: one SQL text for both stores (roster_sql.py) --------------------

    def roster_read(self, fn: Callable[[RosterTx], T]) -> T:
        """``fn`` on the roster's tables on a read connection."""
        return roster_sql.read(self.reader, fn, (sqlite3.Error,))

    async def roster_write(self, fn: Callable[[RosterTx], T]) -> T:
        """``fn`` on the roster's tables in the writer's next transaction (see
        :meth:`~wac_toolkit.store.base.Store.roster_write`)."""
        return await roster_sql.write(self.run_write, fn)

    # -- reads --------------------------------------------------------------------------------

    def devices(self) -> list[dict[str, Any]]:
        with self.reader() as db:
            rows = db.execute(
                "SELECT sn, modelname, firmware, devinfo, remote, first_seen, last_seen, state,"
                " identity FROM devices ORDER BY last_seen DESC"
            ).fetchall()
        return [
            {
                "sn": sn, "modelname": model, "firmware": firmware,
                "devinfo": json.loads(devinfo or "{}"), "remote": remote,
                "first_seen": _from_micros(first), "last_seen": _from_micros(last),
                "state": state, "identity": json.loads(identity) if identity else None,
            }
            for sn, model, firmware, devinfo, remote, first, last, state, identity in rows
        ]  # fmt: skip

    def device_states(self, sns: Sequence[str] | None = None) -> dict[str, tuple[str, Any]]:
        """Terminal -> (state, pinned identity) as stored now (all, or those in ``sns``)."""
        sql, args = "SELECT sn, state, identity FROM devices", list(sns or ())
        if sns is not None:
            sql += f" WHERE sn IN ({','.join('?' * len(args))})"
        with self.reader() as db:
            rows = db.execute(sql, args).fetchall()
        return {
            sn: (state, json.loads(identity) if identity else None) for sn, state, identity in rows
        }

    def fetch_logs(self, query: LogQuery) -> list[tuple[Any, ...]]:
        sql, args = self.logs_sql(query)
        with self.reader() as db:
            return db.execute(sql, args).fetchall()

    def logs_sql(self, query: LogQuery) -> tuple[str, list[Any]]:
        """The SQL and parameters ``fetch_logs`` runs (benchmarks compare against it)."""
        where: list[str] = [] if query.include_pending else ["pending = 0"]
        args: list[Any] = []
        if query.since is not None:
            where.append("time >= ?")
            args.append(query.since.strftime("%Y-%m-%d %H:%M:%S"))
        if query.until is not None:
            where.append("time < ?")
            args.append(query.until.strftime("%Y-%m-%d %H:%M:%S"))
        for column, value in (("sn", query.sn), ("enrollid", query.enrollid)):
            if value is None:
                continue
            values = [value] if isinstance(value, (str, int)) else list(value)
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            args.extend(values)
        sql = f"SELECT {', '.join(LOG_COLUMNS)} FROM logs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY time, id"
        if query.limit is not None:
            sql += f" LIMIT {int(query.limit)}"
        return sql, args

    def count_logs(self) -> int:
        with self.reader() as db:
            return int(db.execute("SELECT count(*) FROM logs").fetchone()[0])

    def schema_version(self) -> int:
        """The highest migration step applied (:mod:`.migrations`)."""
        with self.reader() as db:
            return int(db.execute("SELECT max(version) FROM schema_version").fetchone()[0])

    def credentials(self, sn: str) -> list[UserCredential]:
        with self.reader() as db:
            rows = db.execute(
                "SELECT enrollid, backupnum, name, admin, record, record_is_number FROM credentials"
                " WHERE sn = ? ORDER BY enrollid, backupnum",
                (sn,),
            ).fetchall()
        return [
            UserCredential(
                enrollid=enrollid,
                backupnum=BackupNum(backupnum),
                name=name,
                admin=admin,
                record=int(record) if is_number and record is not None else record,
            )
            for enrollid, backupnum, name, admin, record, is_number in rows
        ]

    def latest_records(self, sn: str, limit: int = 200) -> list[LogRecord]:
        """The newest ``limit`` records of one terminal, oldest first (so state survives restarts)."""
        with self.reader() as db:
            rows = db.execute(
                "SELECT enrollid, name, time, time_raw, mode, inout, event FROM logs"
                " WHERE sn = ? ORDER BY time DESC, id DESC LIMIT ?",
                (sn, limit),
            ).fetchall()
        return [
            LogRecord(
                enrollid=enrollid,
                name=name,
                time=time,
                time_raw=time_raw or time,
                mode=None if mode is None else VerifyMode(mode),
                inout=inout,
                event=event,
            )
            for enrollid, name, time, time_raw, mode, inout, event in reversed(rows)
        ]

    def quarantined(self, sn: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Quarantined items, newest first (``id, sn, cmd, reason, raw, received_at``)."""
        sql = "SELECT id, sn, cmd, reason, raw, received_at FROM quarantine"
        args: list[Any] = []
        if sn is not None:
            sql += " WHERE sn = ?"
            args.append(sn)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self.reader() as db:
            rows = db.execute(sql, args).fetchall()
        return [
            {"id": id_, "sn": sn_, "cmd": cmd, "reason": reason, "raw": raw,
             "received_at": _from_micros(at)}
            for id_, sn_, cmd, reason, raw, at in rows
        ]  # fmt: skip

    def quarantine_count(self) -> int:
        with self.reader() as db:
            return int(db.execute("SELECT count(*) FROM quarantine").fetchone()[0])

    def log_image(self, log_id: int) -> bytes | None:
        with self.reader() as db:
            row = db.execute("SELECT image FROM log_images WHERE log_id = ?", (log_id,)).fetchone()
        return bytes(row[0]) if row else None

    def reader(self) -> _Reader:
        """A fresh read connection; use it as a context manager and drop it after.

        A ``":memory:"`` store's connections share one cache, where a read meeting the
        writer's open transaction fails at once with "database table is locked" (SQLite waits
        on a busy file, not on a shared-cache lock). Its readers read uncommitted, so they
        never wait and never fail; a memory store holds tests and demos, not acked records.
        """
        db = self._connect()
        if self.path == ":memory:":
            db.execute("PRAGMA read_uncommitted = 1")
        return _Reader(db)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Finish the writes queued so far; any write submitted meanwhile fails with
        :class:`StoreError` (its caller never waits for ever)."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._writer.join(timeout=30)
        self._fail_queued()
        self._keeper.close()

    def _fail_queued(self) -> None:
        error = StoreError("store is closed")
        jobs = []
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                jobs.append(job)
        _settle(jobs, [(False, error)] * len(jobs))

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._uri, uri=True, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 5000")
        if self.path != ":memory:":
            _wal(db)
        db.execute(f"PRAGMA synchronous = {self.synchronous}")
        return db

    async def _submit(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._closing:
            if self._closed:
                raise StoreError("store is closed")
            self._queue.put((fn, future))
        return await future

    def _write_loop(self) -> None:
        db: sqlite3.Connection | None = None
        while True:
            job = self._queue.get()
            jobs = [job]
            while job is not None:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                jobs.append(job)
            stop = jobs[-1] is None  # close() queues None last: nothing is queued after it
            batch = [j for j in jobs if j is not None]
            if batch:
                try:
                    if db is None:
                        db = self._connect()
                        # Savepoints journal the pages a job changes; in memory, not in a
                        # temporary file (measured: a third of the writer's system time).
                        db.execute("PRAGMA temp_store = MEMORY")
                except sqlite3.Error as exc:
                    self._fail(batch, exc)
                else:
                    if not self._commit(db, batch):
                        # Start afresh next time: after a full disk or a read-only remount a
                        # connection can keep a stale view of the file (its WAL, its locks).
                        with contextlib.suppress(sqlite3.Error):
                            db.close()
                        db = None
            if stop:
                if db is not None:
                    db.close()
                return

    def _commit(self, db: sqlite3.Connection, batch: list[tuple[Callable[..., Any], Any]]) -> bool:
        """One transaction for the whole batch (group commit), each job in its own savepoint.

        A job that raises is rolled back alone and only its caller fails, so one poison frame
        cannot fail the frames of other terminals that share the transaction. A batch of one
        job has nothing to be isolated from: it takes no savepoint, and a job that raises
        rolls the transaction back. If the commit itself fails (disk full, read-only), every
        caller fails and nothing is acknowledged.
        """
        outcomes: list[tuple[bool, Any]] = []
        alone = len(batch) == 1
        try:
            db.execute("BEGIN IMMEDIATE")
            for fn, _ in batch:
                if not alone:
                    db.execute("SAVEPOINT job")
                try:
                    outcomes.append((True, fn(db)))
                except Exception as exc:
                    if isinstance(exc, sqlite3.OperationalError) or not db.in_transaction:
                        raise  # the database, not the job: read-only, full, I/O error, locked
                    db.execute("ROLLBACK" if alone else "ROLLBACK TO job")
                    log.warning("store %s: one write refused: %s", self.path, exc)
                    outcomes.append((False, StoreError(f"store refused the write: {exc}")))
                if not alone:
                    db.execute("RELEASE job")
            if db.in_transaction:
                db.execute("COMMIT")
        except Exception as exc:
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            self._fail(batch, exc)
            return False
        if self._failing is not None:
            log.warning("store %s: writable again (was: %s)", self.path, self._failing)
            self._failing = None
        _settle(batch, outcomes)
        return True

    def _fail(self, batch: list[tuple[Callable[..., Any], Any]], exc: Exception) -> None:
        """Fail every caller; nothing of the batch was committed, so nothing gets acknowledged.

        Terminals re-send refused batches every few seconds, so the error is logged when it
        starts or changes, and once more when writes succeed again; repeats go to debug.
        """
        reason = str(exc)
        level = logging.DEBUG if reason == self._failing else logging.ERROR
        self._failing = reason
        log.log(
            level,
            "store %s: write of %d jobs failed (%s); nothing was acknowledged, terminals keep"
            " their records and send them again",
            self.path, len(batch), exc,
        )  # fmt: skip
        error = StoreError(f"store unavailable: {exc}")
        _settle(batch, [(False, error)] * len(batch))


def _settle(batch: list[tuple[Callable[..., Any], Any]], outcomes: list[tuple[bool, Any]]) -> None:
    """Hand each caller its outcome on its own event loop: one wake-up per loop for the
    whole group, not one per job (measured: a ``concurrent.futures.Future`` and
    ``wrap_future`` per write were 5-10% of the gateway's CPU in a reconnect storm)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, bool, Any]]] = {}
    for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
        by_loop.setdefault(future.get_loop(), []).append((future, ok, value))
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[tuple[Any, bool, Any]]) -> None:
    for future, ok, value in items:
        if future.done():
            continue  # the caller was cancelled (its connection closed); the row is stored
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


def _set_state(
    db: sqlite3.Connection, sn: str, state: str, identity: dict[str, str] | None
) -> None:
    pinned = json.dumps(identity, sort_keys=True) if identity else None
    db.execute(
        "INSERT INTO devices (sn, state, identity) VALUES (?,?,?) ON CONFLICT (sn) DO UPDATE"
        " SET state=excluded.state, identity=excluded.identity",
        (sn, state, pinned),
    )
    if state == "adopted":
        db.execute("UPDATE logs SET pending = 0 WHERE sn = ? AND pending = 1", (sn,))


def _wal(db: sqlite3.Connection, attempts: int = 100) -> None:
    """Switch to WAL. On a file just created empty (600, before SQLite opened it) by one of
    several processes starting together, the switch can meet another's lock without the
    busy handler being asked: try again briefly instead of failing the start."""
    for attempt in range(attempts):
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.02)


class _Reader:
    """A connection that closes when its ``with`` block ends (sqlite3's own only commits)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


_ROWS_PER_STATEMENT = 500
"""Rows per multi-row INSERT: at most 9 parameters each stays far below SQLite's 32,766."""

_ROW_COLUMNS = "enrollid, name, time, time_raw, mode, inout, event, temp, verifymode"
"""The columns that vary from row to row, in the order :func:`_log_columns` gives them."""


def _log_columns(values: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...] | None]:
    """A frame's values (``LOG_VALUES`` order) as the store's columns: ``_ROW_COLUMNS`` then
    the images; None for a column that is NULL in every row. Built column by column in C
    (one ``zip``), not row by row in Python."""
    enrollid, time, raw, name, mode, inout, event, temp, image, verifymode = zip(
        *values, strict=True
    )
    count = len(time)
    if raw != time:
        raw = tuple(None if r == t else r for r, t in zip(raw, time, strict=True))
    else:
        raw = (None,) * count
    if {type(m) for m in mode} - {int, type(None)}:  # a VerifyMode: stored as its number
        mode = tuple(None if m is None else int(m) for m in mode)
    columns = (enrollid, name, time, raw, mode, inout, event, temp, verifymode, image)
    return [None if c.count(None) == count else c for c in columns]


@functools.lru_cache(maxsize=256)
def _column_insert(pending: bool, count: int, present: tuple[bool, ...]) -> str:
    """A multi-row INSERT of ``count`` rows: ``?1``-``?3`` are the frame's serial number,
    ``logindex`` and ``received_at`` (bound once), a column in ``present`` a parameter per
    row, any other a NULL literal."""
    number = itertools.count(4)
    head = "INSERT OR IGNORE INTO logs (sn, " + _ROW_COLUMNS + ", logindex, received_at, has_image"
    tail = ",?2,?3,0,1)" if pending else ",?2,?3,0)"
    rows = (
        "(?1," + ",".join(f"?{next(number)}" if p else "NULL" for p in present) + tail
        for _ in range(count)
    )
    return f"{head}{', pending' if pending else ''}) VALUES {','.join(rows)}"


def _insert_columns(
    db: sqlite3.Connection,
    pending: bool,
    frame: tuple[Any, Any, Any],
    columns: list[tuple[Any, ...] | None],
) -> None:
    """Insert a frame without photos: one multi-row INSERT per 500 rows, the frame's own
    values bound once, no parameter for a column that is NULL throughout.

    Measured (bench/README.md): ``executemany`` steps each row separately and takes the GIL
    back after every step, so next to a busy event loop a 100-row frame waited for the GIL a
    hundred times; one statement binds in one go and steps once. Binding None costs Python
    3.11's sqlite3 about a microsecond each (it looks for an adapter, raising and clearing
    two AttributeErrors): a frame of 100 records without names, temperatures or raw times
    bound 400 of them, more than SQLite's own work for the rows. A column None in only some
    rows is still bound.
    """
    present = tuple(c is not None for c in columns)
    kept = [c for c in columns if c is not None]
    count = len(kept[0]) if kept else 0  # time is never NULL: kept is never empty
    width = len(kept)
    flat = list(itertools.chain.from_iterable(zip(*kept, strict=True)))
    for start in range(0, count, _ROWS_PER_STATEMENT):
        rows = min(_ROWS_PER_STATEMENT, count - start)
        chunk = flat if rows == count else flat[start * width : (start + rows) * width]
        db.execute(_column_insert(pending, rows, present), [*frame, *chunk])


def _image_bytes(image: str) -> bytes | None:
    """A punch photo's bytes (see :meth:`LogRecord.image_bytes`)."""
    return LogRecord(enrollid=None, time="", image=image).image_bytes()


def _from_micros(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1_000_000, UTC)
