"""A virtual terminal registers, punches, disconnects: devices, entities and events follow."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.const import (
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    EntityCategory,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.wac.const import DOMAIN, EVENT_ACCESS, EVENT_BACKLOG
from wac_toolkit.net.terminal import VirtualUser

from .conftest import until

ACCESS = "event.ai806_vt00001_access"
LAST_USER = "sensor.ai806_vt00001_last_user"
LAST_ACCESS = "sensor.ai806_vt00001_last_access"
CONNECTED = "binary_sensor.ai806_vt00001_connected"


async def test_registration_creates_device_and_entities(hass: HomeAssistant, hub, terminal):
    await terminal("VT00001", modelname="AI806", firmware="ai806_v5.17")
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "VT00001")})
    assert device is not None
    assert (device.model, device.sw_version, device.serial_number) == (
        "AI806",
        "ai806_v5.17",
        "VT00001",
    )
    assert device.manufacturer is None  # the terminal named none; no protocol name instead
    assert hass.states.get(CONNECTED).state == STATE_ON
    assert hass.states.get(ACCESS).state == STATE_UNKNOWN
    assert hass.states.get(LAST_USER).state == STATE_UNKNOWN
    counters = er.async_get(hass).async_get("sensor.ai806_vt00001_users")
    assert counters is not None and counters.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_fresh_punch_fires_entity_and_bus_event(hass: HomeAssistant, hub, terminal):
    vt = await terminal()
    events = async_capture_events(hass, EVENT_ACCESS)
    now = hub.session.now_local()
    vt.punch(7, now, name="Alice", mode=1, inout=0)
    await vt.wait_flushed()
    await until(hass, lambda: events)
    state = hass.states.get(ACCESS)
    assert state.attributes["event_type"] == "access_granted"
    assert state.attributes["enrollid"] == 7
    assert state.attributes["name"] == "Alice"
    assert state.attributes["verify_mode"] == "card"
    assert state.attributes["inout"] == 0
    assert state.attributes["event_code"] == 0
    assert state.attributes["terminal_time"] == now.replace(tzinfo=hub.session.tz).isoformat()
    assert "image" not in state.attributes
    (event,) = events
    assert event.data["backlog"] is False
    assert event.data["sn"] == "VT00001"
    assert event.data["event_type"] == "access_granted"
    assert (
        event.data["device_id"]
        == dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "VT00001")}).id
    )
    assert hass.states.get(LAST_USER).state == "Alice"
    punched = now.replace(tzinfo=hub.session.tz)
    assert datetime.fromisoformat(hass.states.get(LAST_ACCESS).state) == punched


async def test_stranger_is_a_stranger(hass: HomeAssistant, hub, terminal):
    vt = await terminal()
    events = async_capture_events(hass, EVENT_ACCESS)
    vt.punch(99999999, hub.session.now_local(), mode=8)
    await vt.wait_flushed()
    await until(hass, lambda: events)
    assert hass.states.get(ACCESS).attributes["event_type"] == "stranger"
    assert events[0].data["event_type"] == "stranger"
    assert hass.states.get(LAST_USER).state == STATE_UNKNOWN


async def test_backlog_fires_only_a_summary(hass: HomeAssistant, hub, terminal):
    vt = await terminal()
    events = async_capture_events(hass, EVENT_ACCESS)
    summaries = async_capture_events(hass, EVENT_BACKLOG)
    old = hub.session.now_local() - timedelta(hours=3)
    vt.punch(7, old, name="Alice")
    vt.punch(8, old + timedelta(minutes=1), name="Bob")
    await vt.wait_flushed()
    await until(hass, lambda: summaries)
    assert events == []
    assert summaries[0].data["count"] == 2
    assert hass.states.get(ACCESS).state == STATE_UNKNOWN
    assert hass.states.get(LAST_USER).state == "Bob"


async def test_every_record_fires_once(hass: HomeAssistant, hub, terminal):
    """A batch re-sent after a lost ack is stored once, so it fires once."""
    vt = await terminal()
    events = async_capture_events(hass, EVENT_ACCESS)
    record = vt.punch(7, hub.session.now_local(), name="Alice")
    await vt.wait_flushed()
    await until(hass, lambda: events)
    vt.logs.append(record)  # the firmware sends the same record again
    vt.punch(8, hub.session.now_local(), name="Bob")
    await vt.wait_flushed()
    await until(hass, lambda: len(events) >= 2)
    assert [e.data["name"] for e in events] == ["Alice", "Bob"]


async def test_disconnect_makes_entities_unavailable(hass: HomeAssistant, hub, terminal):
    vt = await terminal()
    await vt.stop()
    await until(hass, lambda: not hub.states["VT00001"].online)
    assert hass.states.get(ACCESS).state == STATE_UNAVAILABLE
    assert hass.states.get(LAST_USER).state == STATE_UNAVAILABLE
    assert hass.states.get(CONNECTED).state == STATE_OFF
    vt.start()
    await until(hass, lambda: hub.states["VT00001"].online)
    assert hass.states.get(ACCESS).state == STATE_UNKNOWN
    assert hass.states.get(CONNECTED).state == STATE_ON


async def test_counters_from_devinfo_once_enabled(hass: HomeAssistant, entry, hub, terminal):
    vt = await terminal()
    er.async_get(hass).async_update_entity("sensor.ai806_vt00001_users", disabled_by=None)
    vt.users.update({1: VirtualUser(1, "Alice"), 2: VirtualUser(2, "Bob")})
    assert await hass.config_entries.async_reload(entry.entry_id)  # the terminal re-registers
    await until(hass, lambda: entry.runtime_data.states["VT00001"].online)
    assert hass.states.get("sensor.ai806_vt00001_users").state == "2"


async def test_manufacturer_from_the_terminal(hass: HomeAssistant, hub, terminal):
    await terminal("VT00002", manufacturer="Acme Access")
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "VT00002")})
    assert device.manufacturer == "Acme Access"


async def test_pending_sensor_is_diagnostic(hass: HomeAssistant, hub, terminal):
    await terminal()
    entity = er.async_get(hass).async_get("sensor.ai806_vt00001_pending_roster_commands")
    assert entity.entity_category is EntityCategory.DIAGNOSTIC
    assert hass.states.get(entity.entity_id).state == "0"
