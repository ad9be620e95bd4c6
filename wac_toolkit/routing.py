"""Commands from any process reach the gateway that holds the terminal, through the database.

With several gateways on one PostgreSQL database, a command to a terminal no connection of
this process holds (:mod:`wac_toolkit.transport` decides) looks the holder up in the
presence leases (:mod:`wac_toolkit.presence`) and goes through the ``commands`` table:

* :class:`CommandSender` (any Session: a gateway, a notebook, ``wac open-door --db
  postgresql://...``) queues the row with a NOTIFY to the holder, then waits for the
  holder's NOTIFY on :data:`~wac_toolkit.store.postgres.REPLY_CHANNEL` and takes the outcome
  (read and deleted in one statement). If its LISTEN connection is lost it polls instead
  (5 ms, doubling to 100 ms), so a reply is never missed, only later.
* :class:`CommandRouter` (a gateway) takes its queued commands with ``FOR UPDATE SKIP
  LOCKED`` (woken by the NOTIFY, and every ``poll`` seconds in case one was missed), only
  those still within their timeout, sends each to its terminal over its own connection
  with the time it has left, and writes the outcome back with a NOTIFY.

The caller sees what a local command gives: the reply, ``DeviceError``, ``CommandTimeout``,
``TerminalNotAdopted``, or ``TerminalOffline`` at once when no gateway holds the terminal.

With PostgreSQL the database is the control channel: whoever may write to it may command
terminals, exactly as whoever holds the control token may with one SQLite gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
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

__all__ = ["CommandRouter", "CommandSender", "Listener"]

log = logging.getLogger(__name__)

SLACK = 2.0
"""Seconds a sender waits beyond the command's own timeout (the holder applies that one)."""

BACKSTOP = 1.0
"""Seconds between looks at a routed command's outcome while its NOTIFY is awaited (in case
one is lost with its connection: a dropped LISTEN connection turns to polling at once)."""


EARLY = 1024
"""Replies heard before their sender waited for them, remembered (the newest)."""


class Listener:
    """A thread on a dedicated LISTEN connection: each notification goes to its channel's
    handler, called on the loop. psycopg's notifications come on a blocking connection, and
    the store's own connections are pooled for statements, hence one more, used for this."""

    def __init__(
        self,
        store: Any,
        loop: asyncio.AbstractEventLoop,
        handlers: Mapping[str, Callable[[str], None]],
        name: str,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.loop = loop
        self.handlers = handlers
        self.name = name
        self.on_lost = on_lost
        """Called on the loop when the connection breaks (waiters turn to polling)."""
        self.alive = False
        """LISTEN is in place: what its channels announce arrives (else: poll)."""
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self) -> None:
        """Blocking: connect and LISTEN (in place when this returns), then start reading."""
        db = self.store.listen(*self.handlers)
        self.alive = True
        self._thread = threading.Thread(target=self._read, args=(db,), name=self.name)
        self._thread.daemon = True
        self._thread.start()

    async def close(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 5)

    def _read(self, db: Any) -> None:
        try:
            while not self._stopping.is_set():
                for note in db.notifies(timeout=0.5):
                    handler = self.handlers.get(note.channel)
                    if handler is not None:
                        self.loop.call_soon_threadsafe(handler, note.payload)
        except Exception as exc:  # the connection broke: polling still finds everything
            if not self._stopping.is_set():
                log.warning("%s: LISTEN connection lost (%s); polling only", self.name, exc)
        finally:
            self.alive = False
            if self.on_lost is not None and not self._stopping.is_set():
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                    self.loop.call_soon_threadsafe(self.on_lost)
            with contextlib.suppress(Exception):
                db.close()


