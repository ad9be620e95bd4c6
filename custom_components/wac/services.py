"""Actions on terminals: write or delete users, enable them, open doors.

Targets are chosen the Home Assistant way (devices, areas, labels, floors; an area means
every wac terminal in it). A call on several terminals runs on all of them and reports each
one's outcome: one unreachable door does not keep the others closed. The response is typed
(``success``, what was done, or a translated ``error``), never a raw protocol frame. Without a
response asked for, a call that failed anywhere raises a translated error naming the
terminals that failed, after the others were done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_AREA_ID,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
)
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.service import async_extract_referenced_entity_ids

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
    "Target",
    "async_setup_services",
    "device_targets",
    "run_on_targets",
    "target_schema",
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

_ENROLLID = vol.All(vol.Coerce(int), vol.Range(min=1, max=99_999_999))


_TARGET_KEYS = (ATTR_DEVICE_ID, ATTR_AREA_ID, ATTR_FLOOR_ID, ATTR_LABEL_ID, ATTR_ENTITY_ID)


def target_schema(fields: dict[Any, Any]) -> vol.Schema:
    """``fields`` plus the standard target keys (device_id, area_id, label_id, floor_id)."""
    return vol.Schema(
        vol.All(
            vol.Schema({**cv.TARGET_SERVICE_FIELDS, **fields}),
            cv.has_at_least_one_key(*_TARGET_KEYS),
        )
    )


SET_USER_INFO_SCHEMA = target_schema(
    {
        vol.Required(ATTR_ENROLLID): _ENROLLID,
        vol.Optional(ATTR_NAME): vol.All(cv.string, vol.Length(max=24)),
        vol.Required(ATTR_BACKUPNUM): vol.All(vol.Coerce(int), vol.In(BACKUPNUMS)),
        vol.Required(ATTR_RECORD): vol.All(cv.string, vol.Length(min=1)),
        vol.Optional(ATTR_ADMIN, default=0): vol.All(vol.Coerce(int), vol.In((0, 1, 2))),
    }
)
DELETE_USER_SCHEMA = target_schema(
    {
        vol.Required(ATTR_ENROLLID): _ENROLLID,
        vol.Optional(ATTR_BACKUPNUM, default=13): vol.All(
            vol.Coerce(int), vol.In(DELETE_BACKUPNUMS)
        ),
    }
)
OPEN_DOOR_SCHEMA = target_schema(
    {vol.Optional(ATTR_DOORNUM): vol.All(vol.Coerce(int), vol.Range(min=1, max=4))}
)
ENABLE_USER_SCHEMA = target_schema(
    {vol.Required(ATTR_ENROLLID): _ENROLLID, vol.Required(ATTR_ENABLED): cv.boolean}
)

Target = tuple[WacConfigEntry, str, str]
"""(loaded entry, serial number, device id) of one targeted terminal."""
Command = Callable[[Session, str], Awaitable[dict[str, Any]]]
"""Does one terminal's part; returns what was done (merged into its outcome)."""


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
            await session.set_user_info(
                sn,
                data[ATTR_ENROLLID],
                str(name),
                data[ATTR_BACKUPNUM],
                data[ATTR_RECORD],  # PIN and card go out as numbers unless zero-padded
                admin=data[ATTR_ADMIN],
            )
            return {ATTR_ENROLLID: data[ATTR_ENROLLID], ATTR_BACKUPNUM: data[ATTR_BACKUPNUM]}

        return await run_on_targets(hass, call, "setuserinfo", run)

    async def delete_user(call: ServiceCall) -> ServiceResponse:
        data = call.data

        async def run(session: Session, sn: str) -> dict[str, Any]:
            await session.delete_user(sn, data[ATTR_ENROLLID], data[ATTR_BACKUPNUM])
            return {ATTR_ENROLLID: data[ATTR_ENROLLID], ATTR_BACKUPNUM: data[ATTR_BACKUPNUM]}

        return await run_on_targets(hass, call, "deleteuser", run)

    async def open_door(call: ServiceCall) -> ServiceResponse:
        doornum = call.data.get(ATTR_DOORNUM)

        async def run(session: Session, sn: str) -> dict[str, Any]:
            await session.open_door(sn, doornum)
            return {ATTR_DOORNUM: doornum}

        return await run_on_targets(hass, call, "opendoor", run)

    async def enable_user(call: ServiceCall) -> ServiceResponse:
        data = call.data

        async def run(session: Session, sn: str) -> dict[str, Any]:
            await session.enable_user(sn, data[ATTR_ENROLLID], data[ATTR_ENABLED])
            return {ATTR_ENROLLID: data[ATTR_ENROLLID], ATTR_ENABLED: data[ATTR_ENABLED]}

        return await run_on_targets(hass, call, "enableuser", run)

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
    return next((c.name for c in session.credentials(sn) if c.enrollid == enrollid and c.name), "")


