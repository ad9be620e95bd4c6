"""An idle fleet costs the roster nothing per terminal, and steps another process queues on
the same store still reach a terminal (the poller wakes it)."""

from __future__ import annotations

import asyncio
import sys

from tests.conftest import until


async def test_idle_terminals_have_no_roster_task(session, terminal):
    await session.roster.add_person(1, "Ann", pin="0042")
    vt = await terminal("IDLE1")
    await until(lambda: 1 in vt.users)
    await session.roster.wait_synced("IDLE1", timeout=10)
    await until(lambda: "IDLE1" not in session.roster.worker._tasks)


async def test_steps_queued_by_another_process_are_delivered(session, terminal, db_path):
    session.roster.worker.poll = 0.2
    vt = await terminal("POLL1")
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wac_toolkit", "roster", "add", "7", "Bea",
        "--card", "0012345", "--db", str(db_path),
    )  # fmt: skip
    assert await cli.wait() == 0
    await until(lambda: 7 in vt.users, timeout=15)
    assert vt.users[7].name == "Bea" and vt.users[7].credentials[11] == "0012345"