class CommandSender:
    """Routes commands to the gateways holding their terminals, and brings the replies back.

    Args:
        store: the shared (PostgreSQL) store.
        notify: wait for replies by LISTEN/NOTIFY (default); False polls only (the bench
            compares both).
    """

    def __init__(self, store: Any, *, notify: bool = True) -> None:
        from .store.postgres import REPLY_CHANNEL

        self.store = store
        self.notify = notify
        self.backstop = BACKSTOP
        self.replies: Counter[str] = Counter()
        """How outcomes were found: ``notify`` (woken by the holder's NOTIFY), ``poll`` (a
        timed look: no LISTEN, or a lost NOTIFY), ``first look`` (before any wait)."""
        self._channel = REPLY_CHANNEL
        self._waiting: dict[int, asyncio.Event] = {}
        self._early: OrderedDict[int, bool] = OrderedDict()
        """Replies announced before their sender waited (the NOTIFY can beat the INSERT's
        answer to the sender); every sender hears every reply, so only the latest few."""
        self._listener: Listener | None = None
        self._starting: asyncio.Lock | None = None

    async def route(
        self, sn: str, cmd: str, fields: dict[str, Any] | None, *, timeout: float,
        expect_reply: bool, exclude: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Send through the gateway holding ``sn``; TerminalOffline at once when none does
        (or only ``exclude``, this process's own gateway, which has no connection to it)."""
        loop = asyncio.get_running_loop()
        listening = await self._listen()
        payload = orjson.dumps(fields or {}).decode()
        queued = await loop.run_in_executor(
            None,
            lambda: self.store.queue_command(
                sn, cmd, payload, expect_reply, timeout, exclude=exclude
            ),
        )
        if queued is None:
            raise TerminalOffline(sn)
        command_id, gateway = queued
        wake = asyncio.Event()
        if listening:  # else nothing wakes it: each wait is a poll
            self._waiting[command_id] = wake
            if self._early.pop(command_id, False):  # replied before we waited
                wake.set()
        deadline = loop.time() + timeout + SLACK
        pause = 0.005
        outcome = None
        how = "notify" if wake.is_set() else "first look"
        look = not listening  # with LISTEN, the NOTIFY says when to look
        try:
            while True:
                if look or wake.is_set() or not self._alive():
                    outcome = await loop.run_in_executor(
                        None, self.store.collect_outcome, command_id
                    )
                    if outcome is not None:
                        self.replies[how] += 1
                        break
                look = True
                left = deadline - loop.time()
                if left <= 0:
                    raise CommandTimeout(sn, cmd, timeout)
                if listening and self._alive():
                    wait = min(left, self.backstop)
                else:
                    wait, pause = min(left, pause), min(pause * 2, 0.1)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await wake.wait()
                how = "notify" if wake.is_set() and self._alive() else "poll"
                wake.clear()
        finally:
            self._waiting.pop(command_id, None)
            if outcome is None:  # given up (timeout, cancel): a queued command is not sent
                with contextlib.suppress(StoreError):
                    await loop.run_in_executor(
                        None, lambda: self.store.command_outcome(command_id, forget=True)
                    )
        return _result(sn, cmd, timeout, gateway, outcome)

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    async def _listen(self) -> bool:
        """LISTEN for replies (once, at the first routed command; again if it was lost)."""
        if not self.notify:
            return False
        if self._listener is not None and self._listener.alive:
            return True
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._listener is None or not self._listener.alive:
                loop = asyncio.get_running_loop()
                handlers = {self._channel: self._replied}
                listener = Listener(self.store, loop, handlers, "wac-replies", self._lost)
                try:
                    await loop.run_in_executor(None, listener.open)
                except Exception as exc:  # no LISTEN now: poll, and try again next time
                    log.warning("routing: cannot LISTEN for replies (%s); polling", exc)
                    return False
                self._listener = listener
        return True

    def _alive(self) -> bool:
        return self._listener is not None and self._listener.alive

    def _lost(self) -> None:
        """LISTEN is gone: every waiter looks now, and polls from here on."""
        for wake in self._waiting.values():
            wake.set()

    def _replied(self, payload: str) -> None:
        with contextlib.suppress(ValueError):
            command_id = int(payload)
            wake = self._waiting.get(command_id)
            if wake is not None:
                wake.set()
            else:  # not waited for yet (or another sender's): kept a while
                self._early[command_id] = True
                if len(self._early) > EARLY:
                    self._early.popitem(last=False)


def _result(
    sn: str, cmd: str, timeout: float, gateway: str, outcome: tuple[Any, ...]
) -> dict[str, Any]:
    """The reply, or the exception the holder met, raised again here as the same class."""
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
    raise WacError(f"terminal {sn}: {cmd} failed at gateway {gateway}: {error}")


class CommandRouter:
    """The holder's side of routing for one gateway: the taker task serves what is queued
    for it, and terminal state changes made elsewhere are applied here."""

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
        self._stopping = False
        self._taker: asyncio.Task[None] | None = None
        self._listener: Listener | None = None
        self._running: set[asyncio.Task[None]] = set()
        self.taken: Counter[str] = Counter()
        """Commands taken after a ``notify`` or a ``poll`` (a NOTIFY lost, or no LISTEN)."""

    async def start(self) -> None:
        await self._listen()
        self._taker = asyncio.ensure_future(self._take_forever())

    async def _listen(self) -> None:
        """LISTEN for commands and state changes (at start; again at a poll if it was lost:
        then a state change missed meanwhile is caught by the heartbeat's sync)."""
        loop = asyncio.get_running_loop()
        handlers = {self._channel: self._queued, self._terminals_channel: self._state_changed}
        listener = Listener(self.store, loop, handlers, "wac-routing")
        await loop.run_in_executor(None, listener.open)
        self._listener = listener
        if self._stopping:  # stop() came meanwhile and closed the one before
            await listener.close()

    async def stop(self) -> None:
        self._stopping = True
        if self._taker is not None:
            self._taker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._taker
        await asyncio.gather(*self._running, *self._syncs, return_exceptions=True)
        if self._listener is not None:
            await self._listener.close()

    def _queued(self, gateway: str) -> None:
        """A command was queued for ``gateway``: take it now if that is this one."""
        if gateway == self.gateway:
            self._wake.set()

    def _state_changed(self, sn: str) -> None:
        """A terminal was adopted, blocked or forgotten through the database (any gateway,
        ``wac terminals``): apply it to this gateway's registry and connections."""
        if self._stopping:
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
            how = "notify" if self._wake.is_set() else "poll"
            self._wake.clear()
            if how == "poll":  # now and then: rows whose senders died waiting
                with contextlib.suppress(StoreError):
                    await loop.run_in_executor(None, self.store.purge_commands)
            if self._listener is not None and not self._listener.alive:
                try:
                    await self._listen()
                except Exception as exc:  # the store is down: polling goes on meanwhile
                    log.warning("routing: cannot LISTEN again: %s", exc)
            try:
                taken = await loop.run_in_executor(None, self.store.take_commands, self.gateway)
            except StoreError as exc:
                log.warning("routing: cannot take commands: %s", exc)
                continue
            self.taken[how] += len(taken)
            for row in taken:
                task = asyncio.ensure_future(self._serve(*row))
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    async def _serve(
        self, command_id: int, sn: str, cmd: str, fields: str, expect_reply: int, left_ms: int
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
                timeout=left_ms / 1000,  # what is left of it: taken late, answered in time
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
