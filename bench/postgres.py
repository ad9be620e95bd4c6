"""The PostgreSQL figures for ``python -m bench``: one throwaway server, three results.

Acked rows/s through one and two gateways (each against raw ``executemany`` of the same rows,
100 per transaction, same run) and ``Session.logs()`` against ``pandas.read_sql``; see
``bench/pg_ingest.py`` and ``bench/pg_dataframe.py`` for what each measures. Skipped, with a
note, where Debian's PostgreSQL binaries are not installed.
"""

from __future__ import annotations

from .harness import Result

__all__ = ["run"]


def run(terminals: int = 20, per: int = 500, rows: int = 200_000) -> list[Result]:
    from tests.pg_cluster import PgCluster, find_bindir

    if find_bindir() is None:
        return [Result("PostgreSQL", float("nan"), float("nan"), "", note="not installed")]
    from . import pg_dataframe, pg_ingest

    with PgCluster() as cluster:
        ingest = pg_ingest.measure(cluster.create_database, terminals, per)
        frame = pg_dataframe.measure(cluster.create_database("frame"), rows)
    floor = ingest["raw executemany, 100/txn"]
    read_sql = frame["pandas.read_sql"]
    ours = frame["Session.logs() (COPY -> Arrow)"]
    return [
        Result(
            f"PostgreSQL acked rows/s, 1 gateway ({terminals} terminals x {per})",
            ingest["1 gateway, acked"], floor, "rows/s", ">= 0.5x",
            ingest["1 gateway, acked"] / floor >= 0.5,
            note=f"baseline: psycopg executemany 100/txn; COPY 100/txn: {ingest['raw COPY, 100/txn']:,.0f} rows/s",
        ),
        Result(
            f"PostgreSQL acked rows/s, 2 gateways ({terminals} terminals x {per})",
            ingest["2 gateways, acked"], floor, "rows/s", ">= 0.5x",
            ingest["2 gateways, acked"] / floor >= 0.5,
            note="both gateway processes and the fleet share the machine with the server",
        ),
        Result(
            f"PostgreSQL Session.logs() of {rows:,} rows (COPY -> Arrow)",
            rows / ours, rows / read_sql, "rows/s", ">= 1x", ours <= read_sql,
            note="baseline: pandas.read_sql of the same query (untyped columns)",
        ),
    ]  # fmt: skip
