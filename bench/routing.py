"""Round trip of a command routed through PostgreSQL, against a local command in the same run.

A gateway (a listening Session) holds a virtual terminal; a Session that serves no
terminals (``listen=False``, what ``wac open-door --db postgresql://...`` opens) sends it
``opendoor`` through the database. Three ways, interleaved round by round so the machine's
load falls on each alike:

* local: the holder's own ``command`` over its live connection (the floor);
* routed, NOTIFY: the holder is woken by NOTIFY, the sender by the holder's NOTIFY;
* routed, polled: the sender looks for the outcome at 5, 10, 20 ... 100 ms (as before
  replies came by NOTIFY).

Everything runs in one process on one event loop (the holder, the terminal, the sender),
so the routed numbers include the holder's work too. Medians and 90th percentiles in ms,
and each as a ratio to the local median.

``python -m bench.routing [--dsn DSN] [--commands N] [--rounds R]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

__all__ = ["main", "measure"]

SN = "BENCH1"


async def measure(dsn: str, commands: int, rounds: int) -> dict[str, list[float]]:
    from wac_toolkit import Session, VirtualTerminal

    times: dict[str, list[float]] = {"local": [], "routed, NOTIFY": [], "routed, polled": []}
    async with (
        Session(dsn, "127.0.0.1", 0, adopt_new=True) as holder,
        Session(dsn, listen=False) as client,
        VirtualTerminal(holder.url, SN),
    ):
        sender = client.transport.sender
        assert sender is not None, "routing needs a PostgreSQL store"
        while (await asyncio.to_thread(client.store.holders)).get(SN) is None:
            await asyncio.sleep(0.01)
        await client.command(SN, "opendoor")  # warm: LISTEN in place, connections pooled
        ways: dict[str, Any] = {
            "local": (holder, None),
            "routed, NOTIFY": (client, True),
            "routed, polled": (client, False),
        }
        for _ in range(rounds):
            for name, (session, notify) in ways.items():
                if notify is not None:
                    sender.notify = notify
                for _ in range(commands):
                    began = time.perf_counter()
                    await session.command(SN, "opendoor")
                    times[name].append(time.perf_counter() - began)
        print(f"sender outcomes found by: {dict(sender.replies)}")
        router = holder.presence.router if holder.presence is not None else None
        if router is not None:
            print(f"holder commands taken on: {dict(router.taken)}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="an empty database (default: a temporary server)")
    parser.add_argument("--commands", type=int, default=50, help="per way and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.dsn:
        times = asyncio.run(measure(args.dsn, args.commands, args.rounds))
    else:
        from tests.pg_cluster import PgCluster

        with PgCluster() as cluster:
            dsn = cluster.create_database("routing")
            times = asyncio.run(measure(dsn, args.commands, args.rounds))
    local = statistics.median(times["local"])
    print(f"{args.commands} x {args.rounds} rounds of opendoor per way, interleaved")
    for name, samples in times.items():
        median = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1]
        print(
            f"{name:<16} median {median * 1e3:7.2f} ms  p90 {p90 * 1e3:7.2f} ms"
            f"  {median / local:6.1f}x local"
        )
    notify = statistics.median(times["routed, NOTIFY"])
    polled = statistics.median(times["routed, polled"])
    print(f"routed polled / routed NOTIFY: {polled / notify:.2f}x")


if __name__ == "__main__":
    main()
