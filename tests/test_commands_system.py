"""Log, system, door, holiday and questionnaire commands against a virtual terminal."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import until
from wac_toolkit import AccessEvent, ConfirmationRequired, DeviceError, Quirks
from wac_toolkit.net import terminal_state
from wac_toolkit.protocol.catalogue import DoorMode
from wac_toolkit.protocol.models import LogRecord, VerifyMode

SN = "SYS00001"


def _stored_on_terminal(vt, day: int, count: int) -> None:
    """Records the terminal holds but has not pushed (no push is triggered)."""
    for k in range(count):
        moment = f"2025-08-{day:02d} 08:{k // 60:02d}:{k % 60:02d}"
        vt.logs.append(
            LogRecord(enrollid=1 + k % 5, time=moment, time_raw=moment, mode=VerifyMode.CARD)
        )


async def test_pull_new_logs_stores_them_and_marks_them_uploaded(session, terminal):
    vt = await terminal(SN, page_size=10)
    events: list[AccessEvent] = []
    session.subscribe(lambda e: events.append(e) if isinstance(e, AccessEvent) else None)
    _stored_on_terminal(vt, 1, 25)
    seen: list[tuple[int, int | None]] = []
    assert await session.pull_logs(SN, progress=lambda d, t: seen.append((d, t))) == 25
    assert seen[-1] == (25, 25)
    assert vt.acked == 25
    assert await session.pull_logs(SN) == 0  # nothing new on the terminal any more
    frame = await session.logs_async(sn=SN)
    assert len(frame) == 25
    assert {e.source for e in events} == {"getnewlog"} and all(e.backlog for e in events)


async def test_pull_all_logs_in_a_date_range_drops_duplicates(session, terminal):
    vt = await terminal(SN, page_size=7)
    _stored_on_terminal(vt, 1, 10)
    _stored_on_terminal(vt, 2, 10)
    _stored_on_terminal(vt, 3, 10)
    assert await session.pull_logs(SN, new_only=False, since="2025-08-02", until="2025-08-02") == 10
    assert vt.received[-1]["from"] == "2025-08-02"
    assert await session.pull_logs(SN, new_only=False) == 20  # day 2 was already stored
    records = [r async for r in session.iter_logs(SN, new_only=False, since=datetime(2025, 8, 3))]
    assert len(records) == 10 and records[0].time.startswith("2025-08-03")
    listed = await session.get_all_logs(SN, since="2025-08-02", until="2025-08-02")
    assert {r.time[:10] for r in listed} == {"2025-08-02"} and len(listed) == 10
    assert len(await session.get_new_logs(SN)) == 30  # getalllog marks nothing uploaded
    assert vt.acked == 30 and await session.get_new_logs(SN) == []  # getnewlog does


async def test_sloppy_firmware_replies(session, terminal):
    quirks = Quirks(no_sn_in_replies=True, string_result=True)
    await terminal(SN, quirks=quirks, refuse={"opendoor"})
    assert (await session.get_dev_info(SN)).volume == 6
    with pytest.raises(DeviceError) as refused:
        await session.open_door(SN)
    assert refused.value.sn == SN

    with pytest.raises(ValueError):
        await session.pull_logs(SN, since="2025-08-01")  # a range needs new_only=False


async def test_clean_logs_and_init_system(session, terminal):
    vt = await terminal(SN)
    _stored_on_terminal(vt, 1, 3)
    await session.set_user_info(SN, 1, "A", 11, 1)
    with pytest.raises(ConfirmationRequired):
        await session.clean_logs(SN)
    assert len(vt.logs) == 3 and not any(f["cmd"] == "cleanlog" for f in vt.received)
    await session.clean_logs(SN, confirm=True)
    assert vt.logs == []
    with pytest.raises(ConfirmationRequired):
        await session.init_system(SN)
    await session.init_system(SN, confirm=True)
    assert vt.users == {}


async def test_reboot_sends_no_reply_and_reports_the_reconnect(session, terminal):
    vt = await terminal(SN)
    before = vt.registrations
    result = await session.reboot(SN, wait_reconnect=10)
    assert result.reconnected is True
    assert terminal_state(vt).reboots == 1
    await until(lambda: vt.registrations == before + 1)
    assert (await session.reboot(SN)).reconnected is None


async def test_clock(session, terminal):
    vt = await terminal(SN)
    await session.set_time(SN, datetime(2030, 1, 2, 3, 4, 5))
    assert vt.received[-1]["cloudtime"] == "2030-01-02 03:04:05"
    clock = await session.get_time(SN)
    assert clock.time is not None and clock.time.year == 2030
    await session.set_time(SN)  # now, in the session's zone
    assert vt.received[-1]["cloudtime"][:10] == session.now_local().strftime("%Y-%m-%d")


async def test_device_settings_and_capacity(session, terminal):
    vt = await terminal(SN)
    await session.set_dev_info(SN, volume=3, language=12, sleep=True)
    assert terminal_state(vt).settings["volume"] == 3
    settings = await session.get_dev_info(SN)
    assert (settings.volume, settings.language, settings.sleep) == (3, 12, 1)
    with pytest.raises(TypeError, match="loudness"):
        await session.set_dev_info(SN, loudness=3)
    with pytest.raises(TypeError, match="nothing to set"):
        await session.set_dev_info(SN)
    await session.set_user_info(SN, 1, "A", 11, 1)
    capacity = await session.get_dev_cap(SN)
    assert capacity.useduser == 1 and capacity.usersize == 3000


async def test_server_keypad_mode(session, terminal):
    vt = await terminal(SN)
    await session.set_keypad(SN, on=True, seconds=30)
    assert terminal_state(vt).keypad == {"on": True, "timeout": 30}


async def test_disable_and_enable_device(session, terminal):
    vt = await terminal(SN)
    await session.disable_device(SN)
    assert terminal_state(vt).enabled is False
    await session.enable_device(SN)
    assert terminal_state(vt).enabled is True


async def test_doors(session, terminal):
    vt = await terminal(SN)
    await session.open_door(SN)
    await session.open_door(SN, 3)
    assert terminal_state(vt).opened == [None, 3]
    await session.lock_control(SN, DoorMode.FORCE_OPEN)
    assert terminal_state(vt).door_mode is DoorMode.FORCE_OPEN
    assert vt.received[-1]["fuc"] == 1
    with pytest.raises(ValueError, match="1..6"):
        await session.lock_control(SN, 9)


async def test_door_settings(session, terminal):
    vt = await terminal(SN)
    weekzone = [{"week": [{"day": 1}] * 7}]
    await session.set_dev_lock(SN, opendelay=9, InputAlarm=1, weekzone=weekzone)
    door = await session.get_dev_lock(SN)
    assert (door.opendelay, door.inputalarm, door.weekzone) == (9, 1, weekzone)
    assert terminal_state(vt).door["opendelay"] == 9


async def test_user_locks(session, terminal):
    vt = await terminal(SN)
    await session.set_user_info(SN, 5, "E", 11, 5)
    locks = [{"enrollid": 5, "weekzone": 2, "group": 3, "starttime": "2025-01-01"}]
    assert await session.set_user_locks(SN, locks) == 1
    lock = await session.get_user_lock(SN, 5)
    assert (lock.weekzone, lock.group, lock.starttime) == (2, 3, "2025-01-01")
    await session.delete_user_lock(SN, 5)
    assert 5 not in terminal_state(vt).user_locks
    await session.set_user_locks(SN, locks)
    with pytest.raises(ConfirmationRequired):
        await session.clean_user_locks(SN)
    await session.clean_user_locks(SN, confirm=True)
    assert terminal_state(vt).user_locks == {}


async def test_holidays_and_questionnaire(session, terminal):
    vt = await terminal(SN)
    holidays = [{"name": "New year", "startday": "01-01", "endday": "01-01", "shift": 0}]
    await session.set_holidays(SN, holidays)
    assert (await session.get_holidays(SN)).holidays == holidays
    await session.set_questionnaire(SN, title="Why late?", items=["traffic", "other"], radio=True)
    questionnaire = await session.get_questionnaire(SN)
    assert (questionnaire.title, questionnaire.items, questionnaire.radio) == (
        "Why late?",
        ["traffic", "other"],
        1,
    )
    assert terminal_state(vt).questionnaire["title"] == "Why late?"
