"""Presence: which gateway holds which terminal, as leases in a shared store.

With several gateways on one PostgreSQL database a terminal is connected to one of them at a
time. Each gateway claims a terminal when it registers, gives it back when it disconnects,
and renews all its leases with a heartbeat every third of ``ttl``. A gateway that dies
(SIGKILL, power cut, network partition) stops renewing, and its terminals lapse ``ttl``
seconds later; a terminal that reconnects to another gateway is claimed there at once,
without waiting for the old lease. Leases use the database's clock, so hosts whose clocks
disagree still agree on who holds what.

Only stores with ``claim_terminal`` (the PostgreSQL store) have presence; with one SQLite
file there is one gateway and nothing to share.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from typing import TYPE_CHECKING, Any

from .errors import StoreError
from .events import Event, TerminalConnected, TerminalDisconnected, TerminalHeld, TerminalPending

if TYPE_CHECKING:
    from .routing import CommandRouter
    from .session import Session

__all__ = ["Presence", "gateway_id"]

log = logging.getLogger(__name__)


def gateway_id() -> str:
    """``host:pid:random``: unique per process, readable by whoever looks at the table."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Presence:
    """Keeps this gateway's leases in the store while the session runs."""

    def __init__(self, session: Session, *, ttl: float = 30.0, gateway: str | None = None) -> None:
        self.session = session
        self.store: Any = session.store
        self.ttl = ttl
        self.gateway = gateway or gateway_id()
        self._tasks: set[asyncio.Task[None]] = set()
        self._beat: asyncio.Task[None] | None = None
        self._unsubscribe: Any = None
        self._held: set[str] = set()
        self.router: CommandRouter | None = None
        """Serves the commands other processes route to this gateway's terminals
        (:mod:`wac_toolkit.routing`)."""

    def holds(self, sn: str) -> bool:
        """This gateway holds the lease on ``sn`` (as far as it knows: its own claims, less
        those another gateway took over, seen at the last heartbeat). The roster delivers to
        a terminal only where this is true, so two gateways never deliver the same step."""
        return sn in self._held

    async def start(self) -> None:
        await self.store.heartbeat(self.gateway, self.ttl)
        if hasattr(self.store, "take_commands"):
            from .routing import CommandRouter

            self.router = CommandRouter(self.session, self.gateway)
            await self.router.start()
        # A pending terminal is held too: commands routed to it must reach its gateway (and
        # be refused there) at once, not after the next heartbeat. Its lease lapses after
        # ``ttl`` when it leaves (only adopted terminals announce a disconnect).
        self._unsubscribe = self.session.subscribe(
            self._on_event, TerminalConnected, TerminalPending, TerminalDisconnected
        )
        self._beat = asyncio.ensure_future(self._heartbeats())

    async def stop(self) -> None:
        """Give every lease back at once (a clean stop need not wait for them to lapse)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.router is not None:
            await self.router.stop()
        with contextlib.suppress(StoreError):
            await self.store.heartbeat(self.gateway, self.ttl, leaving=True)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, TerminalConnected | TerminalPending):
            change = self.store.claim_terminal(event.sn, self.gateway, self.ttl)
        else:
            self._held.discard(event.sn)
            change = self.store.release_terminal(event.sn, self.gateway)
        task = asyncio.ensure_future(self._apply(change, event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apply(self, change: Any, event: Event) -> None:
        try:
            await change
        except StoreError as exc:  # the next heartbeat or reconnect claims again
            log.warning("presence of %s not recorded: %s", getattr(event, "sn", "?"), exc)
            return
        if isinstance(event, TerminalConnected) and self._online(event.sn):
            self._held.add(event.sn)
            self._kick_roster(event.sn)

    def _online(self, sn: str) -> bool:
        terminal = self.session.terminal(sn)
        return terminal is not None and terminal.online

    def _kick_roster(self, sn: str) -> None:
        """The lease is ours now: layers above (the roster's queue) deliver from here."""
        self.session.publish(TerminalHeld(sn, self.gateway))

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await self.store.heartbeat(self.gateway, self.ttl)
                await self.session.sync_states()  # in case a state NOTIFY was missed
                # Terminals online here whose claim was lost (store down at connect time):
                held = self.store.holders
                loop = asyncio.get_running_loop()
                holders = await loop.run_in_executor(None, held)
                for terminal in self.session.terminals():
                    if not terminal.online:
                        continue
                    holder = holders.get(terminal.sn)
                    if holder is None:
                        await self.store.claim_terminal(terminal.sn, self.gateway, self.ttl)
                        self._held.add(terminal.sn)
                        self._kick_roster(terminal.sn)
                    elif holder != self.gateway:
                        # It reconnected to another gateway; ours is a stale connection.
                        self._held.discard(terminal.sn)
                        log.info("terminal %s is held by %s now", terminal.sn, holder)
            except StoreError as exc:
                log.warning("presence heartbeat of %s failed: %s", self.gateway, exc)
