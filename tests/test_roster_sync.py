"""The roster end to end: a real Session, a real SQLite file, virtual terminals over WebSockets.

Some terminals are offline while people change; after they reconnect each one holds exactly
what the roster says. Refusals, a gateway restart and keypad drift are covered too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.conftest import until
from tests.roster_fleet import held
from wac_toolkit import Session, VirtualTerminal
from wac_toolkit.roster import SyncFailed, SyncSucceeded

FP = "TEMPLATE" + "A1" * 40


async def online(session: Session, vt: VirtualTerminal) -> VirtualTerminal:
    vt.start()
    await vt.wait_registered()
    await until(lambda: (t := session.terminal(vt.sn)) is not None and t.online)
    return vt


async def offline(session: Session, vt: VirtualTerminal) -> None:
    await vt.stop()
    await until(lambda: not session.terminal(vt.sn).online)  # type: ignore[union-attr]


async def settled(session: Session) -> None:
    """Until no online terminal has a queued step left."""
    online = {t.sn for t in session.terminals() if t.online}
    await until(lambda: not set(session.roster.pending()["sn"]) & online)
    await session.roster.wait_synced()


def fast(session: Session, max_attempts: int = 3) -> None:
    session.roster.max_attempts = max_attempts
    session.roster.worker.retry_base = 0.01


async def test_offline_terminals_catch_up_and_hold_exactly_the_roster(session: Session) -> None:
    fast(session)
    front, back, gate = (VirtualTerminal(session.url, sn) for sn in ("FRONT", "BACK", "GATE"))
    for vt in (front, back, gate):
        await online(session, vt)
    await offline(session, gate)
    roster = session.roster
    await roster.set_group("front", ["FRONT", "GATE"])

    await roster.add_person(1, "Alice", pin="0012", card="0004567890", credentials={0: FP})
    await roster.add_person(2, "Bob", card="12345", assign="group:front")
    await roster.add_person(3, "Carol", pin="777", admin=1)
    await roster.add_person(4, "Dave", pin="4444", assign="BACK")
    await settled(session)
    await offline(session, back)

    # changes while BACK and GATE are away
    await roster.update_person(1, name="Alice B.", pin="0099")
    await roster.disable_person(3)
    await roster.remove_person(4)
    await roster.assign(2, "BACK")
    await roster.add_person(5, "Erin", card="0000000001", assign=["group:front"])
    assert {"BACK", "GATE"} <= set(roster.pending()["sn"])

    await online(session, back)
    await online(session, gate)
    await settled(session)

    alice = ("Alice B.", 0, True, {0: FP, 10: "0099", 11: "0004567890"})
    bob = ("Bob", 0, True, {11: "12345"})
    carol = ("Carol", 1, False, {10: "777"})
    erin = ("Erin", 0, True, {11: "0000000001"})
    assert held(front) == {1: alice, 2: bob, 3: carol, 5: erin}
    assert held(back) == {1: alice, 2: bob, 3: carol}
    assert held(gate) == {1: alice, 2: bob, 3: carol, 5: erin}
    # leading zeros reached the terminal as text; a plain number as a JSON number
    assert back.users[1].credentials[11] == "0004567890"
    assert back.users[2].credentials[11] == 12345
    outcomes = session.roster.outcomes()
    assert outcomes["ok"].all() and not outcomes.empty


async def test_refused_credential_fails_for_good_while_the_rest_sync(session: Session) -> None:
    fast(session, max_attempts=3)
    events: list[Any] = []
    session.subscribe(
        lambda e: events.append(e) if isinstance(e, SyncFailed | SyncSucceeded) else None
    )

    async def no_cards(terminal: VirtualTerminal, frame: dict[str, Any]) -> dict[str, Any]:
        if frame.get("backupnum") == 11:
            return terminal.refusal("setuserinfo", "card reader missing")
        return await VirtualTerminal.handlers["setuserinfo"](terminal, frame)

    picky = VirtualTerminal(session.url, "PICKY")
    picky.handlers = {**picky.handlers, "setuserinfo": no_cards}  # type: ignore[misc]
    good = VirtualTerminal(session.url, "GOOD")
    stubborn = VirtualTerminal(session.url, "STUBBORN", refuse={"setuserinfo"})
    for vt in (picky, good, stubborn):
        await online(session, vt)

    await session.roster.add_person(1, "Alice", pin="1234", card="0042")
    await session.roster.add_person(2, "Bob", pin="5678")
    await until(lambda: session.roster.pending().empty)

    assert held(good) == {
        1: ("Alice", 0, True, {10: "1234", 11: "0042"}),
        2: ("Bob", 0, True, {10: "5678"}),
    }
    assert held(picky) == {1: ("Alice", 0, True, {10: "1234"}), 2: ("Bob", 0, True, {10: "5678"})}
    assert held(stubborn) == {}
    failed = session.roster.outcomes().query("not ok")
    assert sorted(zip(failed["sn"], failed["enrollid"], failed["backupnum"], strict=True)) == [
        ("PICKY", 1, 11), ("STUBBORN", 1, 10), ("STUBBORN", 1, 11), ("STUBBORN", 2, 10),
    ]  # fmt: skip
    assert (failed["attempts"] == 3).all()
    assert set(failed.query("sn == 'PICKY'")["reason"]) == {"card reader missing"}
    refused = [f for f in picky.received if f.get("backupnum") == 11]
    assert len(refused) == 3
    # Events are delivered on the loop after the step that published them (reply first).
    await until(lambda: sum(isinstance(e, SyncFailed) for e in events) == 4)
    fails = [e for e in events if isinstance(e, SyncFailed)]
    assert {(e.sn, e.enrollid, e.backupnum) for e in fails} == {
        ("PICKY", 1, 11), ("STUBBORN", 1, 10), ("STUBBORN", 1, 11), ("STUBBORN", 2, 10),
    }  # fmt: skip
    assert sum(isinstance(e, SyncSucceeded) and e.sn == "GOOD" for e in events) == 3


async def test_gateway_restart_loses_no_queued_step(db_path: Path) -> None:
    async with Session(
        db_path, "127.0.0.1", 0, tz="Europe/Berlin", command_timeout=2.0, adopt_new=True
    ) as first:
        vt = await online(first, VirtualTerminal(first.url, "DOOR"))
        await offline(first, vt)
        await first.roster.add_person(1, "Alice", pin="0012", card="77")
        await first.roster.add_person(2, "Bob", pin="3")
        await first.roster.disable_person(2)
        before = first.roster.pending()[["sn", "cmd", "enrollid", "backupnum", "enabled"]]
    assert len(before) == 4

    async with Session(
        db_path, "127.0.0.1", 0, tz="Europe/Berlin", command_timeout=2.0, adopt_new=True
    ) as second:
        after = second.roster.pending()[["sn", "cmd", "enrollid", "backupnum", "enabled"]]
        assert after.equals(before)
        vt.url = second.url
        await online(second, vt)
        await until(lambda: second.roster.pending().empty)
        assert held(vt) == {
            1: ("Alice", 0, True, {10: "0012", 11: "77"}),
            2: ("Bob", 0, False, {10: "3"}),
        }
    await vt.stop()


async def test_reconcile_repairs_keypad_drift_both_ways(session: Session) -> None:
    fast(session)
    session.roster.adopt_pushed = False
    vt = await online(session, VirtualTerminal(session.url, "LOBBY"))
    await session.roster.add_person(1, "Alice", pin="0012", card="55")
    await session.roster.add_person(2, "Bob", pin="22")
    await settled(session)

    # at the terminal: Alice's card removed, Bob's PIN changed, Bob renamed, a stranger enrolled
    del vt.users[1].credentials[11]
    vt.users[2].credentials[10] = 99
    vt.users[2].name = "Bobby"
    await vt.enroll(40, "Keypad Kim", 10, 4040)
    vt.users[41] = type(vt.users[1])(41, "Walk-in", credentials={11: 4141})

    report = await session.roster.reconcile("LOBBY")
    assert report.unknown == (40, 41) and report.queued == 2
    await settled(session)
    assert held(vt) == {
        1: ("Alice", 0, True, {10: "0012", 11: "55"}),
        2: ("Bob", 0, True, {10: "22"}),
        40: ("Keypad Kim", 0, True, {10: "4040"}),
        41: ("Walk-in", 0, True, {11: "4141"}),
    }

    report = await session.roster.reconcile("LOBBY", adopt=True)
    assert report.adopted == (40, 41) and report.queued == 0
    assert session.roster.person(41).card == "4141"  # type: ignore[union-attr]
    await session.roster.remove_person(41)
    vt.users[42] = type(vt.users[1])(42, "Intruder", credentials={10: 1})
    report = await session.roster.reconcile("LOBBY", prune=True)
    await settled(session)
    assert set(held(vt)) == {1, 2, 40}, session.roster.outcomes().to_string()


async def test_keypad_enrolment_spreads_to_the_other_terminals(session: Session) -> None:
    fast(session)
    session.roster.spread_to = "all"
    a = await online(session, VirtualTerminal(session.url, "A"))
    b = await online(session, VirtualTerminal(session.url, "B"))
    await a.enroll(9, "Nina", 11, "0000777")
    await until(lambda: 9 in b.users)
    await settled(session)
    assert held(b) == {9: ("Nina", 0, True, {11: "0000777"})}
    nina = session.roster.person(9)
    assert nina is not None and nina.card == "0000777" and [str(t) for t in nina.targets] == ["all"]
    # a terminal seen for the first time gets everyone assigned to "all"
    c = await online(session, VirtualTerminal(session.url, "C"))
    await until(lambda: 9 in c.users)
    assert held(c) == held(b)


async def test_bad_input_gets_a_clear_error(session: Session) -> None:
    import pytest

    roster = session.roster
    with pytest.raises(ValueError, match="PIN"):
        await roster.add_person(1, "A", pin="12ab")
    with pytest.raises(ValueError, match="out of range"):
        await roster.add_person(0, "Door")
    await roster.add_person(1, "A", pin="1")
    with pytest.raises(ValueError, match="already"):
        await roster.add_person(1, "A again")
    with pytest.raises(ValueError, match="not in the roster"):
        await roster.update_person(2, name="Nobody")
    with pytest.raises(ValueError, match="admin"):
        await roster.update_person(1, admin=7)
    assert roster.person(1).pin == "1"  # type: ignore[union-attr]
    await asyncio.sleep(0)


async def test_a_step_in_flight_when_the_gateway_stops_is_sent_again(db_path: Path) -> None:
    vt = VirtualTerminal("ws://unused", "SLOW", ignore={"setuserinfo"})
    async with Session(
        db_path, "127.0.0.1", 0, tz="Europe/Berlin", command_timeout=30, adopt_new=True
    ) as first:
        vt.url = first.url
        await online(first, vt)
        await first.roster.add_person(1, "Alice", pin="0012")
        await until(lambda: any(f["cmd"] == "setuserinfo" for f in vt.received))
    await vt.stop()  # the gateway went down while the terminal had not answered yet

    async with Session(
        db_path, "127.0.0.1", 0, tz="Europe/Berlin", command_timeout=2, adopt_new=True
    ) as second:
        assert list(second.roster.pending()["cmd"]) == ["setuserinfo"]
        vt.ignore.clear()
        vt.url = second.url
        await online(second, vt)
        await until(lambda: second.roster.pending().empty)
        assert held(vt) == {1: ("Alice", 0, True, {10: "0012"})}
        assert list(second.roster.outcomes()["ok"]) == [True]
    await vt.stop()


async def test_blocking_or_forgetting_a_terminal_drops_its_queued_steps(session: Session) -> None:
    """The Session does not call the roster: the roster hears ``TerminalStateChanged`` and
    drops the steps of a terminal no longer adopted; adopting it again plans it in full."""
    await session.adopt("GATE", "SIDE")  # ahead of their first connection: steps wait
    await session.roster.add_person(4, "Dee", pin="44")
    assert set(session.roster.pending()["sn"]) == {"GATE", "SIDE"}
    await session.block("GATE")
    await until(lambda: set(session.roster.pending()["sn"]) == {"SIDE"})
    await session.forget("SIDE")
    await until(lambda: session.roster.pending().empty)
    await session.adopt("GATE")
    assert await session.roster.sync("GATE") == 1
    assert list(session.roster.pending()["sn"]) == ["GATE"]
