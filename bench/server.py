"""Benchmark servers, each in its own process so their CPU and memory can be read from /proc.

``python -m bench.server session DB`` runs a real :class:`~wac_toolkit.session.Session`;
``python -m bench.server protocol DB`` the same Session with log rows not written (protocol
cost alone); ``python -m bench.server echo`` runs a bare websockets echo server (the baseline).
All print
``PORT <n>`` and then obey one-line commands on stdin, answering one JSON line on stdout:

``rss``          resident set size in bytes
``online``       terminals (or connections) currently open
``rtt N``        session only: N ``setuserinfo`` round trips to online terminals (ms list)
``quit``         stop
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from typing import Any

__all__ = ["main", "raise_file_limit", "rss_bytes"]


def raise_file_limit() -> int:
    """Lift the soft open-file limit to the hard one (10,000 terminals need 10,000 sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_bytes(pid: int | None = None) -> int:
    with open(f"/proc/{pid or 'self'}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _echo(port: int) -> tuple[Any, Any]:
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    connections: set[Any] = set()

    async def handler(ws: Any) -> None:
        connections.add(ws)
        try:
            async for message in ws:
                await ws.send(message)
        except ConnectionClosed:
            pass
        finally:
            connections.discard(ws)

    server = await serve(
        handler, "127.0.0.1", port, compression=None, ping_interval=None, max_size=16 * 2**20,
        backlog=2048,
    )  # fmt: skip
    return server, connections


async def _session(db: str, port: int, synchronous: str, store_logs: bool = True) -> Any:
    from wac_toolkit import Session
    from wac_toolkit.store.sqlite import SQLiteStore

    class ProtocolOnlyStore(SQLiteStore):
        """Everything real except that log rows are not written: isolates protocol cost."""

        async def ingest_logs(self, sn: str, records: Any, **_: Any) -> list[int]:
            return list(range(len(records)))

    store = None if store_logs else ProtocolOnlyStore(db, synchronous=synchronous)
    session = Session(db, "127.0.0.1", port, tz="UTC", synchronous=synchronous, store=store,
                      max_unregistered=20_000, reg_timeout=60, adopt_new=True)  # fmt: skip
    await session.start()
    return session


async def _rtt(session: Any, n: int) -> list[float]:
    sns = [t.sn for t in session.terminals() if t.online]
    out: list[float] = []
    for i in range(n):
        sn = sns[i % len(sns)]
        fields = {"enrollid": 1000 + i, "name": "Bench", "backupnum": 11, "admin": 0,
                  "record": 12345678 + i}  # fmt: skip
        began = time.perf_counter()
        await session.command(sn, "setuserinfo", fields)
        out.append((time.perf_counter() - began) * 1000)
    return out


async def _main(argv: list[str]) -> None:
    raise_file_limit()
    kind = argv[0]
    loop = asyncio.get_running_loop()
    if kind == "echo":
        server, connections = await _echo(0)
        port = next(iter(server.sockets)).getsockname()[1]
        session = None
    else:
        sync = argv[2] if len(argv) > 2 else "FULL"
        session = await _session(argv[1], 0, sync, store_logs=kind != "protocol")
        port = session.port
    print(f"PORT {port}", flush=True)
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
        if not line or line[0] == "quit":
            break
        if line[0] == "rss":
            answer: Any = rss_bytes()
        elif line[0] == "online":
            answer = len(connections) if session is None else len(session.gateway.peers)
        elif line[0] == "rtt" and session is not None:
            answer = await _rtt(session, int(line[1]))
        else:
            answer = {"error": f"unknown command {line!r}"}
        print(json.dumps(answer), flush=True)
    if session is not None:
        await session.stop()
    else:
        server.close()


def main() -> None:
    asyncio.run(_main(sys.argv[1:]))


if __name__ == "__main__":
    main()
