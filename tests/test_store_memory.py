"""A ``":memory:"`` store (tests, demos, ``%wac start --db :memory:``) shares one cache between
its writer and its readers. There, a read that meets the writer's open transaction got
"database table is locked" at once (SQLite does not wait on a shared-cache lock as it waits
on a busy file), and a notebook polling ``roster.pending()`` while steps were delivered
failed with a StoreError."""

from __future__ import annotations

import asyncio
import threading

from wac_toolkit.store.sqlite import SQLiteStore


async def test_a_read_during_a_write_of_the_same_table_does_not_fail() -> None:
    store = SQLiteStore(":memory:")
    try:
        await store.roster_write(
            lambda tx: tx.queue_steps("DOOR", [("deleteuser", 7, 13, None)], 1)
        )
        inside, release = threading.Event(), threading.Event()

        def slow_write(db: object) -> None:  # holds the table's write lock until released
            db.execute("UPDATE roster_queue SET attempts = attempts + 1")  # type: ignore[attr-defined]
            inside.set()
            release.wait(10)

        writing = asyncio.ensure_future(store.run_write(slow_write))
        assert await asyncio.to_thread(inside.wait, 10)
        try:
            rows = await asyncio.to_thread(store.roster_read, lambda tx: tx.pending_rows("DOOR"))
        finally:
            release.set()
            await writing
        assert [r[2] for r in rows] == ["deleteuser"]
    finally:
        store.close()
