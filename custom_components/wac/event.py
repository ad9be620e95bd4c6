"""The access event entity: one per terminal, fired for fresh records only.

Its event types are the toolkit's :class:`~wac_toolkit.protocol.event_types.EventType`: a
granted or denied person, a stranger, and the door's own records (exit button, forced open,
tamper, alarm...), so an automation can tell the exit button from an unknown face.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_TYPES
from .entity import WacEntity, add_per_terminal
from .hub import WacConfigEntry, WacHub

__all__ = ["PARALLEL_UPDATES", "WacAccessEvent", "async_setup_entry"]

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: WacConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    add_per_terminal(hass, entry, async_add_entities, lambda hub, sn: [WacAccessEvent(hub, sn)])


class WacAccessEvent(WacEntity, EventEntity):
    """What happened at the terminal, one event per fresh record."""

    _attr_event_types = EVENT_TYPES

    def __init__(self, hub: WacHub, sn: str) -> None:
        super().__init__(hub, sn, "access")

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, self.hub.signal_access(self.sn), self._on_access)
        )

    @callback
    def _on_access(self, event_type: str, attributes: dict[str, Any]) -> None:
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()
