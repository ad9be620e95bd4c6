"""The door: a button opens it, a binary sensor shows it where the terminal has a sensor."""

from __future__ import annotations

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from wac_toolkit.net.terminal_commands import state as terminal_state

from .conftest import until

BUTTON = "button.ai806_vt00001_open_door"
DOOR = "binary_sensor.ai806_vt00001_door"


async def test_button_opens_the_door(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    await hass.services.async_call("button", "press", {"entity_id": BUTTON}, blocking=True)
    assert terminal_state(vt).opened == [None]  # opendoor without doornum: every door
    assert vt.received[-1] == {"cmd": "opendoor"}
    assert hass.states.get(BUTTON).state != "unknown"  # a button's state is its last press


async def test_door_sensor_appears_with_its_first_report(hass: HomeAssistant, entry, hub, terminal):
    vt = await terminal("VT00001")
    vt.punch(7, hub.session.now_local(), name="Alice")
    await vt.wait_flushed()
    await until(hass, lambda: hub.states["VT00001"].last_user is not None)
    assert hass.states.get(DOOR) is None  # no sensor wired, no door entity

    vt.punch(0, hub.session.now_local(), event=1)  # door opened
    await vt.wait_flushed()
    await until(hass, lambda: hass.states.get(DOOR) is not None)
    assert hass.states.get(DOOR).state == STATE_ON
    assert hass.states.get(DOOR).attributes["device_class"] == "door"

    vt.punch(0, hub.session.now_local(), event=2)  # exit button: the lock, not the sensor
    vt.punch(0, hub.session.now_local(), event=0)  # door closed
    await vt.wait_flushed()
    await until(hass, lambda: hass.states.get(DOOR).state == STATE_OFF)

    # after a restart the door comes back from the store, before the terminal reconnects
    assert await hass.config_entries.async_reload(entry.entry_id)
    await until(hass, lambda: entry.runtime_data.states["VT00001"].online)
    assert hass.states.get(DOOR).state == STATE_OFF
    assert er.async_get(hass).async_get(DOOR).unique_id == "VT00001_door"
