"""The diff planner alone: roster vs what a terminal holds -> the steps, rule by rule."""

from __future__ import annotations

from wac_toolkit.roster.model import Held, Op, OpKind, Wanted
from wac_toolkit.roster.planner import plan

SET, DELETE, ENABLE = OpKind.SET, OpKind.DELETE, OpKind.ENABLE


def want(
    enrollid: int, creds: dict[int, str], name: str = "A", admin: int = 0, enabled: bool = True
) -> Wanted:
    return Wanted(enrollid, name, admin, enabled, creds)


def have(
    enrollid: int,
    creds: dict[int, str],
    name: str = "A",
    admin: int = 0,
    enabled: bool | None = None,
) -> Held:
    return Held(enrollid, name, admin, enabled, creds)


def test_new_person_gets_every_credential_in_slot_order() -> None:
    steps = plan({7: want(7, {11: "0004567", 10: "0012"})}, {}, {7})
    assert steps == [Op(SET, 7, 10), Op(SET, 7, 11)]


def test_matching_terminal_needs_nothing() -> None:
    assert plan({7: want(7, {10: "0012"})}, {7: have(7, {10: "0012"})}, {7}) == []


def test_changed_record_is_set_and_leading_zeros_count() -> None:
    steps = plan({7: want(7, {10: "0012"})}, {7: have(7, {10: "12"})}, {7})
    assert steps == [Op(SET, 7, 10)]


def test_credential_dropped_from_roster_is_deleted_from_the_slot() -> None:
    steps = plan({7: want(7, {10: "1"})}, {7: have(7, {10: "1", 11: "99"})}, {7})
    assert steps == [Op(DELETE, 7, 11)]


def test_rename_resends_the_first_credential() -> None:
    steps = plan(
        {7: want(7, {10: "1", 11: "2"}, name="New")},
        {7: have(7, {10: "1", 11: "2"}, name="Old")},
        {7},
    )
    assert steps == [Op(SET, 7, 10)]


def test_admin_change_resends_the_first_credential() -> None:
    steps = plan({7: want(7, {11: "2"}, admin=1)}, {7: have(7, {11: "2"})}, {7})
    assert steps == [Op(SET, 7, 11)]


def test_disabled_person_is_created_then_disabled() -> None:
    steps = plan({7: want(7, {10: "1"}, enabled=False)}, {}, {7})
    assert steps == [Op(SET, 7, 10), Op(ENABLE, 7, None, False)]


def test_reenabling_is_one_step() -> None:
    steps = plan({7: want(7, {10: "1"})}, {7: have(7, {10: "1"}, enabled=False)}, {7})
    assert steps == [Op(ENABLE, 7, None, True)]


def test_known_person_not_wanted_here_is_deleted_whole_and_first() -> None:
    steps = plan({8: want(8, {10: "1"})}, {7: have(7, {10: "5"})}, {7, 8})
    assert steps == [Op(DELETE, 7, 13), Op(SET, 8, 10)]


def test_unknown_person_is_left_alone_unless_pruned() -> None:
    held = {50: have(50, {10: "5"})}
    assert plan({}, held, {7}) == []
    assert plan({}, held, {7}, prune=True) == [Op(DELETE, 50, 13)]


def test_person_without_credentials_cannot_be_held() -> None:
    assert plan({7: want(7, {})}, {}, {7}) == []
    assert plan({7: want(7, {})}, {7: have(7, {10: "1"})}, {7}) == [Op(DELETE, 7, 13)]
