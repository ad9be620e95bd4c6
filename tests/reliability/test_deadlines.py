"""Connections that hold resources without registering are closed by their deadlines, and a cap
sheds them when too many wait at once. Deadlines are configurable; the tests make them short."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import until
from tests.reliability.helpers import WacServe, free_port
from wac_toolkit import Session, VirtualTerminal

REG = '{"cmd":"reg","sn":"DRIP1","devinfo":{"modelname":"AI806"}}'


async def closed_code(ws, within: float = 5.0) -> int | None:
    """Wait until the server closes ``ws``; return its close code."""
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), within)
    return ws.close_code


@pytest.fixture
async def strict(db_path) -> AsyncIterator[Session]:
    async with Session(
        db_path, "127.0.0.1", 0, reg_timeout=0.4, open_timeout=0.5, max_unregistered=3
    ) as session:
        yield session


async def test_a_connection_that_never_sends_reg_is_closed_with_1008(strict):
    async with connect(strict.url, compression=None) as ws:
        assert await closed_code(ws) == 1008
        assert ws.close_reason == "reg expected"


async def test_a_reg_dripped_slower_than_the_deadline_is_closed(strict):
    async def drip() -> AsyncIterator[str]:
        for char in REG:  # one fragment every 50 ms: 60 chars take 3 s, the deadline is 0.4 s
            yield char
            await asyncio.sleep(0.05)

    async with connect(strict.url, compression=None) as ws:
        sending = asyncio.ensure_future(ws.send(drip()))
        assert await closed_code(ws) == 1008
        sending.cancel()
    assert strict.terminal("DRIP1") is None


async def test_a_handshake_dripped_slower_than_open_timeout_is_dropped(strict):
    reader, writer = await asyncio.open_connection("127.0.0.1", strict.port)
    request = (
        f"GET /pub/chat HTTP/1.1\r\nHost: 127.0.0.1:{strict.port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        for char in request:
            writer.write(char.encode())
            await writer.drain()
            await asyncio.sleep(0.05)
            if reader.at_eof():
                break
        data = await asyncio.wait_for(reader.read(), 5)
    except ConnectionError:
        data = b""
    finally:
        writer.close()
    assert b"101 Switching Protocols" not in data
    assert loop.time() - began < len(request) * 0.05, "the server waited for the whole drip"


async def test_unregistered_connections_beyond_the_cap_get_1013(strict):
    silent = [await connect(strict.url, compression=None) for _ in range(3)]
    await until(lambda: strict.gateway._unregistered == 3)
    async with connect(strict.url, compression=None) as extra:
        assert await closed_code(extra) == 1013
    # The silent ones time out; then a real terminal gets in.
    for ws in silent:
        assert await closed_code(ws) == 1008
    async with VirtualTerminal(strict.url, "LEGIT") as vt:
        vt.punch(1)
        await vt.wait_flushed(10)


async def test_wac_serve_takes_the_limits_on_its_command_line(tmp_path):
    server = WacServe(tmp_path / "wac.sqlite", free_port(), "--reg-timeout", "0.3",
                      "--max-size", "0.01", "--max-unregistered", "50")  # fmt: skip
    url = server.start()
    try:
        async with connect(url, compression=None) as ws:
            assert await closed_code(ws) == 1008  # no reg within 0.3 s
        async with connect(url, compression=None) as ws:
            await ws.send(REG)
            await ws.recv()
            await ws.send('{"cmd":"sendlog","record":"' + "x" * 20_000 + '"}')  # > 0.01 MiB
            assert await closed_code(ws) == 1009
    finally:
        assert server.stop() == 0


def test_wac_serve_on_an_unusable_store_says_so_in_one_line(tmp_path):
    (tmp_path / "not-a-db.sqlite").write_bytes(b"this is not a database" * 100)
    done = subprocess.run(
        [sys.executable, "-m", "wac_toolkit", "serve", "--port", "0",
         "--db", str(tmp_path / "not-a-db.sqlite")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().startswith("wac serve:"), done.stderr
    assert "Traceback" not in done.stderr


async def test_a_registered_terminal_that_stops_answering_pings_is_closed(db_path):
    """The keepalive covers what TCP does not notice for hours: a terminal gone silent."""
    async with Session(
        db_path, "127.0.0.1", 0, ping_interval=0.2, ping_timeout=1.0, close_timeout=0.2
    ) as session:
        async with VirtualTerminal(session.url, "QUIET") as vt:
            await until(lambda: session.terminal("QUIET").online)
            vt.peer.connection.transport.pause_reading()  # pings pile up unanswered
            await until(lambda: not session.terminal("QUIET").online, timeout=10)
            await vt.disconnect(abort=True)
        async with VirtualTerminal(session.url, "ALIVE") as alive:
            await asyncio.sleep(1.0)  # several ping intervals: answered pings keep it open
            assert session.terminal("ALIVE").online and not alive.peer.closed
