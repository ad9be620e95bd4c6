"""End-to-end ingest: a virtual fleet pushes 100-record ``sendlog`` frames to a gateway process.

Two ratios come out of one fleet run:

* acked rows/s against the storage floor: raw SQLite ``executemany`` of the same rows into a
  table with only a uniqueness key on the record's identity, 100 per transaction, one commit
  per frame, WAL, same ``synchronous`` level; and, for the record, against the same
  ``executemany`` into the store's own, richer schema;
* server CPU per frame (parse, validate, store, ack; read from /proc) against a bare websockets
  echo server handling the same frames over the same number of connections.

Every run also checks correctness: rows in the database equal rows the terminals saw acked.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from websockets.asyncio.client import connect

from wac_toolkit.net.terminal import run_fleet
from wac_toolkit.protocol import frames
from wac_toolkit.protocol.models import LogRecord, VerifyMode
from wac_toolkit.protocol.values import format_time
from wac_toolkit.store.migrations import upgrade_sqlite
from wac_toolkit.store.sqlite import _INSERT_LOG, micros

from .harness import Result, ServerProcess

__all__ = ["run"]

START = datetime(2025, 8, 1, 8, 0, 0)


def _records(t_index: int, n: int) -> list[LogRecord]:
    """The records ``run_fleet`` gives terminal number ``t_index``."""
    out = []
    for k in range(n):
        moment = format_time(START + timedelta(seconds=37 * k))
        out.append(
            LogRecord(
                enrollid=1 + (k + t_index) % 50, time=moment, time_raw=moment,
                mode=VerifyMode((0, 1, 2, 8)[k % 4]), inout=k % 2, event=0,
            )
        )  # fmt: skip
    return out


FLOOR_SCHEMA = """
CREATE TABLE logs (
    sn TEXT NOT NULL, enrollid INTEGER, name TEXT, time TEXT NOT NULL, time_raw TEXT,
    mode INTEGER, inout INTEGER, event INTEGER, temp REAL, verifymode INTEGER,
    logindex INTEGER, received_at INTEGER, has_image INTEGER,
    UNIQUE (sn, enrollid, time, mode, inout, event)
);
"""
"""The floor of issue 15: the same columns, nothing but a uniqueness key on the identity."""


def raw_executemany(
    path: Path, terminals: int, per: int, batch: int, sync: str, schema: str | None = None
) -> float:
    """Rows/s of plain executemany into ``schema`` (None: the store's current schema, every
    migration step), one commit per batch."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {sync}")
    if schema is None:
        upgrade_sqlite(db)
    else:
        db.executescript(schema)
    at = micros(datetime.now(UTC))
    batches = []
    for t in range(terminals):
        records = _records(t, per)
        for i in range(0, per, batch):
            rows = [
                (f"VT{t:05d}", r.enrollid, r.name, r.time, None, int(r.mode), r.inout, r.event,
                 r.temp, r.verifymode, i // batch + 1, at, 0)
                for r in records[i : i + batch]
            ]  # fmt: skip
            batches.append(rows)
    began = time.perf_counter()
    for rows in batches:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(_INSERT_LOG, rows)
        db.execute("COMMIT")
    seconds = time.perf_counter() - began
    count = db.execute("SELECT count(*) FROM logs").fetchone()[0]
    db.close()
    assert count == terminals * per, count
    return count / seconds


async def _echo_frames(url: str, connections: int, frames_each: int, batch: int) -> float:
    """Send the same sendlog frames to the echo server; returns frames/s."""

    async def one(t: int) -> None:
        records = _records(t, frames_each * batch)
        texts = [
            frames.encode({"cmd": "sendlog", "sn": f"VT{t:05d}", "count": batch,
                           "logindex": i + 1,
                           "record": [r.to_wire() for r in records[i * batch:(i + 1) * batch]]})
            for i in range(frames_each)
        ]  # fmt: skip
        async with connect(url, compression=None, ping_interval=None, max_size=None) as ws:
            await ws.send('{"cmd":"reg","sn":"x"}')
            await ws.recv()
            for text in texts:
                await ws.send(text)
                await ws.recv()

    began = time.perf_counter()
    await asyncio.gather(*(one(t) for t in range(connections)))
    return connections * frames_each / (time.perf_counter() - began)


def run(terminals: int = 50, per: int = 4000, batch: int = 100, sync: str = "FULL") -> list[Result]:
    frames_total = terminals * per // batch
    with tempfile.TemporaryDirectory(prefix="wac-bench-") as tmp:
        raw = raw_executemany(Path(tmp) / "raw.sqlite", terminals, per, batch, sync)
        floor = raw_executemany(
            Path(tmp) / "floor.sqlite", terminals, per, batch, sync, FLOOR_SCHEMA
        )
        db = Path(tmp) / "gateway.sqlite"
        with ServerProcess("session", str(db), sync) as server:
            cpu0 = server.cpu()
            fleet = asyncio.run(run_fleet(server.url(), terminals, per, batch_size=batch))
            cpu_ours = (server.cpu() - cpu0) / frames_total
        stored = sqlite3.connect(db).execute("SELECT count(*) FROM logs").fetchone()[0]
        if stored != fleet.records or fleet.records != terminals * per:
            raise AssertionError(f"acked {fleet.records} rows but stored {stored}")
        with ServerProcess("protocol", str(Path(tmp) / "protocol.sqlite"), sync) as server:
            cpu0 = server.cpu()
            asyncio.run(run_fleet(server.url(), terminals, per, batch_size=batch))
            cpu_protocol = (server.cpu() - cpu0) / frames_total
        with ServerProcess("echo") as echo:
            cpu0 = echo.cpu()
            asyncio.run(_echo_frames(echo.url(), terminals, per // batch, batch))
            cpu_echo = (echo.cpu() - cpu0) / frames_total
    return [
        Result(
            f"acked rows/s vs storage floor ({terminals} terminals x {per}, {batch}/frame, {sync})",
            fleet.rate, floor, "rows/s", ">= 0.8x", fleet.rate / floor >= 0.8,
            note=f"baseline: executemany {batch}/txn into a table with only the identity key"
            f", WAL, {sync}; rows stored = rows acked",
        ),
        Result(
            f"acked rows/s vs the store's own schema ({terminals} x {per}, {sync})",
            fleet.rate, raw, "rows/s", ">= 0.5x", fleet.rate / raw >= 0.5,
            note=f"baseline: executemany {batch}/txn into the store's schema and indexes",
        ),
        Result(
            f"server CPU per {batch}-record sendlog (incl. SQLite)",
            cpu_ours * 1e6, cpu_echo * 1e6, "us", "<= 8x", cpu_ours / cpu_echo <= 8,
            note="baseline: websockets echo of the same frames",
        ),
        Result(
            f"server CPU per {batch}-record sendlog, protocol only (rows not stored)",
            cpu_protocol * 1e6, cpu_echo * 1e6, "us", "<= 3x", cpu_protocol / cpu_echo <= 3,
            note="decode, validate 100 records, events, ack; the SQLite write is left out",
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    for r in run():
        print(r, f"ratio={r.ratio:.2f}")
