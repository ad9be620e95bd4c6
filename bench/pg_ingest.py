"""Acked rows/s on PostgreSQL through one and two gateways, against raw inserts of the same rows.

One invocation measures, on one server:

* the floors: psycopg ``executemany`` of plain INSERTs and ``COPY``, 100 rows per transaction
  (one commit per frame, as the gateway acks per frame), into the store's own ``logs`` table;
* one ``wac`` gateway process (a real Session on the PostgreSQL store) taking a virtual fleet's
  100-record ``sendlog`` frames, acking each after its commit;
* two gateway processes on the same database, half the fleet on each.

Every gateway run checks that the database holds exactly the rows the terminals saw acked.
``python -m bench.pg_ingest [--dsn DSN] [--terminals N] [--per N]`` (without --dsn a temporary
server is started from Debian's binaries).
"""

from __future__ import annotations

import argparse
import asyncio
import time

from wac_toolkit.net.terminal import run_fleet

from .harness import ServerProcess
from .pg_drivers import _psycopg, frames_of

__all__ = ["main", "measure"]


def _count(dsn: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as db:
        return int(db.execute("SELECT count(*) FROM logs").fetchone()[0])  # type: ignore[index]


def _gateways(dsn: str, gateways: int, terminals: int, per: int) -> float:
    servers = [ServerProcess("session", dsn) for _ in range(gateways)]
    try:

        async def fleets() -> int:
            share = terminals // gateways
            results = await asyncio.gather(
                *(run_fleet(s.url(), share, per, batch_size=100, prefix=f"G{i}T")
                  for i, s in enumerate(servers))
            )  # fmt: skip
            return sum(r.records for r in results)

        began = time.perf_counter()
        acked = asyncio.run(fleets())
        seconds = time.perf_counter() - began
    finally:
        for s in servers:
            s.close()
    stored = _count(dsn)
    if stored != acked or acked != terminals // gateways * gateways * per:
        raise AssertionError(f"acked {acked} rows but stored {stored}")
    return acked / seconds


def measure(create_db, terminals: int = 20, per: int = 500) -> dict[str, float]:  # noqa: ANN001
    frames = frames_of(terminals * per // 100, terminals=terminals)
    out = {
        "raw executemany, 100/txn": _psycopg(create_db("raw1"), frames, "executemany")[0],
        "raw COPY, 100/txn": _psycopg(create_db("raw2"), frames, "copy")[0],
        "1 gateway, acked": _gateways(create_db("gw1"), 1, terminals, per),
        "2 gateways, acked": _gateways(create_db("gw2"), 2, terminals, per),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="a server to use (databases are created on it)")
    parser.add_argument("--terminals", type=int, default=20)
    parser.add_argument("--per", type=int, default=500, help="records per terminal")
    args = parser.parse_args()
    if args.dsn:
        import psycopg

        def create_db(name: str) -> str:
            with psycopg.connect(args.dsn, autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{name}"')
                db.execute(f'CREATE DATABASE "{name}"')
            return args.dsn.rsplit("/", 1)[0] + "/" + name

        results = measure(create_db, args.terminals, args.per)
    else:
        from tests.pg_cluster import PgCluster

        with PgCluster() as cluster:
            results = measure(cluster.create_database, args.terminals, args.per)
    print(f"{args.terminals} terminals x {args.per} records, 100 per frame, durable commits")
    floor = results["raw executemany, 100/txn"]
    for name, rate in results.items():
        print(f"{name:<28} {rate:>10,.0f} rows/s   {rate / floor:5.2f}x executemany")


if __name__ == "__main__":
    main()
