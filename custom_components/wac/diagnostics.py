"""Diagnostics: entry settings, terminals, stored users (every secret redacted), roster queue."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import DOMAIN
from .hub import WacConfigEntry, WacHub

__all__ = ["TO_REDACT", "async_get_config_entry_diagnostics", "async_get_device_diagnostics"]

TO_REDACT = {
    "record", "image", "pwd", "password", "card", "cardnum", "template", "mac", "cpusn", "name",
    "path_secret", "tls_key",
}  # fmt: skip
"""Templates, photos, PINs, card numbers, people's names, what identifies the hardware, and
the listener's path secret and key file."""


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: WacConfigEntry
) -> dict[str, Any]:
    hub = entry.runtime_data
    await hub.pending.async_refresh()
    return async_redact_data(
        {
            "entry": {"data": dict(entry.data), "options": dict(entry.options)},
            "listening": {"url": hub.session.url, "port": hub.session.port},
            "quarantine": {
                "count": await hass.async_add_executor_job(hub.session.quarantine_count)
            },
            "terminals": [await _terminal(hass, hub, sn) for sn in sorted(hub.states)],
        },
        TO_REDACT,
    )


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: WacConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    hub = entry.runtime_data
    sn = next(i for d, i in device.identifiers if d == DOMAIN)
    await hub.pending.async_refresh()
    return async_redact_data(await _terminal(hass, hub, sn), TO_REDACT)


async def _terminal(hass: HomeAssistant, hub: WacHub, sn: str) -> dict[str, Any]:
    state = hub.states[sn]
    credentials = await hass.async_add_executor_job(hub.session.credentials, sn)
    pending = hub.pending.get(sn)
    return {
        "sn": sn,
        "online": state.online,
        "info": asdict(state.info) if state.info else None,
        "last_user": state.last_user,
        "last_access": state.last_access.isoformat() if state.last_access else None,
        "users": [{**asdict(c), "backupnum": int(c.backupnum)} for c in credentials],
        "roster_queue": {"count": pending.count, **pending.attributes()} if pending else None,
        "quarantined": len(await hass.async_add_executor_job(hub.session.quarantined, sn)),
        "door_open": state.door_open,
        "clock": _clock(hub, sn),
    }


def _clock(hub: WacHub, sn: str) -> dict[str, Any] | None:
    skew = hub.clock.skew(sn)
    if skew is None:
        return None
    return {"offset_seconds": skew.offset.total_seconds(), "source": skew.source}
