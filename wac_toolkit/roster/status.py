"""Each terminal's queue in one small summary, without pandas (Home Assistant has no say in
which pandas it gets, and a sensor needs five numbers, not a DataFrame).

Blocking (reads the store): call from an executor on an event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..store.base import OUTCOME_COLUMNS, QUEUE_COLUMNS, RosterTx

__all__ = ["OUTCOME_WINDOW", "QueueStatus", "queue_status", "queued_for"]

OUTCOME_WINDOW = 1000
"""How many of the newest settled steps are searched for a terminal's last failure."""


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """What the roster still has to deliver to one terminal."""

    count: int = 0
    oldest: datetime | None = None
    """When the oldest queued step was queued."""
    retrying: int = 0
    """Queued steps the terminal refused (or did not answer) at least once."""
    last_error: str | None = None
    """The terminal's reason for the latest refusal of a step still queued."""
    last_failure: dict[str, Any] | None = None
    """The newest step that failed for good: cmd, enrollid, backupnum, reason, at (ISO)."""

    def attributes(self) -> dict[str, Any]:
        """Everything but the count, JSON-ready (a sensor's attributes)."""
        return {
            "oldest": self.oldest.isoformat() if self.oldest else None,
            "retrying": self.retrying,
            "last_error": self.last_error,
            "last_failure": self.last_failure,
        }


def queue_status(tx: RosterTx, window: int = OUTCOME_WINDOW) -> dict[str, QueueStatus]:
    """Every known terminal's :class:`QueueStatus` (0 for terminals with nothing queued)."""
    counts = tx.queue_counts(tx.terminals())
    queued = [_row(QUEUE_COLUMNS, r) for r in tx.pending_rows()]
    settled = [_row(OUTCOME_COLUMNS, r) for r in tx.outcome_rows(None, window)]
    oldest: dict[str, int] = {}
    retrying: dict[str, int] = {}
    last_error: dict[str, str | None] = {}
    for step in queued:
        sn = step["sn"]
        oldest[sn] = min(step["created_at"], oldest.get(sn, step["created_at"]))
        if step["attempts"]:
            retrying[sn] = retrying.get(sn, 0) + 1
            last_error[sn] = step["last_error"]
    failures = {
        step["sn"]: {
            "cmd": step["cmd"],
            "enrollid": step["enrollid"],
            "backupnum": step["backupnum"],
            "reason": step["reason"],
            "at": _moment(step["at"]).isoformat(),
        }
        for step in settled
        if not step["ok"]
    }  # oldest first, so each terminal keeps its newest failure
    return {
        sn: QueueStatus(
            count=int(count),
            oldest=_moment(oldest[sn]) if sn in oldest else None,
            retrying=retrying.get(sn, 0),
            last_error=last_error.get(sn),
            last_failure=failures.get(sn),
        )
        for sn, count in counts.items()
    }


def queued_for(tx: RosterTx, enrollid: int) -> dict[str, list[dict[str, Any]]]:
    """One person's queued steps per terminal: cmd, backupnum, attempts, last_error."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in tx.pending_rows():
        step = _row(QUEUE_COLUMNS, row)
        if step["enrollid"] == enrollid:
            out.setdefault(step["sn"], []).append(
                {k: step[k] for k in ("cmd", "backupnum", "attempts", "last_error")}
            )
    return out


def _row(columns: tuple[str, ...], row: tuple[object, ...]) -> dict[str, Any]:
    return dict(zip(columns, row, strict=True))


def _moment(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1_000_000, UTC)
