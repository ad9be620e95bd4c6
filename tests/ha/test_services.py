"""Actions change the virtual terminal's own user table; failures come back translated."""

from __future__ import annotations

import pytest
import voluptuous as vol
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    label_registry as lr,
)

from custom_components.wac.const import DOMAIN
from wac_toolkit.net.terminal_commands import state as terminal_state

from .conftest import until


def device_id(hass: HomeAssistant, sn: str) -> str:
    return dr.async_get(hass).async_get_device(identifiers={(DOMAIN, sn)}).id


async def call(hass: HomeAssistant, service: str, **data):
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def test_set_user_info_writes_the_terminal(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    response = await call(
        hass,
        "set_user_info",
        device_id=device_id(hass, "VT00001"),
        enrollid=7,
        name="Alice",
        backupnum="10",
        record="1234",
    )
    assert vt.users[7].name == "Alice"
    assert vt.users[7].credentials == {10: 1234}  # a PIN travels as a JSON number
    assert response["VT00001"] == {  # typed: what was done, not the terminal's frame
        "success": True,
        "device_id": device_id(hass, "VT00001"),
        "enrollid": 7,
        "backupnum": 10,
    }
    # a second credential without a name keeps the name the user already has
    await call(
        hass,
        "set_user_info",
        device_id=device_id(hass, "VT00001"),
        enrollid=7,
        backupnum="11",
        record="4711",
    )
    assert vt.users[7].name == "Alice"
    assert vt.users[7].credentials == {10: 1234, 11: 4711}


async def test_card_keeps_leading_zeros_on_two_terminals(hass: HomeAssistant, hub, terminal):
    """Two terminals (virtual ones report the same MAC) stay two devices."""
    one, two = await terminal("VT00001"), await terminal("VT00002")
    response = await call(
        hass,
        "set_user_info",
        device_id=[device_id(hass, "VT00001"), device_id(hass, "VT00002")],
        enrollid=8,
        name="Bob",
        backupnum=11,
        record="0012345",
    )
    assert one.users[8].credentials == two.users[8].credentials == {11: "0012345"}
    assert set(response) == {"VT00001", "VT00002"}


async def test_delete_user_removes_it(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    target = device_id(hass, "VT00001")
    await call(hass, "set_user_info", device_id=target, enrollid=7, backupnum=10, record="1")
    assert 7 in vt.users
    response = await call(hass, "delete_user", device_id=target, enrollid=7)
    assert 7 not in vt.users
    assert vt.received[-1] == {"cmd": "deleteuser", "enrollid": 7, "backupnum": 13}
    assert response["VT00001"]["success"] is True


async def test_offline_terminal_translated(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    await vt.stop()
    await until(hass, lambda: not hub.states["VT00001"].online)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "delete_user", device_id=device_id(hass, "VT00001"), enrollid=7)
    assert err.value.translation_key == "terminal_offline"
    assert str(err.value) == "Terminal VT00001 is not connected, so deleteuser was not sent"
    assert not isinstance(err.value, ServiceValidationError)  # not the caller's mistake


async def test_terminal_says_no_translated(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001", refuse={"setuserinfo"})
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass,
            "set_user_info",
            device_id=device_id(hass, "VT00001"),
            enrollid=7,
            backupnum=10,
            record="1234",
        )
    assert err.value.translation_key == "terminal_refused"
    assert str(err.value) == "Terminal VT00001 refused setuserinfo (reason: 1)"
    assert 7 not in vt.users


async def test_timeout_translated(hass: HomeAssistant, hub, terminal):
    hub.session.gateway.command_timeout = 0.3  # applies to connections made from now on
    await terminal("VT00001", ignore={"deleteuser"})
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "delete_user", device_id=device_id(hass, "VT00001"), enrollid=7)
    assert err.value.translation_key == "command_timeout"
    assert str(err.value) == "Terminal VT00001 did not answer deleteuser within 0.3 s"


async def test_open_door_sends_opendoor(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001", refuse={"opendoor"})
    with pytest.raises(HomeAssistantError, match="refused opendoor"):
        await call(hass, "open_door", device_id=device_id(hass, "VT00001"), doornum=2)
    assert vt.received[-1] == {"cmd": "opendoor", "doornum": 2}


async def test_open_door_opens_it(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    response = await call(hass, "open_door", device_id=device_id(hass, "VT00001"), doornum=1)
    assert terminal_state(vt).opened == [1]
    assert response["VT00001"]["success"] is True
    assert response["VT00001"]["doornum"] == 1


async def test_enable_user_for_guest_access(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    target = device_id(hass, "VT00001")
    await call(hass, "set_user_info", device_id=target, enrollid=9, backupnum=11, record="4711")
    await call(hass, "enable_user", device_id=target, enrollid=9, enabled=False)
    assert vt.users[9].enabled is False
    response = await call(hass, "enable_user", device_id=target, enrollid=9, enabled=True)
    assert vt.users[9].enabled is True
    assert response["VT00001"]["success"] is True
    assert response["VT00001"]["enabled"] is True


async def test_not_a_wac_device(hass: HomeAssistant, hub):
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "delete_user", device_id="no-such-device", enrollid=7)
    assert err.value.translation_key == "invalid_device"


async def test_schema_rejects_bad_input(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    target = device_id(hass, "VT00001")
    with pytest.raises(vol.Invalid):
        await call(hass, "set_user_info", device_id=target, enrollid=0, backupnum=10, record="1")
    with pytest.raises(vol.Invalid):
        await call(hass, "set_user_info", device_id=target, enrollid=7, backupnum=99, record="1")
    assert vt.received == []


async def test_open_doors_in_an_area(hass: HomeAssistant, hub, terminal):
    """An area targets the terminals in it (and skips its other devices)."""
    one, two, three = [await terminal(sn) for sn in ("VT00001", "VT00002", "VT00003")]
    area = ar.async_get(hass).async_create("Lobby")
    devices = dr.async_get(hass)
    for sn in ("VT00001", "VT00002"):
        devices.async_update_device(device_id(hass, sn), area_id=area.id)
    response = await call(hass, "open_door", area_id=area.id)
    assert set(response) == {"VT00001", "VT00002"}
    assert terminal_state(one).opened == terminal_state(two).opened == [None]
    assert terminal_state(three).opened == []


async def test_open_doors_with_a_label(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    label = lr.async_get(hass).async_create("Front doors")
    dr.async_get(hass).async_update_device(device_id(hass, "VT00001"), labels={label.label_id})
    await hass.services.async_call(
        DOMAIN, "open_door", {}, blocking=True, target={"label_id": label.label_id}
    )
    assert terminal_state(vt).opened == [None]


async def test_an_area_without_terminals(hass: HomeAssistant, hub, terminal):
    await terminal("VT00001")
    area = ar.async_get(hass).async_create("Garden")
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "open_door", area_id=area.id)
    assert err.value.translation_key == "no_terminals"


async def test_partial_success_reports_each_terminal(hass: HomeAssistant, hub, terminal):
    """One terminal down does not keep the other door closed; the response says which."""
    up, down = await terminal("VT00001"), await terminal("VT00002")
    await down.stop()
    await until(hass, lambda: not hub.states["VT00002"].online)
    targets = [device_id(hass, "VT00001"), device_id(hass, "VT00002")]
    response = await call(hass, "open_door", device_id=targets)
    assert terminal_state(up).opened == [None]
    assert response["VT00001"]["success"] is True
    assert response["VT00002"] == {
        "success": False,
        "device_id": targets[1],
        "error": "Terminal VT00002 is not connected, so opendoor was not sent",
        "error_code": "terminal_offline",
    }
    # without a response asked for, the failure is raised, after the other door opened
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(DOMAIN, "open_door", {"device_id": targets}, blocking=True)
    assert err.value.translation_key == "partial_failure"
    assert "VT00002 is not connected" in str(err.value)
    assert terminal_state(up).opened == [None, None]


async def test_an_entity_of_a_terminal_targets_it(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    await hass.services.async_call(
        DOMAIN,
        "open_door",
        {"doornum": 2},
        blocking=True,
        target={"entity_id": "button.ai806_vt00001_open_door"},
    )
    assert terminal_state(vt).opened == [2]
