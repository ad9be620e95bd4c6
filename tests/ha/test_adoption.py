"""Adoption in the UI: a pending terminal is a discovered device, adopted or ignored in one
click; blocked terminals can be unblocked; an impostor raises a repair issue."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.wac.const import CONF_ADOPT_NEW, CONF_UNBLOCK, DOMAIN
from custom_components.wac.hub import conflict_issue_id
from wac_toolkit import VirtualTerminal
from wac_toolkit.errors import DeviceError, TerminalNotAdopted
from wac_toolkit.net.terminal_commands import state as terminal_state

from .conftest import make_entry, until


def offers(hass: HomeAssistant) -> list:
    return hass.config_entries.flow.async_progress_by_handler(DOMAIN)


def device(hass: HomeAssistant, sn: str) -> dr.DeviceEntry | None:
    return dr.async_get(hass).async_get_device(identifiers={(DOMAIN, sn)})


async def call(hass: HomeAssistant, service: str, **data):
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


@pytest.fixture
async def pending(hass: HomeAssistant, hub):
    """A terminal that dialed in and was not adopted: it waits as a discovered device."""
    vt = VirtualTerminal(
        hub.session.url, "DOOR0001", modelname="AI806", clock=hub.session.now_local
    )
    vt.start()
    await vt.wait_registered()
    await until(hass, lambda: offers(hass))
    yield vt
    await vt.stop()


async def test_a_new_terminal_is_offered_and_adopted_in_one_click(
    hass: HomeAssistant, hub, pending
):
    (offer,) = offers(hass)
    assert offer["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    assert offer["step_id"] == "adopt"
    assert offer["context"]["title_placeholders"] == {
        "model": "AI806",
        "sn": "DOOR0001",
        "host": "127.0.0.1",
    }
    assert device(hass, "DOOR0001") is None  # not a device while pending
    with pytest.raises(TerminalNotAdopted):  # nothing is sent to it
        await hub.session.open_door("DOOR0001")

    result = await hass.config_entries.flow.async_configure(offer["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "adopted"
    await until(hass, lambda: device(hass, "DOOR0001") is not None)
    assert hub.session.terminal("DOOR0001").state == "adopted"
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.ai806_door0001_open_door"}, blocking=True
    )
    assert terminal_state(pending).opened == [None]
    assert offers(hass) == []


async def test_ignore_stops_asking_and_keeps_it_pending(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, hub, pending
):
    assert await async_setup_component(hass, "config", {})
    (offer,) = offers(hass)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "config_entries/ignore_flow", "flow_id": offer["flow_id"], "title": "Door"}
    )
    assert (await client.receive_json())["success"]
    await pending.stop()
    pending.start()  # it connects again: not offered again, still pending
    await until(hass, lambda: pending.registrations == 2)
    await hass.async_block_till_done()
    assert offers(hass) == []
    assert hub.session.terminal("DOOR0001").state == "pending"
    assert device(hass, "DOOR0001") is None


async def test_adopting_by_action_ends_the_offer(hass: HomeAssistant, hub, pending):
    response = await call(hass, "adopt", serial_number=["DOOR0001"])
    assert response == {"DOOR0001": {"state": "adopted", "online": True}}
    await until(hass, lambda: device(hass, "DOOR0001") is not None)
    assert offers(hass) == []


async def test_block_and_unblock(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    target = device(hass, "VT00001").id
    response = await call(hass, "block", device_id=target)
    assert response["VT00001"]["state"] == "blocked"
    await until(hass, lambda: not hub.states["VT00001"].online)
    with pytest.raises(DeviceError, match="blocked"):  # refused at reg from now on
        await VirtualTerminal(hub.session.url, "VT00001").connect()

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "unblock", serial_number="VT00002")
    assert err.value.translation_key == "not_blocked"
    await call(hass, "unblock", serial_number="VT00001")
    await until(hass, lambda: offers(hass))  # back as a new terminal, offered for adoption
    assert offers(hass)[0]["context"]["title_placeholders"]["sn"] == "VT00001"
    await until(hass, lambda: vt.registrations >= 2)


async def test_an_impostor_raises_a_repair_issue(hass: HomeAssistant, entry, hub, terminal):
    real = await terminal("VT00001")
    impostor = VirtualTerminal(hub.session.url, "VT00001", modelname="AI518")
    with pytest.raises(DeviceError, match="identity"):
        await impostor.connect()
    await impostor.disconnect()
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, conflict_issue_id(entry.entry_id, "VT00001"))
    assert issue is not None and issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_key == "identity_conflict"
    assert issue.translation_placeholders["host"] == "127.0.0.1"
    assert "AI518" in issue.translation_placeholders["claimed"]
    assert "AI806" in issue.translation_placeholders["pinned"]
    assert hub.states["VT00001"].online  # the real terminal kept its connection
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.ai806_vt00001_open_door"}, blocking=True
    )
    assert terminal_state(real).opened == [None]


async def test_adopt_new_option_adopts_at_once(hass: HomeAssistant):
    entry = make_entry(**{CONF_ADOPT_NEW: True})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    hub = entry.runtime_data
    async with VirtualTerminal(hub.session.url, "LAB00001"):
        await until(hass, lambda: device(hass, "LAB00001") is not None)
    assert offers(hass) == []
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unblock_in_the_options(hass: HomeAssistant, entry, hub, terminal):
    vt = await terminal("VT00001")
    await hub.session.block("VT00002", "VT00001")
    result = await hass.config_entries.options.async_init(entry.entry_id)
    (field,) = [k for k in result["data_schema"].schema if str(k) == CONF_UNBLOCK]
    assert result["data_schema"].schema[field].config["options"] == ["VT00001", "VT00002"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_UNBLOCK: ["VT00001"], "allow": [], "fresh_minutes": 5}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_UNBLOCK not in entry.options
    await hass.async_block_till_done()
    hub = entry.runtime_data  # reloaded
    assert hub.session.terminal("VT00002").state == "blocked"
    await until(hass, lambda: offers(hass))  # VT00001 is back, as a new terminal
    assert offers(hass)[0]["context"]["title_placeholders"]["sn"] == "VT00001"
    assert vt.registrations >= 1
