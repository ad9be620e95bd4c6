"""``Peer``: one WebSocket connection speaking the protocol, whichever side dialed.

A thin asyncio driver of :class:`~wac_toolkit.protocol.connection.Connection`, which holds the
correlation rules (one command in flight, poisoned names after a timeout, echo checks, bad
frames over a window, summarised warnings). This module owns what needs a loop: the queue of
callers waiting for their turn (bounded, so a stuck terminal cannot pile up work), one timer
for the state machine's next deadline, and the deadlines on writes.

Every write has a deadline (the command's, or the command timeout for replies): a terminal
that stops reading fills its TCP window and would block ``send()`` on drain for ever, and with
it the keepalive and every command queued behind. A write that misses its deadline closes the
connection with 1011 (the socket is aborted if the close frame cannot get through either), so
the terminal reconnects clean and the caller gets :class:`CommandTimeout` in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.connection import Connection as WebSocket
from websockets.exceptions import ConnectionClosed

from ..errors import CommandTimeout, DeviceError, QueueFull, WacClientError
from ..protocol import frames
from ..protocol.connection import (
    CLOSE_BAD_FRAMES,
    Answered,
    BadFrame,
    Connection,
    Dropped,
    Event,
    Request,
    TimedOut,
    Unpoisoned,
)
from ..protocol.handlers import fail
from ..protocol.values import is_ok, reason_of

__all__ = ["CLOSE_BAD_FRAMES", "CLOSE_STUCK", "Handler", "Peer"]

log = logging.getLogger(__name__)

Handler = Callable[["Peer", dict[str, Any]], Awaitable[dict[str, Any] | None]]
"""Answers one incoming request; returns the reply, or None to send nothing."""

CLOSE_STUCK = 1011
"""Close code for a peer that could not take a frame within the deadline."""

STUCK_CLOSE_WAIT = 1.0
"""Seconds the close frame to a stuck peer may take before the socket is aborted."""


class Peer:
    """Drive one protocol connection.

    Args:
        connection: an open ``websockets`` connection (server or client side).
        handler: answers requests from the other side; None acknowledges them blindly.
        sn: the terminal's serial number when known (from ``reg``); used in errors and logs.
        timeout: default seconds to wait for a reply (and for any write to get through).
        max_queue: commands allowed to wait behind the one in flight.
        max_bad_frames: undecodable frames tolerated within ``bad_frame_window`` seconds
            before closing with 1007.
        grace: seconds a timed-out command's name stays poisoned if its late reply does not
            come (None: the command's own timeout).
        typed_sendlog: hand ``sendlog`` requests in the documented shape to the handler
            already read (:class:`~wac_toolkit.protocol.typed.TypedSendlog`); for a handler
            that reads them with :func:`~wac_toolkit.protocol.handlers.read_sendlog`.
    """

    def __init__(
        self,
        connection: WebSocket,
        handler: Handler | None = None,
        *,
        sn: str | None = None,
        timeout: float = 20.0,
        max_queue: int = 64,
        max_bad_frames: int = 20,
        bad_frame_window: float = 60.0,
        grace: float | None = None,
        typed_sendlog: bool = False,
    ) -> None:
        self.connection = connection
        self.handler = handler
        self.sn = sn
        self.timeout = timeout
        self.max_queue = max_queue
        self.machine = Connection(
            grace=grace, max_bad_frames=max_bad_frames, bad_frame_window=bad_frame_window,
            typed_sendlog=typed_sendlog,
        )  # fmt: skip
        self._lock = asyncio.Lock()
        self._waiting = 0
        self._future: asyncio.Future[dict[str, Any]] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._unpoisoned: asyncio.Event | None = None
        self._closing: asyncio.Task[None] | None = None
        self._closed = False
        self._closed_event: asyncio.Event | None = None
        """Created only when someone waits: an idle gateway holds thousands of peers."""

    def __repr__(self) -> str:
        return f"<Peer sn={self.sn} remote={self.remote}>"

    @property
    def remote(self) -> str | None:
        address = self.connection.remote_address
        return f"{address[0]}:{address[1]}" if address else None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def name(self) -> str:
        return self.sn or self.remote or "?"

    async def run(self) -> None:
        """Read frames until the connection closes. Never raises for a bad frame."""
        try:
            async for message in self.connection:
                await self.receive(message)
        except ConnectionClosed:
            pass
        finally:
            self._mark_closed()
            if self._closing is not None:
                await self._closing

    async def receive(self, message: str | bytes) -> None:
        """Handle one incoming message (also used for the first frame the gateway read itself)."""
        now = asyncio.get_running_loop().time()
        for event in self.machine.receive_text(message, now):
            if isinstance(event, Request):
                await self._answer(event.frame)
            elif isinstance(event, BadFrame):
                await self._bad_frame(event)
            else:
                self._handle(event)
        self._arm()

    async def request(
        self,
        cmd: str,
        fields: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        expect_reply: bool = True,
    ) -> dict[str, Any]:
        """Send a command and wait for its reply.

        The timeout counts from the command's turn (commands queued before it wait first): it
        covers waiting out a poisoned name, writing the frame, and the reply.

        Returns:
            The reply frame (``result`` true), or ``{}`` when no reply is expected.

        Raises:
            DeviceError: the other side answered ``result: false``.
            CommandTimeout: no reply (or the frame could not be written) within ``timeout``.
            QueueFull: ``max_queue`` commands already wait for this connection.
            WacClientError: the connection is closed or closes while waiting.
        """
        if self.closed:
            raise WacClientError(f"connection to {self.name} is closed")
        if self._waiting >= self.max_queue + 1:
            raise QueueFull(self.sn, self.max_queue)
        timeout = self.timeout if timeout is None else timeout
        self._waiting += 1
        try:
            async with self._lock:
                reply = await self._exchange(cmd, fields, timeout, expect_reply)
        finally:
            self._waiting -= 1
        if expect_reply and not is_ok(reply):
            raise DeviceError(self.sn or reply.get("sn"), cmd, reason_of(reply), reply)
        return reply

    async def _exchange(
        self, cmd: str, fields: dict[str, Any] | None, timeout: float, expect_reply: bool
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self._wait_unpoisoned(cmd, deadline, timeout)
        if self.closed:
            raise WacClientError(f"connection to {self.name} is closed")
        frame = self.machine.send_command(
            cmd, fields, now=loop.time(), timeout=deadline - loop.time(), expect_reply=expect_reply
        )
        future: asyncio.Future[dict[str, Any]] | None = None
        if expect_reply:
            future = self._future = loop.create_future()
            self._arm()
        try:
            await self._write(frame, deadline, cmd=cmd, timeout=timeout)
            if future is None:
                return {}
            return await future
        except _Expired:
            raise CommandTimeout(self.sn, cmd, timeout) from None
        except asyncio.CancelledError:
            if self.machine.abandon(loop.time()) is not None:
                log.info("%s: %r abandoned by its caller; its late reply will be dropped",
                         self.name, cmd)  # fmt: skip
            raise
        finally:
            if future is not None and future.done() and not future.cancelled():
                future.exception()  # retrieved: a write that missed the deadline raised first
            self._future = None
            self._arm()

    async def _wait_unpoisoned(self, cmd: str, deadline: float, timeout: float) -> None:
        """Wait until ``cmd``'s earlier timed-out instance is settled, within the deadline."""
        loop = asyncio.get_running_loop()
        while not self.closed and self.machine.poisoned_until(cmd, loop.time()) is not None:
            if loop.time() >= deadline:
                raise CommandTimeout(self.sn, cmd, timeout)
            if self._unpoisoned is None:
                self._unpoisoned = asyncio.Event()
            event = self._unpoisoned
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await event.wait()

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one frame outside the command flow (a terminal's push without waiting).

        Raises:
            WacClientError: closed, or the frame could not be written within ``timeout``.
        """
        deadline = asyncio.get_running_loop().time() + self.timeout
        await self._write(frame, deadline, cmd=frames.name(frame), timeout=self.timeout)

    async def _write(
        self, frame: dict[str, Any], deadline: float, *, cmd: str, timeout: float
    ) -> None:
        if self.closed:
            raise WacClientError(f"connection to {self.name} closed")
        try:
            async with asyncio.timeout_at(deadline):
                await self.connection.send(frames.encode(frame))
        except TimeoutError:
            self._stuck(cmd)
            raise CommandTimeout(self.sn, cmd, timeout) from None
        except ConnectionClosed as exc:
            self._mark_closed()
            raise WacClientError(f"connection to {self.name} closed") from exc

    def _stuck(self, cmd: str) -> None:
        """The peer did not take a frame in time: close it so it reconnects clean."""
        if self._closing is not None:
            return
        log.warning(
            "%s took no frame within the deadline (%r); closing with %d so it reconnects",
            self.name, cmd, CLOSE_STUCK,
        )  # fmt: skip
        self._mark_closed()
        self._closing = asyncio.get_running_loop().create_task(
            self._close_stuck(), name=f"wac-close-{self.name}"
        )

    async def _close_stuck(self) -> None:
        try:
            async with asyncio.timeout(STUCK_CLOSE_WAIT):
                await self.connection.close(CLOSE_STUCK, "not reading")
        except (TimeoutError, ConnectionClosed, OSError):
            pass
        finally:
            self.connection.transport.abort()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self._closing is not None:
            await self._closing
        else:
            try:
                async with asyncio.timeout(self.timeout):
                    await self.connection.close(code, reason)
            except TimeoutError:
                self.connection.transport.abort()
        self._mark_closed()

    async def wait_closed(self) -> None:
        if self._closed:
            return
        if self._closed_event is None:
            self._closed_event = asyncio.Event()
        await self._closed_event.wait()

    # -- events from the state machine --------------------------------------------------------

    def _handle(self, event: Event) -> None:
        if isinstance(event, Answered | TimedOut):
            future = self._future
            if future is not None and not future.done():
                if isinstance(event, Answered):
                    future.set_result(event.frame)
                else:
                    future.set_exception(_Expired())
        elif isinstance(event, Unpoisoned):
            if self._unpoisoned is not None:
                self._unpoisoned.set()
                self._unpoisoned = None
        elif isinstance(event, Dropped) and event.log:
            log.info("%s: %s", self.name, event.log)

    def _arm(self) -> None:
        """One timer at the state machine's next deadline; none while nothing is pending."""
        if self._closed:
            return
        when = self.machine.next_deadline()
        if when == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = (
            None if when is None else asyncio.get_running_loop().call_at(when, self._on_timer)
        )

    def _on_timer(self) -> None:
        self._timer = self._timer_at = None
        events, lines = self.machine.tick(asyncio.get_running_loop().time())
        for line in lines:
            log.warning("%s: %s", self.name, line)
        for event in events:
            self._handle(event)
        self._arm()

    async def _answer(self, frame: dict[str, Any]) -> None:
        cmd = frame["cmd"]
        try:
            reply = (
                await self.handler(self, frame) if self.handler else {"ret": cmd, "result": True}
            )
        except Exception:
            now = asyncio.get_running_loop().time()
            line = self.machine.note(f"handler {cmd}", f"handler for {cmd!r} failed", now)
            if line:  # a frame that breaks a handler, sent in a loop, logs once a minute
                log.exception("%s: %s", self.name, line)
            reply = fail(cmd, "server error")
        if reply is not None:
            try:
                await self.send(reply)
            except WacClientError:
                log.debug("reply to %r not sent: %s closed", cmd, self.name)

    async def _bad_frame(self, event: BadFrame) -> None:
        if event.log:
            log.warning("%s: %s", self.name, event.log)
        if event.close:
            await self.close(CLOSE_BAD_FRAMES, "too many invalid frames")
            return
        if event.reply is not None:
            with contextlib.suppress(WacClientError):
                await self.send(event.reply)

    def _mark_closed(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_at = None
        for line in self.machine.close():
            log.warning("%s: %s", self.name, line)
        if self._closed_event is not None:
            self._closed_event.set()
        if self._unpoisoned is not None:
            self._unpoisoned.set()
        future = self._future
        if future is not None and not future.done():
            future.set_exception(WacClientError(f"connection to {self.name} closed while waiting"))


class _Expired(Exception):
    """Set on a command's future when the state machine says its deadline passed."""
