"""Presence on PostgreSQL: which gateway holds which terminal, as leases that lapse.

A terminal is held by the gateway it is connected to; when it moves to another gateway it is
held there at once; a gateway that dies (SIGKILL: no goodbye) loses its terminals when its
lease lapses, and they are held by whichever gateway they dial next.
"""

from __future__ import annotations

import pytest

from tests.conftest import until
from tests.reliability.helpers import WacServe, free_port
from wac_toolkit import Session, VirtualTerminal
from wac_toolkit.store import open_store

pytestmark = pytest.mark.postgres


async def test_a_terminal_is_held_where_it_is_connected_and_moves_at_once(pg_dsn):
    async with (
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as a,
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as b,
    ):
        assert a.presence is not None and b.presence is not None
        assert a.presence.gateway != b.presence.gateway
        vt = VirtualTerminal(a.url, "MOVER", reconnect_delay=0.05)
        vt.start()
        try:
            await until(lambda: a.store.holders().get("MOVER") == a.presence.gateway)
            await vt.stop()
            await until(lambda: "MOVER" not in a.store.holders())  # a clean disconnect
            vt.url = b.url
            vt.start()
            await until(lambda: b.store.holders().get("MOVER") == b.presence.gateway)
        finally:
            await vt.stop()
    with open_store(pg_dsn) as store:  # both stopped cleanly: every lease given back
        assert store.holders() == {}


async def test_a_killed_gateway_loses_its_terminals_when_its_lease_lapses(pg_dsn):
    doomed = WacServe(pg_dsn, free_port(), "--adopt-new", "--presence-ttl", "1")
    url = doomed.start()
    store = open_store(pg_dsn)
    vt = VirtualTerminal(url, "ORPHAN", reconnect_delay=0.05)
    vt.start()
    try:
        await until(lambda: "ORPHAN" in store.holders(), timeout=30)
        dead = store.holders()["ORPHAN"]
        doomed.kill()  # no release, no goodbye: only the lapse can free the terminal
        await until(lambda: "ORPHAN" not in store.holders(), timeout=30)
        async with Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as survivor:
            vt.url = survivor.url  # its reconnect loop dials the survivor next
            await until(lambda: store.holders().get("ORPHAN") == survivor.presence.gateway)
            assert survivor.presence.gateway != dead
            reply = await survivor.command("ORPHAN", "getuserlist", {"stn": True})
            assert reply["result"] is True  # reachable through the survivor
    finally:
        await vt.stop()
        doomed.kill()
        store.close()
