"""Events the roster publishes on the Session's event stream when a sync step settles."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SyncFailed", "SyncSucceeded"]


@dataclass(frozen=True, slots=True)
class SyncSucceeded:
    """A terminal confirmed a queued step (``cmd`` is the command that was sent)."""

    sn: str
    enrollid: int
    cmd: str
    backupnum: int | None
    attempts: int


@dataclass(frozen=True, slots=True)
class SyncFailed:
    """A queued step failed for good: the terminal refused it ``attempts`` times.

    It is tried again only when the person changes, or when a sync or reconciliation of that
    terminal is asked for.
    """

    sn: str
    enrollid: int
    cmd: str
    backupnum: int | None
    attempts: int
    reason: str
