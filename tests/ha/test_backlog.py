"""After an outage: one state write per frame, a summary event instead of hundreds."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.wac.const import CONF_BACKLOG_EVENTS, EVENT_ACCESS, EVENT_BACKLOG
from wac_toolkit import VirtualTerminal

from .conftest import make_entry, until

ACCESS = "event.ai806_vt00001_access"
LAST_USER = "sensor.ai806_vt00001_last_user"
LAST_ACCESS = "sensor.ai806_vt00001_last_access"


def flush_outage(vt, hub, count: int = 60) -> None:
    """``count`` punches from three hours ago, kept by the terminal while it was cut off."""
    start = hub.session.now_local() - timedelta(hours=3)
    for i in range(count):
        vt.punch(100 + i, start + timedelta(minutes=i), name=f"P{i}", event=i % 2 * 3)


async def test_sixty_backlog_records_write_each_state_once(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001", batch_size=100)
    states = async_capture_events(hass, EVENT_STATE_CHANGED)
    access = async_capture_events(hass, EVENT_ACCESS)
    summaries = async_capture_events(hass, EVENT_BACKLOG)
    flush_outage(vt, hub)
    await vt.wait_flushed()
    await until(hass, lambda: summaries)
    written = [e.data["entity_id"] for e in states]
    assert sorted(written) == [LAST_ACCESS, LAST_USER]  # 2 state writes (141 before)
    assert ACCESS not in written and hass.states.get(ACCESS).state == STATE_UNKNOWN
    assert hass.states.get(LAST_USER).state == "P58"  # the newest granted record
    assert access == []  # no per-record bus events for the recorder to keep
    (summary,) = summaries
    assert summary.data["sn"] == "VT00001"
    assert summary.data["count"] == 60
    assert summary.data["event_types"] == {"access_granted": 30, "access_denied": 30}
    assert summary.data["first_time"] < summary.data["last_time"]


async def test_a_summary_per_frame(hass: HomeAssistant, hub, terminal):
    vt = await terminal("VT00001", batch_size=25)
    summaries = async_capture_events(hass, EVENT_BACKLOG)
    flush_outage(vt, hub)
    await vt.wait_flushed()
    await until(hass, lambda: sum(e.data["count"] for e in summaries) == 60)
    assert [e.data["count"] for e in summaries] == [25, 25, 10]


async def test_per_record_backlog_events_as_an_option(hass: HomeAssistant):
    entry = make_entry(**{CONF_BACKLOG_EVENTS: True})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    hub = entry.runtime_data
    await hub.session.adopt("VT00001")
    access = async_capture_events(hass, EVENT_ACCESS)
    summaries = async_capture_events(hass, EVENT_BACKLOG)
    vt = VirtualTerminal(hub.session.url, "VT00001", batch_size=100, clock=hub.session.now_local)
    async with vt:
        flush_outage(vt, hub)
        await vt.wait_flushed()
        await until(hass, lambda: summaries)
    assert len(access) == 60 and all(e.data["backlog"] for e in access)
    assert summaries[0].data["count"] == 60
    assert await hass.config_entries.async_unload(entry.entry_id)