def _loaded_entry(hass: HomeAssistant, device: dr.DeviceEntry) -> WacConfigEntry | None:
    return next(
        (
            e
            for e in hass.config_entries.async_entries(DOMAIN)
            if e.entry_id in device.config_entries and e.state is ConfigEntryState.LOADED
        ),
        None,
    )


def device_targets(hass: HomeAssistant, device_ids: list[str]) -> list[tuple[WacConfigEntry, str]]:
    """(loaded entry, serial number) for every device, or a translated validation error."""
    return [(entry, sn) for entry, sn, _ in _devices(hass, device_ids, strict=True)]


def _devices(hass: HomeAssistant, device_ids: Any, *, strict: bool) -> list[Target]:
    """Terminals among ``device_ids``; with ``strict`` a device that is not one is an error."""
    registry = dr.async_get(hass)
    targets: list[Target] = []
    for device_id in sorted(device_ids):
        device = registry.async_get(device_id)
        sn = next((i for d, i in device.identifiers if d == DOMAIN), None) if device else None
        entry = _loaded_entry(hass, device) if device is not None and sn is not None else None
        if entry is None or sn is None:
            if strict:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="invalid_device",
                    translation_placeholders={"device_id": device_id},
                )
            continue
        targets.append((entry, sn, device_id))
    return targets


def resolve_targets(hass: HomeAssistant, call: ServiceCall) -> list[Target]:
    """The terminals a call targets: devices named directly must be terminals; entities,
    areas, labels and floors contribute the terminals among their devices."""
    named = set(cv.ensure_list(call.data.get(ATTR_DEVICE_ID) or []))
    selected = async_extract_referenced_entity_ids(hass, call)
    entities = er.async_get(hass)
    of_entities = {
        entry.device_id
        for entity_id in selected.referenced
        if (entry := entities.async_get(entity_id)) is not None and entry.device_id is not None
    }  # an entity of a terminal (its door button, say) stands for the terminal
    targets = _devices(hass, named, strict=True)
    targets += _devices(hass, (selected.referenced_devices | of_entities) - named, strict=False)
    if not targets:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_terminals")
    return targets


async def run_on_targets(
    hass: HomeAssistant, call: ServiceCall, cmd: str, run: Command
) -> ServiceResponse:
    """Run ``run`` on every targeted terminal at once; each one's outcome, keyed by serial.

    Raises the terminal's translated error when every terminal failed, and a
    ``partial_failure`` error when some failed and no response was asked for.
    """
    targets = resolve_targets(hass, call)

    async def one(target: Target) -> tuple[str, dict[str, Any], HomeAssistantError | None]:
        entry, sn, device_id = target
        try:
            done = await run(entry.runtime_data.session, sn)
        except WacError as err:
            error = translate_error(err, sn, cmd)
            outcome = {
                "success": False,
                "device_id": device_id,
                "error": str(error),
                "error_code": error.translation_key,
            }
            return sn, outcome, error
        _LOGGER.debug("terminal %s did %s", sn, cmd)
        return sn, {"success": True, "device_id": device_id, **done}, None

    results = await asyncio.gather(*(one(t) for t in targets))
    failed = [(sn, error) for sn, _, error in results if error is not None]
    if failed and len(failed) == len(results):
        raise failed[0][1]
    if failed and not call.return_response:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="partial_failure",
            translation_placeholders={
                "cmd": cmd,
                "failed": "; ".join(str(error) for _, error in failed),
                "done": ", ".join(sn for sn, _, error in results if error is None),
            },
        )
    return {sn: outcome for sn, outcome, _ in results}
