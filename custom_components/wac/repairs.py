"""Repair flows: a terminal whose clock is off gets its clock set (``settime``) in one click.

The issue is raised by the hub (``clock_skew`` or ``clock_zone``) from the terminal's ``reg``
time or its records (:mod:`wac_toolkit.clock`). Setting the clock sends the terminals' wall
time now, in the entry's time zone option; when that zone is the wrong one, the fix is the
option, and the issue's text says so.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant import data_entry_flow
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from wac_toolkit.errors import WacError

from .errors import translate_error

__all__ = ["ClockRepairFlow", "async_create_fix_flow"]


class ClockRepairFlow(RepairsFlow):
    """Confirm, then send ``settime`` to the terminal."""

    def __init__(self, entry_id: str, sn: str) -> None:
        self.entry_id = entry_id
        self.sn = sn

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        entry = self.hass.config_entries.async_get_entry(self.entry_id)
        placeholders = {"sn": self.sn}
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        if user_input is None:
            return self.async_show_form(
                step_id="confirm",
                data_schema=vol.Schema({}),
                description_placeholders=placeholders,
            )
        try:
            await entry.runtime_data.async_set_clock(self.sn)
        except WacError as err:
            error = str(translate_error(err, self.sn, "settime"))
            return self.async_abort(
                reason="clock_not_set", description_placeholders={**placeholders, "error": error}
            )
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    if data and issue_id.startswith("clock_"):
        return ClockRepairFlow(str(data["entry_id"]), str(data["sn"]))
    return ConfirmRepairFlow()
