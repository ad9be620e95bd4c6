"""The Session's side of the typed commands: send through the gateway, keep the store true.

:class:`SessionCommands` gives the generated command methods
(:class:`~wac_toolkit._generated.terminal.TerminalCommands`) their transport:
commands go to ``sn`` through :meth:`Session.command` (its live connection, or the gateway
holding it: :mod:`wac_toolkit.transport`); a successful ``setuserinfo``/``deleteuser``
updates the stored credentials (whoever sent it: a method, the control endpoint); pulled logs
are ingested like pushed ones; and registrations are counted (with a shared store: presence
leases are watched) so ``reboot`` can wait for the terminal's return without a race.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from ._generated.terminal import TerminalCommands
from .errors import FrameError, StoreError
from .events import Event, TerminalConnected
from .protocol.models import LogRecord, UserCredential

__all__ = ["ConnectCounter", "SessionCommands"]

log = logging.getLogger(__name__)


class ConnectCounter:
    """Registrations per serial number since the counter was made, and a way to await one."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self._changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        if isinstance(event, TerminalConnected):
            self.counts[event.sn] = self.counts.get(event.sn, 0) + 1
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait(self, sn: str, mark: int, timeout: float) -> bool:
        """True once ``sn`` registered more than ``mark`` times; False after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.counts.get(sn, 0) <= mark:
            left = deadline - loop.time()
            if left <= 0:
                return False
            try:
                async with asyncio.timeout(left):
                    await self._changed.wait()
            except TimeoutError:
                return False
        return True


class SessionCommands(TerminalCommands):
    """Mixed into ``Session``; relies on its ``command``, ``transport``, ``ingest``,
    ``store``, ``subscribe``, ``now_local`` and ``command_hooks``."""

    command: Any
    transport: Any
    command_hooks: list[Any]
    ingest: Any
    store: Any
    subscribe: Any
    now_local: Any

    async def _terminal_request(self, sn: str, cmd: str, fields: Any, **how: Any) -> Any:
        """``how``: ``timeout`` and ``expect_reply``, as :meth:`Session.command` takes them."""
        reply = await self.command(sn, cmd, fields, **how)
        await self._record_effects(sn, cmd, fields)
        return reply

    async def _record_effects(self, sn: str, cmd: str, fields: dict[str, Any]) -> None:
        """Keep the stored credentials in step with what the terminal accepted."""
        try:
            if cmd == "setuserinfo" and "backupnum" in fields and "record" in fields:
                await self.store.save_credential(sn, UserCredential.from_wire(fields))
            elif cmd == "deleteuser":
                await self.store.delete_credential(
                    sn, int(fields["enrollid"]), int(fields.get("backupnum", 13))
                )
            elif cmd in ("cleanuser", "initsys"):
                loop = asyncio.get_running_loop()
                held = await loop.run_in_executor(None, self.store.credentials, sn)
                for enrollid in {c.enrollid for c in held}:
                    await self.store.delete_credential(sn, enrollid, 13)
        except (StoreError, FrameError) as exc:
            log.error("terminal %s accepted %s but the store did not: %s", sn, cmd, exc)
            return
        for hook in self.command_hooks:  # layers above: the roster records drift
            try:
                await hook(sn, cmd, fields)
            except StoreError as exc:
                log.error("terminal %s: %s not recorded by %r: %s", sn, cmd, hook, exc)

    async def _store_pulled(self, sn: str, records: tuple[LogRecord, ...], source: str) -> int:
        return int(await self.ingest(sn, records, logindex=None, source=source))

    def _connect_counter(self) -> ConnectCounter:
        counter = self.__dict__.get("_connects")
        if counter is None:
            counter = self.__dict__["_connects"] = ConnectCounter()
            self.subscribe(counter, TerminalConnected)
        return counter

    async def _reconnect_mark(self, sn: str) -> int:
        if self.transport.shared:  # it may come back through any gateway: watch its lease
            return int(await self.transport.lease_mark(sn))
        return self._connect_counter().counts.get(sn, 0)

    async def _wait_reconnect(self, sn: str, mark: int, timeout: float) -> bool:
        if self.transport.shared:
            return bool(await self.transport.wait_lease(sn, mark, timeout))
        return await self._connect_counter().wait(sn, mark, timeout)

    def _local_now(self) -> datetime:
        now: datetime = self.now_local()
        return now
