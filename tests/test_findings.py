"""The smaller faults of issue 11, one test each, over a real gateway and virtual terminals."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import pytest
from websockets.asyncio.client import connect

from tests.conftest import until
from wac_toolkit import Quirks, VirtualTerminal
from wac_toolkit.protocol import frames


async def ask(ws, frame: dict | str) -> dict:
    await ws.send(frame if isinstance(frame, str) else frames.encode(frame))
    return frames.decode(await asyncio.wait_for(ws.recv(), 5))


async def test_a_refused_registration_logs_why_and_tells_the_terminal_in_words(session, caplog):
    caplog.set_level(logging.WARNING)
    async with connect(session.url, compression=None) as ws:
        reply = await ask(ws, {"cmd": "reg", "devinfo": {}})  # no sn
    assert reply == {"ret": "reg", "result": False, "reason": "invalid registration"}
    async with connect(session.url, compression=None) as ws:
        reply = await ask(ws, '{"cmd": "reg", "sn": ')  # truncated JSON
    assert reply["reason"] == "send reg first", "parser text must not reach the screen"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "reg without sn" in logged and "refused registration: invalid registration" in logged
    assert "first frame is not a protocol message (not JSON" in logged


@pytest.mark.parametrize(
    "wipe",
    [
        lambda s, sn: s.delete_user(sn, 7),
        lambda s, sn: s.clean_users(sn, confirm=True),
        lambda s, sn: s.init_system(sn, confirm=True),
    ],
    ids=["deleteuser", "cleanuser", "initsys"],
)
async def test_a_direct_wipe_is_drift_and_the_roster_puts_people_back(session, terminal, wipe):
    vt = await terminal("DRIFT")
    await session.roster.add_person(7, "Ann", card=4242)
    await until(lambda: 7 in vt.users)
    await session.roster.wait_synced("DRIFT")
    await wipe(session, "DRIFT")
    assert 7 not in vt.users
    await until(lambda: 7 in vt.users and vt.users[7].credentials.get(11) == 4242)


async def test_the_rosters_own_removal_is_not_drift(session, terminal):
    vt = await terminal("OWN")
    await session.roster.add_person(8, "Bo", card=88)
    await until(lambda: 8 in vt.users)
    await session.roster.wait_synced("OWN")
    await session.roster.remove_person(8)
    await until(lambda: 8 not in vt.users)
    await session.roster.wait_synced("OWN")
    await asyncio.sleep(0.2)
    assert 8 not in vt.users and session.roster.pending().empty


async def test_typed_results_keep_the_sn_and_enrollid_the_gateway_knows(session, terminal):
    vt = await terminal("OLDFW", quirks=Quirks(no_sn_in_replies=True))
    await session.set_user_info("OLDFW", 5, "Cy", 11, 55)
    ack = await session.enable_user("OLDFW", 5, False)
    assert ack.sn == "OLDFW" and ack.enrollid == 5
    name = await session.get_user_name("OLDFW", 5)
    assert name.sn == "OLDFW" and name.enrollid == 5 and name.name == "Cy"
    assert vt.users[5].enabled is False


async def test_getuserinfo_refuses_the_delete_only_slots(session, terminal):
    vt = await terminal("SLOTS")
    for slot in (12, 13):
        with pytest.raises(ValueError, match="deleteuser"):
            await session.get_user_info("SLOTS", 1, slot)
    assert vt.received == [], "nothing was sent"


async def test_a_date_filtered_pull_stores_and_counts_records_outside_the_range(
    session, terminal, caplog
):
    vt = await terminal("NOFILTER")
    plain = VirtualTerminal.handlers["getalllog"]

    async def ignores_the_filter(vt: VirtualTerminal, frame: dict) -> dict:
        return await plain(vt, {k: v for k, v in frame.items() if k not in ("from", "to")})

    vt.handlers = {**VirtualTerminal.handlers, "getalllog": ignores_the_filter}
    for day in (1, 2, 3):
        vt.punch(day, datetime(2025, 8, day, 8, 0, 0))
    await vt.wait_flushed()
    await session.store.run_write(lambda db: db.execute("DELETE FROM logs"))
    caplog.set_level(logging.WARNING)
    pulled = await session.pull_logs(
        "NOFILTER", new_only=False, since="2025-08-02", until="2025-08-02"
    )
    assert pulled == 3 and pulled.received == 3 and pulled.outside == 2
    assert session.store.count_logs() == 3, "real punches are kept"
    assert any("2 of 3 records outside 2025-08-02..2025-08-02" in r.getMessage()
               for r in caplog.records)  # fmt: skip
