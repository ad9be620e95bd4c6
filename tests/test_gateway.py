"""The documented happy path and the PROTOCOL.md 9 quirks, end to end over real sockets."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import until
from wac_toolkit import (
    AccessEvent,
    CommandTimeout,
    DeviceError,
    Quirks,
    Session,
    TerminalConnected,
    TerminalDisconnected,
    TerminalOffline,
    UserPushed,
)
from wac_toolkit.protocol import frames


async def raw(url: str):
    return await connect(url, compression=None, max_size=None)


async def ask(ws, frame: dict) -> dict:
    await ws.send(frames.encode(frame))
    return frames.decode(await asyncio.wait_for(ws.recv(), 5))


def rows(db_path, sql="SELECT sn, enrollid, time, mode, inout, event FROM logs ORDER BY id"):
    with sqlite3.connect(db_path) as db:
        return db.execute(sql).fetchall()


async def test_documented_happy_path(session: Session, db_path):
    """PROTOCOL.md 10: reg, then a real-time punch acked with count/logindex echoed."""
    ws = await raw(session.url)
    reply = await ask(ws, {"cmd": "reg", "sn": "ZX12345678", "cpusn": "c",
                           "devinfo": {"modelname": "AI806", "usednewlog": 5}})  # fmt: skip
    assert reply["ret"] == "reg" and reply["result"] is True
    expected = session.now_local()
    cloud = reply["cloudtime"]
    assert len(cloud) == 19 and "T" not in cloud and cloud[10] == " "
    from wac_toolkit.protocol.values import parse_time

    assert abs((parse_time(cloud) - expected).total_seconds()) < 5  # Europe/Berlin wall time
    sendlog = {"cmd": "sendlog", "sn": "ZX12345678", "count": 1, "logindex": 11,
               "record": [{"enrollid": 7, "time": "2024-05-01 08:03:10", "mode": 1,
                           "inout": 0, "event": 0}]}  # fmt: skip
    ack = await ask(ws, sendlog)
    assert ack["ret"] == "sendlog" and ack["result"] is True
    assert ack["count"] == 1 and ack["logindex"] == 11 and len(ack["cloudtime"]) == 19
    # acknowledged means committed: a separate connection sees the row already
    assert rows(db_path) == [("ZX12345678", 7, "2024-05-01 08:03:10", 1, 0, 0)]
    await ws.close()


async def test_replayed_batch_is_acked_and_not_stored_twice(session, db_path):
    ws = await raw(session.url)
    await ask(ws, {"cmd": "reg", "sn": "R1"})
    batch = {"cmd": "sendlog", "sn": "R1", "count": 2, "logindex": 3,
             "record": [{"enrollid": 1, "time": "2024-05-01 08:00:00", "mode": 0},
                        {"enrollid": 2, "time": "2024-05-01 08:00:01", "mode": 0}]}  # fmt: skip
    first = await ask(ws, batch)
    again = await ask(ws, batch)
    assert first["result"] and again["result"] and again["logindex"] == 3
    partly = dict(batch, logindex=4, count=3,
                  record=batch["record"] + [{"enrollid": 3, "time": "2024-05-01 08:00:02"}])  # fmt: skip
    assert (await ask(ws, partly))["result"]
    assert [r[1] for r in rows(db_path)] == [1, 2, 3]
    await ws.close()


@pytest.mark.parametrize(
    "quirks",
    [Quirks(string_enrollid=True), Quirks(no_logindex=True), Quirks(padded_keys=True),
     Quirks(record_as_object=True), Quirks(no_sn_in_replies=True, string_result=True)],
)  # fmt: skip
async def test_sloppy_firmware_is_understood(session, terminal, db_path, quirks):
    vt = await terminal("SLOPPY1", quirks=quirks, batch_size=1)
    vt.punch(42, mode=8)
    await vt.wait_flushed(10)
    assert rows(db_path, "SELECT enrollid, mode FROM logs") == [(42, 8)]
    await session.set_user_info("SLOPPY1", 42, "Ana", 10, "0042")
    assert vt.users[42].credentials[10] == "0042"


async def test_senduser_is_stored_and_published(session, terminal):
    seen: list = []
    session.subscribe(seen.append)
    vt = await terminal("KP1")
    reply = await vt.enroll(5, "Bo", 11, "0099887766")
    assert reply["result"] is True and reply["enrollid"] == 5
    stored = session.store.credentials("KP1")
    assert [(c.enrollid, int(c.backupnum), c.record, c.name) for c in stored] == [
        (5, 11, "0099887766", "Bo")
    ]
    assert any(isinstance(e, UserPushed) and e.credential.enrollid == 5 for e in seen)


async def test_set_and_delete_user_change_the_terminal(session, terminal):
    vt = await terminal("DOOR1")
    reply = await session.set_user_info("DOOR1", 7, "Alice", 11, 4294967297, admin=1)
    assert reply["result"] is True
    assert vt.users[7].name == "Alice" and vt.users[7].admin == 1
    assert vt.users[7].credentials[11] == 4294967297
    await session.set_user_info("DOOR1", 7, "Alice", 10, "01234")
    assert vt.users[7].credentials[10] == "01234"  # leading zero kept: sent as text
    await session.delete_user("DOOR1", 7, 10)
    assert 10 not in vt.users[7].credentials
    await session.delete_user("DOOR1", 7)
    assert 7 not in vt.users
    assert session.store.credentials("DOOR1") == []


async def test_terminal_refusal_raises_device_error_with_reason(session, terminal):
    await terminal("DOOR2")
    with pytest.raises(DeviceError) as caught:
        await session.delete_user("DOOR2", 404, 13)  # no such user on the terminal
    assert caught.value.sn == "DOOR2" and caught.value.cmd == "deleteuser"


async def test_offline_fails_at_once_and_silent_terminal_times_out(session, terminal):
    with pytest.raises(TerminalOffline):
        await session.set_user_info("NOPE", 1, "x", 10, 1)
    await terminal("MUTE1", ignore={"setuserinfo"})
    with pytest.raises(CommandTimeout):
        await session.set_user_info("MUTE1", 1, "x", 10, 1)


async def test_unknown_terminal_command_is_acknowledged(session):
    ws = await raw(session.url)
    await ask(ws, {"cmd": "reg", "sn": "U1"})
    assert await ask(ws, {"cmd": "heartbeat", "sn": "U1"}) == {"ret": "heartbeat", "result": True}
    await ws.close()


async def test_malformed_frames_answered_and_others_keep_working(session, terminal, db_path):
    good = await terminal("GOOD1")
    ws = await raw(session.url)
    await ask(ws, {"cmd": "reg", "sn": "BAD1"})
    for junk in ("nope", "[1]", '{"sn":"x"}'):
        await ws.send(junk)
        reply = frames.decode(await asyncio.wait_for(ws.recv(), 5))
        assert reply["result"] is False and reply["reason"]
    # A record without time cannot be stored; refusing would make firmware re-send it for
    # ever, so it is acknowledged and kept in quarantine (tests/test_quarantine.py).
    bad_log = await ask(ws, {"cmd": "sendlog", "count": 1, "record": [{"enrollid": 1}]})
    assert bad_log["result"] is True and bad_log["count"] == 1
    assert session.quarantine_count() == 1
    good.punch(1)
    await good.wait_flushed(10)
    assert len(rows(db_path)) == 1
    await ws.close()


async def test_reg_must_come_first(session):
    ws = await raw(session.url)
    reply = await ask(ws, {"cmd": "sendlog", "record": []})
    assert reply["result"] is False
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 1008


async def test_reg_deadline_closes_silent_connections(db_path):
    async with Session(db_path, "127.0.0.1", 0, reg_timeout=0.2, adopt_new=True) as session:
        ws = await raw(session.url)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd.code == 1008 and "reg" in closed.value.rcvd.reason


async def test_allow_list_refuses_with_a_reason(db_path):
    async with Session(db_path, "127.0.0.1", 0, allow={"OK1"}, adopt_new=True) as session:
        ws = await raw(session.url)
        reply = await ask(ws, {"cmd": "reg", "sn": "EVIL"})
        assert reply == {"ret": "reg", "result": False, "reason": "terminal not allowed"}
        ws2 = await raw(session.url)
        assert (await ask(ws2, {"cmd": "reg", "sn": "OK1"}))["result"] is True
        assert [t.sn for t in session.terminals()] == ["OK1"]


async def test_second_connection_replaces_the_stale_one(session):
    events: list = []
    session.subscribe(events.append)
    old = await raw(session.url)
    await ask(old, {"cmd": "reg", "sn": "TWICE"})
    new = await raw(session.url)
    await ask(new, {"cmd": "reg", "sn": "TWICE"})
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(old.recv(), 5)
    assert session.terminal("TWICE").online
    assert not any(isinstance(e, TerminalDisconnected) for e in events)
    await new.close()
    await until(lambda: not session.terminal("TWICE").online)
    assert [type(e) for e in events] == [TerminalConnected, TerminalConnected, TerminalDisconnected]


async def test_access_events_flag_backlog_records(session, terminal):
    events: list[AccessEvent] = []
    session.subscribe(lambda e: isinstance(e, AccessEvent) and events.append(e))
    vt = await terminal("EV1")
    from datetime import datetime

    vt.punch(3, datetime(2020, 1, 1, 8, 0))  # flushed long after: backlog
    vt.punch(4, session.now_local())  # just now: fresh
    await vt.wait_flushed(10)
    await until(lambda: len(events) == 2)
    assert [(e.record.enrollid, e.backlog) for e in events] == [(3, True), (4, False)]


async def test_terminals_known_from_the_store_after_restart(db_path):
    async with Session(db_path, "127.0.0.1", 0, adopt_new=True) as first:
        ws = await raw(first.url)
        await ask(ws, {"cmd": "reg", "sn": "KEEP", "devinfo": {"modelname": "TFS30"}})
        await ws.close()
    async with Session(db_path, "127.0.0.1", 0, adopt_new=True) as second:
        [known] = second.terminals()
        assert known.sn == "KEEP" and not known.online and known.modelname == "TFS30"


async def test_big_photo_frames_fit(session, terminal, db_path):
    import base64

    vt = await terminal("CAM1")
    photo = base64.b64encode(b"\xff\xd8\xff" + b"x" * 3_000_000).decode()  # a 4 MB frame
    vt.punch(9, image=f"data:image/jpeg;base64,{photo}")
    await vt.wait_flushed(20)
    [(log_id, has_image)] = rows(db_path, "SELECT id, has_image FROM logs")
    assert has_image == 1
    assert session.store.log_image(log_id).startswith(b"\xff\xd8\xff")


async def test_subscribers_can_name_the_events_they_want(session, terminal):
    everything: list = []
    connections: list = []
    session.subscribe(everything.append)
    session.subscribe(connections.append, TerminalConnected, TerminalDisconnected)
    vt = await terminal("KINDS1")
    vt.punch(1)
    await vt.wait_flushed(10)
    await until(lambda: any(isinstance(e, AccessEvent) for e in everything))
    assert [type(e) for e in connections] == [TerminalConnected]
