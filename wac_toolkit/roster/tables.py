"""The roster's tables in the gateway's store, and the queries on them.

The SQL is the dialect SQLite and PostgreSQL share (``ON CONFLICT``, no ``OR REPLACE``,
``?`` placeholders that the PostgreSQL store's connections accept).
Every function takes a ``sqlite3.Connection`` (or one like it): writes run inside the store's writer
transaction (``store.run_write(fn)``), reads on ``store.reader()``. The tables live next to
the store's own; ``credentials`` (what each terminal is known to hold) is the store's, kept
up to date by every ``setuserinfo``/``deleteuser``/``senduser``. A removed person stays as a
row with ``removed = 1`` so that the terminals still holding them can be told to forget them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable
from datetime import datetime

from .model import ALL, Held, Person, Target, Wanted

__all__ = [
    "SCHEMA",
    "bump",
    "conflicts",
    "create",
    "delete_credential",
    "forget_held_user",
    "generation",
    "get_person",
    "group_members",
    "groups",
    "forget_terminal",
    "held",
    "holders",
    "is_adopted",
    "is_current",
    "known_ids",
    "list_people",
    "mark_enabled",
    "mark_held_user",
    "mark_planned",
    "put_credential",
    "record_conflict",
    "remove_person",
    "set_assignments",
    "set_group",
    "terminals",
    "terminals_for",
    "upsert_person",
    "wanted",
    "window_crossed",
]

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS roster_people (
        enrollid INTEGER PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        admin INTEGER NOT NULL DEFAULT 0,
        enabled INTEGER NOT NULL DEFAULT 1,
        valid_from TEXT,
        valid_until TEXT,
        removed INTEGER NOT NULL DEFAULT 0,
        source TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS roster_credentials (
        enrollid INTEGER NOT NULL,
        backupnum INTEGER NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (enrollid, backupnum)
    )""",
    """CREATE TABLE IF NOT EXISTS roster_assignments (
        enrollid INTEGER NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (enrollid, kind, name)
    )""",
    """CREATE TABLE IF NOT EXISTS roster_groups (
        name TEXT NOT NULL,
        sn TEXT NOT NULL,
        PRIMARY KEY (name, sn)
    )""",
    """CREATE TABLE IF NOT EXISTS roster_meta (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS roster_planned (
        sn TEXT PRIMARY KEY,
        generation INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS roster_enabled (
        sn TEXT NOT NULL,
        enrollid INTEGER NOT NULL,
        enabled INTEGER NOT NULL,
        PRIMARY KEY (sn, enrollid)
    )""",
    """CREATE TABLE IF NOT EXISTS roster_conflicts (
        id INTEGER PRIMARY KEY,
        sn TEXT NOT NULL,
        enrollid INTEGER NOT NULL,
        backupnum INTEGER NOT NULL,
        record TEXT NOT NULL,
        name TEXT,
        first_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        count INTEGER NOT NULL DEFAULT 1,
        UNIQUE (sn, enrollid, backupnum, record)
    )""",
)


def create(db: sqlite3.Connection) -> None:
    """Create the tables if missing (idempotent; safe inside a transaction).

    On PostgreSQL the store's migrations made them (step 3), in that dialect.
    """
    if getattr(db, "dialect", "sqlite") != "sqlite":
        return
    for statement in SCHEMA:
        db.execute(statement)


# -- people ------------------------------------------------------------------------------------


