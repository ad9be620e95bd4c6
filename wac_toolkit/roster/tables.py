"""The roster's model over the store's rows: :class:`~.model.Person` and
:class:`~.model.Target` to and from what :class:`~wac_toolkit.store.base.RosterTx` keeps.

No SQL here: the tables and their queries are the store's (:mod:`wac_toolkit.store.roster_sql`,
one text for SQLite and PostgreSQL). Every other roster operation is a typed method of the
transaction (``tx.known_ids()``, ``tx.bump()`` ...), called by :mod:`.roster` and
:mod:`.queue` inside ``store.roster_write``/``store.roster_read``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from ..store.base import PersonRow, RosterTx
from .model import Person, Target

__all__ = ["get_person", "list_people", "set_assignments", "upsert_person"]


def get_person(tx: RosterTx, enrollid: int) -> Person | None:
    """A current (not removed) person with credentials and targets, or None."""
    people = list_people(tx, [enrollid])
    return people[0] if people else None


def list_people(tx: RosterTx, enrollids: Collection[int] | None = None) -> list[Person]:
    return [
        Person(
            enrollid=row.enrollid,
            name=row.name,
            admin=row.admin,
            enabled=row.enabled,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            credentials=row.credentials,
            targets=tuple(Target(kind, name) for kind, name in row.targets),
        )
        for row in tx.people(enrollids)
    ]


def upsert_person(tx: RosterTx, person: Person, *, source: str | None = None) -> None:
    """Write a person's row and replace their credentials (targets are set separately)."""
    row = PersonRow(
        enrollid=person.enrollid,
        name=person.name,
        admin=person.admin,
        enabled=person.enabled,
        valid_from=person.valid_from,
        valid_until=person.valid_until,
        credentials=person.credentials,
    )
    tx.upsert_person(row, source)


def set_assignments(tx: RosterTx, enrollid: int, targets: Iterable[Target]) -> None:
    tx.set_assignments(enrollid, [(t.kind, t.name) for t in targets])
