"""At-least-once delivery from the terminal side: replayed batches and garbage clocks.

A terminal that re-sends a batch it already had acknowledged (its ack got lost) must get
``result:true`` again, with no new rows and no second event. Records with impossible times are
stored as sent, flagged by an empty ``time`` in the DataFrame, and never break a load.
"""

from __future__ import annotations

import asyncio

from websockets.asyncio.client import connect

from tests.reliability.helpers import stored_keys
from wac_toolkit import AccessEvent
from wac_toolkit.protocol import frames


async def send(url: str, *payloads: dict) -> list[dict]:
    async with connect(url, compression=None) as ws:
        await ws.send('{"cmd":"reg","sn":"REPLAY","devinfo":{"modelname":"X"}}')
        assert frames.decode(await ws.recv())["result"] is True
        replies = []
        for payload in payloads:
            await ws.send(frames.encode({"cmd": "sendlog", "sn": "REPLAY", **payload}))
            replies.append(frames.decode(await asyncio.wait_for(ws.recv(), 10)))
        return replies


def batch(logindex: int, *times: str) -> dict:
    return {"count": len(times), "logindex": logindex,
            "record": [{"enrollid": 5, "time": t, "mode": 1, "inout": 0, "event": 0}
                       for t in times]}  # fmt: skip


async def test_a_replayed_batch_is_acknowledged_again_and_stores_nothing(session, db_path):
    events: list[AccessEvent] = []
    session.subscribe(lambda e: events.append(e) if isinstance(e, AccessEvent) else None)
    first = batch(7, "2025-08-01 08:00:00", "2025-08-01 08:01:00")
    replies = await send(session.url, first)
    assert replies[0]["result"] is True and replies[0]["logindex"] == 7
    # The ack was lost: the terminal sends the same batch again, on a new connection.
    replies = await send(session.url, first, first)
    assert [r["result"] for r in replies] == [True, True]
    assert [r["logindex"] for r in replies] == [7, 7]
    # Part new, part old (a batch cut differently after a reboot): only the new row is added.
    replies = await send(session.url, batch(8, "2025-08-01 08:01:00", "2025-08-01 08:02:00"))
    assert replies[0]["result"] is True
    assert sorted(t for _, _, t in stored_keys(db_path)) == [
        "2025-08-01 08:00:00", "2025-08-01 08:01:00", "2025-08-01 08:02:00",
    ]  # fmt: skip
    assert len(events) == 3  # one event per stored row, none for the replays


async def test_garbage_clocks_are_stored_as_sent_and_load_as_empty_times(session, db_path):
    times = ["2025-02-30 08:00:00", "garbage", "2025-08-01 23:59:60", "1970-01-01 00:00:00",
             "2099-12-31 23:59:59", "2025/8/1 8:05"]  # fmt: skip
    replies = await send(session.url, batch(1, *times))
    assert replies[0]["result"] is True
    assert sorted(t for _, _, t in stored_keys(db_path)) == sorted(
        ["2025-02-30 08:00:00", "garbage", "2025-08-01 23:59:60", "1970-01-01 00:00:00",
         "2099-12-31 23:59:59", "2025-08-01 08:05:00"]
    )  # fmt: skip
    df = await session.logs_async(sn="REPLAY")
    unreadable = df[df["time"].isna()]
    # No time at all rather than a wrong one (Feb 30 must not become Mar 2), text kept.
    assert sorted(unreadable["time_raw"]) == [
        "2025-02-30 08:00:00",
        "2025-08-01 23:59:60",
        "garbage",
    ]
    readable = df[df["time"].notna()].set_index("time_raw", drop=False)
    assert len(readable) == 3
    assert str(readable["time"].dt.tz) == "Europe/Berlin"
    assert readable["time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "1970-01-01 00:00", "2025-08-01 08:05", "2099-12-31 23:59",
    ]  # fmt: skip
    assert readable["time_raw"].isna().tolist() == [True, False, True]  # only the sloppy one
