"""Door events, strangers and refusals are told apart, named, and translated."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.wac.const import EVENT_ACCESS, EVENT_TYPES
from wac_toolkit.protocol.event_types import EventType

from .conftest import until

ACCESS = "event.ai806_vt00001_access"
STRINGS = Path(__file__).parents[2] / "custom_components" / "wac" / "strings.json"


async def test_each_record_has_its_event_type(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001")
    events = async_capture_events(hass, EVENT_ACCESS)
    seen: list[str] = []

    async def punch(enrollid: int, event: int) -> str:
        vt.punch(enrollid, hub.session.now_local(), event=event)
        await vt.wait_flushed()
        await until(hass, lambda: len(events) > len(seen))
        seen.append(hass.states.get(ACCESS).attributes["event_type"])
        assert events[-1].data["event_type"] == seen[-1]
        return seen[-1]

    assert await punch(0, 2) == "exit_button"
    assert await punch(99999999, 0) == "stranger"
    assert await punch(7, 0) == "access_granted"
    assert await punch(7, 3) == "access_denied"
    assert await punch(0, 5) == "forced_open"
    assert await punch(0, 6) == "tamper"
    assert await punch(0, 7) == "alarm"
    assert hass.states.get(ACCESS).attributes["event_types"] == EVENT_TYPES


def test_every_event_type_is_translated():
    states = json.loads(STRINGS.read_text(encoding="utf-8"))["entity"]["event"]["access"]
    names = states["state_attributes"]["event_type"]["state"]
    assert set(names) == {t.value for t in EventType} == set(EVENT_TYPES)
    assert names["exit_button"] == "Exit button"
