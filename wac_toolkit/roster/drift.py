"""Drift: a terminal changed behind the roster's back, so the roster must look again.

The roster plans from what each terminal is known to hold (the store's ``credentials`` plus
its own ``roster_enabled`` flags) and skips terminals already planned against the current
roster. A ``deleteuser``, ``cleanuser`` or ``initsys`` sent directly (a script, the CLI, a
notebook), not as one of the roster's own steps, makes both wrong: the roster would go on
believing those people are on the terminal and never send them again. So such a command is
recorded as drift: the terminal's enabled flags for the people it lost are forgotten, it is
marked as not planned, and it is re-planned at once (the roster's wishes then go out again,
or the operator changes the roster).

The roster's own steps are told apart by :data:`ROSTER_STEP`, a context variable the sync
worker sets while it sends a step (it follows the awaits of that step only).
"""

from __future__ import annotations

import contextvars
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store.base import RosterTx
    from .roster import Roster

__all__ = ["DRIFTING", "ROSTER_STEP", "record_drift"]

log = logging.getLogger(__name__)

ROSTER_STEP: contextvars.ContextVar[bool] = contextvars.ContextVar("wac_roster_step", default=False)
"""True while the roster's sync worker sends one of its own steps."""

DRIFTING = frozenset({"deleteuser", "cleanuser", "initsys"})
"""Commands that remove people from a terminal."""


async def record_drift(roster: Roster, sn: str, cmd: str, fields: dict[str, Any]) -> int:
    """Note that ``sn`` lost people outside the roster, then re-plan it.

    Returns:
        The number of steps queued to bring ``sn`` back to the roster's wishes.
    """
    if cmd not in DRIFTING or ROSTER_STEP.get():
        return 0
    enrollid = fields.get("enrollid")
    whole_user = cmd != "deleteuser" or int(fields.get("backupnum", 13)) == 13

    def write(tx: RosterTx) -> None:
        if cmd != "deleteuser":
            tx.forget_enabled(sn)
        elif whole_user and enrollid is not None:
            tx.forget_enabled(sn, int(enrollid))
        tx.forget_plan(sn)

    await roster.store.roster_write(write)
    queued = await roster.sync(sn)
    log.info("terminal %s: %s sent outside the roster; re-planned (%d steps)", sn, cmd, queued)
    return queued
