"""The command transport on one SQLite gateway: the local connection, or TerminalOffline at
once; a Session that does not listen binds nothing and reaches no terminal."""

from __future__ import annotations

import pytest

from tests.conftest import until
from wac_toolkit import Session, VirtualTerminal
from wac_toolkit.errors import TerminalNotAdopted, TerminalOffline


async def test_commands_go_over_the_local_connection_or_fail_at_once(tmp_path):
    async with Session(tmp_path / "wac.sqlite", "127.0.0.1", 0) as session:
        assert not session.transport.shared  # one SQLite file: nobody to route to
        await session.adopt("L1")
        async with VirtualTerminal(session.url, "L1") as vt, VirtualTerminal(session.url, "P1"):
            await session.set_user_info("L1", 4, "Dee", 11, "0044")
            assert vt.users[4].name == "Dee"
            with pytest.raises(TerminalNotAdopted):
                await session.open_door("P1")
        await until(lambda: not session.gateway.peers.get("L1"))
        with pytest.raises(TerminalOffline):
            await session.open_door("L1")


async def test_a_session_that_does_not_listen_binds_nothing(tmp_path):
    db = tmp_path / "wac.sqlite"
    async with Session(db, "127.0.0.1", 0) as gateway:
        async with Session(db, "127.0.0.1", gateway.port, listen=False) as quiet:
            assert quiet.gateway.peers == {} and quiet.presence is None
            with pytest.raises(TerminalOffline):
                await quiet.open_door("L1")
