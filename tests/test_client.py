"""The SDK contract: names, WacClient both ways, WacClientSync inside a running event loop."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

import wac_ws_sdk
from tests.conftest import until
from wac_toolkit import Session, SessionSync, WacClient
from wac_toolkit.net.peer import Peer

CONTRACT = [
    "WacClient", "WacClientSync", "DeviceInfo", "LogRecord", "BackupNum", "VerifyMode",
    "WacClientError", "DeviceError", "handle_reg", "handle_sendlog", "handle_senduser",
]  # fmt: skip


def test_every_contract_name_imports_from_wac_ws_sdk():
    for name in CONTRACT:
        assert hasattr(wac_ws_sdk, name), name
    assert set(CONTRACT) <= set(wac_ws_sdk.__all__)
    out = subprocess.run(
        [sys.executable, "-c", "import wac_ws_sdk; print('ok')"], capture_output=True, text=True
    )
    assert out.stdout == "ok\n"


def test_contract_enums_and_handlers():
    from wac_ws_sdk import BackupNum, VerifyMode, handle_reg, handle_sendlog, handle_senduser

    assert [int(BackupNum.PASSWORD), int(BackupNum.CARD), int(BackupNum.ALL_FINGERPRINTS),
            int(BackupNum.ALL), int(BackupNum.PHOTO)] == [10, 11, 12, 13, 50]  # fmt: skip
    assert [
        int(VerifyMode.FP),
        int(VerifyMode.CARD),
        int(VerifyMode.PWD),
        int(VerifyMode.FACE),
    ] == [0, 1, 2, 8]
    assert handle_reg({"sn": "A"}, ("1.2.3.4", 5))["result"] is True
    assert handle_sendlog({"count": 0, "logindex": 1, "record": []})["logindex"] == 1
    assert handle_senduser({"enrollid": 1, "backupnum": 10, "record": 1})["result"] is True


async def test_wac_client_as_a_terminal(session, db_path):
    async with WacClient(session.url, sn="SDK1", devinfo={"modelname": "X"}) as client:
        reg = await client.register()
        assert reg["result"] is True and len(reg["cloudtime"]) == 19
        ack = await client.send_logs(
            [{"enrollid": 1, "time": "2024-05-01 08:00:00", "mode": 1}], logindex=5
        )
        assert ack["count"] == 1 and ack["logindex"] == 5
        pushed = await client.send_user_from_device(9, "Cy", 10, 1234)
        assert pushed["result"] is True
    assert len(session.logs()) == 1
    assert [c.enrollid for c in session.store.credentials("SDK1")] == [9]


async def test_wac_client_commanding_an_accepted_terminal(session, terminal):
    vt = await terminal("ACC1")
    peer: Peer = session.gateway.peer("ACC1")
    client = WacClient.for_peer(peer)
    assert (await client.set_userinfo(4, "Di", 11, 555))["result"] is True
    assert vt.users[4].credentials[11] == 555
    await client.delete_user(4, 13)
    assert 4 not in vt.users


async def test_sync_clients_work_inside_a_running_event_loop(tmp_path):
    """What a Jupyter cell does: blocking calls while the cell's own loop is running."""
    asyncio.get_running_loop()  # we are inside one
    with SessionSync(tmp_path / "s.sqlite", "127.0.0.1", 0, adopt_new=True) as gateway:
        with wac_ws_sdk.WacClientSync(gateway.url, sn="SYNC1") as client:
            assert client.register()["result"] is True
            assert (
                client.send_logs([{"enrollid": 2, "time": "2024-05-01 09:00:00"}], logindex=1)[
                    "logindex"
                ]
                == 1
            )
        frame = gateway.logs(sn="SYNC1")
        assert frame["enrollid"].tolist() == [2]
        assert [t.sn for t in gateway.terminals()] == ["SYNC1"]


def test_session_sync_in_a_plain_script(tmp_path):
    code = f"""
from wac_toolkit import SessionSync, run_fleet
import asyncio
with SessionSync({str(tmp_path / "p.sqlite")!r}, '127.0.0.1', 0, adopt_new=True) as s:
    asyncio.run(run_fleet(s.url, 3, 10, batch_size=5))
    print(len(s.logs()))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "30", out.stderr


def test_blocking_call_from_the_loop_thread_is_refused(tmp_path):
    with SessionSync(tmp_path / "d.sqlite", "127.0.0.1", 0, adopt_new=True) as gateway:
        errors: list[Exception] = []

        def inside(_event):
            try:
                gateway.set_user_info("X", 1, "n", 10, 1)
            except Exception as exc:
                errors.append(exc)

        gateway.subscribe(inside)
        with wac_ws_sdk.WacClientSync(gateway.url, sn="LOOP1") as client:
            client.register()
        asyncio.run(until(lambda: errors, timeout=5))
        assert "await instead" in str(errors[0])


async def test_session_start_refuses_a_busy_port(session, tmp_path):
    with pytest.raises(OSError):
        await Session(tmp_path / "b.sqlite", "127.0.0.1", session.port, adopt_new=True).start()
