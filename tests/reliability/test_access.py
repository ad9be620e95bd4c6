"""Who may connect: the allow-list (refused with a reason the terminal shows), a secret in the
URL path, and TLS (``wss://``) with the certificate and key given to ``wac serve``."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import until
from tests.reliability.helpers import WacServe, free_port, stored_keys
from wac_toolkit import DeviceError, Session, VirtualTerminal
from wac_toolkit.protocol import frames


async def test_an_unknown_terminal_is_refused_with_a_reason_and_nothing_is_stored(db_path):
    async with Session(db_path, "127.0.0.1", 0, allow={"GOOD1"}, adopt_new=True) as session:
        stranger = VirtualTerminal(session.url, "EVIL1")
        with pytest.raises(DeviceError) as caught:
            await stranger.connect()
        assert caught.value.reason == "terminal not allowed"  # what the terminal displays
        await until(lambda: stranger.peer is not None and stranger.peer.closed)
        assert stranger.peer.connection.close_code == 1008
        # Pushing logs anyway, without a reg: refused, so the terminal keeps them.
        async with connect(session.url, compression=None) as ws:
            await ws.send(frames.encode({"cmd": "sendlog", "sn": "EVIL1", "count": 1,
                                         "record": [{"enrollid": 1, "time": "2025-08-01 08:00:00"}]}))  # fmt: skip
            reply = frames.decode(await ws.recv())
            assert reply["result"] is False
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 1008
        async with VirtualTerminal(session.url, "GOOD1") as good:
            good.punch(5)
            await good.wait_flushed(10)
        assert session.terminal("EVIL1") is None
    assert [sn for sn, *_ in stored_keys(db_path)] == ["GOOD1"]


async def test_the_path_secret_keeps_out_terminals_without_it(db_path):
    async with Session(db_path, "127.0.0.1", 0, path_secret="s3cret", adopt_new=True) as session:
        assert session.url.endswith("/s3cret")
        wrong = session.url.replace("/s3cret", "/pub/chat")
        with pytest.raises(InvalidStatus) as caught:
            await VirtualTerminal(wrong, "T1").connect()
        assert caught.value.response.status_code == 403
        with pytest.raises(InvalidStatus):
            await VirtualTerminal(session.url + "x", "T1").connect()
        async with VirtualTerminal(session.url, "T1") as vt:
            vt.punch(3)
            await vt.wait_flushed(10)
    assert len(stored_keys(db_path)) == 1


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command line."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_wss_with_certificate_and_key_on_the_command_line(tmp_path, certificate, monkeypatch):
    cert, key = certificate
    server = WacServe(tmp_path / "tls.sqlite", free_port(), "--certfile", str(cert),
                      "--keyfile", str(key))  # fmt: skip
    url = server.start()
    try:
        assert url.startswith("wss://127.0.0.1:")
        # A client that does not trust the certificate is refused by TLS itself.
        with pytest.raises(ssl.SSLCertVerificationError):
            await VirtualTerminal(url, "TLS1").connect()
        # Plain ws:// to the TLS port does not get a WebSocket either.
        with pytest.raises(Exception):  # noqa: B017 - the handshake fails one way or another
            await VirtualTerminal(url.replace("wss://", "ws://"), "TLS1").connect()
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the terminal now trusts our cert
        async with VirtualTerminal(url, "TLS1") as vt:
            vt.punch(9)
            await vt.wait_flushed(10)
    finally:
        assert server.stop() == 0
    assert stored_keys(tmp_path / "tls.sqlite")[0][:2] == ("TLS1", 9)
