"""The Session's side of terminal trust: adopt, block, forget, and admitting each ``reg``.

Mixed into :class:`~wac_toolkit.session.Session`, which owns the :class:`~.registry.Registry`
(``self.registry``), the store, the gateway and the event stream. Layers above (the roster)
hear of every change as :class:`~.events.TerminalStateChanged` (the roster drops the steps
queued for a terminal no longer adopted). The rules
themselves (what a state allows, identity pinning, the pending cap) live in
:mod:`wac_toolkit.registry`; this module applies them to connections, the store and events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from . import bounds
from .errors import StoreError
from .events import IdentityConflict, TerminalConnected, TerminalStateChanged
from .net.gateway import CLOSE_REFUSED
from .registry import Terminal, TerminalState, identity_of

if TYPE_CHECKING:
    from .net.gateway import Gateway
    from .net.peer import Peer
    from .protocol.models import DeviceInfo
    from .registry import Registry

__all__ = ["SessionTrust", "must_store_first"]

log = logging.getLogger(__name__)


class SessionTrust:
    """Mixed into ``Session``; relies on its ``registry``, ``store``, ``gateway``,
    ``publish`` and ``adopt_new``."""

    registry: Registry
    store: Any
    gateway: Gateway
    publish: Callable[[object], None]
    adopt_new: bool
    _announced: set[str]

    async def adopt(self, *sns: str) -> list[Terminal]:
        """Trust these terminals: they get the roster and commands, and their identity (cpusn,
        MAC, model of their latest ``reg``) is pinned. A serial never seen may be adopted
        ahead of its first connection; its identity is then pinned when it connects."""
        return [await self._set_state(sn, TerminalState.ADOPTED) for sn in _serials(sns)]

    async def block(self, *sns: str) -> list[Terminal]:
        """Refuse these terminals at ``reg`` from now on (a live connection is closed)."""
        return [await self._set_state(sn, TerminalState.BLOCKED) for sn in _serials(sns)]

    async def forget(self, *sns: str) -> list[str]:
        """Drop these terminals from the store and the registry (logs they sent while pending
        go too); one that connects again comes back as pending. Returns the serials known."""
        forgotten = []
        for sn in _serials(sns):
            stored = await self.store.forget_device(sn)
            if self.registry.drop(sn) is None and not stored:
                continue
            forgotten.append(sn)
            self._announced.discard(sn)
            await self._close(sn, "terminal forgotten")
            self.publish(TerminalStateChanged(sn, None))
        return forgotten

    async def sync_states(self, sns: Iterable[str] | None = None) -> list[str]:
        """Take on the trust states the store holds now; returns the serials that changed.

        Several gateways on one PostgreSQL database keep one registry each: an adopt, block
        or forget made through another gateway (or ``wac terminals --db postgresql://...``)
        is in the database, and each gateway applies it here, as if made locally (events,
        a blocked terminal's connection closed, an adopted one announced to the roster).
        The store's NOTIFY calls this for one serial; the presence heartbeat for all, in
        case a notification was missed. ``sns`` given: a serial gone from the store (forgot
        elsewhere) is dropped here too.
        """
        wanted = None if sns is None else list(sns)
        loop = asyncio.get_running_loop()
        stored = await loop.run_in_executor(None, self.store.device_states, wanted)
        changed = []
        for sn in wanted if wanted is not None else list(stored):
            terminal = self.registry.get(sn)
            if sn not in stored:
                if terminal is None:
                    continue
                self.registry.drop(sn)
                self._announced.discard(sn)
                await self._close(sn, "terminal forgotten")
                self.publish(TerminalStateChanged(sn, None))
                changed.append(sn)
                continue
            text, identity = stored[sn]
            try:
                state = TerminalState(text)
            except ValueError:
                continue
            if terminal is None:
                self.registry.put(Terminal(sn, False, state=state, identity=identity))
                continue
            if terminal.state == state and terminal.identity == identity:
                continue
            before = terminal.state
            terminal = self.registry.update(sn, state=state, identity=identity) or terminal
            if before == state:
                continue  # a new pin only
            changed.append(sn)
            log.info("terminal %s is now %s (changed through the shared store)", sn, state)
            self.publish(TerminalStateChanged(sn, state))
            if state == TerminalState.ADOPTED and terminal.online and terminal.info is not None:
                self._announced.add(sn)
                self.publish(TerminalConnected(sn, terminal.info, terminal.remote))
            elif state == TerminalState.BLOCKED:
                await self._close(sn, "terminal blocked")
        return changed

    async def _set_state(self, sn: str, state: TerminalState) -> Terminal:
        now = datetime.now(UTC)
        terminal, before = self.registry.set_state(sn, state, now, dry_run=True)
        await self.store.set_device_state(sn, str(state), terminal.identity)
        self.registry.put(terminal)
        if before == state:
            return terminal
        log.info("terminal %s is now %s", sn, state)
        self.publish(TerminalStateChanged(sn, state))
        if state == TerminalState.ADOPTED and terminal.online and terminal.info is not None:
            self._announced.add(sn)  # the roster and other faces take it on from here
            self.publish(TerminalConnected(sn, terminal.info, terminal.remote))
        elif state == TerminalState.BLOCKED:
            await self._close(sn, "terminal blocked")
        return terminal

    async def _close(self, sn: str, reason: str) -> None:
        peer = self.gateway.peers.get(sn)
        if peer is not None and not peer.closed:
            await peer.close(CLOSE_REFUSED, reason)

    async def _admit(self, peer: Peer, info: DeviceInfo, now: datetime) -> Terminal | str:
        """Decide on a ``reg``: the terminal, now online, or the reason to refuse it (blocked,
        identity mismatch). Forgets the pending terminals the cap pushes out."""
        admission = self.registry.admit(info, peer.remote, now, adopt_new=self.adopt_new)
        if admission.reason is not None:
            self._refused(peer, info, admission)
            return admission.reason
        terminal = admission.terminal
        assert terminal is not None
        for gone in admission.evicted:
            log.info(
                "forgot pending terminal %s: more than %d pending", gone, self.registry.max_pending
            )
            await self._close(gone, "terminal forgotten")
            try:
                await self.store.forget_device(gone)
            except StoreError as exc:
                log.error("cannot forget terminal %s: %s", gone, exc)
        if admission.new and terminal.state == TerminalState.PENDING:
            log.warning(
                "new terminal %s from %s is pending adoption (wac terminals adopt %s)",
                info.sn, peer.remote, info.sn,
            )  # fmt: skip
        return terminal

    def _refused(self, peer: Peer, info: DeviceInfo, admission: Any) -> None:
        """Log a refusal; an identity conflict once per claimed identity, with an event."""
        if admission.conflict is None:
            log.info("refused terminal %s from %s: %s", info.sn, peer.remote, admission.reason)
            return
        pinned, claimed = admission.conflict
        if not admission.first_conflict:
            log.debug("refused %s from %s again: identity mismatch", info.sn, peer.remote)
            return
        log.warning(
            "refused a connection claiming adopted terminal %s from %s: identity %s does not"
            " match the pinned %s",
            info.sn, peer.remote, claimed, pinned,
        )  # fmt: skip
        event = IdentityConflict(info.sn, pinned, claimed, peer.remote)
        asyncio.get_running_loop().call_soon(self.publish, event)  # after the reply


def must_store_first(known: Terminal | None, terminal: Terminal) -> bool:
    """Whether a ``reg`` must wait for its device row to commit before it is answered.

    It must when the row says something that matters after a restart: a serial seen for the
    first time, a changed trust state or pinned identity, or a terminal now claiming another
    identity, model or firmware (an operator adopts what ``wac terminals`` shows). A reconnect
    that changes only presence (last seen, address, the counters and clock in ``devinfo``)
    is written with the next group commit without holding the reply: a reconnect storm of an
    unchanged fleet then costs no durable commit per terminal (issue 15).
    """
    if known is None or known.info is None or terminal.info is None:
        return True
    if known.state != terminal.state or known.identity != terminal.identity:
        return True
    before, after = known.info, terminal.info
    return (
        identity_of(before) != identity_of(after)
        or before.firmware != after.firmware
        or before.modelname != after.modelname
        or before.fpalgo != after.fpalgo
    )


def _serials(sns: Iterable[str]) -> list[str]:
    out = []
    for sn in sns:
        if not bounds.valid_sn(sn):
            raise ValueError(f"not a serial number: {str(sn)[:70]!r}")
        out.append(sn)
    return out
