"""What the roster still has to deliver to each terminal, kept fresh for the pending sensor.

The roster's queue lives in the store, so it is read in an executor, never on the event loop,
and only when something changed it: a step settled (``SyncSucceeded`` / ``SyncFailed``), a
terminal came or went (the roster re-plans it), a keypad enrolment was taken, or an action of
this integration changed the roster. A ``DataUpdateCoordinator`` with a ``Debouncer`` folds a
burst of such events (a terminal catching up on hundreds of steps) into a few reads; an
action that changed the roster calls :meth:`async_refresh` and does not wait for the cooldown.

The roster re-plans a terminal that reconnects in the background and publishes nothing when
that queues steps the terminal then refuses, so the queue is read once more :data:`RECHECK`
seconds after a terminal connects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from wac_toolkit.events import Event, TerminalConnected, TerminalDisconnected, UserPushed
from wac_toolkit.roster import SyncFailed, SyncSucceeded
from wac_toolkit.roster.status import QueueStatus
from wac_toolkit.session import Session

__all__ = ["COOLDOWN", "RECHECK", "PendingCoordinator", "QueueStatus"]

_LOGGER = logging.getLogger(__name__)

COOLDOWN = 0.5
"""Seconds between two reads of the queue while steps keep settling."""
RECHECK = 2.0
"""Seconds after a terminal connects when its re-planned queue is read again."""

_TRIGGERS = (SyncSucceeded, SyncFailed, TerminalConnected, TerminalDisconnected, UserPushed)


class PendingCoordinator(DataUpdateCoordinator[dict[str, QueueStatus]]):
    """Per-terminal :class:`QueueStatus`, read from the store when the roster's queue moves.

    Args:
        signal: the dispatcher signal of a terminal; sent when that terminal's queue changed,
            so only its sensor writes a state.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        session: Session,
        signal: Callable[[str], str],
    ) -> None:
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name="wac roster queue",
            update_interval=None,
            request_refresh_debouncer=Debouncer(hass, _LOGGER, cooldown=COOLDOWN, immediate=True),
            always_update=False,
        )
        self.session = session
        self._signal = signal
        self._shown: dict[str, QueueStatus] = {}
        self._cancel_recheck: Callable[[], None] | None = None
        self._unsubscribe: Callable[[], None] | None = session.subscribe(self._on_event, *_TRIGGERS)
        self.async_add_listener(self._announce)

    def get(self, sn: str) -> QueueStatus | None:
        """The last read of ``sn``'s queue (None before the first read)."""
        return (self.data or {}).get(sn)

    async def _async_update_data(self) -> dict[str, QueueStatus]:
        return await self.hass.async_add_executor_job(self.session.roster.queue_status)

    @callback
    def async_schedule_refresh(self) -> None:
        """Read the queue again soon (debounced)."""
        if self._unsubscribe is not None:
            self._debounced_refresh.async_schedule_call()

    async def async_shutdown(self) -> None:
        """Stop listening, drop a scheduled read (the store closes after this)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._cancel_recheck is not None:
            self._cancel_recheck()
            self._cancel_recheck = None
        await super().async_shutdown()

    @callback
    def _announce(self) -> None:
        data = self.data or {}
        changed = [sn for sn, status in data.items() if self._shown.get(sn) != status]
        self._shown = dict(data)
        for sn in changed:
            async_dispatcher_send(self.hass, self._signal(sn))

    @callback
    def _on_event(self, event: Event) -> None:
        self.async_schedule_refresh()
        if isinstance(event, TerminalConnected) and self._unsubscribe is not None:
            if self._cancel_recheck is not None:
                self._cancel_recheck()
            self._cancel_recheck = async_call_later(self.hass, RECHECK, self._recheck)

    @callback
    def _recheck(self, _now: datetime) -> None:
        self._cancel_recheck = None
        self.async_schedule_refresh()
