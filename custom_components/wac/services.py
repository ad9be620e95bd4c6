"""Actions: write or delete users on terminals and open doors; errors translated for the UI."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr

from wac_toolkit.errors import WacError
from wac_toolkit.session import Session

from .const import DOMAIN
from .errors import translate_error
from .hub import WacConfigEntry

__all__ = [
    "SERVICE_DELETE_USER",
    "SERVICE_ENABLE_USER",
    "SERVICE_OPEN_DOOR",
    "SERVICE_SET_USER_INFO",
    "async_setup_services",
    "device_targets",
]

_LOGGER = logging.getLogger(__name__)

SERVICE_SET_USER_INFO = "set_user_info"
SERVICE_DELETE_USER = "delete_user"
SERVICE_OPEN_DOOR = "open_door"
SERVICE_ENABLE_USER = "enable_user"

ATTR_ENROLLID = "enrollid"
ATTR_NAME = "name"
ATTR_BACKUPNUM = "backupnum"
ATTR_RECORD = "record"
ATTR_ADMIN = "admin"
ATTR_DOORNUM = "doornum"
ATTR_ENABLED = "enabled"

BACKUPNUMS = (*range(10), 10, 11, *range(20, 28), 40, 41, 50)
"""Credential slots: fingerprints 0-9, password 10, card 11, faces 20-27, palms 40-41, photo 50."""
DELETE_BACKUPNUMS = (*BACKUPNUMS, 12, 13)
"""Also 12 (every fingerprint) and 13 (the whole user)."""

_DEVICES = vol.All(cv.ensure_list, [cv.string])
_ENROLLID = vol.All(vol.Coerce(int), vol.Range(min=1, max=99_999_999))

SET_USER_INFO_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): _DEVICES,
        vol.Required(ATTR_ENROLLID): _ENROLLID,
        vol.Optional(ATTR_NAME): vol.All(cv.string, vol.Length(max=24)),
        vol.Required(ATTR_BACKUPNUM): vol.All(vol.Coerce(int), vol.In(BACKUPNUMS)),
        vol.Required(ATTR_RECORD): vol.All(cv.string, vol.Length(min=1)),
        vol.Optional(ATTR_ADMIN, default=0): vol.All(vol.Coerce(int), vol.In((0, 1, 2))),
    }
)
DELETE_USER_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): _DEVICES,
        vol.Required(ATTR_ENROLLID): _ENROLLID,
        vol.Optional(ATTR_BACKUPNUM, default=13): vol.All(
            vol.Coerce(int), vol.In(DELETE_BACKUPNUMS)
        ),
    }
)
OPEN_DOOR_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): _DEVICES,
        vol.Optional(ATTR_DOORNUM): vol.All(vol.Coerce(int), vol.Range(min=1, max=4)),
    }
)
ENABLE_USER_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): _DEVICES,
        vol.Required(ATTR_ENROLLID): _ENROLLID,
        vol.Required(ATTR_ENABLED): cv.boolean,
    }
)

Command = Callable[[Session, str], Awaitable[Any]]
"""Sends one command to terminal ``sn``; returns its reply (a dict or a typed result)."""


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the domain's actions (idempotent)."""
    if hass.services.has_service(DOMAIN, SERVICE_SET_USER_INFO):
        return

    async def set_user_info(call: ServiceCall) -> ServiceResponse:
        data = call.data

        async def run(session: Session, sn: str) -> dict[str, Any]:
            name = data.get(ATTR_NAME)
            if name is None:  # adding a card to Alice must not blank her name
                name = await hass.async_add_executor_job(
                    _known_name, session, sn, data[ATTR_ENROLLID]
                )
            return await session.set_user_info(
                sn,
                data[ATTR_ENROLLID],
                name,
                data[ATTR_BACKUPNUM],
                data[ATTR_RECORD],  # PIN and card go out as numbers unless zero-padded
                admin=data[ATTR_ADMIN],
            )

        return await _run_on_devices(hass, call, "setuserinfo", run)

    async def delete_user(call: ServiceCall) -> ServiceResponse:
        data = call.data

        async def run(session: Session, sn: str) -> dict[str, Any]:
            return await session.delete_user(sn, data[ATTR_ENROLLID], data[ATTR_BACKUPNUM])

        return await _run_on_devices(hass, call, "deleteuser", run)

    async def open_door(call: ServiceCall) -> ServiceResponse:
        doornum = call.data.get(ATTR_DOORNUM)

        async def run(session: Session, sn: str) -> Any:
            return await session.open_door(sn, doornum)

        return await _run_on_devices(hass, call, "opendoor", run)

    async def enable_user(call: ServiceCall) -> ServiceResponse:
        data = call.data

        async def run(session: Session, sn: str) -> Any:
            return await session.enable_user(sn, data[ATTR_ENROLLID], data[ATTR_ENABLED])

        return await _run_on_devices(hass, call, "enableuser", run)

    for name, handler, schema in (
        (SERVICE_SET_USER_INFO, set_user_info, SET_USER_INFO_SCHEMA),
        (SERVICE_DELETE_USER, delete_user, DELETE_USER_SCHEMA),
        (SERVICE_OPEN_DOOR, open_door, OPEN_DOOR_SCHEMA),
        (SERVICE_ENABLE_USER, enable_user, ENABLE_USER_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=SupportsResponse.OPTIONAL
        )


def _known_name(session: Session, sn: str, enrollid: int) -> str:
    """The name stored for ``enrollid`` on ``sn`` (reads the store: run in an executor)."""
    return next(
        (c.name for c in session.store.credentials(sn) if c.enrollid == enrollid and c.name), ""
    )


def _targets(hass: HomeAssistant, device_ids: list[str]) -> list[tuple[Session, str]]:
    """(session, serial number) for every targeted device, or a translated validation error."""
    return [(entry.runtime_data.session, sn) for entry, sn in device_targets(hass, device_ids)]


def device_targets(hass: HomeAssistant, device_ids: list[str]) -> list[tuple[WacConfigEntry, str]]:
    """(loaded entry, serial number) for every device, or a translated validation error."""
    registry = dr.async_get(hass)
    targets = []
    for device_id in device_ids:
        device = registry.async_get(device_id)
        sn = next((i for d, i in device.identifiers if d == DOMAIN), None) if device else None
        entry = next(
            (
                e
                for e in hass.config_entries.async_entries(DOMAIN)
                if device is not None
                and e.entry_id in device.config_entries
                and e.state is ConfigEntryState.LOADED
            ),
            None,
        )
        if device is None or sn is None or entry is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_device",
                translation_placeholders={"device_id": device_id},
            )
        targets.append((entry, sn))
    return targets


async def _run_on_devices(
    hass: HomeAssistant, call: ServiceCall, cmd: str, run: Command
) -> ServiceResponse:
    """Run ``run`` on each targeted terminal in turn; the response maps sn to its reply."""
    replies: dict[str, Any] = {}
    for session, sn in _targets(hass, call.data[ATTR_DEVICE_ID]):
        try:
            result = await run(session, sn)
        except WacError as err:
            raise translate_error(err, sn, cmd) from err
        replies[sn] = result if isinstance(result, dict) else dict(result.reply)
        _LOGGER.debug("terminal %s answered %s", sn, cmd)
    return replies
