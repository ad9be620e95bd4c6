"""The control channel as an attacker on the same host meets it: real ``wac serve`` processes,
real Unix sockets, a real second user (when the tests run as root), real file modes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gateway_process import free_port
from wac_toolkit import ConfirmationRequired, Session, WacClient, WacClientError
from wac_toolkit.control import ControlClient
from wac_toolkit.control_endpoint import control_dir, control_file, open_control
from wac_toolkit.protocol.models import BackupNum

pytestmark = pytest.mark.skipif(os.name != "posix", reason="Unix sockets and file modes")

SN = "SEC00001"
NOBODY = 65534
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SYSTEM_PYTHON = next(
    (p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if os.access(p, os.X_OK)), None
)


# -- helpers -----------------------------------------------------------------------------------


@contextlib.contextmanager
def wac_serve(db: Path, *extra: str, env: dict[str, str] | None = None, **popen: Any) -> Iterator[
    tuple[subprocess.Popen[str], list[str]]
]:  # fmt: skip
    """``wac serve --db db`` as its own process, until its control endpoint is up; yields the
    process and the stdout lines read so far; SIGTERM (if still alive) on the way out."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wac_toolkit", "serve", "--host", "127.0.0.1", "--port",
         str(free_port()), "--db", str(db), "--tz", "UTC", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})}, **popen,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    try:
        while not any("control endpoint" in line for line in lines):
            line = process.stdout.readline()
            if not line:
                raise AssertionError(f"wac serve ended: {lines} {process.stderr.read()}")  # type: ignore[union-attr]
            lines.append(line)
        yield process, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def terminals_via(db: Path) -> list[dict[str, Any]]:
    """What ``ControlClient.from_db(db)`` gets from a gateway running in another process."""

    async def ask() -> list[dict[str, Any]]:
        async with ControlClient.from_db(db) as client:
            return await client.terminals()

    return asyncio.run(ask())


