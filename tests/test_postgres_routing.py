"""Commands routed through PostgreSQL to whichever gateway holds the terminal.

Two Sessions (two gateways) share one database; a terminal is connected to the first. The
second commands it as if it were local: replies come back, refusals raise DeviceError, a
terminal that does not answer raises CommandTimeout, and a terminal nobody holds raises
TerminalOffline at once.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import until
from wac_toolkit import Session, VirtualTerminal
from wac_toolkit.errors import CommandTimeout, DeviceError, TerminalOffline
from wac_toolkit.store import open_store
from wac_toolkit.store.postgres import REPLY_CHANNEL, TERMINALS_CHANNEL

pytestmark = pytest.mark.postgres


async def test_a_command_from_another_gateway_reaches_the_terminal(pg_dsn):
    async with (
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True, command_timeout=3) as holder,
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True, command_timeout=3) as other,
    ):
        vt = VirtualTerminal(holder.url, "R1", refuse={"cleanadmin"}, ignore={"getdevlock"})
        async with vt:
            await until(lambda: other.store.holders().get("R1") == holder.presence.gateway)
            assert other.gateway.peers.get("R1") is None  # not connected here

            await other.set_user_info("R1", 5, "Eve", 11, "0012345678")
            assert vt.users[5].credentials == {11: "0012345678"}
            assert [c.enrollid for c in other.store.credentials("R1")] == [5]
            reply = await other.command("R1", "getuserlist", {"stn": True})
            assert reply["result"] is True and [u["enrollid"] for u in reply["record"]] == [5]
            await other.delete_user("R1", 5)
            assert 5 not in vt.users

            with pytest.raises(DeviceError):
                await other.command("R1", "cleanadmin")
            with pytest.raises(CommandTimeout):
                await other.command("R1", "getdevlock", timeout=0.5)
            with pytest.raises(TerminalOffline):
                await other.command("NOBODY", "getuserlist", {"stn": True})
        await until(lambda: "R1" not in other.store.holders())
        with pytest.raises(TerminalOffline):
            await other.command("R1", "getuserlist", {"stn": True})


async def test_commands_and_replies_travel_by_notify(pg_cluster, pg_dsn):
    """Neither side polls while LISTEN works: with the timed looks an hour apart, every
    command is taken on the holder's NOTIFY and every reply collected on the sender's."""
    async with (
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True, command_timeout=20) as holder,
        Session(pg_dsn, listen=False, command_timeout=20) as client,
    ):
        assert holder.presence is not None and holder.presence.router is not None
        router, sender = holder.presence.router, client.transport.sender
        assert sender is not None
        router.poll = sender.backstop = 3600.0
        async with VirtualTerminal(holder.url, "N1") as vt:
            await until(lambda: client.store.holders().get("N1") == holder.presence.gateway)
            for enrollid in range(1, 6):
                await client.set_user_info("N1", enrollid, f"P{enrollid}", 11, f"00{enrollid}")
            assert sorted(vt.users) == [1, 2, 3, 4, 5]
        assert sender.replies["poll"] == 0 and sender.replies["notify"] >= 1
        assert sum(sender.replies.values()) == 5
        assert router.taken["notify"] >= 4 and sum(router.taken.values()) == 5


async def test_without_listen_replies_are_polled_and_lost_listens_are_replaced(pg_cluster, pg_dsn):
    async with (
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True, command_timeout=20) as holder,
        Session(pg_dsn, listen=False, command_timeout=20) as client,
    ):
        sender = client.transport.sender
        assert sender is not None
        async with VirtualTerminal(holder.url, "N2") as vt:
            await until(lambda: client.store.holders().get("N2") == holder.presence.gateway)
            sender.notify = False
            await client.set_user_info("N2", 1, "Polled", 11, "001")
            assert vt.users[1].name == "Polled" and sender.replies["notify"] == 0

            sender.notify = True
            await client.set_user_info("N2", 2, "Notified", 11, "002")
            dbname = pg_dsn.rsplit("/", 1)[1]
            killed = pg_cluster.psql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                f" WHERE datname = '{dbname}' AND query IN ('LISTEN {REPLY_CHANNEL}',"
                f" 'LISTEN {TERMINALS_CHANNEL}')",
                dbname,
            )
            assert killed == "2"  # the sender's and the holder's LISTEN connections, gone
            for enrollid in (3, 4, 5):
                await client.set_user_info("N2", enrollid, "After", 11, f"00{enrollid}")
            assert sorted(vt.users) == [1, 2, 3, 4, 5]


async def test_a_command_past_its_timeout_is_never_sent_and_is_purged(pg_dsn):
    """A sender that died (or gave up) leaves its row; the holder must not send it late."""
    store = open_store(pg_dsn)
    try:
        await store.claim_terminal("S1", "gw-a", 30)
        stale = store.queue_command("S1", "opendoor", "{}", True, 0.05)
        assert stale is not None and stale[1] == "gw-a"
        await asyncio.sleep(0.2)  # its 50 ms pass on the database's clock
        fresh = store.queue_command("S1", "opendoor", "{}", True, 30)
        assert fresh is not None
        taken = store.take_commands("gw-a")
        assert [row[0] for row in taken] == [fresh[0]]
        assert 0 < taken[0][5] <= 30_000  # the milliseconds it has left
        assert store.command_outcome(stale[0], forget=False) == ("queued", None, None, None)
        assert store.purge_commands(older_than=0.1) == 1
        assert store.command_outcome(stale[0], forget=False) is None
        assert store.command_outcome(fresh[0], forget=False) is not None  # still in time
    finally:
        store.close()
