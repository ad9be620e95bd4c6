"""Commands never hang and never pile up: offline fails at once, silence times out, and a full
per-terminal queue refuses the next command instead of growing."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import until
from wac_toolkit import CommandTimeout, QueueFull, Session, TerminalOffline, VirtualTerminal

CARD = {"enrollid": 7, "name": "Ann", "backupnum": 11, "admin": 0, "record": 4242}


async def test_command_to_an_offline_terminal_fails_at_once(session, terminal):
    with pytest.raises(TerminalOffline):
        await session.command("NEVER-SEEN", "setuserinfo", CARD)
    vt = await terminal("GONE")
    await vt.stop()
    await until(lambda: not session.terminal("GONE").online)
    # No timeout is involved: the call must fail before a silent terminal would even time out.
    with pytest.raises(TerminalOffline):
        await asyncio.wait_for(session.command("GONE", "setuserinfo", CARD), 0.5)


async def test_command_to_a_silent_terminal_times_out_and_the_next_one_works(session, terminal):
    vt = await terminal("MUTE", ignore={"setuserinfo"})
    with pytest.raises(CommandTimeout) as caught:
        await session.command("MUTE", "setuserinfo", CARD, timeout=0.3)
    assert caught.value.sn == "MUTE"
    assert vt.received[-1]["cmd"] == "setuserinfo", "the command did reach the terminal"
    vt.ignore.clear()
    reply = await session.command("MUTE", "setuserinfo", CARD)
    assert reply["result"] is True
    assert vt.users[7].credentials[11] == 4242


async def test_a_full_per_terminal_queue_refuses_instead_of_growing(db_path):
    async with Session(
        db_path, "127.0.0.1", 0, command_timeout=5, max_queue=2, adopt_new=True
    ) as session:
        async with VirtualTerminal(session.url, "SLOW", ignore={"getuserlist"}) as vt:
            await until(lambda: session.terminal("SLOW") is not None)
            # One in flight plus two waiting are accepted; the fourth is refused at once.
            pending = [
                asyncio.ensure_future(session.command("SLOW", "getuserlist", timeout=1))
                for _ in range(3)
            ]
            await until(lambda: len(vt.received) == 1)
            with pytest.raises(QueueFull):
                await session.command("SLOW", "getuserlist")
            results = await asyncio.gather(*pending, return_exceptions=True)
            assert all(isinstance(r, CommandTimeout) for r in results)
            # The queue drained: the terminal answers the next command normally.
            vt.ignore.clear()
            reply = await session.command("SLOW", "setuserinfo", CARD)
            assert reply["result"] is True


async def test_a_terminal_that_drops_mid_command_fails_the_command_quickly(session, terminal):
    vt = await terminal("FLAKY", ignore={"setuserinfo"})
    call = asyncio.ensure_future(session.command("FLAKY", "setuserinfo", CARD, timeout=30))
    await until(lambda: len(vt.received) == 1)
    await vt.disconnect(abort=True)
    with pytest.raises(Exception) as caught:
        await asyncio.wait_for(call, 5)
    assert not isinstance(caught.value, TimeoutError), "waited for the timeout, not the drop"


async def test_a_late_refusal_is_never_taken_as_the_answer_to_the_next_command(db_path):
    """Replies carry no id: the late refusal for user 1 must not fail (or pass) user 2."""
    async with Session(db_path, "127.0.0.1", 0, command_grace=10, adopt_new=True) as session:
        async with VirtualTerminal(session.url, "LATE") as vt:
            await until(lambda: session.terminal("LATE") is not None)
            await _late_refusal(session, vt)


async def _late_refusal(session: Session, vt: VirtualTerminal) -> None:
    plain = VirtualTerminal.handlers["setuserinfo"]

    async def slow_for_user_1(vt: VirtualTerminal, frame: dict) -> dict:
        if frame["enrollid"] == 1:
            await asyncio.sleep(0.5)  # answers after the caller gave up
            return vt.refusal("setuserinfo")  # no echo: only the name tells what it answers
        return await plain(vt, frame)

    vt.handlers = {**VirtualTerminal.handlers, "setuserinfo": slow_for_user_1}
    with pytest.raises(CommandTimeout):
        await session.command("LATE", "setuserinfo", dict(CARD, enrollid=1), timeout=0.2)
    reply = await session.command("LATE", "setuserinfo", dict(CARD, enrollid=2), timeout=2)
    assert reply["result"] is True and reply["enrollid"] == 2
    assert 2 in vt.users and 1 not in vt.users
