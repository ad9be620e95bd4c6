"""Stored logs into a DataFrame from PostgreSQL: ``Session.logs()`` against ``pandas.read_sql``.

``Session.logs()`` on the PostgreSQL store reads the rows with ``COPY ... TO STDOUT`` into
pyarrow's CSV reader and builds the typed frame from Arrow columns. The baselines, measured
in the same run on the same rows: ``pandas.read_sql`` of the same query on a psycopg
connection (untyped object columns, less work than ours), and the store's row path
(``fetch_logs`` tuples -> the typed frame), which is what the SQLite store does.

``python -m bench.pg_dataframe [--dsn DSN] [--rows N]``
"""

from __future__ import annotations

import argparse
import warnings
from datetime import UTC, datetime, timedelta

from wac_toolkit.store import LogQuery, open_store
from wac_toolkit.store.postgres import micros

from .harness import best_of

__all__ = ["build", "main", "measure"]


def build(dsn: str, rows: int, terminals: int = 100) -> None:
    """``rows`` logs over ``terminals`` terminals and a year, written with COPY."""
    import psycopg

    open_store(dsn).close()  # the schema
    start = datetime(2025, 1, 1, 7, 0, 0)
    at = micros(datetime.now(UTC))
    columns = "sn, enrollid, name, time, mode, inout, event, temp, logindex, received_at"
    with psycopg.connect(dsn) as db, db.cursor() as cursor:
        with cursor.copy(f"COPY logs ({columns}) FROM STDIN") as copy:
            for i in range(rows):
                t = i % terminals
                moment = start + timedelta(seconds=31 * (i // terminals))
                enrollid = 1 + (i * 7919) % 500
                copy.write_row((
                    f"VT{t:05d}", enrollid, f"Person {enrollid}" if i % 3 else None,
                    moment.strftime("%Y-%m-%d %H:%M:%S"), (0, 1, 2, 8)[i % 4], i % 2, 0,
                    None if i % 5 else 36.6, i // 100, at,
                ))  # fmt: skip
        db.execute("ANALYZE logs")


def measure(dsn: str, rows: int) -> dict[str, float]:
    import pandas as pd
    import psycopg

    from wac_toolkit import Session
    from wac_toolkit.dataframe import logs_frame

    build(dsn, rows)
    session = Session(dsn, tz="Europe/Berlin")
    try:
        sql, args = session.store.logs_sql(LogQuery())
        with psycopg.connect(dsn) as db, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pandas prefers SQLAlchemy
            read_sql, raw = best_of(lambda: pd.read_sql(sql, db, params=args))
        ours, frame = best_of(session.logs)
        row_path, _ = best_of(lambda: logs_frame(session.store.fetch_logs(LogQuery()), session.tz))
    finally:
        session.store.close()
    assert len(frame) == len(raw) == rows
    return {"Session.logs() (COPY -> Arrow)": ours, "pandas.read_sql": read_sql,
            "row path (fetch_logs -> frame)": row_path}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="an empty database (default: a temporary server)")
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    if args.dsn:
        results = measure(args.dsn, args.rows)
    else:
        from tests.pg_cluster import PgCluster

        with PgCluster() as cluster:
            results = measure(cluster.create_database("frame"), args.rows)
    base = results["pandas.read_sql"]
    print(f"{args.rows:,} rows, best of 3")
    for name, seconds in results.items():
        print(f"{name:<32} {seconds:7.3f} s  {args.rows / seconds:>12,.0f} rows/s"
              f"  {seconds / base:5.2f}x read_sql")  # fmt: skip


if __name__ == "__main__":
    main()
