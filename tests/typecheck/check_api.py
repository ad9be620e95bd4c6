"""Checked by ``make types`` (mypy --strict), never run: the typed API as users' code calls it.

Each ``assert_type`` fails the type check when a method's annotation drifts. Each
``# type: ignore[code]`` marks a call that must stay an error: strict mypy reports an ignore
that is no longer needed, so an API that turned into ``Any`` fails here too.
"""

from __future__ import annotations

from typing import Any, assert_type

from wac_toolkit import LogRecord, Session, SessionSync, UserSlot
from wac_toolkit.commands import Pulled
from wac_toolkit.protocol.results import Ack, DeviceSettings, Rebooted, UserName
from wac_ws_sdk import DeviceError, WacClient, WacClientSync, handle_sendlog


async def session_api(session: Session) -> None:
    assert_type(await session.open_door("SN", 1), Ack)
    assert_type(await session.get_user_list("SN", max_pages=3), list[UserSlot])
    assert_type(await session.get_dev_info("SN"), DeviceSettings)
    assert_type(await session.set_dev_info("SN", volume=3, sleep=True), Ack)
    assert_type(await session.get_user_name("SN", 7), UserName)
    assert_type(await session.set_user_names("SN", {7: "Ana"}), int)
    assert_type(await session.pull_logs("SN", new_only=False, since="2026-01-01"), Pulled)
    assert_type(await session.reboot("SN", wait_reconnect=30), Rebooted)
    async for record in session.iter_logs("SN"):
        assert_type(record, LogRecord)
    await session.open_door("SN", "1")  # type: ignore[arg-type]
    await session.set_dev_info("SN", loudness=3)  # type: ignore[call-arg]
    await session.clean_logs("SN", True)  # type: ignore[call-arg]


def session_sync_api(sync: SessionSync) -> None:
    assert_type(sync.open_door("SN"), Ack)
    assert_type(sync.get_user_list("SN"), list[UserSlot])
    assert_type(sync.reboot("SN"), Rebooted)
    sync.open_door()  # type: ignore[call-arg]


async def client_api(client: WacClient) -> None:
    assert_type(await client.open_door(), Ack)
    assert_type(await client.get_user_list(), list[UserSlot])
    assert_type(await client.delete_user(1, 13), dict[str, Any])  # the SDK contract's own
    assert_type(await client.register(), dict[str, Any])
    await client.open_door("SN")  # type: ignore[arg-type]


def client_sync_api(client: WacClientSync) -> None:
    assert_type(client.open_door(2), Ack)
    assert_type(client.set_time("2026-01-01 08:00:00"), Ack)
    assert_type(handle_sendlog({"sn": "SN", "count": 0, "record": []}), dict[str, Any])
    try:
        client.clean_users(confirm=True)
    except DeviceError as exc:
        assert_type(exc, DeviceError)
