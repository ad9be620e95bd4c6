"""Reading what a terminal really holds (``getuserlist`` + ``getuserinfo``).

Known state drifts: people are enrolled or deleted on the keypad with ``nosenduser`` set, a
terminal is reset, or another server touched it. Reconciliation asks the terminal, replaces
what the store believes it holds, and lets the planner queue the repairs.

Uses the Session's typed ``get_user_list`` / ``get_user_info`` when present, else the raw
commands with the robust paging rule of PROTOCOL.md 5.3.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import DeviceError
from ..protocol.models import BackupNum, UserCredential
from ..protocol.values import as_int
from ..store.sqlite import micros

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["ReconcileReport", "Slot", "read_slots", "read_credentials", "replace_held"]

MAX_PAGES = 10_000


@dataclass(frozen=True, slots=True)
class Slot:
    enrollid: int
    backupnum: int
    admin: int = 0


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """What a reconciliation found on one terminal and what it did about it."""

    sn: str
    held: int
    """Users the terminal reported."""
    unknown: tuple[int, ...] = ()
    """Users the roster does not know (left alone unless pruned or adopted)."""
    adopted: tuple[int, ...] = ()
    queued: int = 0
    """Steps queued to make the terminal match the roster."""
    unreadable: tuple[tuple[int, int], ...] = field(default=())
    """(enrollid, backupnum) slots listed but not readable with ``getuserinfo``."""


async def read_slots(session: Session, sn: str) -> list[Slot]:
    """Every (enrollid, backupnum) the terminal lists, through all pages."""
    typed = getattr(session, "get_user_list", None)
    if typed is not None:
        return [Slot(int(s.enrollid), int(s.backupnum), int(s.admin or 0)) for s in await typed(sn)]
    slots: list[Slot] = []
    seen: set[tuple[int, int]] = set()
    last_to: int | None = None
    for page in range(MAX_PAGES):
        try:
            reply = await session.command(sn, "getuserlist", {"stn": page == 0})
        except DeviceError:
            break
        records = reply.get("record")
        if not isinstance(records, list) or not records:
            break
        for item in records:
            if not isinstance(item, dict):
                continue
            enrollid, backupnum = as_int(item.get("enrollid")), as_int(item.get("backupnum"))
            if enrollid is None or backupnum is None or (enrollid, backupnum) in seen:
                continue
            seen.add((enrollid, backupnum))
            slots.append(Slot(enrollid, backupnum, as_int(item.get("admin")) or 0))
        count, to = as_int(reply.get("count")), as_int(reply.get("to"))
        if to is not None and (to == last_to or (count is not None and to >= count - 1)):
            break
        last_to = to
    return slots


async def read_credentials(
    session: Session, sn: str, slots: list[Slot]
) -> tuple[list[UserCredential], list[tuple[int, int]]]:
    """``getuserinfo`` for each slot; slots the terminal will not give are returned apart."""
    typed = getattr(session, "get_user_info", None)
    found: list[UserCredential] = []
    missing: list[tuple[int, int]] = []
    for slot in slots:
        try:
            if typed is not None:
                credential = await typed(sn, slot.enrollid, slot.backupnum)
            else:
                reply = await session.command(
                    sn, "getuserinfo", {"enrollid": slot.enrollid, "backupnum": slot.backupnum}
                )
                credential = UserCredential.from_wire(
                    {"enrollid": slot.enrollid, "backupnum": slot.backupnum, **_fields(reply)}
                )
        except DeviceError:
            missing.append((slot.enrollid, slot.backupnum))
            continue
        found.append(credential)
    return found, missing


def replace_held(db: sqlite3.Connection, sn: str, credentials: list[UserCredential]) -> None:
    """Make the store's record of what ``sn`` holds exactly ``credentials``."""
    at = micros(datetime.now(UTC))
    held_ids = {c.enrollid for c in credentials}
    db.execute("DELETE FROM credentials WHERE sn = ?", (sn,))
    db.executemany(
        "INSERT OR REPLACE INTO credentials (sn, enrollid, backupnum, name, admin, record,"
        " record_is_number, updated_at) VALUES (?,?,?,?,?,?,?,?)",
        [
            (sn, c.enrollid, int(c.backupnum), c.name, c.admin,
             None if c.record is None else str(c.record), int(isinstance(c.record, int)), at)
            for c in credentials
            if c.backupnum not in (BackupNum.ALL, BackupNum.ALL_FINGERPRINTS)
        ],
    )  # fmt: skip
    for (enrollid,) in db.execute(
        "SELECT enrollid FROM roster_enabled WHERE sn = ?", (sn,)
    ).fetchall():
        if enrollid not in held_ids:
            db.execute("DELETE FROM roster_enabled WHERE sn = ? AND enrollid = ?", (sn, enrollid))


def _fields(reply: dict[str, Any]) -> dict[str, Any]:
    return {k: reply[k] for k in ("name", "admin", "record") if k in reply}
