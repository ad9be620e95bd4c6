"""Lifecycle: setup, busy port, unload and reload on the same port, HA stop, restored devices."""

from __future__ import annotations

import socket

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PORT, EVENT_HOMEASSISTANT_STOP, STATE_OFF, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.wac.const import CONF_ALLOW, DOMAIN
from custom_components.wac.hub import store_path
from wac_toolkit import VirtualTerminal

from .conftest import make_entry, until


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def test_unload_releases_the_port(hass: HomeAssistant, entry: MockConfigEntry, hub):
    port = entry.data[CONF_PORT]
    assert not port_is_free(port)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert port_is_free(port)


async def test_busy_port_retries_later(hass: HomeAssistant):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        entry = make_entry(busy.getsockname()[1])
        entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_RETRY
        assert "Cannot listen on 127.0.0.1" in entry.reason


async def test_reload_on_the_same_port(hass: HomeAssistant, entry: MockConfigEntry, hub, terminal):
    vt = await terminal("VT00001")
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    new_hub = entry.runtime_data
    assert new_hub is not hub
    assert new_hub.session.port == entry.data[CONF_PORT]
    # the terminal redials the same address by itself, as firmware does
    await until(hass, lambda: "VT00001" in new_hub.states and new_hub.states["VT00001"].online)
    vt.punch(7, new_hub.session.now_local(), name="Alice")
    await vt.wait_flushed()
    await until(hass, lambda: new_hub.states["VT00001"].last_user is not None)


async def test_known_terminal_restored_unavailable(
    hass: HomeAssistant, entry: MockConfigEntry, hub, terminal
):
    vt = await terminal("VT00001")
    vt.punch(7, hub.session.now_local(), name="Alice")
    vt.punch(99999999, hub.session.now_local())  # a later stranger does not replace Alice
    await vt.wait_flushed()
    await vt.stop()
    await until(hass, lambda: not hub.states["VT00001"].online)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    # the device and its entities come back from the store before the terminal does
    assert "VT00001" in entry.runtime_data.states
    assert entry.runtime_data.states["VT00001"].last_user["name"] == "Alice"
    assert hass.states.get("event.ai806_vt00001_access").state == STATE_UNAVAILABLE
    assert hass.states.get("binary_sensor.ai806_vt00001_connected").state == STATE_OFF
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "VT00001")})
    assert device is not None and device.model == "AI806"
    vt.start()  # once it is back, the sensors show what was stored before the restart
    await until(hass, lambda: entry.runtime_data.states["VT00001"].online)
    assert hass.states.get("sensor.ai806_vt00001_last_user").state == "Alice"


async def test_home_assistant_stop_closes_the_listener(
    hass: HomeAssistant, entry: MockConfigEntry, hub, terminal
):
    vt = await terminal("VT00001")
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert port_is_free(entry.data[CONF_PORT])
    await until(hass, lambda: vt.peer is None or vt.peer.closed)
    await vt.stop()


async def test_allow_list_refuses_other_terminals(hass: HomeAssistant):
    entry = make_entry(**{CONF_ALLOW: ["GOOD1"]})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    hub = entry.runtime_data
    await hub.session.adopt("GOOD1")
    async with VirtualTerminal(hub.session.url, "GOOD1"):
        await until(hass, lambda: "GOOD1" in hub.states)
    bad = VirtualTerminal(hub.session.url, "BAD1")
    try:
        await bad.connect()
    except Exception as err:  # DeviceError: the reg reply says result false
        assert "not allowed" in str(err)
    else:
        raise AssertionError("BAD1 registered despite the allow-list")
    finally:
        await bad.disconnect()
    await hass.async_block_till_done()
    assert "BAD1" not in hub.states
    assert dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "BAD1")}) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_remove_device_only_when_offline(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, entry, hub, terminal
):
    assert await async_setup_component(hass, "config", {})
    vt = await terminal("VT00001")
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "VT00001")})
    client = await hass_ws_client(hass)

    async def remove() -> bool:
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": entry.entry_id,
                "device_id": device.id,
            }
        )
        return (await client.receive_json())["success"]

    assert not await remove()
    await vt.stop()
    await until(hass, lambda: not hub.states["VT00001"].online)
    assert await remove()
    assert dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "VT00001")}) is None


async def test_removing_the_entry_deletes_its_store(hass: HomeAssistant, entry, hub, terminal):
    vt = await terminal("VT00001")
    vt.punch(7, hub.session.now_local())
    await vt.wait_flushed()
    path = store_path(hass, entry.entry_id)
    assert path.exists()
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not path.exists()
    assert not path.with_name(path.name + "-wal").exists()
