"""The Session's command transport: a command to terminal ``sn`` and its reply, wherever
``sn`` is connected.

One job, whichever way the command travels:

* ``sn`` is connected to this process's gateway: over its live
  :class:`~wac_toolkit.net.peer.Peer`;
* the store is shared (PostgreSQL) and another gateway holds ``sn``'s presence lease:
  through the database (:class:`~wac_toolkit.routing.CommandSender`), which is how a
  Session that serves no terminals at all (``Session(dsn, listen=False)``: ``wac open-door
  --db postgresql://...``, a notebook) reaches every terminal;
* nobody holds it: :class:`~wac_toolkit.errors.TerminalOffline` at once.

A terminal pending adoption or blocked raises
:class:`~wac_toolkit.errors.TerminalNotAdopted` before anything is sent, here or at the
holder; a refusal is :class:`~wac_toolkit.errors.DeviceError` and silence
:class:`~wac_toolkit.errors.CommandTimeout`, the same classes whichever way it went.

It also tells when a terminal came back after a reboot: with a shared store, from its
presence lease (claimed anew by whichever gateway it reconnects to), else from this
gateway's own registrations.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .errors import TerminalNotAdopted, TerminalOffline
from .registry import TerminalState
from .routing import CommandSender

if TYPE_CHECKING:
    from .session import Session

__all__ = ["CommandTransport"]

LEASE_POLL = 0.2
"""Seconds between looks at a rebooting terminal's lease (a reboot takes seconds)."""


class CommandTransport:
    """Sends a Session's commands: to a local connection, or routed through the store."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.store: Any = session.store
        self.sender = CommandSender(self.store) if hasattr(self.store, "queue_command") else None
        """Routes to other gateways; None when the store is this process's alone (SQLite)."""

    @property
    def shared(self) -> bool:
        """Other gateways may hold terminals (a PostgreSQL store)."""
        return self.sender is not None

    async def send(
        self,
        sn: str,
        cmd: str,
        fields: dict[str, Any] | None,
        *,
        timeout: float | None,
        expect_reply: bool,
    ) -> dict[str, Any]:
        """The terminal's reply; the errors :meth:`Session.command` lists."""
        session = self.session
        terminal = session.registry.get(sn)
        if terminal is not None and terminal.state != TerminalState.ADOPTED:
            if self.shared:  # adopted through another gateway or `wac terminals`, just now?
                await session.sync_states([sn])
                terminal = session.registry.get(sn)
            if terminal is not None and terminal.state != TerminalState.ADOPTED:
                raise TerminalNotAdopted(sn, str(terminal.state))
        try:
            peer = session.gateway.peer(sn)
        except TerminalOffline:
            if self.sender is None or not session._started:
                raise
            limit = timeout if timeout is not None else session.gateway.command_timeout
            own = session.presence.gateway if session.presence is not None else None
            return await self.sender.route(
                sn, cmd, fields, timeout=limit, expect_reply=expect_reply, exclude=own
            )
        return await peer.request(cmd, fields, timeout=timeout, expect_reply=expect_reply)

    async def close(self) -> None:
        if self.sender is not None:
            await self.sender.close()

    # -- a terminal's return (reboot) --------------------------------------------------------

    async def lease_mark(self, sn: str) -> int:
        """When ``sn``'s current lease was claimed (0: none); see :meth:`wait_lease`."""
        holder = await asyncio.get_running_loop().run_in_executor(None, self.store.holder, sn)
        return 0 if holder is None else int(holder[1])

    async def wait_lease(self, sn: str, mark: int, timeout: float) -> bool:
        """True once some gateway claimed ``sn`` after ``mark``; False after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            holder = await loop.run_in_executor(None, self.store.holder, sn)
            if holder is not None and holder[1] > mark:
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(min(LEASE_POLL, max(0.0, deadline - loop.time())))
