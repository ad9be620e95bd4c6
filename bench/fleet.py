"""Many idle terminals: memory per terminal, command round trip, and a reconnect storm.

The gateway (a real Session) and the baseline (a bare websockets echo server) each run in
their own process; the terminals run here. Terminals connect 200 at a time, as in
performance.md; each sends ``reg`` (to the echo server: the same bytes, echoed back).
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from wac_toolkit.net.terminal import VirtualTerminal

from .harness import Result, ServerProcess
from .server import raise_file_limit

__all__ = ["run"]

IN_FLIGHT = 200
REG = (
    '{"cmd":"reg","sn":"EC00000","cpusn":"x","devinfo":{"modelname":"AI806","usersize":3000,'
    '"fpsize":3000,"cardsize":10000,"firmware":"ai806_f06v_v5.17","time":"2025-08-01 08:00:00"}}'
)
SETUSERINFO = (
    '{"cmd":"setuserinfo","enrollid":1001,"name":"Bench","backupnum":11,"admin":0,'
    '"record":12345678}'
)


async def _in_chunks(jobs: list[Any]) -> None:
    for i in range(0, len(jobs), IN_FLIGHT):
        await asyncio.gather(*(job() for job in jobs[i : i + IN_FLIGHT]))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _session_side(server: ServerProcess, sizes: tuple[int, ...], rtts: int) -> dict[str, Any]:
    out: dict[str, Any] = {"rss": {}}
    terminals: list[VirtualTerminal] = []
    base = server.ask("rss")
    for size in sizes:
        new = [VirtualTerminal(server.url(), f"ID{i:05d}") for i in range(len(terminals), size)]
        await _in_chunks([t.connect for t in new])
        terminals += new
        while server.ask("online") < size:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        out["rss"][size] = (server.ask("rss") - base) / size
        if size == sizes[0]:
            # The server's loop waits on this process's terminals, so ask from a thread.
            out["rtt"] = await asyncio.to_thread(server.ask, f"rtt {rtts}")
    for t in terminals:
        await t.disconnect(abort=True)
    while server.ask("online") > 0:
        await asyncio.sleep(0.1)
    began = time.perf_counter()
    await _in_chunks([t.connect for t in terminals])
    out["storm"] = time.perf_counter() - began
    for t in terminals:
        await t.disconnect(abort=True)
    while server.ask("online") > 0:
        await asyncio.sleep(0.1)
    # The same storm from the baseline's own bare clients (a handshake, the terminal's reg
    # frame, its reply): the client side costs the same in both runs, so the ratio is the
    # server's. VirtualTerminals above also pay their own peer and reader per connection.
    conns: list[Any] = []
    regs = [json.dumps({"cmd": "reg", **t._reg_fields()}) for t in terminals]
    began = time.perf_counter()
    await _in_chunks([_dialer(server.url(), reg, conns) for reg in regs])
    out["storm_bare"] = time.perf_counter() - began
    for ws in conns:
        ws.transport.abort()
    return out


def _dialer(url: str, reg: str, conns: list[Any]) -> Any:
    async def dial() -> None:
        ws = await connect(url, compression=None, ping_interval=None, open_timeout=30)
        await ws.send(reg)
        await ws.recv()
        conns.append(ws)

    return dial


async def _echo_side(server: ServerProcess, sizes: tuple[int, ...], rtts: int) -> dict[str, Any]:
    out: dict[str, Any] = {"rss": {}}
    conns: list[Any] = []

    async def dial() -> None:
        ws = await connect(server.url(), compression=None, ping_interval=None, open_timeout=30)
        await ws.send(REG)
        await ws.recv()
        conns.append(ws)

    base = server.ask("rss")
    for size in sizes:
        await _in_chunks([dial] * (size - len(conns)))
        await asyncio.sleep(1.0)
        out["rss"][size] = (server.ask("rss") - base) / size
        if size == sizes[0]:
            ws, times = conns[0], []
            for _ in range(rtts):
                began = time.perf_counter()
                await ws.send(SETUSERINFO)
                await ws.recv()
                times.append((time.perf_counter() - began) * 1000)
            out["rtt"] = times
    for ws in conns:
        ws.transport.abort()
    while server.ask("online") > 0:
        await asyncio.sleep(0.1)
    conns.clear()
    began = time.perf_counter()
    await _in_chunks([dial] * sizes[-1])
    out["storm"] = out["storm_bare"] = time.perf_counter() - began
    for ws in conns:
        ws.transport.abort()
    return out


def run(sizes: tuple[int, ...] = (1000, 5000, 10000), rtts: int = 500) -> list[Result]:
    limit = raise_file_limit()
    if limit < sizes[-1] + 100:
        sizes = tuple(s for s in sizes if s + 100 <= limit) or (limit - 100,)
    with tempfile.TemporaryDirectory(prefix="wac-bench-") as tmp:
        with ServerProcess("session", str(Path(tmp) / "idle.sqlite"), "FULL") as server:
            ours = asyncio.run(_session_side(server, sizes, rtts))
        gc.collect()
        with ServerProcess("echo") as echo:
            base = asyncio.run(_echo_side(echo, sizes, rtts))
    results = []
    for size in sizes:
        kib, base_kib = ours["rss"][size] / 1024, base["rss"][size] / 1024
        results.append(
            Result(f"memory per idle registered terminal at {size:,}", kib, base_kib, "KiB",
                   "<= 20 KiB each", kib <= 20, note="baseline: echo server, idle connections")
        )  # fmt: skip
    p50, p99 = _pct(ours["rtt"], 0.5), _pct(ours["rtt"], 0.99)
    e50, e99 = _pct(base["rtt"], 0.5), _pct(base["rtt"], 0.99)
    results += [
        Result(f"setuserinfo round trip p50, {sizes[0]:,} idle terminals", p50, e50, "ms",
               "<= 1.5x echo p50", p50 <= 1.5 * e50, note="baseline: echo round trip"),
        Result(f"setuserinfo round trip p99, {sizes[0]:,} idle terminals", p99, e99, "ms",
               "<= 20 ms", p99 <= 20, note=f"mean {statistics.mean(ours['rtt']):.2f} ms"),
        Result(f"reconnect storm: {sizes[-1]:,} terminals re-register", ours["storm"],
               base["storm"], "s", "<= 1.5x", ours["storm"] <= 1.5 * base["storm"],
               note=f"baseline: bare handshakes + one echo, {IN_FLIGHT} in flight; ours:"
               " VirtualTerminal clients"),
        Result(f"reconnect storm, same bare clients: {sizes[-1]:,} re-register",
               ours["storm_bare"], base["storm_bare"], "s", "<= 1.5x",
               ours["storm_bare"] <= 1.5 * base["storm_bare"],
               note="both sides: handshake + the terminal's reg + its reply"),
    ]  # fmt: skip
    return results


if __name__ == "__main__":
    import sys

    chosen = tuple(int(x) for x in sys.argv[1:]) or (1000, 5000, 10000)
    for r in run(chosen):
        print(f"{r.name}: {r.ours:.2f} vs {r.baseline:.2f} {r.unit} ratio {r.ratio:.2f} {r.met}")
