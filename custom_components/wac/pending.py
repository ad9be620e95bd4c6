"""What the roster still has to deliver to each terminal, kept fresh for the pending sensor.

The roster's queue lives in the SQLite store, so it is read in an executor, never on the
event loop, and only when something changed it: a step settled (``SyncSucceeded`` /
``SyncFailed``), a terminal came or went (the roster re-plans it), a keypad enrolment was
adopted, or an action of this integration changed the roster. Reads requested while one
runs, or within :data:`COOLDOWN` after it, are folded into one more read, so a burst of
settled steps (a terminal catching up on hundreds) costs a few reads and sensor states, not
one each. An action that changed the roster does not wait for the cooldown.

The roster re-plans a terminal that reconnects in the background and publishes nothing when
that queues steps the terminal then refuses, so the queue is read once more :data:`RECHECK`
seconds after a terminal connects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later

from wac_toolkit.events import Event, TerminalConnected, TerminalDisconnected, UserPushed
from wac_toolkit.roster import Roster, SyncFailed, SyncSucceeded, queue

__all__ = ["COOLDOWN", "OUTCOME_WINDOW", "RECHECK", "Pending", "PendingTracker", "read_pending"]

_LOGGER = logging.getLogger(__name__)

COOLDOWN = 0.5
"""Seconds between two reads of the queue while steps keep settling."""
RECHECK = 2.0
"""Seconds after a terminal connects when its re-planned queue is read again."""
OUTCOME_WINDOW = 1000
"""How many of the newest settled steps are searched for a terminal's last failure."""

_TRIGGERS = (SyncSucceeded, SyncFailed, TerminalConnected, TerminalDisconnected, UserPushed)


@dataclass(frozen=True, slots=True)
class Pending:
    """One terminal's queue as the pending sensor shows it."""

    count: int = 0
    oldest: datetime | None = None
    """When the oldest queued step was queued."""
    retrying: int = 0
    """Queued steps the terminal refused (or did not answer) at least once."""
    last_error: str | None = None
    """The terminal's reason for the latest refusal of a step still queued."""
    last_failure: dict[str, Any] | None = None
    """The newest step that failed for good: cmd, enrollid, backupnum, reason, at."""

    def attributes(self) -> dict[str, Any]:
        return {
            "oldest": self.oldest.isoformat() if self.oldest else None,
            "retrying": self.retrying,
            "last_error": self.last_error,
            "last_failure": self.last_failure,
        }


def read_pending(roster: Roster) -> dict[str, Pending]:
    """Every known terminal's queue, from the store (blocking: run it in an executor).

    Reads the roster's rows, not its DataFrames: pandas is not installed inside Home Assistant.
    """
    counts = roster.pending_counts()
    with roster.store.reader() as db:
        queued = [dict(zip(queue.QUEUE_COLUMNS, r, strict=True)) for r in queue.pending_rows(db)]
        settled = [
            dict(zip(queue.OUTCOME_COLUMNS, r, strict=True))
            for r in queue.outcome_rows(db, None, OUTCOME_WINDOW)
        ]
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
        sn: Pending(
            count=int(count),
            oldest=_moment(oldest[sn]) if sn in oldest else None,
            retrying=retrying.get(sn, 0),
            last_error=last_error.get(sn),
            last_failure=failures.get(sn),
        )
        for sn, count in counts.items()
    }


def _moment(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1_000_000, UTC)


class PendingTracker:
    """Per-terminal :class:`Pending`, refreshed from the store when the roster's queue moves.

    Args:
        signal: the dispatcher signal of a terminal; sent when that terminal's queue changed.
    """

    def __init__(self, hass: HomeAssistant, roster: Roster, signal: Callable[[str], str]) -> None:
        self.hass = hass
        self.roster = roster
        self._signal = signal
        self._snapshot: dict[str, Pending] = {}
        self._wanted = 0
        self._done = 0
        self._tick = asyncio.Event()
        self._urgent = asyncio.Event()
        self._last_read = float("-inf")
        self._task: asyncio.Task[None] | None = None
        self._stopped = False
        self._cancel_recheck: Callable[[], None] | None = None
        self._unsubscribe = roster.session.subscribe(self._on_event, *_TRIGGERS)

    def get(self, sn: str) -> Pending | None:
        """The last read of ``sn``'s queue (None before the first read)."""
        return self._snapshot.get(sn)

    @callback
    def async_schedule_refresh(self) -> None:
        """Read the queue again soon (folded into a read already waiting to start)."""
        if self._stopped:
            return
        self._wanted += 1
        if self._task is None or self._task.done():
            # a background task: a cooldown must not hold up async_block_till_done
            self._task = self.hass.async_create_background_task(
                self._run(), name="wac pending refresh", eager_start=False
            )

    async def async_refresh(self) -> None:
        """Read the queue again and return once a read started after this call is applied."""
        self.async_schedule_refresh()
        self._urgent.set()
        target = self._wanted
        while self._done < target and not self._stopped:
            await self._tick.wait()

    async def async_stop(self) -> None:
        """Stop listening and wait for a read in flight (the store closes after this)."""
        self._stopped = True
        self._unsubscribe()
        if self._cancel_recheck is not None:
            self._cancel_recheck()
        self._urgent.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        self._wake()

    @callback
    def _on_event(self, event: Event) -> None:
        if isinstance(event, _TRIGGERS):
            self.async_schedule_refresh()
        if isinstance(event, TerminalConnected) and not self._stopped:
            if self._cancel_recheck is not None:
                self._cancel_recheck()
            self._cancel_recheck = async_call_later(self.hass, RECHECK, self._recheck)

    @callback
    def _recheck(self, _now: datetime) -> None:
        self._cancel_recheck = None
        self.async_schedule_refresh()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._done < self._wanted and not self._stopped:
            wait = self._last_read + COOLDOWN - loop.time()
            if wait > 0 and not self._urgent.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), wait)
            self._urgent.clear()
            target = self._wanted
            self._last_read = loop.time()
            try:
                snapshot = await self.hass.async_add_executor_job(read_pending, self.roster)
            except Exception:  # a closing or broken store must not kill the tracker
                _LOGGER.exception("could not read the roster queue")
                snapshot = None
            self._done = target
            if snapshot is not None:
                self._apply(snapshot)
            self._wake()

    @callback
    def _apply(self, snapshot: dict[str, Pending]) -> None:
        changed = [sn for sn, p in snapshot.items() if self._snapshot.get(sn) != p]
        self._snapshot = snapshot
        for sn in changed:
            async_dispatcher_send(self.hass, self._signal(sn))

    def _wake(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()
