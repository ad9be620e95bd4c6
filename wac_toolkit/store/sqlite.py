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
import concurrent.futures
import contextlib
import itertools
import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ..errors import StoreError
from ..protocol.models import BackupNum, DeviceInfo, LogRecord, UserCredential, VerifyMode
from .base import LOG_COLUMNS, LogQuery
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
_memory_ids = itertools.count()


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
        if self.path == ":memory:":
            self._uri = f"file:wac-memory-{next(_memory_ids)}?mode=memory&cache=shared"
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._uri = Path(self.path).absolute().as_uri()
        self._keeper = self._connect()  # keeps a memory database alive; creates the schema
        upgrade_sqlite(self._keeper)  # numbered steps (migrations.py); SCHEMA is step 1
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._failing: str | None = None
        """Why writes fail right now (disk full, read-only), or None while they work."""
        self._writer = threading.Thread(target=self._write_loop, name="wac-store", daemon=True)
        self._writer.start()
        self._closed = False

    def __repr__(self) -> str:
        return f"<SQLiteStore {self.path}>"

    # -- writes -------------------------------------------------------------------------------

    async def save_device(self, info: DeviceInfo, remote: str | None, seen_at: datetime) -> None:
        devinfo = json.dumps(info.to_wire() | {"cpusn": info.cpusn}, ensure_ascii=False)
        at = micros(seen_at)

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO devices (sn, modelname, firmware, devinfo, remote, first_seen,"
                " last_seen) VALUES (?,?,?,?,?,?,?) ON CONFLICT (sn) DO UPDATE SET"
                " modelname=excluded.modelname, firmware=excluded.firmware,"
                " devinfo=excluded.devinfo, remote=excluded.remote, last_seen=excluded.last_seen",
                (info.sn, info.modelname, info.firmware, devinfo, remote, at, at),
            )

        await self._submit(write)

    async def ingest_logs(
        self,
        sn: str,
        records: Sequence[LogRecord],
        *,
        logindex: int | None,
        received_at: datetime,
    ) -> list[int]:
        at = micros(received_at)
        rows = [
            (
                sn, r.enrollid, r.name, r.time, r.time_raw if r.time_raw != r.time else None,
                None if r.mode is None else int(r.mode), r.inout, r.event, r.temp,
                r.verifymode, logindex, at, 1 if r.image else 0,
            )
            for r in records
        ]  # fmt: skip
        photos = [(row, r.image_bytes()) for row, r in zip(rows, records, strict=True) if r.image]

        def write(db: sqlite3.Connection) -> list[int]:
            if not photos:
                # Fast path: all new or all replayed. A partly replayed batch is redone row by row.
                db.execute("SAVEPOINT batch")
                before = db.total_changes
                db.executemany(_INSERT_LOG, rows)
                changed = db.total_changes - before
                if changed in (0, len(rows)):
                    db.execute("RELEASE batch")
                    return list(range(changed))
                db.execute("ROLLBACK TO batch")
                db.execute("RELEASE batch")
            images = {id(row): image for row, image in photos}
            new: list[int] = []
            for position, row in enumerate(rows):
                cursor = db.execute(_INSERT_LOG, row)
                if not cursor.rowcount:
                    continue
                new.append(position)
                if images.get(id(row)):
                    db.execute(
                        "INSERT INTO log_images (log_id, image) VALUES (?, ?)",
                        (cursor.lastrowid, images[id(row)]),
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
        if backupnum == BackupNum.ALL:
            sql, args = "sn = ? AND enrollid = ?", (sn, enrollid)
        elif backupnum == BackupNum.ALL_FINGERPRINTS:
            sql, args = "sn = ? AND enrollid = ? AND backupnum BETWEEN 0 AND 9", (sn, enrollid)
        else:
            sql, args = "sn = ? AND enrollid = ? AND backupnum = ?", (sn, enrollid, backupnum)

        def write(db: sqlite3.Connection) -> None:
            db.execute(f"DELETE FROM credentials WHERE {sql}", args)

        await self._submit(write)

    async def run_write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` inside the writer's next transaction (for store extensions)."""
        return await self._submit(fn)

    # -- reads --------------------------------------------------------------------------------

    def devices(self) -> list[dict[str, Any]]:
        with self.reader() as db:
            rows = db.execute(
                "SELECT sn, modelname, firmware, devinfo, remote, first_seen, last_seen"
                " FROM devices ORDER BY last_seen DESC"
            ).fetchall()
        return [
            {
                "sn": sn, "modelname": model, "firmware": firmware,
                "devinfo": json.loads(devinfo or "{}"), "remote": remote,
                "first_seen": _from_micros(first), "last_seen": _from_micros(last),
            }
            for sn, model, firmware, devinfo, remote, first, last in rows
        ]  # fmt: skip

    def fetch_logs(self, query: LogQuery) -> list[tuple[Any, ...]]:
        sql, args = self.logs_sql(query)
        with self.reader() as db:
            return db.execute(sql, args).fetchall()

    def logs_sql(self, query: LogQuery) -> tuple[str, list[Any]]:
        """The SQL and parameters ``fetch_logs`` runs (benchmarks compare against it)."""
        where: list[str] = []
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

    def log_image(self, log_id: int) -> bytes | None:
        with self.reader() as db:
            row = db.execute("SELECT image FROM log_images WHERE log_id = ?", (log_id,)).fetchone()
        return bytes(row[0]) if row else None

    def reader(self) -> sqlite3.Connection:
        """A fresh read connection; use it as a context manager and drop it after."""
        return _Reader(self._connect())

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._writer.join(timeout=30)
        self._keeper.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._uri, uri=True, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 5000")
        if self.path != ":memory:":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA synchronous = {self.synchronous}")
        return db

    async def _submit(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StoreError("store is closed")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((fn, future))
        return await asyncio.wrap_future(future)

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
            stop = jobs[-1] is None
            batch = [j for j in jobs if j is not None]
            if batch:
                try:
                    if db is None:
                        db = self._connect()
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
        cannot fail the frames of other terminals that share the transaction. If the commit
        itself fails (disk full, read-only), every caller fails and nothing is acknowledged.
        """
        outcomes: list[tuple[bool, Any]] = []
        try:
            db.execute("BEGIN IMMEDIATE")
            for fn, _ in batch:
                db.execute("SAVEPOINT job")
                try:
                    outcomes.append((True, fn(db)))
                except Exception as exc:
                    if isinstance(exc, sqlite3.OperationalError) or not db.in_transaction:
                        raise  # the database, not the job: read-only, full, I/O error, locked
                    db.execute("ROLLBACK TO job")
                    log.warning("store %s: one write refused: %s", self.path, exc)
                    outcomes.append((False, StoreError(f"store refused the write: {exc}")))
                db.execute("RELEASE job")
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
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            try:
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
            except concurrent.futures.InvalidStateError:
                pass  # the caller was cancelled (its connection closed); the row is stored
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
        for _, future in batch:
            if not future.done():
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    future.set_exception(error)


class _Reader:
    """A connection that closes when its ``with`` block ends (sqlite3's own only commits)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


def _from_micros(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1_000_000, UTC)
