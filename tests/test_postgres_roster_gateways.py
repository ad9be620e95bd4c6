"""The roster with several gateways on one PostgreSQL: a change made in any process reaches
every terminal, wherever it is connected, exactly once (only the lease holder delivers)."""

from __future__ import annotations

import pytest

from tests.conftest import until
from wac_toolkit import Session, VirtualTerminal

pytestmark = pytest.mark.postgres


def deliveries(vt: VirtualTerminal, enrollid: int) -> int:
    return sum(
        1 for f in vt.received if f["cmd"] == "setuserinfo" and f.get("enrollid") == enrollid
    )


async def test_a_roster_change_from_a_third_process_is_delivered_once_everywhere(pg_dsn):
    async with (
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as a,
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as b,
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as office,  # no terminals: a notebook, say
    ):
        for gw in (a, b):
            gw.roster.worker.poll = 0.1  # notice steps another process queued quickly
        async with (
            VirtualTerminal(a.url, "ONE") as one,
            VirtualTerminal(b.url, "TWO") as two,
        ):
            await until(lambda: set(office.store.holders()) == {"ONE", "TWO"})
            await office.roster.add_person(7, "Gus", pin="4321", card="0099")
            await until(lambda: 7 in one.users and 7 in two.users, timeout=30)
            await until(lambda: not len(office.roster.pending()), timeout=30)
            assert one.users[7].credentials == two.users[7].credentials == {10: 4321, 11: "0099"}
            assert deliveries(one, 7) == deliveries(two, 7) == 2  # one per slot, once each
            assert len(office.roster.outcomes()) == 4 and office.roster.outcomes()["ok"].all()


async def test_wac_roster_on_a_dsn_is_delivered_at_once_through_the_database(
    pg_dsn, tmp_path, monkeypatch, capsys
):
    """``wac roster`` and ``wac terminals`` on a DSN use no control socket: the change is a
    row and a NOTIFY, and the gateway holding the terminal delivers it at once (its queue
    poll is an hour here, so only the NOTIFY can have woken it). ``reconcile`` reads the
    terminal through that gateway."""
    import asyncio

    from wac_toolkit.cli import main

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # where a control socket would be
    async with Session(pg_dsn, "127.0.0.1", 0) as gateway:
        gateway.roster.worker.poll = 3600
        async with VirtualTerminal(gateway.url, "DOOR") as door:
            await until(lambda: gateway.terminal("DOOR") is not None)
            assert (
                await asyncio.to_thread(main, ["terminals", "adopt", "DOOR", "--db", pg_dsn]) == 0
            )
            await until(lambda: gateway.terminal("DOOR").adopted)

            argv = ["roster", "add", "7", "Gus", "--pin", "4321", "--db", pg_dsn]
            assert await asyncio.to_thread(main, argv) == 0
            assert "the gateway holding each terminal delivers them now" in capsys.readouterr().out
            await until(lambda: 7 in door.users, timeout=30)
            assert door.users[7].credentials == {10: 4321}

            door.users.pop(7)  # someone deleted Gus on the keypad
            argv = ["roster", "reconcile", "DOOR", "--db", pg_dsn]
            assert await asyncio.to_thread(main, argv) == 0
            assert "DOOR: holds 0 people; 1 repair step(s) queued" in capsys.readouterr().out
            await until(lambda: 7 in door.users, timeout=30)
    assert not list(tmp_path.rglob("*.sock"))  # nothing went through a control socket
