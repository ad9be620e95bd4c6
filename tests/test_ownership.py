"""Store failures are logged and retried, never silenced, and the hand-written and generated
``set_user_info`` agree when the store cannot write. Real gateway, terminals and SQLite."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from tests.conftest import until
from wac_toolkit._generated.terminal import TerminalCommands
from wac_toolkit.roster.worker import SyncWorker


async def test_one_set_user_info_and_it_logs_when_the_store_fails(session, terminal, caplog):
    """There were two set_user_info (hand-written and generated) that differed when the store
    failed; now the Session's is the only one, and the terminal's change is not undone."""
    assert not hasattr(TerminalCommands, "set_user_info")  # nothing left to drift apart
    vt = await terminal("SAME")
    session.store.close()  # the store cannot write any more
    caplog.set_level(logging.ERROR)
    reply = await session.set_user_info("SAME", 1, "Ann", 11, 111)
    assert reply["result"] is True and vt.users[1].credentials[11] == 111
    failures = [r.getMessage() for r in caplog.records if "the store did not" in r.getMessage()]
    assert len(failures) == 1, failures


async def test_the_roster_poller_logs_an_unreadable_queue_and_keeps_polling(
    session, db_path, caplog
):
    caplog.set_level(logging.WARNING)
    worker = SyncWorker(session, poll=0.05)
    try:
        with sqlite3.connect(db_path) as db:
            db.execute("ALTER TABLE roster_queue RENAME TO roster_queue_away")
        worker.kick("NOBODY")  # starts the poller
        await until(lambda: any("cannot read the queue" in r.getMessage() for r in caplog.records))
        with sqlite3.connect(db_path) as db:
            db.execute("ALTER TABLE roster_queue_away RENAME TO roster_queue")
        caplog.clear()
        await until(lambda: worker._poller is not None and not worker._poller.done())
        await asyncio.sleep(0.2)
        assert not any("cannot read the queue" in r.getMessage() for r in caplog.records)
    finally:
        await worker.stop()
