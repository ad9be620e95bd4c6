"""``WacClient`` on a connection the gateway accepted has the typed commands, without ``sn``."""

from __future__ import annotations

import pytest

from wac_toolkit import DoorMode, WacClient, WacClientError
from wac_toolkit.net import terminal_state
from wac_toolkit.protocol.models import LogRecord

SN = "CLT00001"


async def test_typed_commands_on_an_accepted_connection(session, terminal):
    vt = await terminal(SN, page_size=2)
    client = WacClient.for_peer(session.gateway.peer(SN))
    await client.lock_control(DoorMode.SOFTWARE_OPEN)
    assert terminal_state(vt).door_mode is DoorMode.SOFTWARE_OPEN
    await client.set_user_info(3, "Cy", 10, 4321)
    assert [s.enrollid for s in await client.get_user_list()] == [3]
    for k in range(3):
        moment = f"2025-08-01 07:00:0{k}"
        vt.logs.append(LogRecord(enrollid=3, time=moment, time_raw=moment))
    assert [r.enrollid async for r in client.iter_logs(new_only=False)] == [3, 3, 3]
    assert await client.pull_logs() == 3  # no store here: how many came
    with pytest.raises(WacClientError, match="gateway"):
        await client.reboot(wait_reconnect=1)
