"""Every kind of command fails cleanly: a refusal is a DeviceError, silence a CommandTimeout,
an offline terminal a TerminalOffline at once, and a destructive command needs confirm=True."""

from __future__ import annotations

import pytest

from tests.conftest import until
from wac_toolkit import CommandTimeout, ConfirmationRequired, DeviceError, TerminalOffline
from wac_toolkit.protocol.catalogue import terminal_commands

SN = "BAD00001"

# One representative call per kind of command (catalogue Command.kind, plus destructive).
KINDS = {
    "ack": ("opendoor", lambda s: s.open_door(SN, timeout=0.3)),
    "data": ("getdevinfo", lambda s: s.get_dev_info(SN, timeout=0.3)),
    "paged": ("getuserlist", lambda s: s.get_user_list(SN, timeout=0.3)),
    "batch": ("setusername", lambda s: s.set_user_names(SN, {1: "A"}, timeout=0.3)),
    "destructive": ("cleanuser", lambda s: s.clean_users(SN, confirm=True, timeout=0.3)),
    "profile form": (
        "setuserinfo",
        lambda s: s.set_user_profile_info(SN, 1, name="A", timeout=0.3),
    ),
}


def test_the_kinds_cover_the_catalogue():
    kinds = {c.kind for c in terminal_commands()}
    assert kinds <= {"ack", "data", "paged", "no reply"}
    assert set(KINDS) >= kinds - {"no reply"}


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_refusal_is_a_device_error(session, terminal, kind):
    cmd, call = KINDS[kind]
    await terminal(SN, refuse={cmd})
    with pytest.raises(DeviceError) as caught:
        await call(session)
    assert (caught.value.sn, caught.value.cmd, caught.value.reason) == (SN, cmd, 1)


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_silence_is_a_timeout_and_the_terminal_stays_usable(session, terminal, kind):
    cmd, call = KINDS[kind]
    vt = await terminal(SN, ignore={cmd})
    with pytest.raises(CommandTimeout):
        await call(session)
    vt.ignore.clear()
    assert (await session.get_time(SN)).text  # the next command goes through


async def test_no_reply_kind_never_waits_for_a_reply(session, terminal):
    """``reboot`` expects nothing, so a terminal that ignores it is not an error."""
    vt = await terminal(SN, ignore={"reboot"})
    assert (await session.reboot(SN)).reconnected is None
    await until(lambda: [f["cmd"] for f in vt.received] == ["reboot"])
    assert (await session.reboot(SN, wait_reconnect=0.2)).reconnected is False


@pytest.mark.parametrize(
    "method", [c.method for c in terminal_commands() if c.destructive], ids=str
)
async def test_destructive_commands_need_confirmation(session, terminal, method):
    vt = await terminal(SN)
    with pytest.raises(ConfirmationRequired):
        await getattr(session, method)(SN)
    assert vt.received == []


async def test_offline_terminal_fails_at_once(session):
    with pytest.raises(TerminalOffline):
        await session.open_door("NOPE")


async def test_bad_arguments_fail_before_sending(session, terminal):
    vt = await terminal(SN)
    with pytest.raises(TypeError, match="enrollid must be int"):
        await session.get_user_name(SN, "seven")
    with pytest.raises(TypeError, match="enabled must be bool"):
        await session.enable_user(SN, 1, 1)
    with pytest.raises(TypeError):
        await session.get_user_info(SN, 1)  # backupnum missing
    assert vt.received == []
