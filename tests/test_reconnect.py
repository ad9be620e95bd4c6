"""A reconnect that changes nothing durable is answered without a durable commit of its own
(issue 15: reconnect storms), while a new or changed identity is stored before the reply."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from tests.security.test_registry import reg
from wac_toolkit import Session, TerminalState
from wac_toolkit.net.terminal import VirtualTerminal
from wac_toolkit.registry import Terminal
from wac_toolkit.trust import must_store_first

T0 = datetime(2025, 8, 1, 8, 0, tzinfo=UTC)


def known(info=None, **changes) -> Terminal:
    info = info or reg("SN1")
    t = Terminal("SN1", False, info, T0, "10.0.0.5:4000", TerminalState.ADOPTED,
                 {"cpusn": "CPU1", "mac": "0001a9", "modelname": "AI806"}, T0)  # fmt: skip
    return replace(t, **changes)


def test_only_presence_changed_does_not_wait_for_the_store() -> None:
    before = known()
    again = replace(before, online=True, remote="10.0.0.5:4711",
                    info=reg("SN1", time="2025-08-01 09:00:00"))  # fmt: skip
    assert not must_store_first(before, again)


def test_new_terminals_and_changed_trust_or_identity_are_stored_first() -> None:
    before = known()
    assert must_store_first(None, before)
    assert must_store_first(before, replace(before, state=TerminalState.BLOCKED))
    assert must_store_first(before, replace(before, identity={"cpusn": "CPU2"}))
    assert must_store_first(before, replace(before, info=reg("SN1", cpusn="CPU2")))
    assert must_store_first(before, replace(before, info=reg("SN1", firmware="v2")))
    assert must_store_first(replace(before, info=None), before)


def devices(db: Path) -> dict[str, tuple]:
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT sn, state, identity, last_seen FROM devices").fetchall()
    return {sn: (state, identity, last) for sn, state, identity, last in rows}


async def test_a_new_terminal_is_stored_before_it_is_answered_and_a_reconnect_later(
    tmp_path: Path,
) -> None:
    db = tmp_path / "wac.sqlite"
    async with Session(db, "127.0.0.1", 0, adopt_new=True) as session:
        vt = VirtualTerminal(session.url, "RC001")
        await vt.connect()
        # answered, so already durable: another process reading the file sees it adopted
        state, identity, first = devices(db)["RC001"]
        assert state == "adopted" and "CPURC001" in identity
        await vt.disconnect()
        await vt.connect()
        await vt.disconnect()
    state, identity, last = devices(db)["RC001"]  # the reconnect's presence was written too
    assert state == "adopted" and last > first
    assert session.terminal("RC001").last_seen.timestamp() * 1e6 >= last
