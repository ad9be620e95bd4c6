"""Poison frames: a batch with unreadable records is acknowledged once the readable ones are
stored, the unreadable ones are kept in quarantine with the reason, and the terminal's later
logs keep flowing. Real gateway, raw WebSocket client behaving as firmware, real SQLite file."""

from __future__ import annotations

import asyncio
import json
import sqlite3

from websockets.asyncio.client import connect

from wac_toolkit import Quarantined, UserPushed
from wac_toolkit.cli import main
from wac_toolkit.protocol import frames

GOOD_1 = {"enrollid": 1, "time": "2025-08-01 08:00:00", "mode": 1}
GOOD_2 = {"enrollid": 2, "time": "2025-08-01 08:00:05", "mode": 1}
POISON = {
    "cmd": "sendlog", "sn": "POISON1", "count": 5, "logindex": 7,
    "record": [GOOD_1, "not an object", {"enrollid": 3, "time": None}, {"enrollid": 4}, GOOD_2],
}  # fmt: skip


async def ask(ws, frame: dict) -> dict:
    await ws.send(frames.encode(frame))
    return frames.decode(await asyncio.wait_for(ws.recv(), 5))


def stored(db_path) -> list[int]:
    with sqlite3.connect(db_path) as db:
        return [r[0] for r in db.execute("SELECT enrollid FROM logs ORDER BY enrollid")]


async def test_a_batch_with_unreadable_records_is_acked_and_later_logs_keep_flowing(
    session, db_path
):
    async with connect(session.url, compression=None) as ws:
        assert (await ask(ws, {"cmd": "reg", "sn": "POISON1"}))["result"] is True
        first = await ask(ws, POISON)
        assert first["result"] is True and first["count"] == 5 and first["logindex"] == 7
        # Firmware that missed the ack re-sends the same batch: acked again, nothing doubled.
        again = await ask(ws, POISON)
        assert again["result"] is True and again["logindex"] == 7
        later = {"cmd": "sendlog", "sn": "POISON1", "count": 1, "logindex": 8,
                 "record": [{"enrollid": 9, "time": "2025-08-01 09:00:00"}]}  # fmt: skip
        assert (await ask(ws, later))["result"] is True
    assert stored(db_path) == [1, 2, 9]
    items = session.quarantined("POISON1")
    assert session.quarantine_count() == 3
    assert all(isinstance(i, Quarantined) and i.cmd == "sendlog" for i in items)
    reasons = sorted(i.reason for i in items)
    assert reasons == [
        "record 2 of 5 (logindex 7): a record must be an object",
        "record 3 of 5 (logindex 7): record without time",
        "record 4 of 5 (logindex 7): record without time",
    ]
    assert sorted(i.raw for i in items) == ['"not an object"', '{"enrollid":3,"time":null}',
                                            '{"enrollid":4}']  # fmt: skip
    assert session.quarantined(limit=1)[0].id == max(i.id for i in items)


async def test_a_sendlog_without_any_record_list_is_acked_and_kept(session):
    async with connect(session.url, compression=None) as ws:
        await ask(ws, {"cmd": "reg", "sn": "EMPTY1"})
        reply = await ask(ws, {"cmd": "sendlog", "count": 1, "logindex": 3})
        assert reply["result"] is True and reply["logindex"] == 3
    [item] = session.quarantined()
    assert item.reason == "sendlog without a record list" and item.sn == "EMPTY1"


async def test_a_photo_sync_without_backupnum_is_acked_and_quarantined(session):
    events: list = []
    session.subscribe(events.append, UserPushed)
    async with connect(session.url, compression=None) as ws:
        await ask(ws, {"cmd": "reg", "sn": "PHOTO1"})
        photo = {"cmd": "senduser", "sn": "PHOTO1", "enrollid": 5, "name": "Ann",
                 "record": "/9j/4AAQSkZJRg=="}  # fmt: skip
        reply = await ask(ws, photo)
        assert reply["result"] is True and reply["enrollid"] == 5
        assert (await ask(ws, photo))["result"] is True  # re-sent: still acked, kept once
    [item] = session.quarantined("PHOTO1")
    assert item.cmd == "senduser" and "backupnum" in item.reason
    assert session.store.credentials("PHOTO1") == []
    await asyncio.sleep(0)
    assert events == []


async def test_a_store_that_cannot_write_still_refuses_poison_batches(session, db_path):
    async with connect(session.url, compression=None) as ws:
        await ask(ws, {"cmd": "reg", "sn": "RO1"})
        session.store.close()  # nothing can be kept now: the terminal must keep its batch
        reply = await ask(ws, POISON)
        assert reply["result"] is False


def test_wac_quarantine_lists_items_and_masks_credentials(tmp_path, capsys):
    from wac_toolkit.store.sqlite import SQLiteStore

    db = tmp_path / "q.sqlite"
    store = SQLiteStore(db)
    asyncio.run(store.quarantine_frame("T1", "senduser", [
        ("senduser: user without a numeric backupnum", '{"enrollid":5,"record":12345678}'),
    ]))  # fmt: skip
    asyncio.run(store.quarantine_frame("T2", "sendlog", [("record 1 of 1: x", '"junk"')]))
    store.close()
    assert main(["quarantine", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "T1  senduser: senduser: user without a numeric backupnum" in out
    assert "12345678" not in out and '"record":"***"' in out
    assert main(["quarantine", "--db", str(db), "--sn", "T2", "--json"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["raw"] == '"junk"' and json.loads(line)["sn"] == "T2"
    assert main(["quarantine", "--db", str(tmp_path / "none.sqlite")]) == 1
