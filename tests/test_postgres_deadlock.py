"""Two gateways' transactions deadlock on PostgreSQL: the store retries, the frame is acked once.

A deadlock needs two writers taking the same keys in opposite orders. Here the store's
writer commits one terminal's frame (records A then B) while another gateway's transaction
(a plain connection, as a second ``wac serve`` would hold) has written B and then wants A.
The server aborts one of the two; the store's transaction is run again whole, so the terminal
gets its acknowledgement and every record is stored exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import pytest

from tests.conftest import until
from wac_toolkit import Session, VirtualTerminal

pytestmark = pytest.mark.postgres

SN = "LOCK0001"
A = datetime(2025, 8, 1, 8, 0, 0)
B = datetime(2025, 8, 1, 8, 0, 5)
INSERT = (
    "INSERT INTO logs (sn, enrollid, time, mode, inout, event, received_at)"
    " VALUES (%s, %s, %s, 0, 0, 0, 0) ON CONFLICT DO NOTHING"
)


def store_waits_for_a_lock(watcher: Any, other_pid: int) -> bool:
    row = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND query LIKE '%%INSERT INTO logs%%' AND pid <> %s",
        (other_pid,),
    ).fetchone()
    return bool(row[0])


async def test_a_deadlock_between_gateways_is_retried_and_every_record_stored_once(
    pg_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    import psycopg

    caplog.set_level(logging.INFO, logger="wac_toolkit")
    stamp = "%Y-%m-%d %H:%M:%S"
    async with Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as session:
        other = await asyncio.to_thread(psycopg.connect, pg_dsn)
        watcher = await asyncio.to_thread(psycopg.connect, pg_dsn, autocommit=True)
        try:
            # the store's backend, waiting first, is the one that finds the cycle
            other.execute("SET deadlock_timeout = '60s'")
            other.execute(INSERT, (SN, 2, B.strftime(stamp)))  # B, not committed yet
            vt = VirtualTerminal(session.url, SN)
            vt.punch(1, A)
            vt.punch(2, B)
            async with vt:
                # the store's transaction has written A and waits for B
                await until(lambda: store_waits_for_a_lock(watcher, other.info.backend_pid), 30)
                # the other gateway now wants A: the server aborts the store's transaction
                await asyncio.to_thread(other.execute, INSERT, (SN, 1, A.strftime(stamp)))
                other.commit()
                await vt.wait_flushed(30)
                assert vt.acked == 2
        finally:
            other.close()
            watcher.close()

        def stored() -> list[tuple[Any, ...]]:
            with psycopg.connect(pg_dsn) as db:
                sql = "SELECT enrollid, time FROM logs WHERE sn = %s ORDER BY time"
                return db.execute(sql, (SN,)).fetchall()

        rows = await asyncio.to_thread(stored)
    assert rows == [(1, A.strftime(stamp)), (2, B.strftime(stamp))]
    assert "batch retried after deadlock detected" in caplog.text
    assert "refused" not in caplog.text
