"""Connectivity of each terminal (the one entity that stays available while it is away)."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import WacEntity, add_per_terminal
from .hub import WacConfigEntry, WacHub

__all__ = ["PARALLEL_UPDATES", "WacConnectivity", "async_setup_entry"]

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: WacConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    add_per_terminal(hass, entry, async_add_entities, lambda hub, sn: [WacConnectivity(hub, sn)])


class WacConnectivity(WacEntity, BinarySensorEntity):
    """On while the terminal holds a registered connection."""

    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, hub: WacHub, sn: str) -> None:
        super().__init__(hub, sn, "connected")

    @property
    def available(self) -> bool:
        return True

    @property
    def is_on(self) -> bool:
        return self.terminal.online