def as_nobody(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with the system Python as uid/gid 65534 (needs root)."""
    assert SYSTEM_PYTHON is not None
    return subprocess.run(
        [SYSTEM_PYTHON, "-I", "-c", script, *args],
        user=NOBODY, group=NOBODY, extra_groups=[], capture_output=True, text=True, timeout=30,
    )  # fmt: skip


async def as_nobody_async(script: str, *args: str) -> tuple[int, str]:
    """:func:`as_nobody` without blocking the loop a gateway in this process runs on."""
    assert SYSTEM_PYTHON is not None
    process = await asyncio.create_subprocess_exec(
        SYSTEM_PYTHON, "-I", "-c", script, *args,
        user=NOBODY, group=NOBODY, extra_groups=[],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    return int(process.returncode or 0), out.decode()


# A hand-made WebSocket handshake over the Unix socket, so the other user needs nothing but
# the standard library: prints the HTTP status line, or the OS error connect() raised.
HANDSHAKE = r"""
import os, socket, sys
parent, path = sys.argv[1], sys.argv[2]
print("parent listed:", isinstance(os.listdir(parent), list))
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(path)
except OSError as exc:
    print("connect:", type(exc).__name__)
    sys.exit(0)
s.sendall(b"GET /control HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
          b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          b"Sec-WebSocket-Version: 13\r\n\r\n")
print("status:", s.recv(200).split(b"\r\n")[0].decode())
"""


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory every local user can enter and list (like a shared /srv/wac)."""
    path = Path(tempfile.mkdtemp(prefix="wac-shared-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# -- another user on the same host ------------------------------------------------------------


@pytest.mark.skipif(not AS_ROOT or SYSTEM_PYTHON is None, reason="needs root to be another user")
async def test_another_user_cannot_connect_even_if_the_directory_is_loosened(shared_dir):
    db = shared_dir / "site.sqlite"
    async with Session(db, "127.0.0.1", 0) as session, open_control(session, db) as (_, sock):
        code, out = await as_nobody_async(HANDSHAKE, str(shared_dir), str(sock))
        assert code == 0, out
        assert "parent listed: True" in out  # it can see the store's directory ...
        assert "connect: PermissionError" in out  # ... but not enter <db>.control/

        # Someone loosens the modes: the gateway still checks who is connecting.
        control_dir(db).chmod(0o755)
        sock.chmod(0o666)
        code, out = await as_nobody_async(HANDSHAKE, str(shared_dir), str(sock))
        assert "status: HTTP/1.1 403" in out, out
        # while this user's own clients still get in
        async with ControlClient.from_db(db) as client:
            assert await client.terminals() == []


def test_the_store_its_wal_shm_and_control_directory_are_private(shared_dir):
    """Created 600/700 even under umask 000, while the gateway writes to them."""
    db = shared_dir / "site.sqlite"
    with wac_serve(db, umask=0):
        terminals_via(db)  # the gateway has written and holds the store open
        modes = {
            path.name: stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode)
            for path in shared_dir.glob("site.sqlite*")
        }
        modes.update(
            {
                f"control/{path.name}": stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode)
                for path in control_dir(db).iterdir()
            }
        )
    assert modes == {
        "site.sqlite": 0o600,
        "site.sqlite-wal": 0o600,
        "site.sqlite-shm": 0o600,
        "site.sqlite.control": 0o700,
        "control/sock": 0o600,
        "control/control.json": 0o600,
    }
    if AS_ROOT and SYSTEM_PYTHON is not None:
        reader = "import sys; open(sys.argv[1], 'rb').read(1)"
        result = as_nobody(reader, str(db))
        assert "PermissionError" in result.stderr


def test_an_old_world_readable_store_is_tightened(tmp_path, caplog):
    db = tmp_path / "old.sqlite"
    Session(db).store.close()
    for path in tmp_path.glob("old.sqlite*"):
        path.chmod(0o644)
    with caplog.at_level("WARNING"):
        Session(db).store.close()
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    assert "was mode 644; now 600" in caplog.text


# -- after a crash -----------------------------------------------------------------------------


def test_a_killed_gateway_leaves_a_dead_socket_nobody_can_replace(tmp_path, capsys):
    db = tmp_path / "site.sqlite"
    with wac_serve(db) as (gateway, _):
        gateway.send_signal(signal.SIGKILL)
        gateway.wait(timeout=20)
    sock = control_dir(db) / "sock"
    assert stat.S_ISSOCK(os.stat(sock, follow_symlinks=False).st_mode)  # left behind

    from wac_toolkit.cli import main

    assert main(["users", SN, "--db", str(db)]) == 1
    assert "not running" in capsys.readouterr().err

    # Someone who can write the store's directory moves ours aside and plants their own:
    # a symlink to a directory where they listen, then a directory that is too open.
    real = control_dir(db).rename(tmp_path / "moved-aside")
    lair = tmp_path / "lair"
    lair.mkdir(mode=0o700)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(lair / "sock"))
    listener.listen()
    listener.setblocking(False)
    (lair / "control.json").write_text(json.dumps({"transport": "unix"}))
    control_dir(db).symlink_to(lair)
    try:
        assert main(["users", SN, "--db", str(db)]) == 1
        assert "symlink" in capsys.readouterr().err
        with wac_serve_fails(db) as err:
            assert "symlink" in err
        control_dir(db).unlink()
        shutil.copytree(lair, control_dir(db), symlinks=True, ignore=lambda *_: ["sock"])
        control_dir(db).chmod(0o777)
        assert main(["users", SN, "--db", str(db)]) == 1
        assert "mode 777" in capsys.readouterr().err
        if AS_ROOT:  # a directory of another user, however strict, is not ours
            control_dir(db).chmod(0o700)
            os.chown(control_dir(db), NOBODY, NOBODY)
            assert main(["users", SN, "--db", str(db)]) == 1
            assert "belongs to uid 65534" in capsys.readouterr().err
            with wac_serve_fails(db) as err:
                assert "belongs to uid 65534" in err
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody ever connected to the planted listener
    finally:
        listener.close()
        shutil.rmtree(control_dir(db), ignore_errors=True)
        with contextlib.suppress(OSError):
            control_dir(db).unlink()

    # Ours back, stale socket and all: the next gateway clears it and serves.
    real.rename(control_dir(db))
    with wac_serve(db) as (gateway, _):
        assert terminals_via(db) == []
        with wac_serve_fails(db) as err:  # and a second gateway does not take it over
            assert "already serves" in err
    assert not control_dir(db).exists()  # a clean stop leaves nothing


