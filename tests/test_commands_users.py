"""User commands against a virtual terminal over real sockets: each changes the terminal."""

from __future__ import annotations

from wac_toolkit import DeviceError, Session
from wac_toolkit.net import terminal_state
from wac_toolkit.protocol.models import BackupNum
from wac_toolkit.protocol.results import UserSlot

SN = "USR00001"


async def _people(session: Session, vt, n: int = 3) -> None:
    for i in range(1, n + 1):
        await session.set_user_info(SN, i, f"P{i}", BackupNum.CARD, 5000 + i)


async def test_get_user_list_returns_every_slot(session, terminal):
    vt = await terminal(SN, page_size=2)
    await _people(session, vt, 3)
    await session.set_user_info(SN, 2, "P2", BackupNum.PASSWORD, 1234, admin=1)
    slots = await session.get_user_list(SN)
    assert slots == [
        UserSlot(1, 0, BackupNum.CARD),
        UserSlot(2, 1, BackupNum.PASSWORD),
        UserSlot(2, 1, BackupNum.CARD),
        UserSlot(3, 0, BackupNum.CARD),
    ]
    assert [s.enrollid async for s in session.iter_user_list(SN)] == [1, 2, 2, 3]


async def test_get_user_info_reads_one_slot_and_refuses_unknown(session, terminal):
    vt = await terminal(SN)
    await _people(session, vt, 1)
    credential = await session.get_user_info(SN, 1, BackupNum.CARD)
    assert (credential.enrollid, credential.name, credential.record) == (1, "P1", 5001)
    try:
        await session.get_user_info(SN, 99, BackupNum.CARD)
        raise AssertionError("expected DeviceError")
    except DeviceError as exc:
        assert exc.reason == "can not find the user"


async def test_set_user_profile_info_uses_the_profile_form(session, terminal):
    vt = await terminal(SN)
    ack = await session.set_user_profile_info(SN, 7, name="Ana", enable=False, card=123, zoneid=2)
    assert ack.enrollid == 7
    user = vt.users[7]
    assert (user.name, user.enabled, user.credentials[BackupNum.CARD]) == ("Ana", False, 123)
    assert user.extra["zoneid"] == 2
    assert "backupnum" not in vt.received[-1]


async def test_delete_user_removes_it_and_the_stored_credential(session, terminal):
    vt = await terminal(SN)
    await _people(session, vt, 2)
    await session.delete_user(SN, 1)
    assert 1 not in vt.users
    stored = await session.loop.run_in_executor(None, session.store.credentials, SN)
    assert [c.enrollid for c in stored] == [2]


async def test_user_names(session, terminal):
    vt = await terminal(SN)
    await _people(session, vt, 2)
    names = {i: f"Name {i}" for i in range(1, 121)}
    assert await session.set_user_names(SN, names) == 120
    frames = [f for f in vt.received if f["cmd"] == "setusername"]
    assert [f["count"] for f in frames] == [50, 50, 20]
    assert vt.users[120].name == "Name 120"
    named = await session.get_user_name(SN, 2)
    assert (named.enrollid, named.name) == (2, "Name 2")


async def test_enable_user(session, terminal):
    vt = await terminal(SN)
    await _people(session, vt, 1)
    await session.enable_user(SN, 1, False)
    assert vt.users[1].enabled is False
    assert vt.received[-1]["enflag"] == 0
    await session.enable_user(SN, 1, enabled=True)
    assert vt.users[1].enabled is True


async def test_clean_users_and_clean_admins_need_confirmation(session, terminal):
    vt = await terminal(SN)
    await _people(session, vt, 2)
    await session.set_user_info(SN, 9, "Boss", BackupNum.CARD, 9, admin=1)
    await session.clean_admins(SN, confirm=True)
    assert {u.admin for u in vt.users.values()} == {0}
    await session.clean_users(SN, confirm=True)
    assert vt.users == {}
    stored = await session.loop.run_in_executor(None, session.store.credentials, SN)
    assert stored == []  # the store follows the terminal


async def test_add_user_enrols_and_refuses_an_existing_id(session, terminal):
    vt = await terminal(SN)
    ack = await session.add_user(SN, 42, "New", backupnum=BackupNum.PHOTO)
    assert ack.enrollid == 42 and BackupNum.PHOTO in vt.users[42].credentials
    try:
        await session.add_user(SN, 42, "Again")
        raise AssertionError("expected DeviceError")
    except DeviceError as exc:
        assert exc.reason == 2


async def test_user_profile_message(session, terminal):
    vt = await terminal(SN)
    await session.set_user_profile(SN, 0, "Welcome back")
    assert terminal_state(vt).profiles == {0: "Welcome back"}
    profile = await session.get_user_profile(SN, 0)
    assert profile.profile == "Welcome back"
