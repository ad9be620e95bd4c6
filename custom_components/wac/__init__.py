"""The wac integration: attendance and access terminals that dial Home Assistant."""

from __future__ import annotations

import contextlib
import logging

from homeassistant.const import CONF_HOST, CONF_PORT, EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .const import CONF_TIME_ZONE, DOMAIN
from .hub import WacConfigEntry, WacHub, store_path
from .people import async_setup_people_services
from .services import async_setup_services
from .trust import async_setup_trust_services

__all__ = [
    "CONFIG_SCHEMA",
    "PLATFORMS",
    "async_remove_config_entry_device",
    "async_remove_entry",
    "async_setup",
    "async_setup_entry",
    "async_unload_entry",
]

_LOGGER = logging.getLogger(__name__)

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SELECT,
    Platform.SENSOR,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, whether or not an entry is loaded (rule action-setup)."""
    async_setup_services(hass)
    async_setup_people_services(hass)
    async_setup_trust_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: WacConfigEntry) -> bool:
    """Start the entry's listener; a busy port retries later instead of failing for good."""
    zone_name = entry.options.get(CONF_TIME_ZONE) or hass.config.time_zone
    tz = await dt_util.async_get_time_zone(zone_name) or dt_util.get_default_time_zone()
    try:
        hub = await WacHub.async_start(hass, entry, tz)
    except OSError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_listen",
            translation_placeholders={
                "host": entry.data[CONF_HOST],
                "port": str(entry.data[CONF_PORT]),
                "error": err.strerror or str(err),
            },
        ) from err
    entry.runtime_data = hub
    entry.async_on_unload(hub.async_stop)
    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, hub.async_stop))
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: WacConfigEntry) -> bool:
    """Unload the platforms; the listener stops through ``async_on_unload``."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: WacConfigEntry) -> None:
    """Delete the entry's log store when the entry is deleted."""
    base = store_path(hass, entry.entry_id)

    def remove() -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                base.with_name(base.name + suffix).unlink()

    await hass.async_add_executor_job(remove)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: WacConfigEntry, device: dr.DeviceEntry
) -> bool:
    """A terminal's device may be deleted while it is not connected (rule stale-devices).

    Deleting it forgets the terminal in the store too, so it does not come back on the next
    start; it comes back when it connects again.
    """
    hub = entry.runtime_data
    sns = [sn for domain, sn in device.identifiers if domain == DOMAIN]
    if any(
        (state := hub.states.get(sn)) is not None and (state.online or state.elsewhere)
        for sn in sns
    ):  # connected here or to another gateway on a shared database
        return False
    for sn in sns:
        await hub.async_forget(sn)
    return True


async def _async_options_updated(hass: HomeAssistant, entry: WacConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)