@contextlib.contextmanager
def wac_serve_fails(db: Path) -> Iterator[str]:
    """``wac serve --db db`` that must refuse to start; yields its stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "wac_toolkit", "serve", "--host", "127.0.0.1", "--port",
         str(free_port()), "--db", str(db)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, (result.stdout, result.stderr)
    yield result.stderr


# -- the token, when TCP is asked for ----------------------------------------------------------


def test_the_tcp_token_is_in_no_process_list_and_not_printed(tmp_path, capsys):
    db = tmp_path / "site.sqlite"
    token = "tok-" + os.urandom(8).hex()
    with wac_serve(db, "--control-tcp", env={"WAC_CONTROL_TOKEN": token}) as (gateway, lines):
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        assert "wac_toolkit serve" in ps and token not in ps
        assert any("ws://127.0.0.1:" in line for line in lines)
        assert terminals_via(db) == []  # this user's client read the token from the file
        assert stat.S_IMODE(os.stat(control_file(db)).st_mode) == 0o600
        gateway.send_signal(signal.SIGTERM)
        out, err = gateway.communicate(timeout=20)
    assert token not in "".join(lines) + out + err

    # a random token is not printed either; a token file works; argv takes none
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    with wac_serve(db, "--control-tcp", "--control-token-file", str(token_file)) as (_, lines):
        assert json.loads(control_file(db).read_text())["token"] == token
        assert token not in "".join(lines)
    from wac_toolkit.cli import build_parser

    for argv in (["serve", "--control-token", token], ["users", SN, "--token", token]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(argv)
        assert token not in capsys.readouterr().err


# -- the command op checked like the typed methods ----------------------------------------------


@pytest.fixture
async def control(session, terminal, db_path):
    vt = await terminal(SN)
    async with open_control(session, db_path):
        async with ControlClient.from_db(db_path) as client:
            yield client, vt


async def test_fields_cannot_replace_cmd(control):
    client, vt = control
    with pytest.raises(ValueError, match="cannot carry 'cmd'"):
        await client.call("command", sn=SN, cmd="gettime", fields={"cmd": "initsys"})
    with pytest.raises(ValueError, match="cannot carry 'cmd'"):
        await client.command(SN, "deleteuser", {"enrollid": 1, "cmd": "cleanuser"})
    assert [frame["cmd"] for frame in vt.received] == []  # nothing reached the terminal


async def test_a_destructive_command_needs_confirmation(control, db_path):
    client, vt = control
    await client.command(SN, "setuserinfo", {"enrollid": 7, "name": "Ana", "backupnum": 11,
                                             "record": 1234, "admin": 0})  # fmt: skip
    for cmd in ("cleanuser", "initsys", "cleanlog", "cleanadmin", "cleanuserlock"):
        with pytest.raises(ConfirmationRequired):
            await client.command(SN, cmd)
        with pytest.raises(ConfirmationRequired):
            await client.call("command", sn=SN, cmd=cmd, confirm="yes")
    async with WacClient.via_gateway(SN, db=str(db_path)) as terminal_client:
        with pytest.raises(ConfirmationRequired):
            await terminal_client.request("cleanuser")
        with pytest.raises(ConfirmationRequired):
            await terminal_client.clean_users()
        assert 7 in vt.users  # refused before anything was sent
        await terminal_client.clean_users(confirm=True)
    assert 7 not in vt.users


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1, 0, 10**9, True, "5"], ids=repr)
async def test_timeouts_must_be_finite_positive_and_bounded(control, timeout):
    client, vt = control
    with pytest.raises(ValueError, match="timeout must be|NaN|Infinity"):
        await client.call("command", sn=SN, cmd="gettime", timeout=timeout)
    with pytest.raises(ValueError, match="timeout must be|NaN|Infinity"):
        await client.call("wait_reconnect", sn=SN, mark=0, timeout=timeout)
    assert vt.received == []


async def test_nan_is_not_json(control):
    client, vt = control
    assert client._connection is not None
    raw = json.dumps({"id": 1, "op": "command", "sn": SN, "cmd": "gettime", "timeout": 1.5})
    await client._connection.send(raw.replace("1.5", "NaN"))
    answer = json.loads(await client._connection.recv())
    assert (answer["ok"], answer["error"]) == (False, "ValueError")
    assert "NaN is not a JSON number" in answer["message"]


@pytest.mark.parametrize(
    ("cmd", "fields", "error", "match"),
    [
        ("opendoor", {"doornum": "2"}, TypeError, "doornum must be int"),
        ("opendoor", {"door": 2}, TypeError, "unknown field 'door'"),
        ("settime", {"cloudtime": "tomorrow-ish"}, ValueError, "not a time"),
        ("lockctrl", {"fuc": 9}, ValueError, "lock mode must be 1..6"),
        ("enableuser", {"enrollid": 1, "enflag": 2}, TypeError, "enabled must be bool"),
        ("setuserinfo", {"enrollid": 1}, TypeError, "name is required"),
        ("deleteuser", {"enrollid": True}, TypeError, "enrollid must be int"),
        ("setdevinfo", {}, TypeError, "nothing to set"),
        ("setusername", {"count": 51, "record": [{"enrollid": k, "name": "x"} for k in range(51)]},
         ValueError, "at most 50 records"),
        ("setusername", {"count": 3, "record": [{"enrollid": 1, "name": "x"}]},
         ValueError, "count says how many"),
        ("reg", {"sn": SN}, ValueError, "not a server-to-terminal command"),
        ("gettime", [], ValueError, "fields must be an object"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)  # fmt: skip
async def test_arguments_are_checked_as_the_typed_methods_check_them(
    control, cmd, fields, error, match
):
    client, vt = control
    with pytest.raises(error, match=match):
        await client.call("command", sn=SN, cmd=cmd, fields=fields)
    assert vt.received == []


async def test_what_the_typed_methods_send_still_passes(control, db_path):
    client, vt = control
    async with WacClient.via_gateway(SN, db=str(db_path)) as terminal_client:
        await terminal_client.set_user_info(7, "Ana", BackupNum.CARD, 1234)
        await terminal_client.enable_user(7, False)
        await terminal_client.set_user_names({7: "Ana Lima"})
        await terminal_client.lock_control(4)
        await terminal_client.set_dev_info(volume=3)
        await terminal_client.set_time("2030-01-02 03:04:05")
        assert [s.enrollid for s in await terminal_client.get_user_list()] == [7]
        assert len(await terminal_client.get_all_logs(since="2030-01-01")) == 0
        assert (await terminal_client.get_holidays()) is not None
    assert vt.users[7].name == "Ana Lima" and vt.users[7].enabled is False
    # and the frame sent is the one rebuilt from the catalogue, not the request's
    await client.command(SN, "opendoor", {"doornum": 2})
    assert vt.received[-1] == {"cmd": "opendoor", "doornum": 2}


async def test_a_tcp_client_with_a_bad_token_or_none_is_refused(session, db_path, monkeypatch):
    async with open_control(session, db_path, tcp=True, token="right") as (server, _):
        with pytest.raises(WacClientError, match="401"):
            await ControlClient(server.url, "wrong").connect()
        monkeypatch.setenv("WAC_CONTROL_TOKEN", "right")
        async with ControlClient.find(db_path, url=server.url) as client:
            assert await client.terminals() == []


async def test_a_tcp_client_proves_the_token_without_sending_it(session, db_path):
    """An impostor on the port learns nothing it can use, and is not believed."""
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import serve
    from websockets.exceptions import InvalidStatus

    from wac_toolkit.control_endpoint import client_authorization

    token = "t-" + os.urandom(16).hex()
    captured: list[str] = []

    async def echo(connection: Any) -> None:
        await connection.wait_closed()

    def record(connection: Any, request: Any) -> None:
        captured.append(request.headers.get("Authorization", ""))

    async with serve(echo, "127.0.0.1", 0, process_request=record) as impostor:
        port = impostor.sockets[0].getsockname()[1]
        with pytest.raises(WacClientError, match="does not know the token"):
            await ControlClient(f"ws://127.0.0.1:{port}/control", token).connect()
    assert len(captured) == 1 and token not in captured[0]

    async with open_control(session, db_path, tcp=True, token=token) as (server, _):
        for header in (captured[0], f"Bearer {token[:-1]}"):  # replayed, or a wrong token
            with pytest.raises(InvalidStatus, match="401"):
                await connect(server.url, additional_headers={"Authorization": header})
        header, _expected = client_authorization(token, server.port, server.instance)
        async with connect(server.url, additional_headers={"Authorization": header}):
            pass
        with pytest.raises(InvalidStatus, match="401"):  # the same proof twice
            await connect(server.url, additional_headers={"Authorization": header})
        async with ControlClient.from_db(db_path) as client:
            assert await client.terminals() == []


def test_a_killed_tcp_gateway_port_is_not_trusted(tmp_path, capsys):
    db = tmp_path / "site.sqlite"
    port = free_port()
    with wac_serve(db, "--control-tcp", "--control-port", str(port)) as (gateway, _):
        gateway.send_signal(signal.SIGKILL)
        gateway.wait(timeout=20)
    assert control_file(db).exists()  # stale, with the URL and token
    impostor = socket.socket()
    impostor.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    impostor.bind(("127.0.0.1", port))
    impostor.listen()
    impostor.setblocking(False)
    try:
        from wac_toolkit.cli import main

        assert main(["users", SN, "--db", str(db)]) == 1
        assert "is not running" in capsys.readouterr().err
        with pytest.raises(BlockingIOError):
            impostor.accept()  # the client never dialed the dead gateway's port
    finally:
        impostor.close()
    with wac_serve(db, "--control-tcp"):  # the next gateway replaces the stale file
        assert terminals_via(db) == []
