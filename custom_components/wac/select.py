"""Door mode per terminal (``lockctrl``): normal, held open for evacuation, locked down."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from wac_toolkit.errors import WacError
from wac_toolkit.protocol.catalogue import DoorMode

from .entity import WacEntity, add_per_terminal
from .errors import translate_error
from .hub import WacConfigEntry, WacHub

__all__ = ["DOOR_MODES", "PARALLEL_UPDATES", "WacDoorMode", "async_setup_entry"]

PARALLEL_UPDATES = 0

DOOR_MODES: dict[str, DoorMode] = {
    "normal": DoorMode.NORMAL,
    "held_open": DoorMode.FORCE_OPEN,
    "locked_down": DoorMode.FORCE_CLOSED,
}


async def async_setup_entry(
    hass: HomeAssistant, entry: WacConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    add_per_terminal(hass, entry, async_add_entities, lambda hub, sn: [WacDoorMode(hub, sn)])


class WacDoorMode(WacEntity, SelectEntity, RestoreEntity):
    """The mode last set from Home Assistant; terminals cannot be asked for it."""

    _attr_options = list(DOOR_MODES)
    _attr_current_option: str | None = None

    def __init__(self, hub: WacHub, sn: str) -> None:
        super().__init__(hub, sn, "door_mode")

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and last.state in DOOR_MODES:
            self._attr_current_option = last.state

    async def async_select_option(self, option: str) -> None:
        try:
            await self.hub.session.lock_control(self.sn, DOOR_MODES[option])
        except WacError as err:
            raise translate_error(err, self.sn, "lockctrl") from err
        self._attr_current_option = option
        self.async_write_ha_state()
