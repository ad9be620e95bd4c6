"""Actions on people, not terminals: ``wac.add_person`` and ``wac.remove_person``.

Both change the entry's roster (``session.roster``); the roster's durable queue delivers the
change to every terminal the person is on, offline ones included (when they reconnect). The
action waits a little for the online terminals to take it, then answers with the person and
what is still queued for them per terminal.
"""

from __future__ import annotations

import logging
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
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv

from wac_toolkit.errors import WacError
from wac_toolkit.roster import ALL, Roster, Target
from wac_toolkit.roster.model import MAX_ENROLLID

from .const import COMMAND_TIMEOUT, DOMAIN
from .hub import WacConfigEntry, WacHub
from .services import device_targets

__all__ = [
    "ADD_PERSON_SCHEMA",
    "REMOVE_PERSON_SCHEMA",
    "SERVICE_ADD_PERSON",
    "SERVICE_REMOVE_PERSON",
    "async_setup_people_services",
]

_LOGGER = logging.getLogger(__name__)

SERVICE_ADD_PERSON = "add_person"
SERVICE_REMOVE_PERSON = "remove_person"

ATTR_ENROLLID = "enrollid"
ATTR_NAME = "name"
ATTR_PIN = "pin"
ATTR_CARD = "card"
ATTR_ADMIN = "admin"
ATTR_TERMINALS = "terminals"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"

DELIVERY_WAIT = COMMAND_TIMEOUT
"""Seconds an action waits for the online terminals to take the change before answering."""

_ENROLLID = vol.All(vol.Coerce(int), vol.Range(min=1, max=MAX_ENROLLID))
_SECRET = vol.All(cv.string, vol.Strip)  # text, so "0012" keeps its zeros; the roster checks it

ADD_PERSON_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_ENROLLID): _ENROLLID,
        vol.Optional(ATTR_NAME, default=""): vol.All(cv.string, vol.Length(max=24)),
        vol.Optional(ATTR_PIN): _SECRET,
        vol.Optional(ATTR_CARD): _SECRET,
        vol.Optional(ATTR_ADMIN, default=0): vol.All(vol.Coerce(int), vol.In((0, 1, 2))),
        vol.Optional(ATTR_TERMINALS): vol.All(cv.ensure_list, [vol.All(cv.string, vol.Strip)]),
        vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    }
)
REMOVE_PERSON_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_ENROLLID): _ENROLLID,
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    }
)


@callback
def async_setup_people_services(hass: HomeAssistant) -> None:
    """Register the people actions (idempotent)."""
    if hass.services.has_service(DOMAIN, SERVICE_ADD_PERSON):
        return

    async def add_person(call: ServiceCall) -> ServiceResponse:
        data = call.data
        devices = device_targets(hass, data.get(ATTR_DEVICE_ID, []))
        hub = hub_for(hass, data.get(ATTR_CONFIG_ENTRY_ID), {e.entry_id for e, _ in devices})
        targets = [*data.get(ATTR_TERMINALS, []), *(sn for _, sn in devices)] or [ALL]
        await _check_groups(hass, hub.session.roster, targets)
        enrollid = data[ATTR_ENROLLID]
        person = await _change(
            hub,
            enrollid,
            hub.session.roster.add_person(
                enrollid,
                data[ATTR_NAME],
                admin=data[ATTR_ADMIN],
                pin=data.get(ATTR_PIN) or None,
                card=data.get(ATTR_CARD) or None,
                assign=targets,
            ),
        )
        _LOGGER.debug("person %s added to the roster, assigned to %s", enrollid, targets)
        return {"person": person.summary(), "pending": await _settle(hass, hub, enrollid)}

    async def remove_person(call: ServiceCall) -> ServiceResponse:
        enrollid = call.data[ATTR_ENROLLID]
        hub = hub_for(hass, call.data.get(ATTR_CONFIG_ENTRY_ID), set())
        removed = await _change(hub, enrollid, hub.session.roster.remove_person(enrollid))
        if not removed:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_person",
                translation_placeholders={"enrollid": str(enrollid)},
            )
        _LOGGER.debug("person %s removed from the roster", enrollid)
        return {"enrollid": enrollid, "pending": await _settle(hass, hub, enrollid)}

    for name, handler, schema in (
        (SERVICE_ADD_PERSON, add_person, ADD_PERSON_SCHEMA),
        (SERVICE_REMOVE_PERSON, remove_person, REMOVE_PERSON_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=SupportsResponse.OPTIONAL
        )


def hub_for(hass: HomeAssistant, entry_id: str | None, of_devices: set[str]) -> WacHub:
    """The entry to change: the one named, else the targeted devices', else the only one."""
    loaded: dict[str, WacConfigEntry] = {
        e.entry_id: e
        for e in hass.config_entries.async_entries(DOMAIN)
        if e.state is ConfigEntryState.LOADED
    }
    if entry_id is not None:
        if entry_id not in loaded or (of_devices and of_devices != {entry_id}):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_entry",
                translation_placeholders={"entry_id": entry_id},
            )
        return loaded[entry_id].runtime_data
    candidates = of_devices or set(loaded)
    if len(candidates) != 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_entry" if not candidates else "several_entries",
        )
    return loaded[candidates.pop()].runtime_data


async def _check_groups(hass: HomeAssistant, roster: Roster, targets: list[str]) -> None:
    """A misspelt group would assign the person nowhere, silently: refuse it instead."""
    try:
        wanted = {t.name for t in map(Target.parse, targets) if t.kind == "group"}
    except ValueError as err:
        raise _invalid(err) from err
    if not wanted:
        return
    known = await hass.async_add_executor_job(roster.groups)
    for group in sorted(wanted - set(known)):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_group",
            translation_placeholders={"group": group},
        )


async def _change(hub: WacHub, enrollid: int, change: Any) -> Any:
    """Await a roster change; bad input and store failures come back translated."""
    try:
        return await change
    except ValueError as err:
        raise _invalid(err) from err
    except WacError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="roster_failed",
            translation_placeholders={"enrollid": str(enrollid), "error": str(err)},
        ) from err
    finally:
        hub.pending.async_schedule_refresh()


def _invalid(err: ValueError) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="invalid_person",
        translation_placeholders={"error": str(err)},
    )


async def _settle(hass: HomeAssistant, hub: WacHub, enrollid: int) -> dict[str, list[Any]]:
    """Give online terminals a moment to take the change; what is left, per terminal."""
    roster = hub.session.roster
    try:
        await roster.wait_synced(timeout=DELIVERY_WAIT)
    except TimeoutError:
        _LOGGER.debug("roster delivery still running after %s s", DELIVERY_WAIT)
    await hub.pending.async_refresh()
    return await hass.async_add_executor_job(roster.queued_for, enrollid)
