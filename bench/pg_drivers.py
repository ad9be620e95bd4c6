"""asyncpg against psycopg 3 on the PostgreSQL store's ingest path, to pick the driver.

Every cell writes the same 100-row ``sendlog`` frames into the store's own ``logs`` table
(fresh per cell) and commits each frame before the next, as a gateway does before it acks:

* ``frame``: BEGIN, SAVEPOINT, the store's one-statement insert (``unnest`` of column arrays,
  ``ON CONFLICT DO NOTHING RETURNING`` the new rows), RELEASE, COMMIT;
* ``group10``: the same, ten frames per transaction (group commit, one savepoint each);
* ``executemany`` / ``copy``: the raw floors, a plain INSERT of the rows, or COPY, per frame.

``python -m bench.pg_drivers [--dsn DSN] [--frames N]`` (without --dsn a temporary server is
started with Debian's binaries). Prints rows/s per driver and cell (best of 3) and the
client's CPU per frame: on a shared machine wall time is noisy, CPU time much less so.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from wac_toolkit.store import postgres as pgstore

__all__ = ["frames_of", "main"]

START = datetime(2025, 8, 1, 8, 0, 0)
DURABLE = True
"""False (``--no-fsync``): ``synchronous_commit = off`` for the bench's own sessions, so the
cells compare driver and protocol cost rather than the disk's flush time."""
PLAIN = (
    "INSERT INTO logs (sn, enrollid, name, time, time_raw, mode, inout, event, temp,"
    " verifymode, logindex, received_at, has_image) VALUES"
)
COPY_COLUMNS = [
    "sn", "enrollid", "name", "time", "time_raw", "mode", "inout", "event", "temp",
    "verifymode", "logindex", "received_at", "has_image",
]  # fmt: skip


