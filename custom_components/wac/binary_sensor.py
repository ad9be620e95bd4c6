"""Connectivity of each terminal, and its door where the terminal reports a door sensor.

The door sensor entity appears once a terminal sends its first door-sensor record
(``enrollid`` 0, ``event`` 0 closed, 1 opened, 5 forced open): terminals without a sensor
wired never get one, and one that has reported before gets it back after a restart.
"""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import WacEntity, add_per_terminal
from .hub import WacConfigEntry, WacHub

__all__ = ["PARALLEL_UPDATES", "WacConnectivity", "WacDoor", "async_setup_entry"]

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: WacConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    hub = entry.runtime_data
    add_per_terminal(hass, entry, async_add_entities, lambda hub, sn: [WacConnectivity(hub, sn)])

    @callback
    def add_door(sn: str) -> None:
        async_add_entities([WacDoor(hub, sn)])

    for sn, state in list(hub.states.items()):
        if state.door_at is not None:
            add_door(sn)
    entry.async_on_unload(async_dispatcher_connect(hass, hub.signal_new_door, add_door))


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


class WacDoor(WacEntity, BinarySensorEntity):
    """On while the door is open, as the terminal's door sensor last reported it."""

    _attr_device_class = BinarySensorDeviceClass.DOOR

    def __init__(self, hub: WacHub, sn: str) -> None:
        super().__init__(hub, sn, "door")

    @property
    def is_on(self) -> bool | None:
        return self.terminal.door_open
