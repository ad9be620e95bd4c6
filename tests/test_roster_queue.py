"""The durable queue on a real SQLite store, step by step (no network needed to show it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from wac_toolkit.roster import queue, tables
from wac_toolkit.roster.model import OpKind, Person, Target
from wac_toolkit.store.sqlite import SQLiteStore


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    store = SQLiteStore(tmp_path / "q.sqlite")
    with store.reader() as connection:
        tables.create(connection)
        queue.create(connection)
        connection.execute("INSERT INTO devices (sn, state) VALUES ('DOOR', 'adopted')")
        yield connection
    store.close()


def person(db: sqlite3.Connection, pin: str) -> None:
    tables.upsert_person(db, Person(enrollid=7, name="Ana", credentials={10: pin}))
    tables.set_assignments(db, 7, [Target("terminal", "DOOR")])


def test_a_change_while_a_step_is_in_flight_is_not_lost(db: sqlite3.Connection) -> None:
    person(db, "1111")
    assert queue.replan(db, "DOOR", 0) == 1
    step, _ = queue.next_due(db, "DOOR", 1, "worker-1")
    assert step is not None and step.op.kind is OpKind.SET

    person(db, "2222")  # changed while the old PIN is on its way
    queue.replan(db, "DOOR", 2)
    assert queue.finish(db, step, ok=True, attempts=1, reason=None, now=3)
    assert [row[2] for row in queue.pending_rows(db)] == ["setuserinfo"]  # sent again
    again, _ = queue.next_due(db, "DOOR", 4, "worker-1")
    assert again is not None and again.id != step.id


def test_replan_keeps_queued_steps_and_drops_unneeded_ones(db: sqlite3.Connection) -> None:
    person(db, "1111")
    queue.replan(db, "DOOR", 0)
    first = queue.pending_rows(db)
    queue.replan(db, "DOOR", 1)
    assert queue.pending_rows(db) == first  # same row, same place, same attempts
    tables.set_assignments(db, 7, [])
    queue.replan(db, "DOOR", 2)  # not wanted and not held: nothing to do
    assert queue.pending_rows(db) == []


def test_an_abandoned_step_is_taken_again(db: sqlite3.Connection) -> None:
    person(db, "1111")
    queue.replan(db, "DOOR", 0)
    step, _ = queue.next_due(db, "DOOR", 1, "old-process")
    assert step is not None  # ... and that process died before the terminal answered
    taken, _ = queue.next_due(db, "DOOR", 2, "new-process")
    assert taken is not None and taken.id == step.id
    queue.release(db, taken)  # the terminal went offline: given back, still first in line
    again, _ = queue.next_due(db, "DOOR", 3, "new-process")
    assert again is not None and again.id == step.id


def test_postponed_step_waits_and_later_steps_go_first(db: sqlite3.Connection) -> None:
    tables.upsert_person(db, Person(enrollid=7, name="Ana", credentials={10: "1", 11: "2"}))
    tables.set_assignments(db, 7, [Target("all")])
    db.execute("INSERT OR IGNORE INTO devices (sn) VALUES ('DOOR')")
    queue.replan(db, "DOOR", 0)
    first, _ = queue.next_due(db, "DOOR", 10, "w")
    assert first is not None and first.op.backupnum == 10
    queue.postpone(db, first, attempts=1, next_at=100, reason="1")
    second, _ = queue.next_due(db, "DOOR", 11, "w")
    assert second is not None and second.op.backupnum == 11
    queue.finish(db, second, ok=True, attempts=1, reason=None, now=12)
    assert queue.next_due(db, "DOOR", 12, "w") == (None, 100)
    due, _ = queue.next_due(db, "DOOR", 100, "w")
    assert due is not None and due.id == first.id and due.attempts == 1
