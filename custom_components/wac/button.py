"""Open the door from a dashboard: one button per terminal, beside the door-mode select.

The protocol's ``opendoor`` without ``doornum`` opens every door of the terminal (PROTOCOL.md
5.5); ``reg`` does not say how many doors a controller has, so a controller's single doors
are opened with the ``wac.open_door`` action and its ``doornum``.
"""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from wac_toolkit.errors import WacError

from .entity import WacEntity, add_per_terminal
from .errors import translate_error
from .hub import WacConfigEntry, WacHub

__all__ = ["PARALLEL_UPDATES", "WacOpenDoor", "async_setup_entry"]

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: WacConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    add_per_terminal(hass, entry, async_add_entities, lambda hub, sn: [WacOpenDoor(hub, sn)])


class WacOpenDoor(WacEntity, ButtonEntity):
    """Sends ``opendoor``: the lock opens for its usual delay, as for a granted badge."""

    def __init__(self, hub: WacHub, sn: str) -> None:
        super().__init__(hub, sn, "open_door")

    async def async_press(self) -> None:
        try:
            await self.hub.session.open_door(self.sn)
        except WacError as err:
            raise translate_error(err, self.sn, "opendoor") from err
