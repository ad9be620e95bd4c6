"""The roster: delivering people to terminals through the durable queue, and planning.

Delivery: N people with a PIN and a card, assigned to "all", reach T online virtual
terminals through ``session.roster`` (plan, queue in SQLite, worker, outcome rows). The
baseline sends the same ``setuserinfo`` commands straight through ``session.set_user_info``
(one coroutine per terminal), in the same run on the same machine: the ratio is what the
durability costs. Planning: a full re-plan of every terminal against the whole roster when
nothing changed (what every reconnect does), against one ``SELECT`` of the same rows.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from wac_toolkit import Session, VirtualTerminal

from .harness import Result

__all__ = ["run"]


async def _fleet(session: Session, terminals: int) -> list[VirtualTerminal]:
    fleet = [VirtualTerminal(session.url, f"RB{i:03d}") for i in range(terminals)]
    for vt in fleet:
        vt.start()
        await vt.wait_registered()
    while not all((t := session.terminal(v.sn)) is not None and t.online for v in fleet):
        await asyncio.sleep(0.01)
    return fleet


def _csv(people: int) -> str:
    rows = "".join(f"{i},Person {i},{i % 9999:04d},{i:010d}\n" for i in range(1, people + 1))
    return "enrollid,name,pin,card\n" + rows


async def _roster(tmp: Path, people: int, terminals: int) -> tuple[float, float, float]:
    async with Session(
        tmp / "roster.sqlite", port=0, synchronous="NORMAL", adopt_new=True
    ) as session:
        fleet = await _fleet(session, terminals)
        began = time.perf_counter()
        await session.roster.import_csv(_csv(people))
        planned = time.perf_counter()
        while not all(len(vt.users) == people and len(vt.users[people].credentials) == 2
                      for vt in fleet):  # fmt: skip
            await asyncio.sleep(0.01)
        delivered = time.perf_counter()
        replan = time.perf_counter()
        await session.roster.sync()
        replanned = time.perf_counter() - replan
        for vt in fleet:
            await vt.stop()
    return planned - began, delivered - began, replanned


async def _direct(tmp: Path, people: int, terminals: int) -> float:
    async with Session(
        tmp / "direct.sqlite", port=0, synchronous="NORMAL", adopt_new=True
    ) as session:
        fleet = await _fleet(session, terminals)

        async def one(sn: str) -> None:
            for i in range(1, people + 1):
                await session.set_user_info(sn, i, f"Person {i}", 10, f"{i % 9999:04d}")
                await session.set_user_info(sn, i, f"Person {i}", 11, f"{i:010d}")

        began = time.perf_counter()
        await asyncio.gather(*(one(vt.sn) for vt in fleet))
        elapsed = time.perf_counter() - began
        for vt in fleet:
            await vt.stop()
    return elapsed


def _select_seconds(tmp: Path, people: int, terminals: int) -> float:
    import sqlite3

    db = sqlite3.connect(tmp / "roster.sqlite")
    began = time.perf_counter()
    for _ in range(terminals):
        db.execute("SELECT * FROM roster_people").fetchall()
        db.execute("SELECT * FROM roster_credentials").fetchall()
        db.execute("SELECT * FROM credentials").fetchall()
    elapsed = time.perf_counter() - began
    db.close()
    return elapsed


def run(people: int = 1000, terminals: int = 5) -> list[Result]:
    steps = 2 * people * terminals
    with tempfile.TemporaryDirectory(prefix="wac-bench-roster-") as tmp:
        planned, delivered, replanned = asyncio.run(_roster(Path(tmp), people, terminals))
        direct = asyncio.run(_direct(Path(tmp), people, terminals))
        select = _select_seconds(Path(tmp), people, terminals)
    return [
        Result(
            f"roster delivery, {people} people x {terminals} terminals",
            steps / delivered,
            steps / direct,
            "steps/s",
            ">= 0.5x",
            steps / delivered >= 0.5 * steps / direct,
            f"baseline: the same setuserinfo via session.set_user_info, no queue;"
            f" import + planning took {planned:.2f} s of the {delivered:.2f} s",
        ),
        Result(
            f"roster full re-plan, {people} people x {terminals} terminals",
            replanned * 1000,
            select * 1000,
            "ms",
            "< 100 ms",
            replanned < 0.1,
            "baseline: reading the same tables once per terminal (plain SELECT)",
        ),
    ]


if __name__ == "__main__":
    from .__main__ import print_table

    print_table(run())
