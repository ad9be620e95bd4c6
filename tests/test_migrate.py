"""``wac migrate --from wac.sqlite --to postgresql://...``: a copy, and a second run adds nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from tests.conftest import until
from wac_toolkit import Session, VirtualTerminal
from wac_toolkit.cli import main

pytestmark = pytest.mark.postgres

START = datetime(2025, 8, 1, 8, 0, 0)


async def test_migrate_copies_everything_once(tmp_path, pg_dsn, capsys):
    db = tmp_path / "wac.sqlite"
    async with Session(db, "127.0.0.1", 0, adopt_new=True) as session:
        await session.roster.add_person(1, "Alice", pin="0012", assign="DOOR")
        async with VirtualTerminal(session.url, "DOOR", batch_size=25) as vt:
            for i in range(60):
                vt.punch(1 + i % 3, START + timedelta(minutes=i))
            vt.punch(2, START - timedelta(days=1), image="/9j/4AAQ")
            await vt.wait_flushed(30)
            await until(lambda: not len(session.roster.pending()))
        session.adopt_new = False  # a stranger dials in: pending, its punch kept apart
        async with VirtualTerminal(session.url, "NEW") as stranger:
            stranger.punch(9, START)
            await stranger.wait_flushed(30)
        await session.block("BAD")
        await session.store.quarantine_frame("DOOR", "sendlog", [("record without time", "{}")])
        await session.store.roster_write(
            lambda tx: tx.record_conflict("DOOR", 1, 10, "0099", "Eve", 1)
        )
        before = session.logs()
    assert await asyncio.to_thread(main, ["migrate", "--from", str(db), "--to", pg_dsn]) == 0
    assert "logs: 62 new rows" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["migrate", "--from", str(db), "--to", pg_dsn]) == 0
    out = capsys.readouterr().out
    assert "copied 0 new rows" in out

    async with Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as copy:
        after = copy.logs()
        columns = ["sn", "enrollid", "time", "mode", "inout", "logindex", "received_at"]
        assert after[columns].equals(before[columns])
        states = {t.sn: str(t.state) for t in copy.terminals()}
        assert states == {"DOOR": "adopted", "NEW": "pending", "BAD": "blocked"}
        pending = copy.logs(include_pending=True)
        assert list(pending.loc[pending["sn"] == "NEW", "enrollid"]) == [9]
        assert copy.quarantine_count() == 1 and copy.quarantined()[0].sn == "DOOR"
        conflicts = copy.store.roster_read(lambda tx: tx.conflicts())
        assert [r[1:5] for r in conflicts] == [("DOOR", 1, 10, "Eve")]
        assert list(copy.roster.people()["enrollid"]) == [1]
        [photo_row] = after.loc[after["has_image"], "id"]
        assert copy.store.log_image(int(photo_row)) == b"\xff\xd8\xff\xe0\x00\x10"
        assert len(copy.roster.outcomes()) == 1
        await copy.roster.add_person(2, "Bob", pin="9", assign="DOOR")  # the queue goes on
        assert len(copy.roster.pending()) >= 1


def test_migrate_refuses_a_missing_source(tmp_path, capsys):
    assert main(["migrate", "--from", str(tmp_path / "nope.sqlite"), "--to", "x.sqlite"]) == 1
    assert "no SQLite store" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
