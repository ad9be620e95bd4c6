"""The door-mode select sends ``lockctrl`` and the virtual terminal's door follows."""

from __future__ import annotations

import pytest
from homeassistant.components.select import ATTR_OPTION, DOMAIN as SELECT, SERVICE_SELECT_OPTION
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import mock_restore_cache

from wac_toolkit import VirtualTerminal
from wac_toolkit.net.terminal_commands import state as terminal_state
from wac_toolkit.protocol.catalogue import DoorMode

from .conftest import until

DOOR = "select.ai806_vt00001_door_mode"


async def select(hass: HomeAssistant, option: str) -> None:
    await hass.services.async_call(
        SELECT, SERVICE_SELECT_OPTION, {ATTR_ENTITY_ID: DOOR, ATTR_OPTION: option}, blocking=True
    )


async def test_door_modes(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    assert hass.states.get(DOOR).state == STATE_UNKNOWN
    await select(hass, "locked_down")
    assert terminal_state(vt).door_mode is DoorMode.FORCE_CLOSED
    assert hass.states.get(DOOR).state == "locked_down"
    await select(hass, "held_open")
    assert terminal_state(vt).door_mode is DoorMode.FORCE_OPEN
    await select(hass, "normal")
    assert terminal_state(vt).door_mode is DoorMode.NORMAL
    assert vt.received[-1] == {"cmd": "lockctrl", "fuc": 4}


async def test_mode_survives_a_restart(hass: HomeAssistant, entry):
    """Terminals cannot be asked for their door mode, so the last one set is restored."""
    mock_restore_cache(hass, [State(DOOR, "held_open")])
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    hub = entry.runtime_data
    await hub.session.adopt("VT00001")
    async with VirtualTerminal(hub.session.url, "VT00001"):
        await until(hass, lambda: "VT00001" in hub.states and hub.states["VT00001"].online)
        assert hass.states.get(DOOR).state == "held_open"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_refused_keeps_the_old_mode(hass: HomeAssistant, hub, terminal):
    await terminal("VT00001", refuse={"lockctrl"})
    with pytest.raises(HomeAssistantError) as err:
        await select(hass, "locked_down")
    assert err.value.translation_key == "terminal_refused"
    assert hass.states.get(DOOR).state == STATE_UNKNOWN
