"""A terminal that stops reading cannot hold a command past its timeout, nor its queue, nor the
other terminals: the write has a deadline, and a terminal that cannot take a frame in time is
closed with 1011 so that it reconnects clean. Real sockets; the stalled terminal really stops
reading (its transport is paused and its receive buffer made small)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.conftest import until
from wac_toolkit import CommandTimeout, Session, VirtualTerminal

TIMEOUT = 1.0
PHOTO = "A" * (12 * 2**20)  # bigger than any loopback socket buffers can swallow


def stall(vt: VirtualTerminal) -> None:
    """The terminal stops reading: its TCP window fills and the server's writes block."""
    assert vt.peer is not None
    transport = vt.peer.connection.transport
    sock = transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    transport.pause_reading()


@pytest.fixture
async def gateway(db_path):
    async with Session(db_path, "127.0.0.1", 0, command_timeout=TIMEOUT, adopt_new=True) as session:
        yield session


async def test_a_terminal_that_stops_reading_fails_the_command_within_its_timeout(gateway, caplog):
    async with (
        VirtualTerminal(gateway.url, "STALLED") as stalled,
        VirtualTerminal(gateway.url, "HEALTHY") as healthy,
    ):
        await until(lambda: all(gateway.terminal(sn).online for sn in ("STALLED", "HEALTHY")))
        stall(stalled)
        sending = asyncio.ensure_future(gateway.set_user_info("STALLED", 1, "Ann", 50, PHOTO))
        # The healthy terminal is served while the stalled one blocks its write.
        await gateway.set_user_info("HEALTHY", 2, "Bo", 11, 77)
        assert healthy.users[2].credentials[11] == 77
        with pytest.raises(CommandTimeout) as caught:
            await asyncio.wait_for(sending, TIMEOUT + 1.0)
        assert caught.value.sn == "STALLED"
        # Closed so it reconnects clean; the commands queued behind it fail at once, not later.
        await until(lambda: not gateway.terminal("STALLED").online, timeout=5)
        assert any("closing with 1011" in r.getMessage() for r in caplog.records)
        await gateway.set_user_info("HEALTHY", 3, "Cy", 11, 78)
        assert healthy.users[3].credentials[11] == 78
        await stalled.disconnect(abort=True)


async def test_the_stalled_terminal_reconnects_and_takes_commands_again(gateway):
    async with VirtualTerminal(gateway.url, "COMEBACK") as vt:
        await until(lambda: gateway.terminal("COMEBACK").online)
        first = vt.registrations
        stall(vt)
        with pytest.raises(CommandTimeout):
            await asyncio.wait_for(
                gateway.set_user_info("COMEBACK", 1, "Ann", 50, PHOTO), TIMEOUT + 1.0
            )
        await until(lambda: not gateway.terminal("COMEBACK").online)
        # A real terminal sees the reset when it reads again (here TCP retransmission backoff
        # after the shrunk window would take long): it drops the socket and dials again.
        await vt.disconnect(abort=True)
        await until(lambda: vt.registrations > first and gateway.terminal("COMEBACK").online)
        await gateway.set_user_info("COMEBACK", 1, "Ann", 11, 4242)
        assert vt.users[1].credentials[11] == 4242


async def test_queued_commands_behind_a_stalled_write_do_not_wait_for_ever(gateway):
    async with VirtualTerminal(gateway.url, "QUEUE") as vt:
        await until(lambda: gateway.terminal("QUEUE").online)
        stall(vt)
        calls = [
            asyncio.ensure_future(gateway.set_user_info("QUEUE", i, "x", 50, PHOTO))
            for i in range(3)
        ]
        results = await asyncio.wait_for(
            asyncio.gather(*calls, return_exceptions=True), TIMEOUT + 1.0
        )
        assert isinstance(results[0], CommandTimeout)
        assert all(isinstance(r, Exception) for r in results)
        await vt.disconnect(abort=True)
