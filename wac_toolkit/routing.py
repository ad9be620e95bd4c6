"""Commands from any process reach the gateway that holds the terminal, through the database.

With several gateways on one PostgreSQL database, ``session.command(sn, ...)`` on a session
whose gateway does not hold ``sn`` looks the holder up in the presence leases
(:mod:`wac_toolkit.presence`), queues the command in the ``commands`` table with a NOTIFY to
that gateway, and waits for the outcome row. The holder takes its queued commands with
``FOR UPDATE SKIP LOCKED`` (woken by the NOTIFY, and every ``poll`` seconds in case one was
missed), sends each to its terminal over its own connection, and writes the reply back.
The caller sees what a local command gives: the reply, ``DeviceError``, ``CommandTimeout``,
or ``TerminalOffline`` at once when no gateway holds the terminal.

With PostgreSQL the database is the control channel: whoever may write to it may command
terminals, exactly as whoever holds the control token may with one SQLite gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import TYPE_CHECKING, Any

import orjson

from .errors import (
    CommandTimeout,
    DeviceError,
    StoreError,
    TerminalNotAdopted,
    TerminalOffline,
    WacError,
)

if TYPE_CHECKING:
    from .session import Session

__all__ = ["CommandRouter"]

log = logging.getLogger(__name__)

SLACK = 2.0
"""Seconds a sender waits beyond the command's own timeout (the holder applies that one)."""


class CommandRouter:
    """Both sides of routing for one gateway: :meth:`route` sends, the taker task serves."""

    def __init__(self, session: Session, gateway: str, *, poll: float = 1.0) -> None:
        from .store.postgres import COMMAND_CHANNEL, TERMINALS_CHANNEL

        self.session = session
        self.store: Any = session.store
        self.gateway = gateway
        self.poll = poll
        self._channel = COMMAND_CHANNEL
        self._terminals_channel = TERMINALS_CHANNEL
        self._syncs: set[asyncio.Task[list[str]]] = set()
        self._wake = asyncio.Event()
        self._stopping = threading.Event()
        self._taker: asyncio.Task[None] | None = None
        self._listener: threading.Thread | None = None
        self._running: set[asyncio.Task[None]] = set()

    # -- sender -------------------------------------------------------------------------------

    async def route(
        self, sn: str, cmd: str, fields: dict[str, Any] | None, *, timeout: float,
        expect_reply: bool,
    ) -> dict[str, Any]:  # fmt: skip
        loop = asyncio.get_running_loop()
        holder = (await loop.run_in_executor(None, self.store.holders)).get(sn)
        if holder is None or holder == self.gateway:
            raise TerminalOffline(sn)
        payload = orjson.dumps(fields or {}).decode()
        command_id = await loop.run_in_executor(
            None, self.store.queue_command, sn, holder, cmd, payload, expect_reply, timeout
        )
        deadline = loop.time() + timeout + SLACK
        pause = 0.005
        try:
            while True:
                outcome = await loop.run_in_executor(
                    None, lambda: self.store.command_outcome(command_id, forget=False)
                )
                if outcome is not None and outcome[0] in ("done", "failed"):
                    break
                if loop.time() > deadline:
                    raise CommandTimeout(sn, cmd, timeout)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.1)
        finally:
            with contextlib.suppress(StoreError):
                await loop.run_in_executor(
                    None, lambda: self.store.command_outcome(command_id, forget=True)
                )
        _, reply, kind, error = outcome
        if kind is None:
            return dict(orjson.loads(reply)) if reply else {}
        if kind == "device":
            frame = orjson.loads(reply) if reply else {}
            raise DeviceError(sn, cmd, frame.get("reason", error), frame)
        if kind == "timeout":
            raise CommandTimeout(sn, cmd, timeout)
        if kind == "offline":
            raise TerminalOffline(sn)
        if kind == "not_adopted":
            raise TerminalNotAdopted(sn, error or "pending")
        raise WacError(f"terminal {sn}: {cmd} failed at gateway {holder}: {error}")

    # -- holder -------------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        listening = self.store.listen(self._channel, self._terminals_channel)
        self._listener = threading.Thread(
            target=self._listen, args=(listening, loop), name="wac-routing", daemon=True
        )
        self._listener.start()
        self._taker = asyncio.ensure_future(self._take_forever())

    async def stop(self) -> None:
        self._stopping.set()
        if self._taker is not None:
            self._taker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._taker
        await asyncio.gather(*self._running, *self._syncs, return_exceptions=True)
        if self._listener is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._listener.join, 5)

    def _listen(self, db: Any, loop: asyncio.AbstractEventLoop) -> None:
        """Thread: wake the taker when a NOTIFY names this gateway."""
        try:
            while not self._stopping.is_set():
                for note in db.notifies(timeout=0.5):
                    if note.channel == self._terminals_channel:
                        loop.call_soon_threadsafe(self._state_changed, note.payload)
                    elif note.payload == self.gateway:
                        loop.call_soon_threadsafe(self._wake.set)
        except Exception as exc:  # the connection broke: polling still finds the commands
            if not self._stopping.is_set():
                log.warning("routing: LISTEN connection lost (%s); polling only", exc)
        finally:
            with contextlib.suppress(Exception):
                db.close()

    def _state_changed(self, sn: str) -> None:
        """A terminal was adopted, blocked or forgotten through the database (any gateway,
        ``wac terminals``): apply it to this gateway's registry and connections."""
        if self._stopping.is_set():
            return
        task = asyncio.ensure_future(self.session.sync_states([sn]))
        self._syncs.add(task)
        task.add_done_callback(self._synced)

    def _synced(self, task: asyncio.Task[list[str]]) -> None:
        self._syncs.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("terminal state not applied here: %s", task.exception())

    async def _take_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._wake.wait()
            self._wake.clear()
            try:
                taken = await loop.run_in_executor(None, self.store.take_commands, self.gateway)
            except StoreError as exc:
                log.warning("routing: cannot take commands: %s", exc)
                continue
            for row in taken:
                task = asyncio.ensure_future(self._serve(*row))
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    async def _serve(
        self, command_id: int, sn: str, cmd: str, fields: str, expect_reply: int, timeout_ms: int
    ) -> None:
        reply: str | None = None
        kind: str | None = None
        error: str | None = None
        try:
            terminal = self.session.registry.get(sn)
            if terminal is not None and not terminal.adopted:
                await self.session.sync_states([sn])  # adopted elsewhere a moment ago?
                terminal = self.session.registry.get(sn)
            if terminal is not None and not terminal.adopted:
                raise TerminalNotAdopted(sn, str(terminal.state))
            peer = self.session.gateway.peer(sn)  # never routed again: held here or offline
            frame = await peer.request(
                cmd,
                orjson.loads(fields),
                timeout=timeout_ms / 1000,
                expect_reply=bool(expect_reply),
            )
            reply = orjson.dumps(frame).decode()
        except DeviceError as exc:
            kind, error, reply = "device", str(exc.reason), orjson.dumps(exc.reply).decode()
        except CommandTimeout as exc:
            kind, error = "timeout", str(exc)
        except TerminalOffline as exc:
            kind, error = "offline", str(exc)
        except TerminalNotAdopted as exc:
            kind, error = "not_adopted", exc.state
        except WacError as exc:
            kind, error = "error", str(exc)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                None, self.store.finish_command, command_id, reply, kind, error
            )
        except StoreError as exc:
            log.warning("routing: reply to command %s not recorded: %s", command_id, exc)
