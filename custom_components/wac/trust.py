"""Actions on trust: adopt, block and unblock terminals by serial number.

Pending terminals have no device yet (a device is made once a terminal is trusted), so these
actions take serial numbers; ``block`` also takes device targets. Unblocking forgets the
terminal: when it connects again it is pending, offered for adoption like a new one.
"""

from __future__ import annotations

import logging
from typing import Any

import voluptuous as vol
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .const import DOMAIN
from .people import ATTR_CONFIG_ENTRY_ID, hub_for
from .services import device_targets

__all__ = ["SERVICE_ADOPT", "SERVICE_BLOCK", "SERVICE_UNBLOCK", "async_setup_trust_services"]

_LOGGER = logging.getLogger(__name__)

SERVICE_ADOPT = "adopt"
SERVICE_BLOCK = "block"
SERVICE_UNBLOCK = "unblock"
ATTR_SERIAL_NUMBER = "serial_number"

_SERIALS = vol.All(cv.ensure_list, [vol.All(cv.string, vol.Strip, vol.Length(min=1, max=64))])

SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_SERIAL_NUMBER, default=list): _SERIALS,
        vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    }
)


@callback
def async_setup_trust_services(hass: HomeAssistant) -> None:
    """Register adopt, block and unblock (idempotent)."""
    if hass.services.has_service(DOMAIN, SERVICE_ADOPT):
        return

    async def change(call: ServiceCall) -> ServiceResponse:
        devices = device_targets(hass, call.data.get(ATTR_DEVICE_ID, []))
        hub = hub_for(hass, call.data.get(ATTR_CONFIG_ENTRY_ID), {e.entry_id for e, _ in devices})
        sns = list(dict.fromkeys([*call.data[ATTR_SERIAL_NUMBER], *(sn for _, sn in devices)]))
        if not sns:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_serials")
        session = hub.session
        out: dict[str, Any] = {}
        if call.service == SERVICE_ADOPT:
            for terminal in await session.adopt(*sns):
                out[terminal.sn] = {"state": str(terminal.state), "online": terminal.online}
        elif call.service == SERVICE_BLOCK:
            for terminal in await session.block(*sns):
                out[terminal.sn] = {"state": str(terminal.state), "online": terminal.online}
        else:
            for sn in sns:
                known = session.terminal(sn)
                if known is None or known.state != "blocked":
                    raise ServiceValidationError(
                        translation_domain=DOMAIN,
                        translation_key="not_blocked",
                        translation_placeholders={"sn": sn},
                    )
            await session.forget(*sns)
            out = {sn: {"state": "forgotten", "online": False} for sn in sns}
        _LOGGER.info("%s: %s", call.service, ", ".join(sns))
        return out

    for name in (SERVICE_ADOPT, SERVICE_BLOCK, SERVICE_UNBLOCK):
        hass.services.async_register(
            DOMAIN, name, change, schema=SCHEMA, supports_response=SupportsResponse.OPTIONAL
        )
