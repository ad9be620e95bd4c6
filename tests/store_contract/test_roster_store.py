"""The roster's tables through the Store interface, the same tests on SQLite and PostgreSQL.

Everything the roster keeps goes through ``store.roster_write`` / ``store.roster_read`` and
the typed operations of :class:`~wac_toolkit.store.base.RosterTx`: people, assignments and
groups, the durable queue (take, complete, retry, give back), outcomes, and what happens when
two gateways on one database meet the same step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from wac_toolkit.protocol.models import BackupNum, UserCredential
from wac_toolkit.roster import queue
from wac_toolkit.store.base import PersonRow, QueuedStep, RosterTx

ANA = PersonRow(
    enrollid=7,
    name="Ana",
    admin=1,
    valid_from=datetime(2025, 1, 1, 8, 0),
    credentials={10: "0012", 11: "0004567890"},
)


async def adopted(store: Any, *sns: str) -> None:
    for sn in sns:
        await store.set_device_state(sn, "adopted")


async def add(store: Any, person: PersonRow, *targets: tuple[str, str]) -> None:
    def write(tx: RosterTx) -> None:
        tx.upsert_person(person, "api")
        tx.set_assignments(person.enrollid, targets)

    await store.roster_write(write)


def read(store: Any, fn: Any) -> Any:
    return store.roster_read(fn)


# -- people and assignments ----------------------------------------------------------------


async def test_a_person_reads_back_as_written_and_an_update_replaces_credentials(store):
    await add(store, ANA, ("terminal", "DOOR"), ("all", ""))
    [row] = read(store, lambda tx: tx.people())
    assert row == PersonRow(**{**_fields(ANA), "targets": (("all", ""), ("terminal", "DOOR"))})
    assert read(store, lambda tx: tx.person_source(7)) == "api"

    changed = PersonRow(**{**_fields(ANA), "name": "Ana B", "credentials": {11: "77"}})
    await store.roster_write(lambda tx: tx.upsert_person(changed))  # no source: kept
    [row] = read(store, lambda tx: tx.people([7]))
    assert (row.name, dict(row.credentials)) == ("Ana B", {11: "77"})
    assert read(store, lambda tx: tx.person_source(7)) == "api"
    assert read(store, lambda tx: tx.people([8])) == []


async def test_a_removed_person_is_gone_but_still_known(store):
    await add(store, ANA, ("all", ""))
    assert await store.roster_write(lambda tx: tx.remove_person(7)) is True
    assert await store.roster_write(lambda tx: tx.remove_person(7)) is False
    assert read(store, lambda tx: tx.people()) == []
    assert read(store, lambda tx: tx.known_ids()) == {7}  # terminals holding them are told
    await add(store, ANA)  # added again: current once more, with no targets
    assert [p.targets for p in read(store, lambda tx: tx.people())] == [()]


async def test_one_credential_is_set_and_deleted_alone(store):
    await add(store, ANA)
    await store.roster_write(lambda tx: tx.put_credential(7, 10, "9999"))
    assert await store.roster_write(lambda tx: tx.delete_credential(7, 11)) is True
    assert await store.roster_write(lambda tx: tx.delete_credential(7, 11)) is False
    [row] = read(store, lambda tx: tx.people())
    assert dict(row.credentials) == {10: "9999"}
    assert read(store, lambda tx: tx.credential_records(10)) == [(7, "9999")]


async def test_wanted_follows_assignments_and_groups_on_adopted_terminals_only(store):
    await adopted(store, "FRONT", "BACK")
    await store.set_device_state("ROGUE", "pending")
    await store.roster_write(lambda tx: tx.set_group("doors", ["FRONT", "ROGUE"]))
    await add(store, ANA, ("group", "doors"))
    await add(store, PersonRow(enrollid=8, name="Bo", credentials={11: "8"}), ("terminal", "BACK"))

    assert read(store, lambda tx: tx.groups()) == {"doors": ["FRONT", "ROGUE"]}
    assert set(read(store, lambda tx: tx.wanted("FRONT"))) == {7}
    assert set(read(store, lambda tx: tx.wanted("BACK"))) == {8}
    assert read(store, lambda tx: tx.wanted("ROGUE")) == {}  # pending: wants nobody
    assert read(store, lambda tx: tx.terminals_for(7)) == {"FRONT", "ROGUE"}
    want = read(store, lambda tx: tx.wanted("FRONT", [7], "2024-12-31 23:00:00"))[7]
    assert (want.name, want.admin, want.enabled) == ("Ana", 1, False)  # before valid_from
    assert dict(want.credentials) == {10: "0012", 11: "0004567890"}
    assert read(store, lambda tx: tx.window_crossed("2024-12-31 00:00:00", "2025-01-02")) == [7]


async def test_what_a_terminal_holds_is_replaced_and_its_enabled_flags_forgotten(store):
    await store.save_credential(
        "DOOR", UserCredential(enrollid=5, backupnum=BackupNum.CARD, record="55", name="Old")
    )
    await store.roster_write(lambda tx: tx.mark_enabled("DOOR", 7, False))
    held = [
        UserCredential(enrollid=7, backupnum=BackupNum.PASSWORD, record="0012", name="Ana", admin=1)
    ]
    await store.roster_write(lambda tx: tx.replace_held("DOOR", held))
    [(enrollid, have)] = read(store, lambda tx: tx.held("DOOR")).items()
    assert (enrollid, have.name, have.admin, have.enabled) == (7, "Ana", 1, None)
    assert dict(have.credentials) == {10: "0012"}
    assert read(store, lambda tx: tx.holders(7)) == {"DOOR"}


async def test_bad_input_undoes_only_its_own_writes_and_is_raised_as_it_was(store):
    def write(tx: RosterTx) -> None:
        tx.upsert_person(ANA)
        raise ValueError("enrollid 7 is already in the roster")

    with pytest.raises(ValueError, match="already in the roster"):
        await store.roster_write(write)
    assert read(store, lambda tx: tx.people()) == []
    await add(store, ANA)  # the writer goes on
    assert [p.enrollid for p in read(store, lambda tx: tx.people())] == [7]


async def test_a_generation_marks_which_terminals_were_planned_against_the_roster(store):
    await store.roster_write(lambda tx: tx.mark_planned("DOOR"))
    assert read(store, lambda tx: tx.is_current("DOOR")) is True
    await store.roster_write(lambda tx: tx.bump())  # a change planned everywhere it matters
    assert read(store, lambda tx: tx.is_current("DOOR")) is True
    await store.roster_write(lambda tx: tx.forget_plan("DOOR"))
    assert read(store, lambda tx: (tx.is_current("DOOR"), tx.generation())) == (False, 1)


# -- the queue: take, complete, retry ------------------------------------------------------


async def queue_steps(store: Any, sn: str, *steps: tuple[str, int, int | None, bool | None]):
    await store.roster_write(lambda tx: tx.queue_steps(sn, steps, 1))


async def take(store: Any, sn: str, now: int, token: str) -> tuple[QueuedStep | None, int | None]:
    return await store.roster_write(lambda tx: tx.take_step(sn, now, token))  # type: ignore[no-any-return]


async def test_steps_are_taken_in_order_completed_once_and_kept_as_outcomes(store):
    await queue_steps(store, "DOOR", ("setuserinfo", 7, 10, None), ("enableuser", 7, None, False))
    first, _ = await take(store, "DOOR", 5, "gw-1")
    assert first is not None and (first.kind, first.backupnum, first.attempts) == (
        "setuserinfo", 10, 0,
    )  # fmt: skip
    assert read(store, lambda tx: tx.queued_steps("DOOR")) != []  # the second is waiting
    done = await store.roster_write(
        lambda tx: tx.finish_step(first, ok=True, attempts=1, reason=None, now=6)
    )
    assert done is True
    second, _ = await take(store, "DOOR", 7, "gw-1")
    assert second is not None and (second.kind, second.enabled) == ("enableuser", False)
    await store.roster_write(
        lambda tx: tx.finish_step(second, ok=False, attempts=5, reason="busy", now=8)
    )
    assert await take(store, "DOOR", 9, "gw-1") == (None, None)
    outcomes = read(store, lambda tx: tx.outcome_rows("DOOR"))
    assert [r[2:] for r in outcomes] == [
        ("setuserinfo", 7, 10, None, 1, 1, None, 6), ("enableuser", 7, None, 0, 0, 5, "busy", 8),
    ]  # fmt: skip
    assert [r[2] for r in read(store, lambda tx: tx.outcome_rows(None, 1))] == ["enableuser"]
    assert read(store, lambda tx: tx.pending_rows()) == []


async def test_a_refused_step_waits_while_later_steps_go_first(store):
    await queue_steps(store, "DOOR", ("setuserinfo", 7, 10, None), ("setuserinfo", 7, 11, None))
    first, _ = await take(store, "DOOR", 10, "w")
    assert first is not None
    await store.roster_write(
        lambda tx: tx.postpone_step(first.id, attempts=1, next_at=100, reason="no reply")
    )
    [row, _] = read(store, lambda tx: tx.pending_rows("DOOR"))
    assert (row[6], row[7], row[8]) == (1, 100, "no reply")  # attempts, next_at, last_error
    second, _ = await take(store, "DOOR", 11, "w")
    assert second is not None and second.backupnum == 11
    await store.roster_write(
        lambda tx: tx.finish_step(second, ok=True, attempts=1, reason=None, now=12)
    )
    assert await take(store, "DOOR", 12, "w") == (None, 100)  # when to look again
    assert read(store, lambda tx: tx.due_terminals(12)) == []
    assert read(store, lambda tx: tx.due_terminals(100)) == ["DOOR"]
    again, _ = await take(store, "DOOR", 100, "w")
    assert again is not None and again.id == first.id and again.attempts == 1


async def test_a_step_given_back_or_abandoned_is_taken_again_first(store):
    await queue_steps(store, "DOOR", ("deleteuser", 7, 13, None))
    step, _ = await take(store, "DOOR", 1, "old-process")
    assert step is not None  # ... and that process died before the terminal answered
    taken, _ = await take(store, "DOOR", 2, "new-process")
    assert taken is not None and taken.id == step.id
    await store.roster_write(lambda tx: tx.release_step(taken.id))  # the terminal went away
    again, _ = await take(store, "DOOR", 3, "new-process")
    assert again is not None and again.id == step.id
    assert read(store, lambda tx: tx.queue_counts(["DOOR", "IDLE"])) == {"DOOR": 1, "IDLE": 0}


async def test_a_step_in_flight_is_left_to_its_worker_by_a_replan(store):
    await adopted(store, "DOOR")
    await add(store, PersonRow(enrollid=7, name="Ana", credentials={10: "1111"}), ("all", ""))
    assert await store.roster_write(lambda tx: queue.replan(tx, "DOOR", 0)) == 1
    step, _ = await take(store, "DOOR", 1, "gw-1")
    assert step is not None and step.kind == "setuserinfo"

    await add(store, PersonRow(enrollid=7, name="Ana", credentials={10: "2222"}), ("all", ""))
    await store.roster_write(lambda tx: queue.replan(tx, "DOOR", 2))  # changed meanwhile
    assert read(store, lambda tx: tx.queued_steps("DOOR")) != []  # queued again behind it
    assert await store.roster_write(
        lambda tx: tx.finish_step(step, ok=True, attempts=1, reason=None, now=3)
    )
    again, _ = await take(store, "DOOR", 4, "gw-1")
    assert again is not None and again.id > step.id  # ids are never reused
    await store.roster_write(lambda tx: tx.forget_terminal("DOOR"))  # blocked, say
    assert read(store, lambda tx: tx.queue_counts()) == {"DOOR": 1}  # the one in flight stays


async def test_two_gateways_settle_a_step_once(open_db):
    """Item 7: only the gateway holding a terminal's lease delivers to it; when the lease
    moves (a gateway died mid-step), the new holder takes the abandoned step again, and
    however both end, the step is settled once: one outcome, no second delivery queued."""
    one, two = open_db(), open_db()
    await queue_steps(one, "DOOR", ("setuserinfo", 7, 10, None))
    first, _ = await take(one, "DOOR", 1, "gateway-one")
    moved, _ = await take(two, "DOOR", 2, "gateway-two")  # the lease moved to gateway two
    assert first is not None and moved is not None and moved.id == first.id
    assert await two.roster_write(
        lambda tx: tx.finish_step(moved, ok=True, attempts=1, reason=None, now=3)
    )
    late = await one.roster_write(
        lambda tx: tx.finish_step(first, ok=True, attempts=1, reason=None, now=4)
    )
    assert late is False  # settled already: nothing recorded twice
    assert [r[2:4] for r in read(one, lambda tx: tx.outcome_rows())] == [("setuserinfo", 7)]
    assert await take(one, "DOOR", 5, "gateway-one") == (None, None)
    assert await take(two, "DOOR", 5, "gateway-two") == (None, None)


# -- keypad conflicts ----------------------------------------------------------------------


async def test_roster_conflicts_count_repeats(store):
    for at in (1, 2, 3):
        await store.roster_write(
            lambda tx, at=at: tx.record_conflict("A", 5, 11, "0042", "Eve", at)
        )
    await store.roster_write(lambda tx: tx.record_conflict("A", 6, 11, "0043", None, 4))
    rows = read(store, lambda tx: tx.conflicts())
    assert rows == [
        (rows[0][0], "A", 5, 11, "Eve", 1, 3, 3), (rows[1][0], "A", 6, 11, None, 4, 4, 1),
    ]  # fmt: skip
    assert read(store, lambda tx: tx.is_adopted("A")) is False


def _fields(row: PersonRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in PersonRow.__dataclass_fields__}
