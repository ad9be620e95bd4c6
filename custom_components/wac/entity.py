"""Base entity: one terminal's device, availability while it is connected, push updates."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .hub import TerminalState, WacConfigEntry, WacHub

__all__ = ["WacEntity", "add_per_terminal"]


def add_per_terminal(
    hass: HomeAssistant,
    entry: WacConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[WacHub, str], Iterable[Entity]],
) -> None:
    """Add a platform's entities for every known terminal now, and for each new one later."""
    hub = entry.runtime_data

    @callback
    def add(sn: str) -> None:
        async_add_entities(list(make(hub, sn)))

    for sn in list(hub.states):
        add(sn)
    entry.async_on_unload(async_dispatcher_connect(hass, hub.signal_new, add))


class WacEntity(Entity):
    """An entity of one terminal; unavailable while the terminal is connected to no gateway."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: WacHub, sn: str, key: str) -> None:
        self.hub = hub
        self.sn = sn
        self._attr_unique_id = f"{sn}_{key}"
        self._attr_translation_key = key
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, sn)})

    @property
    def terminal(self) -> TerminalState:
        return self.hub.states.get(self.sn) or TerminalState(self.sn)

    @property
    def available(self) -> bool:
        return self.terminal.online or self.terminal.elsewhere is not None

    async def async_added_to_hass(self) -> None:
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, self.hub.signal_update(self.sn), self.async_write_ha_state
            )
        )