def upsert_person(db: sqlite3.Connection, person: Person, *, source: str | None = None) -> None:
    """Write a person's row and replace their credentials (targets are set separately)."""
    db.execute(
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
    db.execute("DELETE FROM roster_credentials WHERE enrollid = ?", (person.enrollid,))
    db.executemany(
        "INSERT INTO roster_credentials (enrollid, backupnum, record) VALUES (?,?,?)",
        [(person.enrollid, int(slot), record) for slot, record in person.credentials.items()],
    )


def remove_person(db: sqlite3.Connection, enrollid: int) -> bool:
    """Mark a person removed and drop their credentials; False if there was no such person."""
    cursor = db.execute(
        "UPDATE roster_people SET removed = 1 WHERE enrollid = ? AND removed = 0", (enrollid,)
    )
    db.execute("DELETE FROM roster_credentials WHERE enrollid = ?", (enrollid,))
    db.execute("DELETE FROM roster_assignments WHERE enrollid = ?", (enrollid,))
    return cursor.rowcount > 0


def put_credential(db: sqlite3.Connection, enrollid: int, backupnum: int, record: str) -> None:
    db.execute(
        "INSERT INTO roster_credentials (enrollid, backupnum, record) VALUES (?,?,?)"
        " ON CONFLICT (enrollid, backupnum) DO UPDATE SET record = excluded.record",
        (enrollid, backupnum, record),
    )


def delete_credential(db: sqlite3.Connection, enrollid: int, backupnum: int) -> bool:
    cursor = db.execute(
        "DELETE FROM roster_credentials WHERE enrollid = ? AND backupnum = ?",
        (enrollid, backupnum),
    )
    return cursor.rowcount > 0


def set_assignments(db: sqlite3.Connection, enrollid: int, targets: Iterable[Target]) -> None:
    db.execute("DELETE FROM roster_assignments WHERE enrollid = ?", (enrollid,))
    db.executemany(
        "INSERT INTO roster_assignments (enrollid, kind, name) VALUES (?,?,?) ON CONFLICT DO NOTHING",
        [(enrollid, t.kind, t.name) for t in targets],
    )


def get_person(db: sqlite3.Connection, enrollid: int) -> Person | None:
    """A current (not removed) person with credentials and targets, or None."""
    people = list_people(db, [enrollid])
    return people[0] if people else None


def list_people(db: sqlite3.Connection, enrollids: Collection[int] | None = None) -> list[Person]:
    where, args = _ids("enrollid", enrollids)
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
    targets: dict[int, list[Target]] = {}
    for enrollid, kind, name in db.execute(
        f"SELECT enrollid, kind, name FROM roster_assignments WHERE 1 = 1{where} ORDER BY kind, name",
        args,
    ):
        targets.setdefault(enrollid, []).append(Target(kind, name))
    return [
        Person(
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


def known_ids(db: sqlite3.Connection) -> set[int]:
    """Every enrollid the roster has ever had, removed ones included."""
    return {row[0] for row in db.execute("SELECT enrollid FROM roster_people")}


# -- groups and terminals ----------------------------------------------------------------------


def set_group(db: sqlite3.Connection, name: str, sns: Iterable[str]) -> None:
    db.execute("DELETE FROM roster_groups WHERE name = ?", (name,))
    db.executemany(
        "INSERT INTO roster_groups (name, sn) VALUES (?,?) ON CONFLICT DO NOTHING",
        [(name, sn) for sn in sns],
    )


def groups(db: sqlite3.Connection) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, sn in db.execute("SELECT name, sn FROM roster_groups ORDER BY name, sn"):
        out.setdefault(name, []).append(sn)
    return out


def group_members(db: sqlite3.Connection, name: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT sn FROM roster_groups WHERE name = ?", (name,))]


def is_adopted(db: sqlite3.Connection, sn: str) -> bool:
    """Only adopted terminals are planned for: a pending or blocked serial (or one never
    seen) gets no credentials and no steps, whatever its assignments say."""
    row = db.execute("SELECT state FROM devices WHERE sn = ?", (sn,)).fetchone()
    return row is not None and row[0] == "adopted"


def forget_terminal(db: sqlite3.Connection, sn: str) -> None:
    """``sn`` is no longer adopted: drop its queued steps and plan marks, so that adopting
    it again plans it in full."""
    db.execute("DELETE FROM roster_queue WHERE sn = ? AND taken IS NULL", (sn,))
    db.execute("DELETE FROM roster_planned WHERE sn = ?", (sn,))


def terminals(db: sqlite3.Connection) -> list[str]:
    """Every terminal the roster may address: adopted by the gateway, grouped, or assigned
    (``all`` means these; only the adopted ones among them are planned for)."""
    rows = db.execute(
        "SELECT sn FROM devices WHERE state = 'adopted' UNION SELECT sn FROM roster_groups"
        " UNION SELECT name FROM roster_assignments WHERE kind = 'terminal'"
        " UNION SELECT DISTINCT sn FROM credentials ORDER BY 1"
    )
    return [r[0] for r in rows]


def terminals_for(db: sqlite3.Connection, enrollid: int) -> set[str]:
    """The terminals a person should be on now."""
    sns: set[str] = set()
    for kind, name in db.execute(
        "SELECT kind, name FROM roster_assignments WHERE enrollid = ?", (enrollid,)
    ):
        if kind == ALL:
            return set(terminals(db))
        if kind == "group":
            sns.update(group_members(db, name))
        else:
            sns.add(name)
    return sns


def holders(db: sqlite3.Connection, enrollid: int) -> set[str]:
    """The terminals known to hold someone."""
    return {r[0] for r in db.execute("SELECT sn FROM credentials WHERE enrollid = ?", (enrollid,))}


# -- the two sides of the plan -----------------------------------------------------------------


def wanted(
    db: sqlite3.Connection,
    sn: str,
    enrollids: Collection[int] | None = None,
    local_now: str | None = None,
) -> dict[int, Wanted]:
    """What the roster says ``sn`` should hold.

    With ``local_now`` (terminal wall time, ``YYYY-MM-DD HH:MM:SS``) a person outside their
    validity window is wanted disabled; without it windows are not applied. A terminal not
    adopted wants nobody (:func:`is_adopted`).
    """
    if not is_adopted(db, sn):
        return {}
    where, args = _ids("p.enrollid", enrollids)
    enabled, window = "p.enabled <> 0", []
    if local_now is not None:
        enabled = (
            "(p.enabled <> 0 AND (p.valid_from IS NULL OR p.valid_from <= ?)"
            " AND (p.valid_until IS NULL OR p.valid_until > ?))"
        )
        window = [local_now, local_now]
    rows = db.execute(
        f"SELECT p.enrollid, p.name, p.admin, {enabled} FROM roster_people p WHERE p.removed = 0"
        " AND EXISTS (SELECT 1 FROM roster_assignments a WHERE a.enrollid = p.enrollid AND"
        " (a.kind = 'all' OR (a.kind = 'terminal' AND a.name = ?) OR (a.kind = 'group' AND"
        " a.name IN (SELECT name FROM roster_groups WHERE sn = ?))))" + where,
        [*window, sn, sn, *args],
    ).fetchall()
    creds: dict[int, dict[int, str]] = {}
    where, args = _ids("enrollid", [r[0] for r in rows] if enrollids is not None else None)
    for enrollid, slot, record in db.execute(
        f"SELECT enrollid, backupnum, record FROM roster_credentials WHERE 1 = 1{where}", args
    ):
        creds.setdefault(enrollid, {})[slot] = record
    return {
        enrollid: Wanted(enrollid, name, admin, bool(enabled), creds.get(enrollid, {}))
        for enrollid, name, admin, enabled in rows
    }


def held(
    db: sqlite3.Connection, sn: str, enrollids: Collection[int] | None = None
) -> dict[int, Held]:
    """What ``sn`` is known to hold (the store's ``credentials`` plus enabled flags)."""
    where, args = _ids("enrollid", enrollids)
    users: dict[int, dict[str, object]] = {}
    for enrollid, slot, name, admin, record in db.execute(
        "SELECT enrollid, backupnum, name, admin, record FROM credentials"
        f" WHERE sn = ?{where} ORDER BY enrollid, backupnum",
        [sn, *args],
    ):
        user = users.setdefault(enrollid, {"name": name, "admin": admin, "creds": {}})
        user["creds"][slot] = "" if record is None else record.strip()  # type: ignore[index]
    flags = dict(
        db.execute(
            f"SELECT enrollid, enabled FROM roster_enabled WHERE sn = ?{where}", [sn, *args]
        ).fetchall()
    )
    return {
        enrollid: Held(
            enrollid,
            user["name"],  # type: ignore[arg-type]
            user["admin"],  # type: ignore[arg-type]
            None if enrollid not in flags else bool(flags[enrollid]),
            user["creds"],  # type: ignore[arg-type]
        )
        for enrollid, user in users.items()
    }


def window_crossed(db: sqlite3.Connection, since: str, until: str) -> list[int]:
    """The people whose validity window opened or closed in (``since``, ``until``]."""
    rows = db.execute(
        "SELECT enrollid FROM roster_people WHERE removed = 0 AND ((valid_from > ? AND"
        " valid_from <= ?) OR (valid_until > ? AND valid_until <= ?))",
        (since, until, since, until),
    )
    return [row[0] for row in rows]


def mark_enabled(db: sqlite3.Connection, sn: str, enrollid: int, enabled: bool) -> None:
    db.execute(
        "INSERT INTO roster_enabled (sn, enrollid, enabled) VALUES (?,?,?)"
        " ON CONFLICT (sn, enrollid) DO UPDATE SET enabled = excluded.enabled",
        (sn, enrollid, int(enabled)),
    )


def mark_held_user(db: sqlite3.Connection, sn: str, enrollid: int, name: str, admin: int) -> None:
    """After a ``setuserinfo``: the terminal's user now has this name and level."""
    db.execute(
        "UPDATE credentials SET name = ?, admin = ? WHERE sn = ? AND enrollid = ?",
        (name, admin, sn, enrollid),
    )


def forget_held_user(db: sqlite3.Connection, sn: str, enrollid: int) -> None:
    db.execute("DELETE FROM roster_enabled WHERE sn = ? AND enrollid = ?", (sn, enrollid))


# -- keypad conflicts --------------------------------------------------------------------------


def record_conflict(
    db: sqlite3.Connection,
    sn: str,
    enrollid: int,
    backupnum: int,
    record: str,
    name: str | None,
    at: int,
) -> None:
    """A keypad enrolment that would have changed someone else's credential: kept for the
    operator, not applied (a repeat only counts)."""
    db.execute(
        "INSERT INTO roster_conflicts (sn, enrollid, backupnum, record, name, first_at, last_at)"
        " VALUES (?,?,?,?,?,?,?) ON CONFLICT (sn, enrollid, backupnum, record) DO UPDATE SET"
        " last_at = excluded.last_at, count = roster_conflicts.count + 1",
        (sn, enrollid, backupnum, record, name, at, at),
    )


def conflicts(db: sqlite3.Connection) -> list[tuple[object, ...]]:
    """Recorded conflicts, oldest first, without the credential itself."""
    return db.execute(
        "SELECT id, sn, enrollid, backupnum, name, first_at, last_at, count"
        " FROM roster_conflicts ORDER BY id"
    ).fetchall()


# -- generations: has a terminal been planned against the roster as it is now? --------------


def generation(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM roster_meta WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def bump(db: sqlite3.Connection) -> int:
    """Count a roster change whose steps were just planned for every terminal it affects.

    Terminals that were current stay current (they got the change or did not need it); the
    others stay behind and are re-planned in full when they next connect.
    """
    old = generation(db)
    db.execute(
        "INSERT INTO roster_meta (key, value) VALUES ('generation', ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (old + 1,),
    )
    db.execute("UPDATE roster_planned SET generation = ? WHERE generation = ?", (old + 1, old))
    return old + 1


def mark_planned(db: sqlite3.Connection, sn: str) -> None:
    """``sn`` was just planned in full against the current roster."""
    db.execute(
        "INSERT INTO roster_planned (sn, generation) VALUES (?, ?)"
        " ON CONFLICT (sn) DO UPDATE SET generation = excluded.generation",
        (sn, generation(db)),
    )


def is_current(db: sqlite3.Connection, sn: str) -> bool:
    row = db.execute("SELECT generation FROM roster_planned WHERE sn = ?", (sn,)).fetchone()
    return row is not None and int(row[0]) == generation(db)


def _ids(column: str, enrollids: Collection[int] | None) -> tuple[str, list[int]]:
    if enrollids is None:
        return "", []
    ids = [int(e) for e in enrollids]
    return f" AND {column} IN ({','.join('?' * len(ids)) or 'NULL'})", ids


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _parse(value: str | None) -> datetime | None:
    return None if not value else datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
