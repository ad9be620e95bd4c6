"""The README's two example automations, loaded as written, fire on real records."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import yaml
from homeassistant.components.automation import DOMAIN as AUTOMATION
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_mock_service,
)

from custom_components.wac.const import EVENT_ACCESS, EVENT_BACKLOG
from wac_toolkit import DoorMode
from wac_toolkit.net.terminal_commands import state as terminal_state

from .conftest import until

README = Path(__file__).parents[2] / "README.md"


def readme_automations() -> list[dict]:
    """Every ```yaml block of the README's "In Home Assistant" section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## In Home Assistant", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    return [item for block in blocks for item in yaml.safe_load(block)]


async def test_readme_automations_fire(hass: HomeAssistant, hub, terminal):
    automations = readme_automations()
    assert len(automations) == 2
    assert await async_setup_component(hass, AUTOMATION, {AUTOMATION: automations})
    lights = async_mock_service(hass, "light", "turn_on")
    notes = async_mock_service(hass, "notify", "notify")
    events = async_capture_events(hass, EVENT_ACCESS)
    summaries = async_capture_events(hass, EVENT_BACKLOG)
    vt = await terminal("VT00001")
    now = hub.session.now_local()

    vt.punch(8, now, name="Bob")  # granted, but not Alice
    vt.punch(0, now, event=2)  # the exit button: not forced, not tampered
    await vt.wait_flushed()
    await until(hass, lambda: len(events) == 2)
    vt.punch(0, now - timedelta(hours=2), event=5)  # forced open, but backlog
    await vt.wait_flushed()
    await until(hass, lambda: summaries)
    assert (lights, notes) == ([], [])
    assert terminal_state(vt).door_mode is DoorMode.NORMAL

    vt.punch(7, now + timedelta(seconds=1), name="Alice")
    await vt.wait_flushed()
    await until(hass, lambda: lights)
    assert lights[0].data["entity_id"] == ["light.alice_office"]

    vt.punch(0, now + timedelta(seconds=2), event=5)  # forced open, now
    await vt.wait_flushed()
    await until(hass, lambda: notes)
    assert notes[0].data["message"] == "forced_open at AI806 VT00001 Access"
    assert terminal_state(vt).door_mode is DoorMode.FORCE_CLOSED  # locked down for real
    assert len(lights) == 1
