"""The control endpoint: another process commands a running gateway's terminals."""

from __future__ import annotations

import json
import os
import stat

import pytest

from wac_toolkit import (
    CommandTimeout,
    DeviceError,
    TerminalOffline,
    WacClient,
    WacClientError,
    WacClientSync,
)
from wac_toolkit.control import ControlClient, ControlServer, control_file
from wac_toolkit.control_endpoint import control_dir, open_control
from wac_toolkit.net import terminal_state
from wac_toolkit.protocol.models import BackupNum, LogRecord

SN = "CTL00001"


@pytest.fixture
async def control(session, db_path):
    """The endpoint ``wac serve`` runs: a Unix socket in ``<db>.control/``."""
    async with open_control(session, db_path) as (server, _socket):
        yield server


async def test_a_client_commands_a_terminal_through_the_gateway(
    session, terminal, control, db_path
):
    vt = await terminal(SN)
    async with WacClient.via_gateway(SN, db=str(db_path)) as client:
        await client.open_door(2)
        assert terminal_state(vt).opened == [2]
        await client.set_user_info(7, "Ana", BackupNum.CARD, 1234)
        assert vt.users[7].credentials[BackupNum.CARD] == 1234
        slots = await client.get_user_list()
        assert [(s.enrollid, s.backupnum) for s in slots] == [(7, BackupNum.CARD)]
        assert (await client.get_user_info(7, 11)).name == "Ana"
    # the gateway's store learned about the credential set through the control endpoint
    stored = await session.loop.run_in_executor(None, session.store.credentials, SN)
    assert [c.enrollid for c in stored] == [7]


async def test_errors_come_back_as_the_same_exceptions(session, terminal, control, db_path):
    await terminal(SN, refuse={"opendoor"}, ignore={"gettime"})
    async with WacClient.via_gateway(SN, db=str(db_path)) as client:
        with pytest.raises(DeviceError) as refused:
            await client.open_door()
        assert (refused.value.sn, refused.value.cmd) == (SN, "opendoor")
        with pytest.raises(CommandTimeout):
            await client.get_time(timeout=0.3)
    async with WacClient.via_gateway("GONE", db=str(db_path)) as client:
        with pytest.raises(TerminalOffline):
            await client.open_door()


async def test_pulled_logs_land_in_the_gateway_store_and_reboot_is_watched(
    session, terminal, control, db_path
):
    vt = await terminal(SN, page_size=4)
    for k in range(9):
        moment = f"2025-08-01 09:00:{k:02d}"
        vt.logs.append(LogRecord(enrollid=1, time=moment, time_raw=moment))
    async with WacClient.via_gateway(SN, db=str(db_path)) as client:
        seen = []
        assert await client.pull_logs(progress=lambda d, t: seen.append(d)) == 9
        assert seen[-1] == 9
        assert len(await session.logs_async(sn=SN)) == 9
        assert (await client.reboot(wait_reconnect=10)).reconnected is True


async def test_the_token_is_required_over_tcp(session):
    async with ControlServer(session, token="s3cret") as server:
        with pytest.raises(WacClientError, match="401"):
            await ControlClient(server.url, "wrong").connect()
        async with ControlClient(server.url, "s3cret") as client:
            with pytest.raises(ValueError, match="not a server-to-terminal command"):
                await client.command(SN, "sendlog", {})
            with pytest.raises(ValueError, match="unknown control op"):
                await client.call("drop_tables", sn=SN)
        assert "s3cret" not in repr(server)


async def test_the_control_directory_socket_and_file_are_private(session, control, db_path):
    directory = os.stat(control_dir(db_path), follow_symlinks=False)
    assert stat.S_ISDIR(directory.st_mode) and stat.S_IMODE(directory.st_mode) == 0o700
    sock = os.stat(control_dir(db_path) / "sock", follow_symlinks=False)
    assert stat.S_ISSOCK(sock.st_mode) and stat.S_IMODE(sock.st_mode) == 0o600
    file = os.stat(control_file(db_path), follow_symlinks=False)
    assert stat.S_IMODE(file.st_mode) == 0o600
    assert json.loads(control_file(db_path).read_text())["transport"] == "unix"
    assert "token" not in control_file(db_path).read_text()
    assert control.token is None  # a Unix socket needs none: the file modes are the lock


async def test_no_gateway_is_a_clear_error(tmp_path):
    with pytest.raises(WacClientError, match="wac serve"):
        WacClient.via_gateway(SN, db=str(tmp_path / "none.sqlite"))


def test_blocking_client_has_the_same_methods(tmp_path):
    from wac_toolkit import SessionSync, VirtualTerminal

    db = tmp_path / "sync.sqlite"
    with SessionSync(db, "127.0.0.1", 0, command_timeout=2, adopt_new=True) as gateway:
        server = gateway.run(ControlServer(gateway.session).start())
        vt = VirtualTerminal(gateway.url, SN)
        gateway.run(vt.connect())
        try:
            control = ControlClient(server.url, server.token)
            with WacClientSync(sn=SN, control=control) as client:
                assert client.set_dev_info(volume=2).sn == SN
                assert client.get_dev_info().volume == 2
            assert gateway.get_dev_info(SN).volume == 2  # SessionSync has them too
        finally:
            gateway.run(vt.disconnect())
            gateway.run(server.stop())


async def test_other_modules_add_ops(session, control, db_path, monkeypatch):
    async def echo(gateway_session, request):
        assert gateway_session is session
        if request.get("fail"):
            raise ValueError("asked to fail")
        return {"echo": request["text"]}

    monkeypatch.setitem(ControlServer.ops, "echo", echo)
    async with ControlClient.from_db(db_path) as client:
        assert await client.call("echo", text="hi") == {"echo": "hi"}
        with pytest.raises(ValueError, match="asked to fail"):
            await client.call("echo", fail=True)
        terminals = await client.call("terminals")
        assert terminals == []
