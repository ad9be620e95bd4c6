"""The listening side: terminals dial in, register, and are routed by serial number.

The gateway enforces what the protocol and the websockets library do not: ``reg`` must come
first and within a deadline, a cap on connections that have not registered yet, an optional
secret in the URL path, and one live connection per serial number (a newer one replaces the
stale one). What a registration means, and how requests are answered, is the handler's
business (the :class:`~wac_toolkit.session.Session`).
"""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from http import HTTPStatus
from typing import Any, Protocol

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ..errors import FrameError, TerminalOffline
from ..protocol import frames
from ..protocol.handlers import fail
from ..protocol.summary import WarningSummary
from ..protocol.values import is_ok, reason_of
from .peer import Peer

__all__ = [
    "CLOSE_NOT_REGISTERED",
    "CLOSE_REFUSED",
    "CLOSE_REPLACED",
    "CLOSE_TRY_LATER",
    "Gateway",
    "GatewayHandler",
]

log = logging.getLogger(__name__)

CLOSE_NOT_REGISTERED = 1008
"""No ``reg`` within the deadline, or something else came first."""
CLOSE_REFUSED = 1008
"""The ``reg`` was refused (allow-list)."""
CLOSE_REPLACED = 1008
"""A newer connection registered with the same serial number."""
CLOSE_TRY_LATER = 1013
"""Too many connections waiting to register."""


