"""A terminal whose clock is off raises a repair issue; its fix sets the terminal's clock."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.wac.const import DOMAIN, EVENT_BACKLOG
from custom_components.wac.hub import clock_issue_id
from wac_toolkit.protocol.values import parse_time

from .conftest import until

ACCESS = "event.ai806_vt00001_access"


async def fix(hass: HomeAssistant, hass_client: ClientSessionGenerator, issue_id: str) -> dict:
    """Run the issue's fix flow through the HTTP API, as the repairs dashboard does."""
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == 200, await response.text()
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert "VT00001" in flow["description_placeholders"]["sn"]
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert response.status == 200, await response.text()
    return await response.json()


async def test_a_clock_two_hours_behind_is_repaired(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry, hub, terminal
):
    assert await async_setup_component(hass, "repairs", {})
    behind = lambda: hub.session.now_local() - timedelta(hours=2)  # noqa: E731
    vt = await terminal("VT00001", clock=behind)
    issue_id = clock_issue_id(entry.entry_id, "VT00001")
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None and issue.is_fixable
    assert issue.translation_key == "clock_zone"  # whole hours: a zone, not drift
    assert issue.translation_placeholders == {"sn": "VT00001", "offset": "2 h 0 min behind"}

    # the symptom: a punch made now reads as two hours old, so the entity stays silent
    summaries = async_capture_events(hass, EVENT_BACKLOG)
    vt.punch(7, name="Alice")
    await vt.wait_flushed()
    await until(hass, lambda: summaries)
    assert hass.states.get(ACCESS).state == STATE_UNKNOWN

    result = await fix(hass, hass_client, issue_id)
    assert result["type"] == "create_entry"
    assert vt.received[-1]["cmd"] == "settime"
    sent = parse_time(vt.received[-1]["cloudtime"])
    assert abs(sent - hub.session.now_local()) < timedelta(minutes=1)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    vt.punch(7, name="Alice")  # stamped by the terminal's clock, now right
    await vt.wait_flushed()
    await until(hass, lambda: hass.states.get(ACCESS).state != STATE_UNKNOWN)
    assert hass.states.get(ACCESS).attributes["event_type"] == "access_granted"
    await vt.stop()  # a reconnect with the right clock raises nothing
    vt.start()
    await until(hass, lambda: vt.registrations == 2 and hub.states["VT00001"].online)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_records_from_the_future_raise_it_and_a_fresh_one_clears_it(
    hass: HomeAssistant, entry, hub, terminal
):
    vt = await terminal("VT00001")
    issue_id = clock_issue_id(entry.entry_id, "VT00001")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    vt.punch(7, hub.session.now_local() + timedelta(minutes=12))
    await vt.wait_flushed()
    await until(hass, lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue.translation_key == "clock_skew"
    assert issue.translation_placeholders["offset"] in ("12 min ahead", "11 min ahead")
    vt.punch(8, hub.session.now_local())
    await vt.wait_flushed()
    await until(hass, lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None)


async def test_repair_of_an_offline_terminal_says_why(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry, hub, terminal
):
    assert await async_setup_component(hass, "repairs", {})
    vt = await terminal("VT00001", clock=lambda: hub.session.now_local() + timedelta(hours=1))
    issue_id = clock_issue_id(entry.entry_id, "VT00001")
    await vt.stop()
    await until(hass, lambda: not hub.states["VT00001"].online)
    result = await fix(hass, hass_client, issue_id)
    assert result["type"] == "abort" and result["reason"] == "clock_not_set"
    assert "not connected" in result["description_placeholders"]["error"]
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
