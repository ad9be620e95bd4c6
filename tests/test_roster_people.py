"""Roster changes a site makes day to day, checked on real terminals: groups, assignments,
single credentials, CSV round trips, and what the faces read (people, pending counts)."""

from __future__ import annotations

import io

import pytest

from tests.conftest import until
from tests.roster_fleet import held
from wac_toolkit import Session, VirtualTerminal

FP = "FPTEMPLATE" + "0F" * 30


async def synced(session: Session) -> None:
    await until(lambda: session.roster.pending().empty)
    await session.roster.wait_synced()


async def test_groups_and_assignments_move_people_between_doors(session: Session, terminal) -> None:
    a: VirtualTerminal = await terminal("DOOR-A")
    b: VirtualTerminal = await terminal("DOOR-B")
    roster = session.roster
    await roster.set_group("east", ["DOOR-A"])
    await roster.add_person(1, "Ana", pin="0101", assign="group:east")
    await roster.add_person(2, "Ben", pin="0202", assign="DOOR-B")
    await synced(session)
    assert set(a.users) == {1} and set(b.users) == {2}

    await roster.set_group("east", ["DOOR-B"])  # the group moves: Ana follows it
    await synced(session)
    assert set(a.users) == set() and set(b.users) == {1, 2}

    await roster.assign(2, "DOOR-A")
    await roster.unassign(2, "DOOR-B")
    await synced(session)
    assert set(a.users) == {2} and set(b.users) == {1}
    person = roster.person(2)
    assert person is not None and [str(t) for t in person.targets] == ["DOOR-A"]


async def test_single_credentials_come_and_go(session: Session, terminal) -> None:
    door: VirtualTerminal = await terminal("DOOR-C")
    roster = session.roster
    await roster.add_person(5, "Eve", card="0000123")
    await roster.set_credential(5, 0, FP)
    await synced(session)
    assert held(door)[5] == ("Eve", 0, True, {0: FP, 11: "0000123"})

    await roster.remove_credential(5, 11)
    await roster.update_person(5, admin=1)
    await synced(session)
    assert held(door)[5] == ("Eve", 1, True, {0: FP})
    assert roster.pending_counts() == {"DOOR-C": 0}

    frame = roster.people()
    assert list(frame["enrollid"]) == [5]
    assert frame.loc[0, "fingerprints"] == 1 and not frame.loc[0, "card"]
    assert FP not in frame.to_string()


async def test_pending_counts_per_terminal_while_offline(session: Session, terminal) -> None:
    door: VirtualTerminal = await terminal("DOOR-D")
    await door.stop()
    await until(lambda: not session.terminal("DOOR-D").online)  # type: ignore[union-attr]
    await session.roster.add_person(1, "Ana", pin="1", card="2")
    assert session.roster.pending_counts() == {"DOOR-D": 2}
    pending = session.roster.pending("DOOR-D")
    assert list(pending["cmd"]) == ["setuserinfo", "setuserinfo"]
    assert list(pending["backupnum"]) == [10, 11]
    assert (pending["attempts"] == 0).all()


async def test_csv_round_trip_keeps_leading_zeros(session: Session, terminal) -> None:
    door: VirtualTerminal = await terminal("DOOR-E")
    text = (
        "enrollid,name,admin,enabled,pin,card,valid_from,valid_until,assign\n"
        "1,Ana Lima,0,yes,0012,0004567890,2026-01-01,,all\n"
        "2,Ben,1,no,,42,,2026-12-31 18:00:00,DOOR-E\n"
    )
    assert await session.roster.import_csv(text) == 2
    await synced(session)
    assert held(door) == {
        1: ("Ana Lima", 0, True, {10: "0012", 11: "0004567890"}),
        2: ("Ben", 1, False, {11: "42"}),
    }
    out = io.StringIO()
    assert session.roster.export_csv(out) == 2
    assert out.getvalue().splitlines() == [
        "enrollid,name,admin,enabled,pin,card,valid_from,valid_until,assign",
        "1,Ana Lima,0,yes,0012,0004567890,2026-01-01 00:00:00,,all",
        "2,Ben,1,no,,42,,2026-12-31 18:00:00,DOOR-E",
    ]
    # importing the export again changes nothing and queues nothing
    assert await session.roster.import_csv(out.getvalue()) == 2
    assert session.roster.pending().empty


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name\nAna\n", "'enrollid' column"),
        ("enrollid,colour\n1,red\n", "unknown CSV columns: colour"),
        ("enrollid,pin\n1,123456789\n", "line 2: a PIN must be 1 to 8 digits"),
        ("enrollid,enabled\n1,maybe\n", "line 2: enabled must be yes or no"),
        ("enrollid\n1\nx\n", "line 3: enrollid must be a whole number"),
        ("enrollid,valid_from\n1,2026-13-01\n", "line 2: not a date"),
    ],
)
async def test_bad_csv_names_the_line_and_changes_nothing(
    session: Session, text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await session.roster.import_csv(text)
    assert session.roster.people().empty


async def test_validity_window_disables_outside_and_closes_on_time(
    session: Session, terminal
) -> None:
    from datetime import timedelta

    door: VirtualTerminal = await terminal("DOOR-F")
    roster = session.roster
    roster.validity_check = 0.05
    now = session.now_local()  # the terminals' wall time (Europe/Berlin here)
    await roster.add_person(1, "Past", pin="1", valid_until=now - timedelta(days=1))
    await roster.add_person(2, "Future", pin="2", valid_from=now + timedelta(days=1))
    await roster.add_person(3, "Now", pin="3", valid_from=now - timedelta(days=1))
    # Long enough for the sync to finish first on a loaded machine (was 1 s: flaky).
    await roster.add_person(4, "Leaving", pin="4", valid_until=now + timedelta(seconds=5))
    await synced(session)
    enabled = {e: u.enabled for e, u in door.users.items()}
    assert {e: enabled[e] for e in (1, 2, 3)} == {1: False, 2: False, 3: True}
    assert 4 in enabled  # delivered (enabled unless this machine took over 5 s to sync)
    await until(lambda: not door.users[4].enabled)  # the window closed: the sweep disabled her
    assert roster.person(4).enabled  # type: ignore[union-attr]  # the roster flag is unchanged


async def test_a_removed_person_pushed_again_by_a_terminal_stays_removed(
    session: Session, terminal
) -> None:
    door: VirtualTerminal = await terminal("DOOR-G")
    await door.enroll(9, "Keypad Kay", 10, "0909")
    await until(lambda: session.roster.person(9) is not None)  # adopted from the keypad
    await session.roster.remove_person(9)
    await synced(session)
    assert 9 not in door.users
    await door.enroll(9, "Keypad Kay", 10, "0909")  # firmware re-sends an old enrolment
    await synced(session)
    await until(lambda: 9 not in door.users)
    assert session.roster.person(9) is None


async def test_profile_form_disables_where_enableuser_is_not_enough(
    session: Session, terminal
) -> None:
    door: VirtualTerminal = await terminal("DOOR-H")
    session.roster.profile_form = True
    await session.roster.add_person(1, "Ana", card="0042", enabled=False)
    await synced(session)
    assert not door.users[1].enabled
    profile = [f for f in door.received if f["cmd"] == "setuserinfo" and "enable" in f]
    assert [(f["enrollid"], f["enable"]) for f in profile] == [(1, 0)]
