"""1M stored logs into a DataFrame: ``Session.logs()`` against raw ``pandas.read_sql``.

The Parquet path is the one ``wac logs --format parquet`` writes: a columnar snapshot loads
about two orders of magnitude faster than any SQLite read, which is where big analyses go.
"""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from wac_toolkit.store.base import LogQuery
from wac_toolkit.store.sqlite import _INSERT_LOG, SCHEMA, micros

from .harness import Result, best_of

__all__ = ["build_store", "run"]


def build_store(path: Path, rows: int, terminals: int = 100) -> None:
    """A store file with ``rows`` logs spread over ``terminals`` terminals and a year."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    db.executescript(SCHEMA)
    start = datetime(2025, 1, 1, 7, 0, 0)
    at = micros(datetime.now(UTC))
    names = [f"Person {i}" for i in range(500)]
    db.execute("BEGIN")
    batch = []
    for i in range(rows):
        t = i % terminals
        moment = start + timedelta(seconds=31 * (i // terminals))
        enrollid = 1 + (i * 7919) % 500
        batch.append((f"VT{t:05d}", enrollid, names[enrollid - 1] if i % 3 else None,
                      moment.strftime("%Y-%m-%d %H:%M:%S"), None, (0, 1, 2, 8)[i % 4], i % 2,
                      0, None if i % 5 else 36.6, None, i // 100, at, 0))  # fmt: skip
        if len(batch) == 50_000:
            db.executemany(_INSERT_LOG, batch)
            batch.clear()
    db.executemany(_INSERT_LOG, batch)
    db.execute("COMMIT")
    db.close()


def run(rows: int = 1_000_000) -> list[Result]:
    import pandas as pd

    from wac_toolkit import Session

    with tempfile.TemporaryDirectory(prefix="wac-bench-") as tmp:
        path = Path(tmp) / "logs.sqlite"
        build_store(path, rows)
        session = Session(path, tz="Europe/Berlin")
        try:
            sql, args = session.store.logs_sql(LogQuery())

            def raw() -> Any:
                with sqlite3.connect(path) as db:
                    return pd.read_sql(sql, db, params=args)

            base, raw_frame = best_of(raw)
            ours, frame = best_of(session.logs)
        finally:
            session.store.close()
        assert len(frame) == len(raw_frame) == rows, (len(frame), len(raw_frame))
        parquet = Path(tmp) / "logs.parquet"
        write, _ = best_of(lambda: frame.to_parquet(parquet, index=False), 1)
        load, loaded = best_of(lambda: pd.read_parquet(parquet))
        assert len(loaded) == rows
    return [
        Result(f"{rows:,} logs -> typed DataFrame (Session.logs)", ours, base, "s", "<= 1.0x",
               ours <= base, note="baseline: pandas.read_sql of the same query, untyped"),
        Result(f"{rows:,} logs from a Parquet snapshot (wac logs --format parquet)", load, base,
               "s", "<= 0.1 s", load <= 0.1, note=f"writing the snapshot took {write:.2f} s"),
    ]  # fmt: skip


if __name__ == "__main__":
    import sys

    for r in run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000):
        print(f"{r.name}: {r.ours:.3f} vs {r.baseline:.3f} {r.unit} ratio {r.ratio:.2f} {r.met}")
