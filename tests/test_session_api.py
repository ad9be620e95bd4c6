"""The small public API Home Assistant uses instead of store internals: ``reg_check``,
``latest_records``, ``credentials``, ``Roster.queue_status`` and ``DeviceInfo.manufacturer``."""

from __future__ import annotations

import pytest

from wac_toolkit import Session, VirtualTerminal
from wac_toolkit.errors import DeviceError

from .conftest import until


async def test_reg_check_refuses_with_its_reason(session: Session):
    session.reg_check = lambda info: "served elsewhere" if info.sn == "OTHER1" else None
    with pytest.raises(DeviceError, match="served elsewhere"):
        await VirtualTerminal(session.url, "OTHER1").connect()
    async with VirtualTerminal(session.url, "MINE1", manufacturer="Acme Access"):
        await until(lambda: (t := session.terminal("MINE1")) is not None and t.online)
    assert session.terminal("OTHER1") is None
    assert session.terminal("MINE1").info.manufacturer == "Acme Access"


async def test_latest_records_credentials_and_queue_status(session: Session, terminal):
    vt = await terminal("T1")
    vt.punch(7, name="Alice")
    vt.punch(0, event=2)
    await vt.wait_flushed()
    assert [(r.enrollid, r.name) for r in session.latest_records("T1")] == [(7, "Alice"), (0, None)]
    await session.set_user_info("T1", 7, "Alice", 10, "1234")
    assert [(c.enrollid, c.name, int(c.backupnum)) for c in session.credentials("T1")] == [
        (7, "Alice", 10)
    ]
    status = session.roster.queue_status()
    assert status["T1"].count == 0 and status["T1"].attributes()["retrying"] == 0
    assert session.roster.queued_for(7) == {}
