"""A fleet pushing with forced reconnects and re-sends ends with every row exactly once."""

from __future__ import annotations

import sqlite3

from wac_toolkit import Session, run_fleet


async def test_100_terminals_x_1000_logs_with_drops_store_exactly_100000_rows(db_path):
    async with Session(db_path, "127.0.0.1", 0, synchronous="NORMAL", adopt_new=True) as session:
        result = await run_fleet(
            session.url, 100, 1000, batch_size=100, drop_rate=0.15, seed=7, timeout=240
        )
    assert result.records == 100_000
    assert result.registrations > 100  # drops forced reconnects
    assert result.frames > 1000  # and re-sends
    with sqlite3.connect(db_path) as db:
        total, distinct = db.execute(
            "SELECT count(*), count(DISTINCT sn || '|' || enrollid || '|' || time) FROM logs"
        ).fetchone()
        per_terminal = db.execute("SELECT count(*) FROM logs GROUP BY sn").fetchall()
    assert total == distinct == 100_000
    assert per_terminal == [(1000,)] * 100
