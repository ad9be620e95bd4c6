"""``sendqrcode``, ``sendpin`` and server-verification ``sendlog`` answered by the policy."""

from __future__ import annotations

import pytest

from wac_toolkit import AccessDecision, DeviceError, WacClient
from wac_toolkit.access import grant_all

SN = "DOOR0001"


@pytest.fixture
async def door(session):
    async with WacClient(session.url, sn=SN, timeout=2) as client:
        await client.register()
        yield client


async def test_without_a_policy_the_roster_decides(session, door):
    """No policy: only a person of the roster on this terminal, with that PIN or card, opens."""
    await session.roster.add_person(7, "Ana", pin="0042", card="123456", assign=[SN])
    await session.roster.add_person(8, "Ben", pin="1111", assign=["some-other-door"])
    granted = await door.request(
        "sendpin", {"sn": SN, "pin": "0042", "time": "2025-08-01 08:00:00"}
    )
    assert (granted["access"], granted["enrollid"], granted["name"]) == (1, 7, "Ana")
    assert (await door.request("sendqrcode", {"sn": SN, "record": "123456"}))["access"] == 1
    for pin in ("42", "9999", "1111"):  # leading zeros matter; unknown; not assigned here
        refused = await door.request("sendpin", {"sn": SN, "pin": pin})
        assert refused["access"] == 0 and refused["message"] == "Access denied"
    await session.roster.disable_person(7)
    assert (await door.request("sendpin", {"sn": SN, "pin": "0042"}))["access"] == 0


async def test_grant_all_opens_for_anyone_in_a_lab(session, door):
    session.access_policy = grant_all
    reply = await door.request("sendqrcode", {"sn": SN, "record": "123456"})
    assert reply["access"] == 1
    reply = await door.request("sendpin", {"sn": SN, "pin": "0042", "time": "2025-08-01 08:00:00"})
    assert reply["access"] == 1


async def test_the_policy_decides_and_sees_the_frame(session, door):
    asked, seen = [], []

    def policy(sn, cmd, frame):
        asked.append((sn, cmd))
        seen.append(frame)
        if cmd == "sendqrcode" and frame["record"] == "VALID":
            return AccessDecision(True, "Welcome", enrollid=7, name="Ana")
        return AccessDecision(False, "Not today " * 20)

    session.access_policy = policy
    granted = await door.request("sendqrcode", {"sn": SN, "record": "VALID"})
    assert (granted["access"], granted["enrollid"], granted["username"]) == (1, 7, "Ana")
    assert granted["message"] == "Welcome"
    refused = await door.request("sendpin", {"sn": SN, "pin": "1"})
    assert refused["access"] == 0 and len(refused["message"]) == 125
    log = await door.send_logs([{"enrollid": 7, "time": "2025-08-01 08:00:00", "mode": 8}], 1, 1)
    assert log["access"] == 0 and log["logindex"] == 1
    assert asked == [(SN, "sendqrcode"), (SN, "sendpin"), (SN, "sendlog")]
    # the gateway reads a documented sendlog straight into values; the policy sees it whole
    assert seen[2]["record"] == [{"enrollid": 7, "time": "2025-08-01 08:00:00", "mode": 8}]


async def test_a_failing_policy_refuses(session, door):
    def policy(sn, cmd, frame):
        raise RuntimeError("database down")

    session.access_policy = policy
    reply = await door.request("sendqrcode", {"sn": SN, "record": "x"})
    assert reply["access"] == 0


async def test_a_request_without_its_code_is_refused(session, door):
    with pytest.raises(DeviceError):
        await door.request("sendqrcode", {"sn": SN})
    with pytest.raises(DeviceError):
        await door.request("sendpin", {"sn": SN})
