"""The registry's rules by themselves: no sockets, no store, time passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wac_toolkit import DeviceInfo, TerminalState
from wac_toolkit.bounds import valid_sn
from wac_toolkit.registry import Registry, identity_matches, identity_of

T0 = datetime(2025, 8, 1, 8, 0, tzinfo=UTC)


def reg(sn: str, cpusn: str | None = "CPU1", mac: str | None = "00-01-A9", **devinfo: str):
    info = {"modelname": "AI806", "firmware": "v1", **devinfo}
    if mac is not None:
        info["mac"] = mac
    return DeviceInfo.from_reg({"sn": sn, "cpusn": cpusn, "devinfo": info})


def test_identity_is_cpusn_mac_and_model_with_the_mac_normalised() -> None:
    assert identity_of(reg("A")) == {"cpusn": "CPU1", "mac": "0001a9", "modelname": "AI806"}
    assert identity_of(reg("A", mac="00:01:a9")) == identity_of(reg("A"))
    # firmware is recorded, not compared: an upgrade is not an impostor
    assert identity_of(reg("A", firmware="v2")) == identity_of(reg("A"))


def test_a_missing_pinned_field_does_not_match() -> None:
    pinned = identity_of(reg("A"))
    assert identity_matches(pinned, identity_of(reg("A")))
    assert not identity_matches(pinned, identity_of(reg("A", cpusn=None)))
    assert not identity_matches(pinned, identity_of(reg("A", cpusn="CPU2")))
    assert identity_matches(None, identity_of(reg("A", cpusn="anything")))


def test_new_serials_are_pending_unless_adopt_new() -> None:
    registry = Registry()
    first = registry.admit(reg("A"), "10.0.0.1:1", T0, adopt_new=False)
    assert first.new and first.terminal.state == TerminalState.PENDING
    assert first.terminal.identity is None  # nothing pinned before adoption
    lab = registry.admit(reg("B"), "10.0.0.2:1", T0, adopt_new=True)
    assert lab.terminal.state == TerminalState.ADOPTED and lab.terminal.identity["cpusn"] == "CPU1"


def test_adoption_pins_and_a_different_identity_is_refused_once_per_claim() -> None:
    registry = Registry()
    registry.admit(reg("A"), None, T0, adopt_new=False)
    adopted, before = registry.set_state("A", TerminalState.ADOPTED, T0)
    assert before == TerminalState.PENDING and adopted.identity["cpusn"] == "CPU1"
    refused = registry.admit(reg("A", cpusn="EVIL"), None, T0, adopt_new=False)
    assert refused.reason == "identity mismatch" and refused.first_conflict
    again = registry.admit(reg("A", cpusn="EVIL"), None, T0, adopt_new=False)
    assert again.reason == "identity mismatch" and not again.first_conflict
    assert registry.admit(reg("A"), None, T0, adopt_new=False).reason is None


def test_adopted_ahead_is_pinned_at_first_connection() -> None:
    registry = Registry()
    ahead, before = registry.set_state("LATER", TerminalState.ADOPTED, T0)
    assert before is None and ahead.identity is None and not ahead.online
    registry.admit(reg("LATER", cpusn="C9"), None, T0, adopt_new=False)
    assert registry.get("LATER").identity["cpusn"] == "C9"
    assert registry.admit(reg("LATER", cpusn="C8"), None, T0, adopt_new=False).reason


def test_blocked_is_refused() -> None:
    registry = Registry()
    registry.set_state("A", TerminalState.BLOCKED, T0)
    assert registry.admit(reg("A"), None, T0, adopt_new=True).reason == "terminal blocked"


def test_the_pending_cap_forgets_offline_ones_seen_longest_ago_first() -> None:
    registry = Registry(max_pending=2)
    registry.admit(reg("OLD"), None, T0, adopt_new=False)
    registry.admit(reg("ONLINE"), None, T0 - timedelta(hours=1), adopt_new=False)
    registry.update("OLD", online=False)
    admitted = registry.admit(reg("NEW"), None, T0 + timedelta(minutes=1), adopt_new=False)
    assert admitted.evicted == ("OLD",)  # offline goes first, though ONLINE is older
    assert sorted(t.sn for t in registry.all()) == ["NEW", "ONLINE"]
    registry.set_state("KEEP", TerminalState.ADOPTED, T0)  # adopted ones do not count
    assert registry.pending_count() == 2


def test_serial_numbers() -> None:
    assert valid_sn("AYTI10087654") and valid_sn("x" * 64) and valid_sn("A-1_b.2")
    for bad in ("", "x" * 65, "a b", "tab\t", "é", "\x00", None, 5):
        assert not valid_sn(bad), bad
