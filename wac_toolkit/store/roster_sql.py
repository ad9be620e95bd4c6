"""The roster's tables: the one SQL text both stores run, behind :class:`~.base.RosterTx`.

The statements are the dialect SQLite and PostgreSQL share (``ON CONFLICT``, no ``OR
REPLACE``, ``?`` placeholders that the PostgreSQL store's connections translate), so each is
written once and :mod:`.sqlite` and :mod:`.postgres` differ only in the connection they hand
over (:func:`read`, :func:`write`). The tables are made by the numbered migrations (steps 3, 8
and 9). The roster itself (:mod:`wac_toolkit.roster`) holds no SQL: it plans with the pure
planner and calls the typed operations here inside one transaction.

``credentials`` (what each terminal is known to hold) is the store's own, kept up to date by
every ``setuserinfo``/``deleteuser``/``senduser``. A removed person stays as a row with
``removed = 1`` so that the terminals still holding them can be told to forget them. Queue ids
are never reused: a step in flight while a re-plan empties and refills the queue must not
settle a newer row that happens to get its id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..errors import StoreError
from ..protocol.models import BackupNum
from .base import Held, PersonRow, QueuedStep, RosterTx, Wanted

__all__ = ["ROSTER_CHANNEL", "RosterSQL", "read", "write"]

ROSTER_CHANNEL = "wac_roster"
"""PostgreSQL NOTIFY channel on which queued steps wake the gateway holding their terminal
(payload: the serial number), so a change made anywhere (``wac roster --db postgresql://``,
another gateway, a notebook) is delivered at once rather than at the next queue poll."""

T = TypeVar("T")

ALL = "all"
_TIME = "%Y-%m-%d %H:%M:%S"


def read(
    reader: Callable[[], contextlib.AbstractContextManager[Any]],
    fn: Callable[[RosterTx], T],
    errors: tuple[type[Exception], ...],
) -> T:
    """``fn`` on a read connection of the store (``store.reader``); the driver's ``errors``
    become :class:`~wac_toolkit.errors.StoreError`, as every store failure does, so callers
    handle one error whichever store they run on."""
    try:
        with reader() as db:
            return fn(RosterSQL(db))
    except errors as exc:
        raise StoreError(f"store unavailable: {exc}") from exc


async def write(
    run_write: Callable[[Callable[[Any], Any]], Awaitable[Any]],
    fn: Callable[[RosterTx], T],
    tx: Callable[[Any], RosterSQL] | None = None,
) -> T:
    """``fn`` in the store's next write transaction, in a savepoint of its own.

    ``ValueError``/``KeyError`` from ``fn`` are the roster's "bad input, unknown person": only
    ``fn``'s writes are undone and the same exception reaches the caller (the stores turn any
    other exception of a job into a :class:`~wac_toolkit.errors.StoreError`). ``tx`` makes
    the transaction object (a store's own flavour of :class:`RosterSQL`).
    """
    make = tx or RosterSQL

    def job(db: Any) -> tuple[bool, Any]:
        db.execute("SAVEPOINT roster_change")
        try:
            result = fn(make(db))
        except (ValueError, KeyError) as exc:
            db.execute("ROLLBACK TO roster_change")
            db.execute("RELEASE roster_change")
            return False, exc
        db.execute("RELEASE roster_change")
        return True, result

    ok, value = await run_write(job)
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


class RosterSQL:
    """:class:`~.base.RosterTx` on a DB-API connection taking ``?`` placeholders."""

    def __init__(self, db: Any) -> None:
        self.db = db

    # -- people -------------------------------------------------------------------------------

    def people(self, enrollids: Collection[int] | None = None) -> list[PersonRow]:
        where, args = _ids("enrollid", enrollids)
        db = self.db
        rows = db.execute(
            "SELECT enrollid, name, admin, enabled, valid_from, valid_until FROM roster_people"
            f" WHERE removed = 0{where} ORDER BY enrollid",
            args,
        ).fetchall()
        creds: dict[int, dict[int, str]] = {}
        for enrollid, slot, record in db.execute(
            f"SELECT enrollid, backupnum, record FROM roster_credentials WHERE 1 = 1{where}", args
        ):
            creds.setdefault(enrollid, {})[slot] = record
        targets: dict[int, list[tuple[str, str]]] = {}
        for enrollid, kind, name in db.execute(
            "SELECT enrollid, kind, name FROM roster_assignments"
            f" WHERE 1 = 1{where} ORDER BY kind, name",
            args,
        ):
            targets.setdefault(enrollid, []).append((kind, name))
        return [
            PersonRow(
                enrollid=enrollid,
                name=name,
                admin=admin,
                enabled=bool(enabled),
                valid_from=_parse(valid_from),
                valid_until=_parse(valid_until),
                credentials=dict(sorted(creds.get(enrollid, {}).items())),
                targets=tuple(targets.get(enrollid, ())),
            )
            for enrollid, name, admin, enabled, valid_from, valid_until in rows
        ]

    def person_source(self, enrollid: int) -> str | None:
        row = self.db.execute(
            "SELECT source FROM roster_people WHERE enrollid = ?", (enrollid,)
        ).fetchone()
        return None if row is None else row[0]

    def known_ids(self) -> set[int]:
        return {row[0] for row in self.db.execute("SELECT enrollid FROM roster_people")}

    def upsert_person(self, person: PersonRow, source: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO roster_people (enrollid, name, admin, enabled, valid_from, valid_until,"
            " removed, source) VALUES (?,?,?,?,?,?,0,?) ON CONFLICT (enrollid) DO UPDATE SET"
            " name=excluded.name, admin=excluded.admin, enabled=excluded.enabled,"
            " valid_from=excluded.valid_from, valid_until=excluded.valid_until, removed=0,"
            " source=coalesce(excluded.source, roster_people.source)",
            (
                person.enrollid, person.name, person.admin, int(person.enabled),
                _time(person.valid_from), _time(person.valid_until), source,
            ),
        )  # fmt: skip
        self.db.execute("DELETE FROM roster_credentials WHERE enrollid = ?", (person.enrollid,))
        self.db.executemany(
            "INSERT INTO roster_credentials (enrollid, backupnum, record) VALUES (?,?,?)",
            [(person.enrollid, int(slot), record) for slot, record in person.credentials.items()],
        )

    def remove_person(self, enrollid: int) -> bool:
        cursor = self.db.execute(
            "UPDATE roster_people SET removed = 1 WHERE enrollid = ? AND removed = 0", (enrollid,)
        )
        self.db.execute("DELETE FROM roster_credentials WHERE enrollid = ?", (enrollid,))
        self.db.execute("DELETE FROM roster_assignments WHERE enrollid = ?", (enrollid,))
        return bool(cursor.rowcount > 0)

    def put_credential(self, enrollid: int, backupnum: int, record: str) -> None:
        self.db.execute(
            "INSERT INTO roster_credentials (enrollid, backupnum, record) VALUES (?,?,?)"
            " ON CONFLICT (enrollid, backupnum) DO UPDATE SET record = excluded.record",
            (enrollid, backupnum, record),
        )

    def delete_credential(self, enrollid: int, backupnum: int) -> bool:
        cursor = self.db.execute(
            "DELETE FROM roster_credentials WHERE enrollid = ? AND backupnum = ?",
            (enrollid, backupnum),
        )
        return bool(cursor.rowcount > 0)

    def set_assignments(self, enrollid: int, targets: Iterable[tuple[str, str]]) -> None:
        self.db.execute("DELETE FROM roster_assignments WHERE enrollid = ?", (enrollid,))
        self.db.executemany(
            "INSERT INTO roster_assignments (enrollid, kind, name) VALUES (?,?,?)"
            " ON CONFLICT DO NOTHING",
            [(enrollid, kind, name) for kind, name in targets],
        )

    def credential_records(self, backupnum: int) -> list[tuple[int, str]]:
        rows = self.db.execute(
            "SELECT c.enrollid, c.record FROM roster_credentials c JOIN roster_people p"
            " ON p.enrollid = c.enrollid WHERE c.backupnum = ? AND p.removed = 0",
            (backupnum,),
        ).fetchall()
        return [(enrollid, record) for enrollid, record in rows]

    def window_crossed(self, since: str, until: str) -> list[int]:
        rows = self.db.execute(
            "SELECT enrollid FROM roster_people WHERE removed = 0 AND ((valid_from > ? AND"
            " valid_from <= ?) OR (valid_until > ? AND valid_until <= ?))",
            (since, until, since, until),
        )
        return [row[0] for row in rows]

    # -- groups and terminals -----------------------------------------------------------------

    def set_group(self, name: str, sns: Iterable[str]) -> None:
        self.db.execute("DELETE FROM roster_groups WHERE name = ?", (name,))
        self.db.executemany(
            "INSERT INTO roster_groups (name, sn) VALUES (?,?) ON CONFLICT DO NOTHING",
            [(name, sn) for sn in sns],
        )

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, sn in self.db.execute("SELECT name, sn FROM roster_groups ORDER BY name, sn"):
            out.setdefault(name, []).append(sn)
        return out

    def group_members(self, name: str) -> list[str]:
        rows = self.db.execute("SELECT sn FROM roster_groups WHERE name = ?", (name,))
        return [r[0] for r in rows]

    def is_adopted(self, sn: str) -> bool:
        """Only adopted terminals are planned for: a pending or blocked serial (or one never
        seen) gets no credentials and no steps, whatever its assignments say."""
        row = self.db.execute("SELECT state FROM devices WHERE sn = ?", (sn,)).fetchone()
        return row is not None and row[0] == "adopted"

    def terminals(self) -> list[str]:
        rows = self.db.execute(
            "SELECT sn FROM devices WHERE state = 'adopted' UNION SELECT sn FROM roster_groups"
            " UNION SELECT name FROM roster_assignments WHERE kind = 'terminal'"
            " UNION SELECT DISTINCT sn FROM credentials ORDER BY 1"
        )
        return [r[0] for r in rows]

    def terminals_for(self, enrollid: int) -> set[str]:
        sns: set[str] = set()
        for kind, name in self.db.execute(
            "SELECT kind, name FROM roster_assignments WHERE enrollid = ?", (enrollid,)
        ).fetchall():
            if kind == ALL:
                return set(self.terminals())
            if kind == "group":
                sns.update(self.group_members(name))
            else:
                sns.add(name)
        return sns

    def holders(self, enrollid: int) -> set[str]:
        rows = self.db.execute("SELECT sn FROM credentials WHERE enrollid = ?", (enrollid,))
        return {r[0] for r in rows}

    # -- what each terminal should hold and holds ---------------------------------------------

    def wanted(
        self, sn: str, enrollids: Collection[int] | None = None, local_now: str | None = None
    ) -> dict[int, Wanted]:
        if not self.is_adopted(sn):
            return {}
        where, args = _ids("p.enrollid", enrollids)
        enabled, window = "p.enabled <> 0", []
        if local_now is not None:
            enabled = (
                "(p.enabled <> 0 AND (p.valid_from IS NULL OR p.valid_from <= ?)"
                " AND (p.valid_until IS NULL OR p.valid_until > ?))"
            )
            window = [local_now, local_now]
        rows = self.db.execute(
            f"SELECT p.enrollid, p.name, p.admin, {enabled} FROM roster_people p"
            " WHERE p.removed = 0 AND EXISTS (SELECT 1 FROM roster_assignments a WHERE"
            " a.enrollid = p.enrollid AND (a.kind = 'all' OR (a.kind = 'terminal' AND"
            " a.name = ?) OR (a.kind = 'group' AND a.name IN (SELECT name FROM roster_groups"
            " WHERE sn = ?))))" + where,
            [*window, sn, sn, *args],
        ).fetchall()
        creds: dict[int, dict[int, str]] = {}
        where, args = _ids("enrollid", [r[0] for r in rows] if enrollids is not None else None)
        for enrollid, slot, record in self.db.execute(
            f"SELECT enrollid, backupnum, record FROM roster_credentials WHERE 1 = 1{where}", args
        ):
            creds.setdefault(enrollid, {})[slot] = record
        return {
            enrollid: Wanted(enrollid, name, admin, bool(enabled), creds.get(enrollid, {}))
            for enrollid, name, admin, enabled in rows
        }

    def held(self, sn: str, enrollids: Collection[int] | None = None) -> dict[int, Held]:
        where, args = _ids("enrollid", enrollids)
        users: dict[int, tuple[str | None, int | None, dict[int, str]]] = {}
        for enrollid, slot, name, admin, record in self.db.execute(
            "SELECT enrollid, backupnum, name, admin, record FROM credentials"
            f" WHERE sn = ?{where} ORDER BY enrollid, backupnum",
            [sn, *args],
        ):
            user = users.setdefault(enrollid, (name, admin, {}))
            user[2][slot] = "" if record is None else record.strip()
        flags = dict(
            self.db.execute(
                f"SELECT enrollid, enabled FROM roster_enabled WHERE sn = ?{where}", [sn, *args]
            ).fetchall()
        )
        return {
            enrollid: Held(
                enrollid, name, admin, None if enrollid not in flags else bool(flags[enrollid]),
                creds,
            )
            for enrollid, (name, admin, creds) in users.items()
        }  # fmt: skip

    def replace_held(self, sn: str, credentials: Sequence[Any]) -> None:
        at = int(datetime.now(UTC).timestamp() * 1_000_000)
        self.db.execute("DELETE FROM credentials WHERE sn = ?", (sn,))
        self.db.executemany(
            "INSERT INTO credentials (sn, enrollid, backupnum, name, admin, record,"
            " record_is_number, updated_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (sn, enrollid,"
            " backupnum) DO UPDATE SET name = excluded.name, admin = excluded.admin,"
            " record = excluded.record, record_is_number = excluded.record_is_number,"
            " updated_at = excluded.updated_at",
            [
                (sn, c.enrollid, int(c.backupnum), c.name, c.admin,
                 None if c.record is None else str(c.record), int(isinstance(c.record, int)), at)
                for c in credentials
                if c.backupnum not in (BackupNum.ALL, BackupNum.ALL_FINGERPRINTS)
            ],
        )  # fmt: skip
        # getuserinfo does not report the enabled flag: forget what we believed, so the planner
        # sends ``enableuser 0`` again to everyone who should be disabled.
        self.forget_enabled(sn)

    def mark_enabled(self, sn: str, enrollid: int, enabled: bool) -> None:
        self.db.execute(
            "INSERT INTO roster_enabled (sn, enrollid, enabled) VALUES (?,?,?)"
            " ON CONFLICT (sn, enrollid) DO UPDATE SET enabled = excluded.enabled",
            (sn, enrollid, int(enabled)),
        )

    def mark_held_user(self, sn: str, enrollid: int, name: str, admin: int) -> None:
        self.db.execute(
            "UPDATE credentials SET name = ?, admin = ? WHERE sn = ? AND enrollid = ?",
            (name, admin, sn, enrollid),
        )

    def forget_held_user(self, sn: str, enrollid: int) -> None:
        self.forget_enabled(sn, enrollid)

    def forget_enabled(self, sn: str, enrollid: int | None = None) -> None:
        if enrollid is None:
            self.db.execute("DELETE FROM roster_enabled WHERE sn = ?", (sn,))
        else:
            self.db.execute(
                "DELETE FROM roster_enabled WHERE sn = ? AND enrollid = ?", (sn, int(enrollid))
            )

    # -- generations --------------------------------------------------------------------------

    def generation(self) -> int:
        row = self.db.execute("SELECT value FROM roster_meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def bump(self) -> int:
        old = self.generation()
        self.db.execute(
            "INSERT INTO roster_meta (key, value) VALUES ('generation', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (old + 1,),
        )
        self.db.execute(
            "UPDATE roster_planned SET generation = ? WHERE generation = ?", (old + 1, old)
        )
        return old + 1

    def mark_planned(self, sn: str) -> None:
        self.db.execute(
            "INSERT INTO roster_planned (sn, generation) VALUES (?, ?)"
            " ON CONFLICT (sn) DO UPDATE SET generation = excluded.generation",
            (sn, self.generation()),
        )

    def is_current(self, sn: str) -> bool:
        row = self.db.execute(
            "SELECT generation FROM roster_planned WHERE sn = ?", (sn,)
        ).fetchone()
        return row is not None and int(row[0]) == self.generation()

    def forget_plan(self, sn: str) -> None:
        self.db.execute("DELETE FROM roster_planned WHERE sn = ?", (sn,))

    def forget_terminal(self, sn: str) -> None:
        self.db.execute("DELETE FROM roster_queue WHERE sn = ? AND taken IS NULL", (sn,))
        self.forget_plan(sn)

    # -- keypad conflicts ---------------------------------------------------------------------

    def record_conflict(
        self, sn: str, enrollid: int, backupnum: int, record: str, name: str | None, at: int
    ) -> None:
        self.db.execute(
            "INSERT INTO roster_conflicts (sn, enrollid, backupnum, record, name, first_at,"
            " last_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (sn, enrollid, backupnum, record)"
            " DO UPDATE SET last_at = excluded.last_at, count = roster_conflicts.count + 1",
            (sn, enrollid, backupnum, record, name, at, at),
        )

    def conflicts(self) -> list[tuple[Any, ...]]:
        rows = self.db.execute(
            "SELECT id, sn, enrollid, backupnum, name, first_at, last_at, count"
            " FROM roster_conflicts ORDER BY id"
        ).fetchall()
        return [tuple(row) for row in rows]

    # -- the queue and the outcomes -----------------------------------------------------------

    def queued_steps(self, sn: str, enrollids: Collection[int] | None = None) -> list[QueuedStep]:
        where, args = _ids("enrollid", enrollids)
        rows = self.db.execute(
            "SELECT id, sn, kind, enrollid, backupnum, enabled, attempts FROM roster_queue"
            f" WHERE sn = ?{where} AND taken IS NULL ORDER BY id",
            [sn, *args],
        ).fetchall()
        return [_step(row) for row in rows]

    def queued_terminals(self, enrollid: int | None = None) -> set[str]:
        if enrollid is None:
            rows = self.db.execute("SELECT DISTINCT sn FROM roster_queue")
        else:
            rows = self.db.execute(
                "SELECT DISTINCT sn FROM roster_queue WHERE enrollid = ?", (enrollid,)
            )
        return {r[0] for r in rows}

    def queue_steps(
        self, sn: str, steps: Iterable[tuple[str, int, int | None, bool | None]], now: int
    ) -> None:
        self.db.executemany(
            "INSERT INTO roster_queue (sn, kind, enrollid, backupnum, enabled, created_at)"
            " VALUES (?,?,?,?,?,?)",
            [(sn, kind, enrollid, backupnum, _flag(enabled), now)
             for kind, enrollid, backupnum, enabled in steps],
        )  # fmt: skip

    def drop_steps(self, ids: Iterable[int]) -> None:
        self.db.executemany("DELETE FROM roster_queue WHERE id = ?", [(i,) for i in ids])

    def take_step(self, sn: str, now: int, token: str) -> tuple[QueuedStep | None, int | None]:
        row = self.db.execute(
            "SELECT id, sn, kind, enrollid, backupnum, enabled, attempts FROM roster_queue"
            " WHERE sn = ? AND next_at <= ? ORDER BY id LIMIT 1",
            (sn, now),
        ).fetchone()
        if row is not None:
            self.db.execute("UPDATE roster_queue SET taken = ? WHERE id = ?", (token, row[0]))
            return _step(row), None
        later = self.db.execute(
            "SELECT min(next_at) FROM roster_queue WHERE sn = ?", (sn,)
        ).fetchone()
        return None, later[0]

    def release_step(self, step_id: int) -> None:
        self.db.execute("UPDATE roster_queue SET taken = NULL WHERE id = ?", (step_id,))

    def postpone_step(self, step_id: int, *, attempts: int, next_at: int, reason: str) -> None:
        self.db.execute(
            "UPDATE roster_queue SET attempts = ?, next_at = ?, last_error = ?, taken = NULL"
            " WHERE id = ?",
            (attempts, next_at, reason, step_id),
        )

    def finish_step(
        self, step: QueuedStep, *, ok: bool, attempts: int, reason: str | None, now: int
    ) -> bool:
        cursor = self.db.execute("DELETE FROM roster_queue WHERE id = ?", (step.id,))
        if not cursor.rowcount:
            return False  # settled already (another gateway) or dropped: one outcome per step
        self.db.execute(
            "INSERT INTO roster_outcomes (sn, kind, enrollid, backupnum, enabled, ok, attempts,"
            " reason, at) VALUES (?,?,?,?,?,?,?,?,?)",
            (step.sn, step.kind, step.enrollid, step.backupnum, _flag(step.enabled), int(ok),
             attempts, reason, now),
        )  # fmt: skip
        return True

    def pending_rows(self, sn: str | None = None) -> list[tuple[Any, ...]]:
        where, args = ("WHERE sn = ?", [sn]) if sn is not None else ("", [])
        rows = self.db.execute(
            "SELECT id, sn, kind, enrollid, backupnum, enabled, attempts, next_at, last_error,"
            f" created_at FROM roster_queue {where} ORDER BY sn, id",
            args,
        ).fetchall()
        return [tuple(row) for row in rows]

    def outcome_rows(
        self, sn: str | None = None, limit: int | None = None
    ) -> list[tuple[Any, ...]]:
        where, args = ("WHERE sn = ?", [sn]) if sn is not None else ("", [])
        tail = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = self.db.execute(
            "SELECT id, sn, kind, enrollid, backupnum, enabled, ok, attempts, reason, at"
            f" FROM roster_outcomes {where} ORDER BY id DESC{tail}",
            args,
        ).fetchall()
        return [tuple(row) for row in reversed(rows)]

    def queue_counts(self, sns: Iterable[str] = ()) -> dict[str, int]:
        out = dict.fromkeys(sns, 0)
        for sn, count in self.db.execute("SELECT sn, count(*) FROM roster_queue GROUP BY sn"):
            out[sn] = int(count)
        return out

    def due_terminals(self, now: int) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT sn FROM roster_queue WHERE next_at <= ?", (now,)
        ).fetchall()
        return [sn for (sn,) in rows]


def _step(row: Sequence[Any]) -> QueuedStep:
    row_id, sn, kind, enrollid, backupnum, enabled, attempts = row
    return QueuedStep(
        row_id, sn, kind, enrollid, backupnum, None if enabled is None else bool(enabled), attempts
    )


def _ids(column: str, enrollids: Collection[int] | None) -> tuple[str, list[int]]:
    if enrollids is None:
        return "", []
    ids = [int(e) for e in enrollids]
    return f" AND {column} IN ({','.join('?' * len(ids)) or 'NULL'})", ids


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.strftime(_TIME)


def _parse(value: str | None) -> datetime | None:
    return None if not value else datetime.strptime(value, _TIME)
