"""The roster worker when the store cannot write: it says so (a StoreError is never
silenced), keeps the step queued, and delivers it by itself once the store writes again."""

from __future__ import annotations

import logging

from tests.conftest import until
from tests.reliability.test_storage import fill, root_only, small_disk  # noqa: F401
from wac_toolkit import Session, VirtualTerminal


@root_only
async def test_the_worker_logs_a_store_failure_and_delivers_once_the_store_writes(
    small_disk,  # noqa: F811
    caplog,
):
    caplog.set_level(logging.WARNING)
    async with Session(small_disk / "wac.sqlite", "127.0.0.1", 0, command_timeout=5) as session:
        session.roster.worker.poll = 0.2
        await session.adopt("DOOR")  # ahead of its first connection: its steps wait
        await session.roster.add_person(1, "Ann", pin="0042", assign="DOOR")
        assert len(session.roster.pending()) == 1
        with session.store.reader() as db:  # an empty WAL: the next commit must grow it
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        filler = fill(small_disk)
        async with VirtualTerminal(session.url, "DOOR") as vt:
            await until(
                lambda: any("queue of DOOR unusable" in r.getMessage() for r in caplog.records)
            )
            assert len(session.roster.pending()) == 1  # still queued: nothing is lost
            filler.unlink()  # space returns; nobody restarts anything
            await until(lambda: 1 in vt.users, timeout=15)
            await until(lambda: session.roster.pending().empty, timeout=15)
        outcomes = session.roster.outcomes()
        assert list(outcomes["cmd"]) == ["setuserinfo"] and outcomes["ok"].all()
    warned = [r for r in caplog.records if "unusable" in r.getMessage()]
    assert warned and all(r.levelno == logging.WARNING for r in warned)
