"""wac.add_person / wac.remove_person go through the roster to every terminal, offline ones
when they reconnect; the pending sensor of each terminal shows what is still queued."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.wac.const import DOMAIN
from wac_toolkit import VirtualTerminal

from .conftest import make_entry, until

ALICE = {"enrollid": 7, "name": "Alice", "pin": "0012", "card": "0004567890"}


async def call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


def pending(hass: HomeAssistant, sn: str):
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{sn}_pending_commands")
    assert entity_id is not None
    return hass.states.get(entity_id)


async def go_offline(hass: HomeAssistant, hub, vt: VirtualTerminal) -> None:
    await vt.stop()
    await until(hass, lambda: not hub.states[vt.sn].online)


async def come_back(hass: HomeAssistant, hub, vt: VirtualTerminal) -> None:
    vt.start()
    await until(hass, lambda: hub.states[vt.sn].online)


def fast_retries(hub, max_attempts: int = 2) -> None:
    hub.session.roster.max_attempts = max_attempts
    hub.session.roster.worker.retry_base = 0.01


async def test_add_person_reaches_offline_terminal_when_it_reconnects(
    hass: HomeAssistant, hub, terminal
):
    front, back = await terminal("FRONT"), await terminal("BACK")
    await go_offline(hass, hub, back)
    await until(hass, lambda: pending(hass, "BACK").state == "0")

    response = await call(hass, "add_person", **ALICE)

    # the online terminal holds Alice when the action returns, zeros kept
    assert front.users[7].name == "Alice"
    assert front.users[7].credentials == {10: "0012", 11: "0004567890"}
    assert response["person"] == {
        "enrollid": 7,
        "name": "Alice",
        "admin": 0,
        "enabled": True,
        "pin": True,
        "card": True,
        "terminals": ["all"],
    }
    assert set(response["pending"]) == {"BACK"}
    assert {(s["cmd"], s["backupnum"]) for s in response["pending"]["BACK"]} == {
        ("setuserinfo", 10),
        ("setuserinfo", 11),
    }
    # the offline terminal's sensor counts what waits for it, and is available while offline
    state = pending(hass, "BACK")
    assert state.entity_id.endswith("_back_pending_roster_commands")  # as the README says
    assert state.state == "2"
    assert state.attributes["oldest"] is not None
    assert pending(hass, "FRONT").state == "0"
    assert "0012" not in str(state.attributes) and "0004567890" not in str(response)

    await come_back(hass, hub, back)
    await until(hass, lambda: pending(hass, "BACK").state == "0")
    assert back.users[7].name == "Alice"
    assert back.users[7].credentials == {10: "0012", 11: "0004567890"}


async def test_remove_person_removes_them_everywhere(hass: HomeAssistant, hub, terminal):
    front, back, gate = await terminal("FRONT"), await terminal("BACK"), await terminal("GATE")
    await call(hass, "add_person", **ALICE)
    assert all(7 in vt.users for vt in (front, back, gate))
    await go_offline(hass, hub, gate)

    response = await call(hass, "remove_person", enrollid=7)

    assert 7 not in front.users and 7 not in back.users
    assert response == {
        "enrollid": 7,
        "pending": {
            "GATE": [{"cmd": "deleteuser", "backupnum": 13, "attempts": 0, "last_error": None}]
        },
    }
    assert pending(hass, "GATE").state == "1"
    await come_back(hass, hub, gate)
    await until(hass, lambda: pending(hass, "GATE").state == "0")
    assert 7 not in gate.users
    assert hub.session.roster.person(7) is None


async def test_refusing_terminal_records_the_failure_and_the_others_sync(
    hass: HomeAssistant, hub, terminal
):
    fast_retries(hub)
    good = await terminal("GOOD")
    bad = await terminal("BAD", refuse={"setuserinfo"})

    await call(hass, "add_person", enrollid=8, name="Bob", card="0012345")

    assert good.users[8].credentials == {11: "0012345"}
    await until(hass, lambda: pending(hass, "BAD").attributes.get("last_failure") is not None)
    state = pending(hass, "BAD")
    assert state.state == "0"  # failed for good: out of the queue, into the outcomes
    failure = state.attributes["last_failure"]
    assert failure["cmd"] == "setuserinfo"
    assert failure["enrollid"] == 8
    assert failure["backupnum"] == 11
    assert failure["reason"] == "1"
    assert 8 not in bad.users
    assert pending(hass, "GOOD").attributes["last_failure"] is None

    # a terminal seen for the first time gets Bob too; it refuses, and the sensor shows the
    # command waiting for a retry (the roster plans it in the background, without an event)
    hub.session.roster.max_attempts = 5
    hub.session.roster.worker.retry_base = 600
    new = await terminal("NEW", refuse={"setuserinfo"})
    await until(hass, lambda: pending(hass, "NEW").attributes.get("retrying") == 1)
    state = pending(hass, "NEW")
    assert state.state == "1"
    assert state.attributes["last_error"] == "1"
    assert 8 not in new.users


async def test_group_and_device_targets(hass: HomeAssistant, hub, terminal):
    front, back, gate = await terminal("FRONT"), await terminal("BACK"), await terminal("GATE")
    await hub.session.roster.set_group("front", ["FRONT"])
    gate_device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "GATE")})

    response = await call(
        hass,
        "add_person",
        enrollid=9,
        pin="4711",
        terminals="group:front",
        device_id=gate_device.id,
    )

    assert response["person"]["terminals"] == ["group:front", "GATE"]
    assert 9 in front.users and 9 in gate.users
    assert 9 not in back.users
    assert response["pending"] == {}


async def test_errors_are_translated(hass: HomeAssistant, hub, terminal):
    vt = await terminal("FRONT")
    await call(hass, "add_person", enrollid=7, name="Alice", pin="1234")

    cases = [
        ({"enrollid": 7}, "invalid_person", "Cannot change the roster: enrollid 7 is already in the roster"),
        ({"enrollid": 8, "pin": "12ab"}, "invalid_person", "Cannot change the roster: a PIN must be 1 to 8 digits"),
        ({"enrollid": 8, "card": "A-17"}, "invalid_person", "Cannot change the roster: a card number must be digits"),
        ({"enrollid": 99999999}, "invalid_person", "Cannot change the roster: enrollid 99999999 is out of range (1..999999999999, not 99999999)"),
        ({"enrollid": 8, "terminals": "group:"}, "invalid_person", "Cannot change the roster: group: needs a name"),
        ({"enrollid": 8, "terminals": "group:nowhere"}, "unknown_group", "There is no terminal group named nowhere"),
        ({"enrollid": 8, "device_id": "no-such-device"}, "invalid_device", "Device no-such-device is not a terminal of a loaded WAC entry"),
        ({"enrollid": 8, "config_entry_id": "no-such-entry"}, "invalid_entry", "no-such-entry is not a loaded WAC entry, or not the entry of the chosen terminals"),
    ]  # fmt: skip
    for data, key, message in cases:
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "add_person", **data)
        assert (err.value.translation_key, str(err.value)) == (key, message)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "remove_person", enrollid=8)
    assert err.value.translation_key == "unknown_person"
    assert str(err.value) == "Person 8 is not in the roster"
    assert set(vt.users) == {7}
    assert hub.session.roster.person(8) is None


async def test_no_loaded_entry_is_translated(hass: HomeAssistant, hub):
    assert await hass.config_entries.async_unload(hub.entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "remove_person", enrollid=7)
    assert err.value.translation_key == "no_entry"


async def test_pending_sensor_survives_a_restart(hass: HomeAssistant, hub, terminal):
    """The queue is in the store: after a reload the offline terminal still shows it, and
    gets the person when it comes back."""
    back = await terminal("BACK")
    await go_offline(hass, hub, back)
    await call(hass, "add_person", enrollid=7, pin="1")
    assert pending(hass, "BACK").state == "1"

    assert await hass.config_entries.async_reload(hub.entry.entry_id)
    await hass.async_block_till_done()
    assert pending(hass, "BACK").state == "1"
    restarted = hub.entry.runtime_data
    assert restarted is not hub
    await come_back(hass, restarted, back)
    await until(hass, lambda: pending(hass, "BACK").state == "0")
    assert back.users[7].credentials == {10: 1}


async def test_two_listeners_need_a_choice(hass: HomeAssistant, hub, terminal):
    """With two entries, the entry comes from config_entry_id or from the chosen devices."""
    vt = await terminal("FRONT")
    other = make_entry()
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "add_person", enrollid=7, pin="1")
    assert err.value.translation_key == "several_entries"
    front = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "FRONT")})
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "add_person", enrollid=7, device_id=front.id, config_entry_id=other.entry_id
        )
    assert err.value.translation_key == "invalid_entry"

    await call(hass, "add_person", enrollid=7, pin="1", device_id=front.id)
    assert 7 in vt.users
    await call(hass, "remove_person", enrollid=7, config_entry_id=hub.entry.entry_id)
    assert 7 not in vt.users
    assert other.runtime_data.session.roster.person(7) is None
    assert await hass.config_entries.async_unload(other.entry_id)


async def test_catching_up_writes_few_sensor_states(hass: HomeAssistant, hub, terminal):
    """A terminal catching up on 80 commands: the sensor follows in a few steps, not 80."""
    back = await terminal("BACK")
    await go_offline(hass, hub, back)
    for enrollid in range(100, 140):
        await hub.session.roster.add_person(enrollid, pin=str(enrollid), card=f"{enrollid:010d}")
    await call(hass, "add_person", enrollid=7, pin="0012")  # refreshes the sensor
    assert pending(hass, "BACK").state == "81"
    entity_id = pending(hass, "BACK").entity_id
    seen: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            seen.append(event.data["new_state"].state)
            if event.data["entity_id"] == entity_id
            else None
        ),
    )

    await come_back(hass, hub, back)
    await until(hass, lambda: pending(hass, "BACK").state == "0", timeout=60)

    assert len(back.users) == 41
    assert seen[-1] == "0"
    assert len(seen) < 40  # coalesced reads; one per settled command would be 81
