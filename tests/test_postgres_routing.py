"""Commands routed through PostgreSQL to whichever gateway holds the terminal.

Two Sessions (two gateways) share one database; a terminal is connected to the first. The
second commands it as if it were local: replies come back, refusals raise DeviceError, a
terminal that does not answer raises CommandTimeout, and a terminal nobody holds raises
TerminalOffline at once.
"""

from __future__ import annotations

import pytest

from tests.conftest import until
from wac_toolkit import Session, VirtualTerminal
from wac_toolkit.errors import CommandTimeout, DeviceError, TerminalOffline

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