def frames_of(count: int, size: int = 100, terminals: int = 50) -> list[list[tuple]]:
    """``count`` frames of ``size`` rows in the store's column order, spread over terminals."""
    at = pgstore.micros(datetime.now(UTC))
    out = []
    for f in range(count):
        sn = f"VT{f % terminals:05d}"
        base = START + timedelta(seconds=37 * size * (f // terminals))
        out.append(
            [
                (sn, 1 + (k + f) % 50, None, (base + timedelta(seconds=37 * k)).isoformat(" "),
                 None, (0, 1, 2, 8)[k % 4], k % 2, 0, None, None, f, at, 0)
                for k in range(size)
            ]
        )  # fmt: skip
    return out


def columns(rows: list[tuple]) -> list[list]:
    """The per-column arrays the store's insert takes (what ``ingest_logs`` builds)."""
    return [list(c) for c in zip(*rows, strict=True)]


async def _asyncpg(dsn: str, frames: list[list[tuple]], cell: str) -> tuple[float, float]:
    import asyncpg

    db = await asyncpg.connect(dsn)
    if not DURABLE:
        await db.execute("SET synchronous_commit = off")
    try:
        await db.execute("DROP TABLE IF EXISTS logs CASCADE; DROP TABLE IF EXISTS schema_version")
        for step in pgstore.schema_steps():
            await db.execute(step)
        insert = pgstore.INSERT_LOGS.replace("%b", "${}").format(*range(1, 14))
        began, cpu = time.perf_counter(), time.process_time()
        if cell in ("frame", "group10"):
            per = 1 if cell == "frame" else 10
            for i in range(0, len(frames), per):
                async with db.transaction():
                    for rows in frames[i : i + per]:
                        async with db.transaction():  # a savepoint
                            sn, logindex, at = rows[0][0], rows[0][10], rows[0][11]
                            c = columns(rows)
                            await db.fetch(insert, sn, logindex, at, *_arrays(c))
        elif cell == "executemany":
            sql = PLAIN + " ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
            for rows in frames:
                async with db.transaction():
                    await db.executemany(sql, rows)
        else:
            for rows in frames:
                async with db.transaction():
                    await db.copy_records_to_table("logs", records=rows, columns=COPY_COLUMNS)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        count = await db.fetchval("SELECT count(*) FROM logs")
    finally:
        await db.close()
    assert count == sum(len(f) for f in frames), count
    return count / seconds, cpu / len(frames) * 1e6


def _arrays(c: list[list]) -> list[list]:
    # sn, enrollid, name, time, time_raw, mode, inout, event, temp, verifymode, logindex, at, img
    return [c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[12]]


def _psycopg(dsn: str, frames: list[list[tuple]], cell: str) -> tuple[float, float]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as db:
        if not DURABLE:
            db.execute("SET synchronous_commit = off")
        db.execute("DROP TABLE IF EXISTS logs CASCADE; DROP TABLE IF EXISTS schema_version")
        for step in pgstore.schema_steps():
            db.execute(step)
        began, cpu = time.perf_counter(), time.process_time()
        if cell in ("frame", "group10"):
            per = 1 if cell == "frame" else 10
            for i in range(0, len(frames), per):
                with db.transaction():
                    for rows in frames[i : i + per]:
                        with db.transaction():  # a savepoint
                            sn, logindex, at = rows[0][0], rows[0][10], rows[0][11]
                            c = columns(rows)
                            db.execute(
                                pgstore.INSERT_LOGS, (sn, logindex, at, *_arrays(c)), prepare=True
                            ).fetchall()
        elif cell == "executemany":
            sql = PLAIN + " (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
            for rows in frames:
                with db.transaction(), db.cursor() as cur:
                    cur.executemany(sql, rows)
        else:
            for rows in frames:
                with db.transaction(), db.cursor() as cur:
                    with cur.copy(f"COPY logs ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        count = db.execute("SELECT count(*) FROM logs").fetchone()[0]  # type: ignore[index]
    assert count == sum(len(f) for f in frames), count
    return count / seconds, cpu / len(frames) * 1e6


def _best(fn: Callable[[], tuple[float, float]], repeat: int) -> tuple[float, float]:
    """Best rows/s and least client CPU per frame over ``repeat`` runs (noise only slows)."""
    runs = [fn() for _ in range(repeat)]
    return max(r[0] for r in runs), min(r[1] for r in runs)


def measure(dsn: str, frames: int = 300, repeat: int = 3) -> dict[str, dict[str, tuple]]:
    """Cells interleaved driver by driver, so both see the same load on a shared machine."""
    batch = frames_of(frames)
    out: dict[str, dict[str, tuple]] = {"asyncpg": {}, "psycopg": {}}
    for cell in ("frame", "group10", "executemany", "copy"):
        run: Callable[[], Awaitable[tuple]] = lambda c=cell: _asyncpg(dsn, batch, c)  # noqa: E731
        out["asyncpg"][cell] = _best(lambda r=run: asyncio.run(r()), repeat)
        out["psycopg"][cell] = _best(lambda c=cell: _psycopg(dsn, batch, c), repeat)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="an empty database to use (default: a temporary server)")
    parser.add_argument("--frames", type=int, default=300, help="100-row frames per cell")
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell (best is kept)")
    parser.add_argument(
        "--no-fsync", action="store_true", help="synchronous_commit = off (driver cost only)"
    )
    args = parser.parse_args()
    global DURABLE
    DURABLE = not args.no_fsync
    if args.dsn:
        results = measure(args.dsn, args.frames, args.repeat)
    else:
        from tests.pg_cluster import PgCluster

        with PgCluster() as cluster:
            results = measure(cluster.create_database("bench"), args.frames, args.repeat)
    import asyncpg
    import psycopg

    print(
        f"asyncpg {asyncpg.__version__}, psycopg {psycopg.__version__} ({psycopg.pq.__impl__}),"
        f" {'durable commits' if DURABLE else 'synchronous_commit=off'}, {args.frames} frames"
    )
    cells = list(results["asyncpg"])
    for label, index, fmt in (("rows/s", 0, ",.0f"), ("client CPU us/frame", 1, ",.0f")):
        print(f"{label:<20}" + "".join(f"{c:>13}" for c in cells))
        for driver, row in results.items():
            print(f"{driver:<20}" + "".join(f"{row[c][index]:>13{fmt}}" for c in cells))
        ratios = [results["asyncpg"][c][index] / results["psycopg"][c][index] for c in cells]
        print(f"{'asyncpg / psycopg':<20}" + "".join(f"{r:>13.2f}" for r in ratios))


if __name__ == "__main__":
    main()
