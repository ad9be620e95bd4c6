"""The durable sync queue: steps waiting for a terminal, and the outcome of each one.

A queued row names a step (kind, enrollid, slot), never the secret it carries: the record is
read from the roster when the step is sent, so a photo is stored once however many terminals
need it, and a step always sends the roster's latest value. Rows leave the queue only when
the terminal confirmed the step or it failed for good, so a crash or restart loses nothing.
Ids are never reused (``AUTOINCREMENT``): a step in flight while a re-plan empties and refills
the queue must not settle a newer row that happens to get its id.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from . import tables
from .model import Op, OpKind
from .planner import plan

__all__ = [
    "QUEUE_COLUMNS",
    "OUTCOME_COLUMNS",
    "SCHEMA",
    "Step",
    "counts",
    "create",
    "finish",
    "next_due",
    "outcome_rows",
    "pending_rows",
    "postpone",
    "release",
    "replan",
]

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS roster_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sn TEXT NOT NULL,
        kind TEXT NOT NULL,
        enrollid INTEGER NOT NULL,
        backupnum INTEGER,
        enabled INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        taken TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS roster_queue_order ON roster_queue (sn, id)",
    "CREATE INDEX IF NOT EXISTS roster_queue_person ON roster_queue (enrollid)",
    """CREATE TABLE IF NOT EXISTS roster_outcomes (
        id INTEGER PRIMARY KEY,
        sn TEXT NOT NULL,
        kind TEXT NOT NULL,
        enrollid INTEGER NOT NULL,
        backupnum INTEGER,
        enabled INTEGER,
        ok INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        reason TEXT,
        at INTEGER NOT NULL
    )""",
)

QUEUE_COLUMNS = (
    "id", "sn", "cmd", "enrollid", "backupnum", "enabled", "attempts", "next_at", "last_error",
    "created_at",
)  # fmt: skip
OUTCOME_COLUMNS = (
    "id", "sn", "cmd", "enrollid", "backupnum", "enabled", "ok", "attempts", "reason", "at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Step:
    """A queued step as the worker picks it up."""

    id: int
    sn: str
    op: Op
    attempts: int


def create(db: sqlite3.Connection) -> None:
    if getattr(db, "dialect", "sqlite") != "sqlite":
        return  # PostgreSQL: made by the store's migrations (step 3)
    for statement in SCHEMA:
        db.execute(statement)
    columns = {row[1] for row in db.execute("PRAGMA table_info(roster_queue)")}
    if "taken" not in columns:  # a store made before steps were marked in flight
        db.execute("ALTER TABLE roster_queue ADD COLUMN taken TEXT")


def replan(
    db: sqlite3.Connection,
    sn: str,
    now: int,
    enrollids: Collection[int] | None = None,
    *,
    prune: bool = False,
    known: Collection[int] | None = None,
    local_now: str | None = None,
) -> int:
    """Make the queue of ``sn`` (for ``enrollids``, or everyone) match the plan.

    ``known`` (every enrollid the roster knows) may be passed in when replanning many
    terminals in one transaction; ``local_now`` applies validity windows (see
    :func:`.tables.wanted`). Steps already queued and still needed keep their place and
    attempt count; steps no longer needed are dropped. A step in flight (``taken``) is left to
    its worker and never counts as queued: it carries the roster as it was when it was taken,
    so a step still needed is queued again behind it. Returns how many steps the plan has.
    """
    if not tables.is_adopted(db, sn):  # pending, blocked or never seen: nothing for it
        tables.forget_terminal(db, sn)  # and adopting it later plans it in full
        return 0
    if enrollids is None:
        tables.mark_planned(db, sn)
    wanted = tables.wanted(db, sn, enrollids, local_now)
    held = tables.held(db, sn, enrollids)
    if known is None:
        known = tables.known_ids(db)
    steps = plan(wanted, held, known, prune=prune)
    where, args = _scope(sn, enrollids)
    existing: dict[tuple[object, ...], list[int]] = {}
    for row in db.execute(
        "SELECT id, kind, enrollid, backupnum, enabled FROM roster_queue"
        f" WHERE {where} AND taken IS NULL ORDER BY id",
        args,
    ):
        existing.setdefault(_key(row[1:]), []).append(row[0])
    keep = {_key((s.kind.value, s.enrollid, s.backupnum, s.enabled)) for s in steps}
    stale = [i for key, ids in existing.items() for i in (ids if key not in keep else ids[1:])]
    db.executemany("DELETE FROM roster_queue WHERE id = ?", [(i,) for i in stale])
    db.executemany(
        "INSERT INTO roster_queue (sn, kind, enrollid, backupnum, enabled, created_at)"
        " VALUES (?,?,?,?,?,?)",
        [
            (sn, s.kind.value, s.enrollid, s.backupnum, _flag(s.enabled), now)
            for s in steps
            if _key((s.kind.value, s.enrollid, s.backupnum, s.enabled)) not in existing
        ],
    )
    return len(steps)


def next_due(
    db: sqlite3.Connection, sn: str, now: int, token: str
) -> tuple[Step | None, int | None]:
    """Take the oldest due step of ``sn`` for the worker ``token``, or say when the next one is.

    The caller has nothing of ``sn`` in flight, so a step already marked taken was abandoned
    (its connection dropped, the store failed, the gateway restarted) and is taken again.
    """
    row = db.execute(
        "SELECT id, kind, enrollid, backupnum, enabled, attempts FROM roster_queue"
        " WHERE sn = ? AND next_at <= ? ORDER BY id LIMIT 1",
        (sn, now),
    ).fetchone()
    if row is not None:
        row_id, kind, enrollid, backupnum, enabled, attempts = row
        db.execute("UPDATE roster_queue SET taken = ? WHERE id = ?", (token, row_id))
        op = Op(OpKind(kind), enrollid, backupnum, None if enabled is None else bool(enabled))
        return Step(row_id, sn, op, attempts), None
    later = db.execute("SELECT min(next_at) FROM roster_queue WHERE sn = ?", (sn,)).fetchone()
    return None, later[0]


def release(db: sqlite3.Connection, step: Step) -> None:
    """Give a taken step back (its terminal went away before answering)."""
    db.execute("UPDATE roster_queue SET taken = NULL WHERE id = ?", (step.id,))


def finish(
    db: sqlite3.Connection, step: Step, *, ok: bool, attempts: int, reason: str | None, now: int
) -> bool:
    """Move a step from the queue to the outcomes; False if a replan already dropped it."""
    cursor = db.execute("DELETE FROM roster_queue WHERE id = ?", (step.id,))
    op = step.op
    db.execute(
        "INSERT INTO roster_outcomes (sn, kind, enrollid, backupnum, enabled, ok, attempts,"
        " reason, at) VALUES (?,?,?,?,?,?,?,?,?)",
        (step.sn, op.kind.value, op.enrollid, op.backupnum, _flag(op.enabled), int(ok),
         attempts, reason, now),
    )  # fmt: skip
    return cursor.rowcount > 0


def postpone(
    db: sqlite3.Connection, step: Step, *, attempts: int, next_at: int, reason: str
) -> None:
    db.execute(
        "UPDATE roster_queue SET attempts = ?, next_at = ?, last_error = ?, taken = NULL"
        " WHERE id = ?",
        (attempts, next_at, reason, step.id),
    )


def pending_rows(db: sqlite3.Connection, sn: str | None = None) -> list[tuple[object, ...]]:
    where, args = ("WHERE sn = ?", [sn]) if sn is not None else ("", [])
    return db.execute(
        "SELECT id, sn, kind, enrollid, backupnum, enabled, attempts, next_at, last_error,"
        f" created_at FROM roster_queue {where} ORDER BY sn, id",
        args,
    ).fetchall()


def outcome_rows(
    db: sqlite3.Connection, sn: str | None = None, limit: int | None = None
) -> list[tuple[object, ...]]:
    where, args = ("WHERE sn = ?", [sn]) if sn is not None else ("", [])
    tail = f" LIMIT {int(limit)}" if limit is not None else ""
    rows = db.execute(
        "SELECT id, sn, kind, enrollid, backupnum, enabled, ok, attempts, reason, at"
        f" FROM roster_outcomes {where} ORDER BY id DESC{tail}",
        args,
    ).fetchall()
    rows.reverse()
    return rows


def counts(db: sqlite3.Connection, sns: Iterable[str] = ()) -> dict[str, int]:
    """Queued steps per terminal (0 for the ``sns`` given and not queued)."""
    out = dict.fromkeys(sns, 0)
    out.update(db.execute("SELECT sn, count(*) FROM roster_queue GROUP BY sn").fetchall())
    return out


def _scope(sn: str, enrollids: Collection[int] | None) -> tuple[str, list[object]]:
    if enrollids is None:
        return "sn = ?", [sn]
    ids = [int(e) for e in enrollids]
    return f"sn = ? AND enrollid IN ({','.join('?' * len(ids)) or 'NULL'})", [sn, *ids]


def _key(row: Iterable[object]) -> tuple[object, ...]:
    kind, enrollid, backupnum, enabled = row
    return (kind, enrollid, backupnum, None if enabled is None else bool(enabled))


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)
