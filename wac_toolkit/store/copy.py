"""``wac migrate``: copy a SQLite store into another store (PostgreSQL), idempotently.

Logs go through the destination's own ``ingest_logs`` in groups that share terminal,
``logindex`` and receive time, so the natural key drops rows already there and a copy run
twice stores nothing twice; photos follow their rows, and records of terminals pending
adoption stay pending. Every other table (devices,
credentials, the roster and its queue) is copied row by row with ``ON CONFLICT DO NOTHING``:
a row already in the destination is left as it is. Log ids are the destination's own.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..protocol.models import LogRecord, VerifyMode
from .base import LOG_COLUMNS
from .sqlite import SQLiteStore

__all__ = ["TABLES", "copy_store"]

TABLES = (
    "devices", "credentials", "roster_people", "roster_credentials", "roster_assignments",
    "roster_groups", "roster_meta", "roster_planned", "roster_enabled", "roster_queue",
    "roster_outcomes", "roster_conflicts", "quarantine",
)  # fmt: skip
"""Tables copied row by row (all but the logs and their photos), in this order."""

_IDENTITY = ("roster_queue", "roster_outcomes", "roster_conflicts", "quarantine")
"""Tables whose ids the destination generates: its counter is moved past the copied ids."""


async def copy_store(
    source: SQLiteStore,
    dest: Any,
    *,
    batch: int = 5000,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy ``source`` into ``dest``; returns the rows newly stored per table."""
    out: dict[str, int] = {}
    with source.reader() as db:
        present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table in TABLES:
        if table not in present:
            continue
        with source.reader() as db:
            cursor = db.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        out[table] = await dest.run_write(_insert(table, columns, rows))
        if progress:
            progress(table, out[table])
    out["logs"] = await _copy_logs(source, dest, batch)
    if progress:
        progress("logs", out["logs"])
    return out


def _insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> Callable[[Any], int]:
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        " ON CONFLICT DO NOTHING"
    )

    def write(db: Any) -> int:
        new = 0
        for row in rows:  # one by one: rowcount tells what was new, in either database
            new += max(db.execute(sql, row).rowcount, 0)
        if table in _IDENTITY and getattr(db, "dialect", "sqlite") == "postgres" and rows:
            db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" greatest((SELECT max(id) FROM {table}), 1))"
            )
        return new

    return write


async def _copy_logs(source: SQLiteStore, dest: Any, batch: int) -> int:
    new = 0
    last = 0
    while True:
        with source.reader() as db:
            rows = db.execute(
                f"SELECT {', '.join(LOG_COLUMNS)}, pending FROM logs WHERE id > ?"
                " ORDER BY id LIMIT ?",
                (last, batch),
            ).fetchall()
        if not rows:
            return new
        last = rows[-1][0]
        group: list[LogRecord] = []
        key: tuple[Any, ...] | None = None
        for row in rows:
            row_key = (row[1], row[11], row[12], row[14])  # sn, logindex, received_at, pending
            if key is not None and row_key != key:
                new += await _ingest(dest, key, group)
                group = []
            key = row_key
            group.append(_record(row, source.log_image(row[0]) if row[13] else None))
        if group and key is not None:
            new += await _ingest(dest, key, group)


async def _ingest(dest: Any, key: tuple[Any, ...], records: list[LogRecord]) -> int:
    sn, logindex, received_at, pending = key
    at = datetime.fromtimestamp(received_at / 1_000_000, UTC)
    new = await dest.ingest_logs(
        sn, records, logindex=logindex, received_at=at, pending=bool(pending)
    )
    return len(new)


def _record(row: tuple[Any, ...], image: bytes | None) -> LogRecord:
    (_, _, enrollid, name, time, time_raw, mode, inout, event, temp, verifymode, *_) = row
    return LogRecord(
        enrollid=enrollid, time=time, time_raw=time_raw or time, name=name,
        mode=None if mode is None else VerifyMode(mode), inout=inout, event=event, temp=temp,
        image=None if image is None else base64.b64encode(image).decode(),
        verifymode=verifymode,
    )  # fmt: skip
