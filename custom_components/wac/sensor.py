"""Per-terminal sensors: last user, last access time, pending roster commands, and devinfo
counters (diagnostic)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import ATTR_ENROLLID, ATTR_NAME
from .entity import WacEntity, add_per_terminal
from .hub import TerminalState, WacConfigEntry, WacHub

__all__ = [
    "PARALLEL_UPDATES",
    "SENSORS",
    "WacPendingSensor",
    "WacSensor",
    "WacSensorDescription",
    "async_setup_entry",
]

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class WacSensorDescription(SensorEntityDescription):
    """How a sensor reads its value (and attributes) from the terminal's state."""

    value_fn: Callable[[TerminalState], str | int | datetime | None]
    attributes_fn: Callable[[TerminalState], dict[str, Any] | None] = lambda _: None


def _last_user(state: TerminalState) -> str | None:
    user = state.last_user
    if user is None:
        return None
    return user.get(ATTR_NAME) or str(user.get(ATTR_ENROLLID))


def _counter(key: str, translation_key: str) -> WacSensorDescription:
    return WacSensorDescription(
        key=translation_key,
        translation_key=translation_key,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.info.counters.get(key) if state.info else None,
    )


SENSORS: tuple[WacSensorDescription, ...] = (
    WacSensorDescription(
        key="last_user",
        translation_key="last_user",
        value_fn=_last_user,
        attributes_fn=lambda state: state.last_user,
    ),
    WacSensorDescription(
        key="last_access",
        translation_key="last_access",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.last_access,
    ),
    _counter("useduser", "users"),
    _counter("usedfp", "fingerprints"),
    _counter("usedcard", "cards"),
    _counter("usedpwd", "passwords"),
    _counter("usedface", "faces"),
    _counter("usedlog", "logs"),
    _counter("usednewlog", "new_logs"),
)


async def async_setup_entry(
    hass: HomeAssistant, entry: WacConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    add_per_terminal(
        hass,
        entry,
        async_add_entities,
        lambda hub, sn: [*(WacSensor(hub, sn, d) for d in SENSORS), WacPendingSensor(hub, sn)],
    )


class WacSensor(WacEntity, SensorEntity):
    """One value of one terminal."""

    entity_description: WacSensorDescription

    def __init__(self, hub: WacHub, sn: str, description: WacSensorDescription) -> None:
        super().__init__(hub, sn, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> str | int | datetime | None:
        return self.entity_description.value_fn(self.terminal)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        return self.entity_description.attributes_fn(self.terminal)


class WacPendingSensor(WacEntity, SensorEntity):
    """Roster commands queued for one terminal; available while it is offline, when it matters.

    Attributes say when the oldest was queued, how many the terminal refused so far, and the
    newest step that failed for good.
    """

    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, hub: WacHub, sn: str) -> None:
        super().__init__(hub, sn, "pending_commands")

    @property
    def available(self) -> bool:
        return True

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, self.hub.signal_pending(self.sn), self.async_write_ha_state
            )
        )

    @property
    def native_value(self) -> int | None:
        pending = self.hub.pending.get(self.sn)
        return pending.count if pending else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        pending = self.hub.pending.get(self.sn)
        return pending.attributes() if pending else None
