"""PostgreSQL store: several gateways on one database, with the SQLite store's guarantees.

Selected by a ``postgresql://`` DSN (:func:`wac_toolkit.store.open_store`); needs the
``postgres`` extra (``pip install 'wac-toolkit[postgres]'``, psycopg 3). ``bench/pg_drivers.py``
measured it against asyncpg on this store's own statement: with binary parameters the two are
within noise per committed frame (asyncpg/psycopg 0.77-1.16x rows/s, 0.96-0.98x client CPU),
asyncpg ahead on ten-frame group commits (1.06-2.14x rows/s, 0.75-0.96x CPU) on a loaded
2-core box. psycopg was taken for the rest: a synchronous API for the Store protocol's reads
and the roster's DB-API SQL (asyncpg would need a private event loop thread behind every
read), and ``COPY TO`` into Arrow. A switch would stay inside this module.

The guarantees are the SQLite store's, kept the same way:

* **Ack after commit.** Writes resolve only after ``COMMIT`` returned, with
  ``synchronous_commit = on`` set on the writer's own session whatever the server default,
  so an acknowledged row is on the database's disk (and on its synchronous standbys).
* **Group commit, one bad frame isolated.** One writer thread per store takes every write
  waiting in its queue and runs them in one transaction, each job in its own savepoint: a job
  that fails is rolled back to its savepoint and only its caller fails. A failure of the
  database itself (connection lost, disk full) fails every caller of the batch; nothing of it
  is acknowledged, terminals send again, and the next batch reconnects.
* **The same duplicate key** ``(sn, enrollid, time, mode, inout, event)`` (NULLs equal), as a
  unique expression index; a frame is one ``INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
  NOTHING RETURNING``, so two gateways storing the same re-sent record store it once.
* **Numbered migrations** (:mod:`.migrations`), applied under an advisory lock so gateways
  starting together upgrade the database once.

Reads are plain calls on a small set of pooled autocommit connections (the Store protocol's
reads are synchronous; faces on an event loop run them in an executor).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import json
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

from ..errors import StoreError
from ..protocol.models import BackupNum, DeviceInfo, LogRecord, UserCredential, VerifyMode
from . import describe, roster_sql
from .base import LOG_COLUMNS, LogQuery, RosterTx
from .migrations import PG_VERSION_TABLE, STEPS, now_micros, pending, split

try:
    import psycopg
    from psycopg.pq import TransactionStatus
except ImportError:  # pragma: no cover - exercised only without the extra
    psycopg = None  # type: ignore[assignment]

__all__ = ["INSERT_LOGS", "PostgresStore", "micros", "schema_steps", "upgrade"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_NOW = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
"""The database's clock in UTC microseconds: leases compare on one clock, not each host's."""

_NO_FLUSH = "no_flush AS (SELECT set_config('synchronous_commit', 'off', true))"
"""A CTE that lets its statement commit without waiting for the WAL's flush to disk (the
setting lasts until that commit). For the routed-command steps whose loss in a database
crash cannot make a command run twice: queueing (lost: never run, and its sender's
connection failed with the database), the outcome (lost: the row stays ``taken``, never
taken again) and its deletion (lost: a finished row left behind). Taking a command is
flushed (:meth:`PostgresStore.take_commands`). A routed round trip then waits for one flush
instead of four (``bench/routing.py``). NOTIFY is sent at commit either way."""

COMMAND_CHANNEL = "wac_commands"
"""NOTIFY channel on which a queued command wakes its gateway (payload: the gateway's id)."""

REPLY_CHANNEL = "wac_replies"
"""NOTIFY channel on which a routed command's outcome wakes its sender (payload: the
command's id), committed with the outcome."""

TERMINALS_CHANNEL = "wac_terminals"
"""NOTIFY channel on which a terminal's trust state change (adopt, block, forget) reaches
every gateway on the database (payload: the serial), committed with the change."""

MIGRATION_LOCK = 0x7761_6373_746F_7265  # "wacstore": one key for every wac database
"""Advisory lock taken by the migration transaction, so concurrent starts upgrade once."""

INSERT_LOGS = """
INSERT INTO logs (sn, enrollid, name, time, time_raw, mode, inout, event, temp, verifymode,
                  logindex, received_at, has_image, pending)
SELECT %b, r.enrollid, r.name, r.time, r.time_raw, r.mode, r.inout, r.event, r.temp,
       r.verifymode, %b, %b, r.has_image, %b
FROM unnest(%b::bigint[], %b::text[], %b::text[], %b::text[], %b::int[], %b::int[], %b::int[],
            %b::float8[], %b::int[], %b::smallint[])
     WITH ORDINALITY AS r(enrollid, name, time, time_raw, mode, inout, event, temp, verifymode,
                          has_image, pos)
ORDER BY r.pos
ON CONFLICT DO NOTHING
RETURNING id, enrollid, time, mode, inout, event
"""
"""One statement per frame: the rows as column arrays, duplicates (the natural key's unique
index) skipped, and the new rows returned so their positions and ids are known. ``%b``:
parameters go in binary, which halves psycopg's CPU per frame (``bench/pg_drivers.py``)."""


def micros(moment: datetime) -> int:
    """UTC microseconds since the epoch (the SQLite store's unit, so rows compare equal)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


def _rolled_back(exc: Exception) -> bool:
    """The server aborted the transaction to let another go on (SQLSTATE class 40: deadlock,
    serialization failure); run again, it succeeds. By code, not class: psycopg's
    ``DeadlockDetected`` is not a ``TransactionRollback``."""
    return isinstance(exc, psycopg.Error) and (exc.sqlstate or "").startswith("40")


def schema_steps() -> Iterator[str]:
    """Every DDL statement of every step, in order (benchmarks build the schema with it)."""
    for step in STEPS:
        yield from split(step.postgres)


def _require_driver() -> None:
    if psycopg is None:
        raise StoreError(
            "a postgresql:// store needs the driver: pip install 'wac-toolkit[postgres]'"
        )


def upgrade(db: Any) -> list[int]:
    """Bring the database's schema to the latest step; returns the steps applied.

    One transaction under an advisory lock: a second gateway starting at the same moment
    waits, then finds the steps recorded and applies nothing. PostgreSQL's DDL is
    transactional, so a failed step leaves the database as it was.
    """
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        db.execute(PG_VERSION_TABLE)
        current = db.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
        applied = []
        for step in pending(int(current)):
            for statement in split(step.postgres):
                db.execute(statement)
            db.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (%s, %s, %s)",
                (step.version, step.name, now_micros()),
            )
            applied.append(step.version)
    return applied


def _key(enrollid: Any, time: str, mode: Any, inout: Any, event: Any) -> tuple[Any, ...]:
    """The natural key as the unique index sees it (NULL is -1)."""
    return (
        -1 if enrollid is None else enrollid, time, -1 if mode is None else int(mode),
        -1 if inout is None else inout, -1 if event is None else event,
    )  # fmt: skip


class PostgresStore:
    """The store for several gateways on one PostgreSQL database.

    Args:
        dsn: ``postgresql://user:password@host:port/dbname`` (libpq's URL form; every libpq
            parameter may follow as ``?sslmode=require`` and so on).
        readers: read connections kept open for reuse.
        connect_timeout: seconds to wait for the server when connecting.
    """

    def __init__(self, dsn: str, *, readers: int = 4, connect_timeout: float = 10.0) -> None:
        _require_driver()
        self.dsn = dsn
        self.path = describe(dsn)  # what log lines and banners show (no password)
        self._connect_timeout = connect_timeout
        self._max_readers = readers
        self._idle: list[Any] = []
        self._idle_lock = threading.Lock()
        try:
            with self._connect() as db:
                applied = upgrade(db)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from exc
        if applied:
            log.info("store %s: schema steps %s applied", self.path, applied)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._failing: str | None = None
        self._closed = False
        self._closing = threading.Lock()
        self._writer = threading.Thread(target=self._write_loop, name="wac-pg-store", daemon=True)
        self._writer.start()

    def __repr__(self) -> str:
        return f"<PostgresStore {self.path}>"

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

        def write(db: Any) -> None:
            db.execute(
                "INSERT INTO devices (sn, modelname, firmware, devinfo, remote, first_seen,"
                " last_seen) VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (sn) DO UPDATE SET"
                " modelname=excluded.modelname, firmware=excluded.firmware,"
                " devinfo=excluded.devinfo, remote=excluded.remote, last_seen=excluded.last_seen,"
                " first_seen=coalesce(devices.first_seen, excluded.first_seen)",
                (_text(info.sn), _text(info.modelname), _text(info.firmware), _text(devinfo),
                 _text(remote), at, at),
            )  # fmt: skip
            if state is not None:
                _set_state(db, info.sn, state, identity)

        await self._submit(write)

    async def set_device_state(
        self, sn: str, state: str, identity: dict[str, str] | None = None
    ) -> None:
        """Set a terminal's trust state and pinned identity (a serial never seen gets a row);
        adopting it promotes the logs it sent while pending. Every gateway on the database
        hears of it (NOTIFY on commit) and applies it to its own connections."""
        await self._submit(lambda db: _set_state(db, sn, state, identity))

    async def forget_device(self, sn: str) -> bool:
        """Drop a terminal: its row, what it is known to hold, and the logs it sent while
        pending (records accepted from it while adopted stay). False if it was unknown."""

        def write(db: Any) -> bool:
            cursor = db.execute("DELETE FROM devices WHERE sn = %s", (sn,))
            db.execute("DELETE FROM logs WHERE sn = %s AND pending = 1", (sn,))
            db.execute("DELETE FROM credentials WHERE sn = %s", (sn,))
            db.execute("SELECT pg_notify(%s, %s)", (TERMINALS_CHANNEL, sn))
            return bool(cursor.rowcount)

        return await self._submit(write)

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
        rows = [(sn, cmd, _text(reason), _text(raw), at) for reason, raw in items]

        def write(db: Any) -> int:
            new = 0
            for row in rows:
                cursor = db.execute(
                    "INSERT INTO quarantine (sn, cmd, reason, raw, received_at)"
                    " VALUES (%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                    row,
                )
                new += cursor.rowcount
            return new

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
        adopted yet (left out of ``fetch_logs`` unless asked for)."""
        if not records:
            return []
        at = micros(received_at)
        arrays: list[list[Any]] = [[] for _ in range(10)]
        first: dict[tuple[Any, ...], int] = {}
        for position, r in enumerate(records):
            mode = None if r.mode is None else int(r.mode)
            time, raw = _text(r.time), _text(r.time_raw)
            for column, value in zip(
                arrays,
                (r.enrollid, _text(r.name), time, raw if raw != time else None,
                 mode, r.inout, r.event, r.temp, r.verifymode, 1 if r.image else 0),
                strict=True,
            ):  # fmt: skip
                column.append(value)
            first.setdefault(_key(r.enrollid, time, mode, r.inout, r.event), position)
        images = {i: r.image_bytes() for i, r in enumerate(records) if r.image}

        def write(db: Any) -> list[int]:
            params = (sn, logindex, at, int(pending), *arrays)
            rows = db.execute(INSERT_LOGS, params, prepare=True).fetchall()
            new = sorted((first[_key(*row[1:])], row[0]) for row in rows)
            photos = [(log_id, images[p]) for p, log_id in new if images.get(p)]
            if photos:
                with db.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO log_images (log_id, image) VALUES (%s, %s)", photos
                    )
            return [p for p, _ in new]

        return await self._submit(write)

    async def save_credential(self, sn: str, credential: UserCredential) -> None:
        record = credential.record
        row = (
            sn, credential.enrollid, int(credential.backupnum), _text(credential.name),
            credential.admin, None if record is None else _text(str(record)),
            1 if isinstance(record, int) else 0, micros(datetime.now(UTC)),
        )  # fmt: skip

        def write(db: Any) -> None:
            db.execute(
                "INSERT INTO credentials (sn, enrollid, backupnum, name, admin, record,"
                " record_is_number, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)"
                " ON CONFLICT (sn, enrollid, backupnum) DO UPDATE SET name=excluded.name,"
                " admin=excluded.admin, record=excluded.record,"
                " record_is_number=excluded.record_is_number, updated_at=excluded.updated_at",
                row,
            )
            if credential.name:
                db.execute(
                    "UPDATE credentials SET name = %s WHERE sn = %s AND enrollid = %s",
                    (_text(credential.name), sn, credential.enrollid),
                )

        await self._submit(write)

    async def delete_credential(self, sn: str, enrollid: int, backupnum: int) -> None:
        if backupnum == BackupNum.ALL:
            sql, args = "sn = %s AND enrollid = %s", (sn, enrollid)
        elif backupnum == BackupNum.ALL_FINGERPRINTS:
            sql = "sn = %s AND enrollid = %s AND backupnum BETWEEN 0 AND 9"
            args = (sn, enrollid)
        else:
            sql = "sn = %s AND enrollid = %s AND backupnum = %s"
            args = (sn, enrollid, backupnum)  # type: ignore[assignment]

        def write(db: Any) -> None:
            db.execute(f"DELETE FROM credentials WHERE {sql}", args)

        await self._submit(write)

    # -- presence: leases on terminals, on the database's clock -----------------------------

    async def claim_terminal(self, sn: str, gateway: str, ttl: float) -> None:
        """``gateway`` holds ``sn`` now (a terminal that reconnected elsewhere moves at once)."""

        def write(db: Any) -> None:
            db.execute(
                f"INSERT INTO presence (sn, gateway, since, expires) VALUES (%s, %s, {_NOW},"
                f" {_NOW} + %s) ON CONFLICT (sn) DO UPDATE SET gateway = excluded.gateway,"
                " since = excluded.since, expires = excluded.expires",
                (sn, gateway, int(ttl * 1e6)),
            )

        await self._submit(write)

    async def release_terminal(self, sn: str, gateway: str) -> None:
        """``gateway`` lost ``sn``; a claim another gateway made since is left alone."""
        await self._submit(
            lambda db: db.execute(
                "DELETE FROM presence WHERE sn = %s AND gateway = %s", (sn, gateway)
            )
        )

    async def heartbeat(self, gateway: str, ttl: float, *, leaving: bool = False) -> None:
        """Renew ``gateway``'s leases for ``ttl`` seconds; ``leaving`` drops them all."""
        ttl_us = int(ttl * 1e6)

        def write(db: Any) -> None:
            if leaving:
                db.execute("DELETE FROM presence WHERE gateway = %s", (gateway,))
                db.execute("DELETE FROM gateways WHERE gateway = %s", (gateway,))
                return
            db.execute(
                f"INSERT INTO gateways (gateway, started, heartbeat, expires) VALUES (%s, {_NOW},"
                f" {_NOW}, {_NOW} + %s) ON CONFLICT (gateway) DO UPDATE SET"
                " heartbeat = excluded.heartbeat, expires = excluded.expires",
                (gateway, ttl_us),
            )
            db.execute(
                f"UPDATE presence SET expires = {_NOW} + %s WHERE gateway = %s", (ttl_us, gateway)
            )

        await self._submit(write)

    def holders(self) -> dict[str, str]:
        """Terminal -> the gateway holding it, for leases not yet lapsed."""
        return dict(self._fetch(f"SELECT sn, gateway FROM presence WHERE expires > {_NOW}"))

    def holder(self, sn: str) -> tuple[str, int] | None:
        """(gateway, since) of the live lease on ``sn``: ``since`` (microseconds, the
        database's clock) changes each time a gateway claims it, so a reconnect shows."""
        rows = self._fetch(
            f"SELECT gateway, since FROM presence WHERE sn = %s AND expires > {_NOW}", (sn,)
        )
        return (str(rows[0][0]), int(rows[0][1])) if rows else None

    # -- commands routed to the gateway holding a terminal (wac_toolkit.routing) -----------

    def queue_command(
        self, sn: str, cmd: str, fields: str, expect_reply: bool, timeout: float,
        *, exclude: str | None = None,
    ) -> tuple[int, str] | None:  # fmt: skip
        """Queue a command for the gateway holding ``sn`` and wake it (NOTIFY on commit), in
        one statement: (its id, that gateway), or None when no gateway but ``exclude`` (the
        caller's own, which has no connection to ``sn``) holds a live lease."""
        rows = self._fetch(
            f"WITH {_NO_FLUSH}, h AS (SELECT gateway FROM presence WHERE sn = %s"
            f" AND expires > {_NOW} AND gateway IS DISTINCT FROM %s),"
            " c AS (INSERT INTO commands (sn, gateway, cmd, fields, expect_reply, timeout_ms,"
            f" created_at) SELECT %s, h.gateway, %s, %s, %s, %s, {_NOW} FROM h"
            " RETURNING id, gateway)"
            f" SELECT id, gateway, pg_notify('{COMMAND_CHANNEL}', gateway) FROM c, no_flush",
            (sn, exclude, sn, cmd, fields, int(expect_reply), int(timeout * 1000)),
            retry=False,
        )
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def take_commands(self, gateway: str, limit: int = 32) -> list[tuple[Any, ...]]:
        """Claim queued commands for ``gateway`` (SKIP LOCKED: two takers never share one).
        Committed with the WAL flushed, before any is sent: after a database crash a command
        that was sent is never taken, and sent, again.

        Only commands still within their timeout (on the database's clock) are taken, and
        each comes with the milliseconds it has left: a gateway that stalled never sends a
        command its sender gave up on (or died waiting for), and a reply comes in time."""
        return self._fetch(
            "UPDATE commands SET state = 'taken' WHERE id IN (SELECT id FROM commands"
            " WHERE gateway = %s AND state = 'queued'"
            f" AND created_at + timeout_ms * 1000 > {_NOW} ORDER BY id LIMIT %s"
            " FOR UPDATE SKIP LOCKED)"
            " RETURNING id, sn, cmd, fields, expect_reply,"
            f" GREATEST(1, (created_at + timeout_ms * 1000 - {_NOW}) / 1000)",
            (gateway, limit),
            retry=False,
        )

    def purge_commands(self, older_than: float = 60.0) -> int:
        """Delete routed commands ``older_than`` seconds past their timeout: their senders
        are gone (a sender deletes its own when it gives up), whatever their state."""
        rows = self._fetch(
            f"WITH {_NO_FLUSH}, c AS (DELETE FROM commands"
            f" WHERE created_at + timeout_ms * 1000 + %s < {_NOW} RETURNING id)"
            " SELECT count(*) FROM c, no_flush",
            (int(older_than * 1e6),),
            retry=False,
        )
        return int(rows[0][0]) if rows else 0

    def finish_command(
        self, command_id: int, reply: str | None, error_kind: str | None, error: str | None
    ) -> None:
        """Record a routed command's outcome and wake its sender (NOTIFY on commit); a sender
        that gave up already deleted the row, and then nobody is woken."""
        state = "done" if error_kind is None else "failed"
        self._fetch(
            f"WITH {_NO_FLUSH}, c AS (UPDATE commands SET state = %s, reply = %s,"
            " error_kind = %s, error = %s WHERE id = %s RETURNING id)"
            f" SELECT id, pg_notify('{REPLY_CHANNEL}', id::text) FROM c, no_flush",
            (state, reply, error_kind, error, command_id),
            retry=False,
        )

    def command_outcome(self, command_id: int, *, forget: bool) -> tuple[Any, ...] | None:
        """(state, reply, error_kind, error) of a routed command; ``forget`` deletes it."""
        sql = "SELECT state, reply, error_kind, error FROM commands WHERE id = %s"
        if forget:
            sql = "DELETE FROM commands WHERE id = %s RETURNING state, reply, error_kind, error"
        rows = self._fetch(sql, (command_id,), retry=not forget)
        return rows[0] if rows else None

    def collect_outcome(self, command_id: int) -> tuple[Any, ...] | None:
        """(state, reply, error_kind, error) of a routed command that has finished, deleted
        as it is read (one round trip); None while it is queued or under way."""
        rows = self._fetch(
            f"WITH {_NO_FLUSH}, c AS (DELETE FROM commands WHERE id = %s"
            " AND state IN ('done', 'failed') RETURNING state, reply, error_kind, error)"
            " SELECT state, reply, error_kind, error FROM c, no_flush",
            (command_id,),
            retry=False,
        )
        return rows[0] if rows else None

    def listen(self, *channels: str) -> Any:
        """A dedicated connection LISTENing on ``channels`` (its ``notifies()`` wakes a
        taker, and tells of terminal states changed by other processes)."""
        db = self._connect()
        for channel in channels:
            db.execute(f"LISTEN {channel}")
        return db

    # -- reads --------------------------------------------------------------------------------

    def devices(self) -> list[dict[str, Any]]:
        rows = self._fetch(
            "SELECT sn, modelname, firmware, devinfo, remote, first_seen, last_seen, state,"
            " identity FROM devices ORDER BY last_seen DESC NULLS LAST"
        )
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
        """Terminal -> (state, pinned identity) as the database has them now (what another
        gateway or ``wac terminals`` decided), for every terminal or those in ``sns``."""
        sql, args = "SELECT sn, state, identity FROM devices", []
        if sns is not None:
            sql, args = sql + " WHERE sn = ANY(%s)", [list(sns)]
        return {
            sn: (state, json.loads(identity) if identity else None)
            for sn, state, identity in self._fetch(sql, args)
        }

    def quarantined(self, sn: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Quarantined items, newest first (``id, sn, cmd, reason, raw, received_at``)."""
        sql = "SELECT id, sn, cmd, reason, raw, received_at FROM quarantine"
        args: list[Any] = []
        if sn is not None:
            sql += " WHERE sn = %s"
            args.append(sn)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            {"id": id_, "sn": sn_, "cmd": cmd, "reason": reason, "raw": raw,
             "received_at": _from_micros(at)}
            for id_, sn_, cmd, reason, raw, at in self._fetch(sql, args)
        ]  # fmt: skip

    def quarantine_count(self) -> int:
        return int(self._fetch("SELECT count(*) FROM quarantine")[0][0])

    def fetch_logs(self, query: LogQuery) -> list[tuple[Any, ...]]:
        sql, args = self.logs_sql(query)
        return self._fetch(sql, args)

    def logs_sql(self, query: LogQuery) -> tuple[str, list[Any]]:
        """The SQL and parameters ``fetch_logs`` runs (benchmarks compare against it)."""
        where: list[str] = [] if query.include_pending else ["pending = 0"]
        args: list[Any] = []
        if query.since is not None:
            where.append("time >= %s")
            args.append(query.since.strftime("%Y-%m-%d %H:%M:%S"))
        if query.until is not None:
            where.append("time < %s")
            args.append(query.until.strftime("%Y-%m-%d %H:%M:%S"))
        for column, value in (("sn", query.sn), ("enrollid", query.enrollid)):
            if value is None:
                continue
            values = [value] if isinstance(value, (str, int)) else list(value)
            where.append(f"{column} = ANY(%s)")
            args.append(values)
        sql = f"SELECT {', '.join(LOG_COLUMNS)} FROM logs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY time, id"
        if query.limit is not None:
            sql += f" LIMIT {int(query.limit)}"
        return sql, args

    def fetch_logs_arrow(self, query: LogQuery) -> dict[str, Any]:
        """The ``fetch_logs`` rows as Arrow columns: ``COPY ... TO STDOUT`` parsed by pyarrow.

        No Python object per value: the server writes CSV, pyarrow's C++ reader types it as
        :func:`wac_toolkit.dataframe.row_type` says (``bench/pg_dataframe.py`` measures it
        against ``pandas.read_sql``). NULL is an unquoted empty field, an empty text ``""``.
        """
        import io

        import pyarrow.csv as pacsv  # type: ignore[import-untyped]  # no type hints

        from ..dataframe import row_type

        sql, args = self.logs_sql(query)
        buffer = io.BytesIO()
        try:
            with self._reader() as db:
                inline = psycopg.ClientCursor(db).mogrify(sql, args)
                with db.cursor() as cursor:
                    with cursor.copy(f"COPY ({inline}) TO STDOUT (FORMAT csv)") as copy:
                        for chunk in copy:
                            buffer.write(chunk)
        except psycopg.OperationalError as exc:
            raise StoreError(f"store unavailable: {exc}") from exc
        if not buffer.getbuffer().nbytes:
            return {}
        types = {field.name: field.type for field in row_type()}
        table = pacsv.read_csv(
            io.BytesIO(buffer.getvalue()),
            read_options=pacsv.ReadOptions(column_names=list(LOG_COLUMNS)),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                null_values=[""],
            ),  # fmt: skip
        )
        return {name: table.column(name).combine_chunks() for name in LOG_COLUMNS}

    def count_logs(self) -> int:
        return int(self._fetch("SELECT count(*) FROM logs")[0][0])

    def credentials(self, sn: str) -> list[UserCredential]:
        rows = self._fetch(
            "SELECT enrollid, backupnum, name, admin, record, record_is_number FROM credentials"
            " WHERE sn = %s ORDER BY enrollid, backupnum",
            (sn,),
        )
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
        rows = self._fetch(
            "SELECT enrollid, name, time, time_raw, mode, inout, event FROM logs"
            " WHERE sn = %s ORDER BY time DESC, id DESC LIMIT %s",
            (sn, limit),
        )
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
        rows = self._fetch("SELECT image FROM log_images WHERE log_id = %s", (log_id,))
        return bytes(rows[0][0]) if rows else None

    def reader(self) -> contextlib.AbstractContextManager[Portable]:
        """A read connection taking the shared SQL (``?`` placeholders): store modules only."""
        return _portable(self._reader())

    async def run_write(self, fn: Callable[[Portable], T]) -> T:
        """Run ``fn(connection)`` inside the writer's next transaction; the connection takes
        the shared SQL, like :meth:`reader`'s. Not part of the :class:`~.base.Store`
        protocol: for the store's own modules (:mod:`.roster_sql`, :mod:`.copy`)."""
        return await self._submit(lambda db: fn(Portable(db)))

    # -- the roster's tables: one SQL text for both stores (roster_sql.py) --------------------

    def roster_read(self, fn: Callable[[RosterTx], T]) -> T:
        """``fn`` on the roster's tables on a read connection."""
        return roster_sql.read(self.reader, fn, (psycopg.Error,))

    async def roster_write(self, fn: Callable[[RosterTx], T]) -> T:
        """``fn`` on the roster's tables in the writer's next transaction (see
        :meth:`~wac_toolkit.store.base.Store.roster_write`)."""
        return await roster_sql.write(self.run_write, fn, _NotifyingRosterSQL)

    def schema_version(self) -> int:
        return int(self._fetch("SELECT coalesce(max(version), 0) FROM schema_version")[0][0])

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
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for db in idle:
            with contextlib.suppress(Exception):
                db.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _connect(self) -> Any:
        return psycopg.connect(
            self.dsn,
            autocommit=True,
            connect_timeout=max(1, int(self._connect_timeout)),
            application_name="wac-toolkit",
        )

    @contextlib.contextmanager
    def _reader(self) -> Iterator[Any]:
        """A pooled autocommit connection; a broken one is dropped rather than given back."""
        with self._idle_lock:
            db = self._idle.pop() if self._idle else None
        if db is None or db.closed:
            try:
                db = self._connect()
            except psycopg.Error as exc:
                raise StoreError(f"store unavailable: {exc}") from exc
        try:
            yield db
        except psycopg.OperationalError:
            db.close()
            raise
        with self._idle_lock:
            if len(self._idle) < self._max_readers and not self._closed:
                self._idle.append(db)
                db = None
        if db is not None:
            db.close()

    def _fetch(
        self, sql: str, args: Sequence[Any] = (), *, retry: bool = True
    ) -> list[tuple[Any, ...]]:
        """Rows of one statement; a pooled connection the server dropped (a restart) is
        replaced once, so the first read after an outage does not fail for nothing. Writes
        pass ``retry=False``: the first attempt may have been applied before the drop."""
        for attempt in (1, 2) if retry else (2,):
            try:
                with self._reader() as db:
                    return db.execute(sql, args).fetchall()  # type: ignore[no-any-return]
            except psycopg.OperationalError as exc:
                if attempt == 2:
                    raise StoreError(f"store unavailable: {exc}") from exc
                with self._idle_lock:  # the others are likely broken too
                    stale, self._idle = self._idle, []
                for db in stale:
                    with contextlib.suppress(Exception):
                        db.close()
        raise AssertionError("unreachable")

    def _fail_queued(self) -> None:
        error = StoreError("store is closed")
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None and not job[1].done():
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    job[1].set_exception(error)

    async def _submit(self, fn: Callable[[Any], T]) -> T:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._closing:
            if self._closed:
                raise StoreError("store is closed")
            self._queue.put((fn, future))
        return await asyncio.wrap_future(future)

    def _write_loop(self) -> None:
        db: Any = None
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
                if db is None or db.closed:
                    try:
                        db = self._connect()
                        db.execute("SET synchronous_commit = on")
                    except psycopg.Error as exc:
                        db = None
                        self._fail(batch, exc)
                if db is not None and not self._commit(db, batch):
                    with contextlib.suppress(Exception):
                        db.close()
                    db = None
            if stop:
                if db is not None:
                    db.close()
                return

    def _commit(self, db: Any, batch: list[tuple[Callable[..., Any], Any]]) -> bool:
        """One transaction for the batch, each job in a savepoint; retried on a deadlock.

        Two gateways committing overlapping keys in different orders can deadlock; the
        server aborts one transaction, which is then run again whole (its jobs are pure
        functions of the connection). Returns False when the connection should be dropped.
        """
        for attempt in range(3):
            try:
                outcomes = self._run(db, batch)
            except Exception as exc:
                self._rollback(db)
                if _rolled_back(exc) and attempt < 2:
                    log.info("store %s: batch retried after %s", self.path, exc)
                    continue
                self._fail(batch, exc)
                return db.closed is False and db.info.transaction_status == TransactionStatus.IDLE
            break
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

    def _run(self, db: Any, batch: list[tuple[Callable[..., Any], Any]]) -> list[Any]:
        """The batch's transaction. Each job's RELEASE travels with the next job's SAVEPOINT
        (and the last with COMMIT): one round trip fewer per frame, 1.1-1.5x the acked rows/s
        of a statement per round trip with 20 terminals sending on a loaded 2-core box."""
        outcomes: list[tuple[bool, Any]] = []
        step = "BEGIN; SAVEPOINT job"
        for fn, _ in batch:
            db.execute(step)
            step = "RELEASE SAVEPOINT job; SAVEPOINT job"
            try:
                outcomes.append((True, fn(db)))
            except Exception as exc:
                if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
                    raise  # the database, not the job: connection lost, disk full, deadlock
                if db.closed or db.info.transaction_status not in (
                    TransactionStatus.INTRANS, TransactionStatus.INERROR
                ):  # fmt: skip
                    raise
                db.execute("ROLLBACK TO SAVEPOINT job")
                log.warning("store %s: one write refused: %s", self.path, exc)
                outcomes.append((False, StoreError(f"store refused the write: {exc}")))
        db.execute("RELEASE SAVEPOINT job; COMMIT")
        return outcomes

    @staticmethod
    def _rollback(db: Any) -> None:
        with contextlib.suppress(Exception):
            if not db.closed and db.info.transaction_status != TransactionStatus.IDLE:
                db.execute("ROLLBACK")

    def _fail(self, batch: list[tuple[Callable[..., Any], Any]], exc: Exception) -> None:
        """Fail every caller; nothing of the batch was committed, so nothing is acknowledged."""
        reason = str(exc).strip()
        level = logging.DEBUG if reason == self._failing else logging.ERROR
        self._failing = reason
        log.log(
            level,
            "store %s: write of %d jobs failed (%s); nothing was acknowledged, terminals keep"
            " their records and send them again",
            self.path, len(batch), reason,
        )  # fmt: skip
        error = StoreError(f"store unavailable: {reason}")
        for _, future in batch:
            if not future.done():
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    future.set_exception(error)


class Portable:
    """A psycopg connection that runs SQL written for ``sqlite3`` in the dialect both share.

    The roster's queries (:mod:`.roster_sql`) avoid SQLite-only syntax; what
    remains is the placeholder, ``?`` here and ``%s`` for psycopg, translated once per
    statement text. ``dialect`` lets shared code skip what each store does its own way.
    """

    dialect = "postgres"

    def __init__(self, db: Any) -> None:
        self._db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if not params:
            return self._db.execute(sql)
        return self._db.execute(_placeholders(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        rows = list(rows)
        cursor = self._db.cursor()
        if rows:
            cursor.executemany(_placeholders(sql), rows)
        return cursor


@functools.lru_cache(maxsize=512)
def _placeholders(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


@contextlib.contextmanager
def _portable(inner: contextlib.AbstractContextManager[Any]) -> Iterator[Portable]:
    with inner as db:
        yield Portable(db)


@overload
def _text(value: str) -> str: ...
@overload
def _text(value: str | None) -> str | None: ...
def _text(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL (SQLite can): it becomes U+FFFD rather than making a
    terminal's frame fail for ever (it would re-send it and never get past it)."""
    if value is None or "\x00" not in value:
        return value
    return value.replace("\x00", "\ufffd")


def _set_state(db: Any, sn: str, state: str, identity: dict[str, str] | None) -> None:
    pinned = json.dumps(identity, sort_keys=True) if identity else None
    db.execute(
        "INSERT INTO devices (sn, state, identity) VALUES (%s,%s,%s) ON CONFLICT (sn) DO UPDATE"
        " SET state=excluded.state, identity=excluded.identity",
        (sn, state, _text(pinned)),
    )
    if state == "adopted":
        db.execute("UPDATE logs SET pending = 0 WHERE sn = %s AND pending = 1", (sn,))
    db.execute("SELECT pg_notify(%s, %s)", (TERMINALS_CHANNEL, sn))


def _from_micros(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1_000_000, UTC)


class _NotifyingRosterSQL(roster_sql.RosterSQL):
    """The roster's transaction on PostgreSQL: queued steps also NOTIFY their terminal's
    serial (sent at commit, dropped on rollback), which wakes the gateway holding it."""

    def queue_steps(
        self, sn: str, steps: Iterable[tuple[str, int, int | None, bool | None]], now: int
    ) -> None:
        steps = list(steps)
        super().queue_steps(sn, steps, now)
        if steps:
            self.db.execute("SELECT pg_notify(?, ?)", (roster_sql.ROSTER_CHANNEL, sn))
