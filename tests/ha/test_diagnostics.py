"""Diagnostics show terminals and users, never a PIN, card, template, photo or MAC."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.wac.const import DOMAIN

from .conftest import until

PIN, CARD, TEMPLATE, PHOTO = "97531", "0086421", "TUlDUk9GUF9URU1QTEFURQ==", "SlBFR19QSE9UT19EQVRB"


async def test_secrets_are_redacted(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry, hub, terminal
):
    vt = await terminal("VT00001")
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "VT00001")})
    for backupnum, record in ((10, PIN), (11, CARD), (0, TEMPLATE)):
        await hass.services.async_call(
            DOMAIN,
            "set_user_info",
            {
                "device_id": device.id,
                "enrollid": 7,
                "name": "Alice",
                "backupnum": backupnum,
                "record": record,
            },
            blocking=True,
        )
    vt.punch(7, hub.session.now_local(), name="Alice", image=PHOTO)
    await vt.wait_flushed()
    await until(hass, lambda: hub.states["VT00001"].last_user is not None)

    for diagnostics in (
        await get_diagnostics_for_config_entry(hass, hass_client, entry),
        await get_diagnostics_for_device(hass, hass_client, entry, device),
    ):
        text = json.dumps(diagnostics)
        for secret in (PIN, CARD, TEMPLATE, PHOTO, "00-01-A9-01-00-01", "Alice"):
            assert secret not in text
        terminal_info = diagnostics["terminals"][0] if "terminals" in diagnostics else diagnostics
        assert terminal_info["sn"] == "VT00001"
        assert terminal_info["info"]["modelname"] == "AI806"
        assert terminal_info["last_user"]["name"] == "**REDACTED**"  # people's names too
        assert terminal_info["last_user"]["enrollid"] == 7
        users = terminal_info["users"]
        assert sorted(u["backupnum"] for u in users) == [0, 10, 11]
        assert {u["record"] for u in users} == {"**REDACTED**"}
        assert terminal_info["roster_queue"]["count"] == 0
        assert terminal_info["quarantined"] == 0
    entry_diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert entry_diagnostics["quarantine"] == {"count": 0}
