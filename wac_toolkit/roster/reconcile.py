"""Reading what a terminal really holds (``getuserlist`` + ``getuserinfo``).

Known state drifts: people are enrolled or deleted on the keypad with ``nosenduser`` set, a
terminal is reset, or another server touched it. Reconciliation asks the terminal, replaces
what the store believes it holds (``RosterTx.replace_held``), and lets the planner queue the
repairs.

Uses the Session's typed ``get_user_list`` (which pages by the rule of PROTOCOL.md 5.3) and
``get_user_info``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import DeviceError
from ..protocol.models import UserCredential

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["ReconcileReport", "Slot", "read_slots", "read_credentials"]


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
    return [
        Slot(int(s.enrollid), int(s.backupnum), int(s.admin or 0))
        for s in await session.get_user_list(sn)
    ]


async def read_credentials(
    session: Session, sn: str, slots: list[Slot]
) -> tuple[list[UserCredential], list[tuple[int, int]]]:
    """``getuserinfo`` for each slot; slots the terminal will not give are returned apart."""
    found: list[UserCredential] = []
    missing: list[tuple[int, int]] = []
    for slot in slots:
        try:
            found.append(await session.get_user_info(sn, slot.enrollid, slot.backupnum))
        except DeviceError:
            missing.append((slot.enrollid, slot.backupnum))
    return found, missing
