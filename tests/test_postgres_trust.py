"""Adoption and quarantine on PostgreSQL, with two gateways (two Sessions) on one database.

Terminal states live in the database: adopting through one gateway, or with ``wac terminals
--db postgresql://...`` while no gateway answers locally, is applied by the gateway that holds
the terminal (NOTIFY on commit), which then serves it the roster and commands; blocking
closes its connection there, forgetting sends it back to pending. Quarantine is in the same
database, so any gateway (and ``wac quarantine``) sees what any gateway kept aside.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from tests.conftest import until
from wac_toolkit import Session, TerminalState, VirtualTerminal
from wac_toolkit.cli import main
from wac_toolkit.errors import TerminalNotAdopted
from wac_toolkit.events import TerminalStateChanged
from wac_toolkit.protocol import frames

pytestmark = pytest.mark.postgres


async def wac(*args: str) -> int:
    """The CLI as an operator runs it (its own event loop, here on a thread)."""
    return await asyncio.to_thread(main, list(args))


def state(session: Session, sn: str) -> str | None:
    terminal = session.terminal(sn)
    return None if terminal is None else str(terminal.state)


async def test_adopt_block_and_forget_through_either_gateway_or_the_cli(pg_dsn, capsys):
    async with (
        Session(pg_dsn, "127.0.0.1", 0, command_timeout=3) as holder,
        Session(pg_dsn, "127.0.0.1", 0, command_timeout=3) as other,
    ):
        changes: list[TerminalStateChanged] = []
        holder.subscribe(changes.append, TerminalStateChanged)
        vt = VirtualTerminal(holder.url, "T1")
        async with vt:
            await until(lambda: other.store.holders().get("T1") == holder.presence.gateway)
            assert state(holder, "T1") == "pending"
            vt.punch(7)
            await until(lambda: holder.store.count_logs() == 1)
            assert other.logs().empty and len(other.logs(include_pending=True)) == 1
            with pytest.raises(TerminalNotAdopted):  # routed to the holder, refused there
                await other.command("T1", "getuserlist", {"stn": True})

            await other.adopt("T1")  # the other gateway: the holder hears of it
            await until(lambda: state(holder, "T1") == "adopted")
            await until(lambda: TerminalStateChanged("T1", TerminalState.ADOPTED) in changes)
            assert list(holder.logs()["enrollid"]) == [7]  # promoted out of pending
            await other.set_user_info("T1", 5, "Eve", 11, "0012345678")
            assert vt.users[5].credentials == {11: "0012345678"}

            # No gateway serves a control endpoint here: the CLI writes the database itself.
            assert await wac("terminals", "--db", pg_dsn, "block", "T1") == 0
            await until(lambda: state(holder, "T1") == "blocked")
            await until(lambda: not holder.terminal("T1").online)  # its connection closed
            assert await wac("terminals", "--db", pg_dsn, "--json") == 0
            out = capsys.readouterr().out
            rows = {r["sn"]: r["state"] for r in json.loads(out[out.index("[") :])}
            assert rows == {"T1": "blocked"}

            assert await other.forget("T1") == ["T1"]
            # Forgotten on the holder too (the event, not a poll: it may redial at once).
            await until(lambda: TerminalStateChanged("T1", None) in changes)
            await until(lambda: state(holder, "T1") == "pending", timeout=30)  # it redials


async def test_a_terminal_adopted_ahead_is_served_by_whichever_gateway_it_dials(pg_dsn):
    async with (
        Session(pg_dsn, "127.0.0.1", 0, command_timeout=3) as office,
        Session(pg_dsn, "127.0.0.1", 0, command_timeout=3) as site,
    ):
        await office.adopt("LATER")
        async with VirtualTerminal(site.url, "LATER") as vt:
            await until(lambda: state(site, "LATER") == "adopted")
            await until(lambda: office.store.holders().get("LATER") == site.presence.gateway)
            await office.set_user_info("LATER", 3, "Max", 10, 1234)
            assert vt.users[3].credentials == {10: 1234}


async def test_quarantine_kept_by_one_gateway_is_read_anywhere(pg_dsn, capsys):
    poison = {
        "cmd": "sendlog", "sn": "Q1", "count": 2, "logindex": 3,
        "record": [{"enrollid": 1, "time": "2025-08-01 08:00:00"}, {"enrollid": 4}],
    }  # fmt: skip
    async with (
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as one,
        Session(pg_dsn, "127.0.0.1", 0) as other,
    ):
        async with connect(one.url, compression=None) as ws:
            await ws.send(frames.encode({"cmd": "reg", "sn": "Q1"}))
            assert frames.decode(await asyncio.wait_for(ws.recv(), 5))["result"] is True
            for _ in range(2):  # a re-sent frame quarantines nothing twice
                await ws.send(frames.encode(poison))
                assert frames.decode(await asyncio.wait_for(ws.recv(), 5))["result"] is True
        [item] = other.quarantined("Q1")
        assert item.reason == "record 2 of 2 (logindex 3): record without time"
        assert other.quarantine_count() == 1 and list(other.logs()["enrollid"]) == [1]
    assert await wac("quarantine", "--db", pg_dsn) == 0
    assert "record without time" in capsys.readouterr().out