class GatewayHandler(Protocol):
    async def on_register(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
        """Decide on a ``reg``: set ``peer.sn`` and return the reply (``result:false`` refuses)."""

    async def on_request(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any] | None:
        """Answer any later request from a registered terminal."""

    def on_online(self, peer: Peer, frame: dict[str, Any]) -> None:
        """The terminal is routable now (its reg reply has been sent)."""

    def on_offline(self, peer: Peer) -> None:
        """The terminal's current connection ended."""


class Gateway:
    """A websockets server for terminals.

    Args:
        handler: decides registrations and answers requests.
        host, port: where to listen; port 0 lets the OS choose (see :attr:`port`).
        reg_timeout: seconds a new connection has to send ``reg``.
        max_size: largest frame accepted; photo batches need megabytes (PROTOCOL.md 6).
        compression: ``None`` (default: 4x less memory, no decompression bombs) or ``"deflate"``.
        path_secret: when set, only URL paths containing it are accepted (HTTP 403 otherwise).
        ssl: an SSL context for ``wss://``.
        max_unregistered: connections allowed to be waiting for their ``reg`` at once.
        command_timeout, max_queue: passed to each :class:`Peer`.
        command_grace: seconds a timed-out command's name stays poisoned when its late reply
            does not come (None: the command's own timeout); see :mod:`..protocol.connection`.
        open_timeout: seconds for the HTTP upgrade (slow-drip handshakes are closed after it).
        close_timeout: seconds to wait for the other side's close frame (a silent terminal
            is dropped after ``ping_timeout`` plus this).
    """

    def __init__(
        self,
        handler: GatewayHandler,
        *,
        host: str = "127.0.0.1",
        port: int = 7788,
        reg_timeout: float = 15.0,
        max_size: int = 16 * 2**20,
        compression: str | None = None,
        path_secret: str | None = None,
        ssl: ssl_module.SSLContext | None = None,
        max_unregistered: int = 1000,
        command_timeout: float = 20.0,
        max_queue: int = 64,
        command_grace: float | None = None,
        ping_interval: float | None = 30.0,
        ping_timeout: float | None = 30.0,
        open_timeout: float = 10.0,
        close_timeout: float = 5.0,
    ) -> None:
        self.handler = handler
        self.host = host
        self.requested_port = port
        self.reg_timeout = reg_timeout
        self.max_size = max_size
        self.compression = compression
        self.path_secret = path_secret
        self.ssl = ssl
        self.max_unregistered = max_unregistered
        self.command_timeout = command_timeout
        self.max_queue = max_queue
        self.command_grace = command_grace
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.open_timeout = open_timeout
        self.close_timeout = close_timeout
        self.peers: dict[str, Peer] = {}
        self._unregistered = 0
        self._server: Server | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._refusals = WarningSummary(60.0)
        """Refused registrations are logged once per reason and minute, then counted: a
        hostile device reconnecting in a loop cannot flood the log."""
        """Closes of replaced connections; :meth:`stop` awaits them."""

    @property
    def port(self) -> int:
        if self._server is None:
            return self.requested_port
        return int(next(iter(self._server.sockets)).getsockname()[1])

    @property
    def url(self) -> str:
        scheme = "wss" if self.ssl else "ws"
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = f"[{host}]" if ":" in host else host
        path = f"/{self.path_secret}" if self.path_secret else "/pub/chat"
        return f"{scheme}://{host}:{self.port}{path}"

    async def start(self) -> None:
        """Bind and start accepting; raises OSError when the port is taken."""
        self._server = await serve(
            self._handle,
            self.host,
            self.requested_port,
            max_size=self.max_size,
            compression=self.compression,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            open_timeout=self.open_timeout,
            close_timeout=self.close_timeout,
            max_queue=16,
            process_request=self._check_path if self.path_secret else None,
            ssl=self.ssl,
            server_header=None,
        )

    async def stop(self) -> None:
        """Stop listening, close every terminal with 1001, and wait until they are gone."""
        if self._server is None:
            return
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def peer(self, sn: str) -> Peer:
        """The live connection of ``sn``; raises :class:`TerminalOffline` when there is none."""
        peer = self.peers.get(sn)
        if peer is None or peer.closed:
            raise TerminalOffline(sn)
        return peer

    def _check_path(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.path_secret and self.path_secret not in request.path.split("/"):
            log.warning("refused %s: wrong path", connection.remote_address)
            return connection.respond(HTTPStatus.FORBIDDEN, "wrong path\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        frame = await self._first_frame(connection)
        if frame is None:
            return
        peer = Peer(
            connection,
            self.handler.on_request,
            timeout=self.command_timeout,
            max_queue=self.max_queue,
            grace=self.command_grace,
            # A handler that reads sendlog batches with read_sendlog (the Session) says so.
            typed_sendlog=getattr(self.handler, "typed_sendlog", False),
        )
        reply = await self.handler.on_register(peer, frame)
        if not is_ok(reply) or not peer.sn:
            reason = reason_of(reply) if not is_ok(reply) else "no serial number"
            self._refused(connection, str(reason))
            await _send_quietly(connection, reply)
            await connection.close(CLOSE_REFUSED, "registration refused")
            return
        sn = peer.sn
        stale = self.peers.get(sn)
        self.peers[sn] = peer
        if stale is not None and stale is not peer:
            log.info(
                "terminal %s reconnected from %s; closing the stale connection", sn, peer.remote
            )
            task = asyncio.ensure_future(
                stale.close(CLOSE_REPLACED, "replaced by a newer connection")
            )
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        await _send_quietly(connection, reply)
        self.handler.on_online(peer, frame)
        try:
            await peer.run()
        finally:
            if self.peers.get(sn) is peer:
                del self.peers[sn]
                self.handler.on_offline(peer)

    async def _first_frame(self, connection: ServerConnection) -> dict[str, Any] | None:
        """Wait for ``reg``; close the connection and return None on anything else."""
        if self._unregistered >= self.max_unregistered:
            await connection.close(CLOSE_TRY_LATER, "too many unregistered connections")
            return None
        self._unregistered += 1
        try:
            async with asyncio.timeout(self.reg_timeout):
                message = await connection.recv()
        except TimeoutError:
            log.info("%s sent no reg within %g s", connection.remote_address, self.reg_timeout)
            await connection.close(CLOSE_NOT_REGISTERED, "reg expected")
            return None
        except ConnectionClosed:
            return None
        finally:
            self._unregistered -= 1
        try:
            frame = frames.decode(message)
        except FrameError as exc:
            self._refused(connection, f"first frame is not a protocol message ({exc})")
            await _send_quietly(connection, fail("reg", "send reg first"))
            await connection.close(CLOSE_NOT_REGISTERED, "reg expected")
            return None
        if frame.get("cmd") != "reg":
            self._refused(connection, f"first frame is {frames.name(frame)!r}, not reg")
            await _send_quietly(connection, fail(frames.name(frame) or "reg", "send reg first"))
            await connection.close(CLOSE_NOT_REGISTERED, "reg expected")
            return None
        return frame

    def _refused(self, connection: ServerConnection, reason: str) -> None:
        now = asyncio.get_running_loop().time()
        line = self._refusals.note(reason[:80], f"refused registration: {reason[:200]}", now)
        if line:
            log.warning("%s from %s", line, connection.remote_address)


async def _send_quietly(connection: ServerConnection, frame: dict[str, Any]) -> None:
    try:
        await connection.send(frames.encode(frame))
    except ConnectionClosed:
        pass
