"""``Peer``: one WebSocket connection speaking the protocol, whichever side dialed.

Incoming ``cmd`` frames go to a handler whose return value is sent back as the reply.
Incoming ``ret`` frames resolve the command in flight. Replies carry no id, only the command
name, so at most one command is in flight per connection and the rest wait in order
(PROTOCOL.md 2, "Concurrency"); the wait is bounded so a stuck terminal cannot pile up work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.connection import Connection
from websockets.exceptions import ConnectionClosed

from ..errors import CommandTimeout, DeviceError, FrameError, QueueFull, WacClientError
from ..protocol import frames
from ..protocol.handlers import fail
from ..protocol.values import is_ok, reason_of

__all__ = ["CLOSE_BAD_FRAMES", "Handler", "Peer"]

log = logging.getLogger(__name__)

Handler = Callable[["Peer", dict[str, Any]], Awaitable[dict[str, Any] | None]]
"""Answers one incoming request; returns the reply, or None to send nothing."""

CLOSE_BAD_FRAMES = 1007
"""Close code after too many frames in a row that were not protocol messages."""


class Peer:
    """Drive one protocol connection.

    Args:
        connection: an open ``websockets`` connection (server or client side).
        handler: answers requests from the other side; None acknowledges them blindly.
        sn: the terminal's serial number when known (from ``reg``); used in errors and logs.
        timeout: default seconds to wait for a reply.
        max_queue: commands allowed to wait behind the one in flight.
        max_bad_frames: consecutive undecodable frames tolerated before closing with 1007.
    """

    def __init__(
        self,
        connection: Connection,
        handler: Handler | None = None,
        *,
        sn: str | None = None,
        timeout: float = 20.0,
        max_queue: int = 64,
        max_bad_frames: int = 20,
    ) -> None:
        self.connection = connection
        self.handler = handler
        self.sn = sn
        self.timeout = timeout
        self.max_queue = max_queue
        self.max_bad_frames = max_bad_frames
        self._lock = asyncio.Lock()
        self._waiting = 0
        self._inflight: tuple[str, asyncio.Future[dict[str, Any]]] | None = None
        self._bad_frames = 0
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

    async def run(self) -> None:
        """Read frames until the connection closes. Never raises for a bad frame."""
        try:
            async for message in self.connection:
                await self.receive(message)
        except ConnectionClosed:
            pass
        finally:
            self._mark_closed()

    async def receive(self, message: str | bytes) -> None:
        """Handle one incoming message (also used for the first frame the gateway read itself)."""
        try:
            frame = frames.decode(message)
        except FrameError as exc:
            await self._bad_frame(str(exc))
            return
        self._bad_frames = 0
        if "cmd" in frame:
            await self._answer(frame)
        else:
            self._resolve(frame)

    async def request(
        self,
        cmd: str,
        fields: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        expect_reply: bool = True,
    ) -> dict[str, Any]:
        """Send a command and wait for its reply.

        Returns:
            The reply frame (``result`` true), or ``{}`` when no reply is expected.

        Raises:
            DeviceError: the other side answered ``result: false``.
            CommandTimeout: no reply within ``timeout``.
            QueueFull: ``max_queue`` commands already wait for this connection.
            WacClientError: the connection is closed or closes while waiting.
        """
        if self.closed:
            raise WacClientError(f"connection to {self.sn or self.remote} is closed")
        if self._waiting >= self.max_queue + 1:
            raise QueueFull(self.sn, self.max_queue)
        timeout = self.timeout if timeout is None else timeout
        frame = {"cmd": cmd, **(fields or {})}
        self._waiting += 1
        try:
            async with self._lock:
                if not expect_reply:
                    await self.send(frame)
                    return {}
                loop = asyncio.get_running_loop()
                future: asyncio.Future[dict[str, Any]] = loop.create_future()
                self._inflight = (cmd, future)
                timer: asyncio.TimerHandle | None = None
                try:
                    await self.send(frame)
                    # A plain timer on the future: asyncio.wait_for costs a round trip's worth
                    # of loop work per command (bench: setuserinfo round trip).
                    if timeout is not None:
                        timer = loop.call_later(timeout, _expire, future)
                    reply = await future
                except _Expired:
                    raise CommandTimeout(self.sn, cmd, timeout) from None
                finally:
                    if timer is not None:
                        timer.cancel()
                    self._inflight = None
        finally:
            self._waiting -= 1
        if not is_ok(reply):
            raise DeviceError(self.sn or reply.get("sn"), cmd, reason_of(reply), reply)
        return reply

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one frame; a closed connection becomes :class:`WacClientError`."""
        try:
            await self.connection.send(frames.encode(frame))
        except ConnectionClosed as exc:
            self._mark_closed()
            raise WacClientError(f"connection to {self.sn or self.remote} closed") from exc

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.connection.close(code, reason)
        self._mark_closed()

    async def wait_closed(self) -> None:
        if self._closed:
            return
        if self._closed_event is None:
            self._closed_event = asyncio.Event()
        await self._closed_event.wait()

    async def _answer(self, frame: dict[str, Any]) -> None:
        cmd = frame["cmd"]
        try:
            reply = (
                await self.handler(self, frame) if self.handler else {"ret": cmd, "result": True}
            )
        except Exception:
            log.exception("handler for %r from %s failed", cmd, self.sn or self.remote)
            reply = fail(cmd, "server error")
        if reply is not None:
            try:
                await self.send(reply)
            except WacClientError:
                log.debug("reply to %r not sent: %s closed", cmd, self.sn)

    def _resolve(self, frame: dict[str, Any]) -> None:
        inflight = self._inflight
        if inflight and inflight[0] == frame["ret"] and not inflight[1].done():
            inflight[1].set_result(frame)
        else:
            log.info("unexpected reply %r from %s dropped", frame["ret"], self.sn or self.remote)

    async def _bad_frame(self, why: str) -> None:
        self._bad_frames += 1
        log.warning("bad frame from %s: %s", self.sn or self.remote, why)
        if self._bad_frames >= self.max_bad_frames:
            await self.close(CLOSE_BAD_FRAMES, "too many invalid frames")
            return
        try:
            await self.send(fail("error", why[:120]))
        except WacClientError:
            pass

    def _mark_closed(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._closed_event is not None:
            self._closed_event.set()
        if self._inflight and not self._inflight[1].done():
            self._inflight[1].set_exception(
                WacClientError(f"connection to {self.sn or self.remote} closed while waiting")
            )


class _Expired(Exception):
    """Set on a command's future when its timeout passes."""


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(_Expired())
