"""Devices: a deleted terminal stays deleted until it connects again; one entry owns a
terminal, and another entry it dials refuses it with a repair issue."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.wac.const import DOMAIN
from custom_components.wac.hub import owner_issue_id
from wac_toolkit import VirtualTerminal

from .conftest import make_entry, until


def device(hass: HomeAssistant, sn: str) -> dr.DeviceEntry | None:
    return dr.async_get(hass).async_get_device(identifiers={(DOMAIN, sn)})


async def test_deleted_device_does_not_come_back_on_reload(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, entry, hub, terminal
):
    assert await async_setup_component(hass, "config", {})
    vt = await terminal("VT00001")
    vt.punch(7, hub.session.now_local(), name="Alice")
    await vt.wait_flushed()
    await vt.stop()
    await until(hass, lambda: not hub.states["VT00001"].online)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": device(hass, "VT00001").id,
        }
    )
    assert (await client.receive_json())["success"]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    hub = entry.runtime_data
    assert device(hass, "VT00001") is None
    assert "VT00001" not in hub.states
    assert [t.sn for t in hub.session.terminals()] == []
    assert hass.states.get("event.ai806_vt00001_access") is None

    vt.start()  # it connects again: pending, offered for adoption like a new terminal
    await until(hass, lambda: _offers(hass))
    assert device(hass, "VT00001") is None
    (offer,) = _offers(hass)
    result = await hass.config_entries.flow.async_configure(offer["flow_id"], {})
    assert result["reason"] == "adopted"  # adopted again: a device again, its records kept
    await until(hass, lambda: "VT00001" in hub.states and hub.states["VT00001"].online)
    assert device(hass, "VT00001") is not None
    assert [r.name for r in hub.session.latest_records("VT00001")] == ["Alice"]


async def test_a_terminal_belongs_to_one_entry(hass: HomeAssistant, entry, hub, terminal):
    await terminal("VT00001")
    other = make_entry()
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    other_hub = other.runtime_data
    stray = VirtualTerminal(other_hub.session.url, "VT00001")
    try:
        await stray.connect()
    except Exception as err:  # DeviceError: the reg reply says result false
        assert "another listener" in str(err)
    else:
        raise AssertionError("the second entry took a terminal the first owns")
    finally:
        await stray.disconnect()
    await hass.async_block_till_done()
    assert "VT00001" not in other_hub.states
    assert device(hass, "VT00001").config_entries == {entry.entry_id}
    issue = ir.async_get(hass).async_get_issue(DOMAIN, owner_issue_id(other.entry_id, "VT00001"))
    assert issue is not None and issue.translation_key == "terminal_elsewhere"
    assert issue.translation_placeholders["owner"] == entry.title
    # unique ids stay unique: the second entry made no entities for it
    assert all(e.config_entry_id == entry.entry_id for e in _entities(hass, "VT00001"))
    assert await hass.config_entries.async_unload(other.entry_id)


def _entities(hass: HomeAssistant, sn: str):
    from homeassistant.helpers import entity_registry as er

    return er.async_entries_for_device(er.async_get(hass), device(hass, sn).id)


def _offers(hass: HomeAssistant) -> list:
    return hass.config_entries.flow.async_progress_by_handler(DOMAIN)
