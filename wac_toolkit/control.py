"""The control endpoint: other processes command the terminals of a running gateway.

``wac serve`` starts a :class:`ControlServer` (not under a path of the terminal listener:
that one usually binds every interface so terminals can reach it, and the control endpoint
must not be reachable from the terminals' network at all; it also keeps the gateway's "reg
first" rule untouched). On POSIX it listens on a Unix domain socket in ``<db>.control/``,
a directory only the gateway's user can enter, and also checks the connecting process's
uid (``SO_PEERCRED``, Linux); the file permissions are the authentication, and there is no
TCP port another local user could take after a crash. Where asked, and on Windows, it
listens on loopback TCP instead and every connection must present the token in an
``Authorization: Bearer`` header, checked before the WebSocket opens (HTTP 401 otherwise).
:mod:`~wac_toolkit.control_endpoint` keeps the directory, the socket and the control file
that lets the CLI and notebooks find it.

Messages are JSON objects with an ``id`` and an ``op``; the answer echoes the ``id`` with
``ok`` and ``result``, or ``ok: false`` and the error (``TerminalOffline``, ``DeviceError``
with its reason, ``CommandTimeout`` ...), which :class:`ControlClient` raises again as the
same exception. Ops: ``command`` (sn, cmd, fields, confirm, timeout: any server-to-terminal
command of the catalogue, checked as the typed methods check it, see
:mod:`~wac_toolkit.control_command`), ``ingest`` (pulled records into the gateway's store),
``reconnect_mark`` / ``wait_reconnect`` (for ``reboot``), ``terminals``, ``roster_sync`` and
``roster_reconcile`` (for ``wac roster``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import secrets
import socket
import struct
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect, unix_connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.http11 import Request, Response

from .control_command import check_command, check_timeout
from .control_endpoint import (
    PROOF_HEADER,
    TOKEN_ENV,
    ProofChecker,
    client_authorization,
    control_file,
    locate,
    socket_path,
)
from .errors import (
    CommandTimeout,
    ConfirmationRequired,
    DeviceError,
    QueueFull,
    TerminalOffline,
    WacClientError,
    WacError,
)
from .private import private_umask
from .protocol.catalogue import terminal_commands
from .protocol.models import LogRecord

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "ControlClient",
    "ControlServer",
    "Op",
    "TOKEN_ENV",
    "control_file",
]

log = logging.getLogger(__name__)

Op = Callable[["Session", dict[str, Any]], Awaitable[Any]]
"""A control op: ``async fn(session, request) -> result``."""

_PULLS = frozenset(c.name for c in terminal_commands() if c.paged and c.group == "logs")


class ControlServer:
    """Serve control requests for ``session``.

    Args:
        host: TCP bind address; loopback unless you really mean otherwise.
        port: 0 lets the OS choose (see :attr:`url`).
        token: the TCP shared secret; a random one is generated when None.
        unix: listen on this Unix socket path instead of TCP (created 600; no token: only
            this user's processes, and root, may connect).
    """

    def __init__(
        self,
        session: Session,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token: str | None = None,
        unix: str | None = None,
    ) -> None:
        self.session = session
        self.host = host
        self.port = port
        """The port; the one the OS chose once started with port 0."""
        self.unix = unix
        self.token = None if unix else token or secrets.token_urlsafe(24)
        self._server: Server | None = None
        self._answers: dict[int, str] = {}
        self._proofs: ProofChecker | None = None
        self.instance = secrets.token_hex(8)
        """This run, named in the control file; TCP proofs are bound to it."""

    @property
    def url(self) -> str:
        if self.unix:
            return "ws://localhost/control"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}/control"

    def __repr__(self) -> str:  # no token in reprs, logs or tracebacks
        return f"<ControlServer {self.unix or self.url}>"

    async def start(self) -> ControlServer:
        options: dict[str, Any] = {"max_size": 64 * 2**20, "compression": None}
        options["server_header"] = None
        if self.unix:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                with private_umask(0o177):  # the socket file is 600 from the start
                    listener.bind(self.unix)
            except BaseException:
                listener.close()
                raise
            self._server = await serve(
                self._handle, unix=True, sock=listener, process_request=self._check_peer,
                **options,
            )  # fmt: skip
            return self
        assert self.token is not None
        self._server = await serve(
            self._handle, self.host, self.port, process_request=self._check_token,
            process_response=self._prove, **options,
        )  # fmt: skip
        self.port = self._server.sockets[0].getsockname()[1]
        self._proofs = ProofChecker(self.token, self.port, self.instance)  # the port chosen
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> ControlServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _check_token(self, connection: ServerConnection, request: Request) -> Response | None:
        """A client proves it holds the token (see :class:`~.control_endpoint.ProofChecker`)."""
        given = request.headers.get("Authorization", "")
        proof = None if self._proofs is None else self._proofs.check(given)
        if proof is None:
            log.warning("control connection from %s refused: bad token", connection.remote_address)
            return connection.respond(HTTPStatus.UNAUTHORIZED, "control token required\n")
        self._answers[id(connection)] = proof
        return None

    def _prove(
        self, connection: ServerConnection, request: Request, response: Response
    ) -> Response:
        """Answer the client's nonce, so it knows it reached the token's holder."""
        proof = self._answers.pop(id(connection), "")
        if proof:
            response.headers[PROOF_HEADER] = proof
        return response

    def _check_peer(self, connection: ServerConnection, request: Request) -> Response | None:
        """Only this user's processes (and root's) on a Unix socket, whatever the file modes
        say: a second lock should someone loosen the directory."""
        uid = _peer_uid(connection)
        if uid is not None and uid not in (os.geteuid(), 0):
            log.warning("control connection from uid %d refused: not the gateway's user", uid)
            return connection.respond(HTTPStatus.FORBIDDEN, "not the gateway's user\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        try:
            async for message in connection:
                await connection.send(json.dumps(await self._answer(message)))
        except ConnectionClosed:
            pass

    async def _answer(self, message: str | bytes) -> dict[str, Any]:
        ident: Any = None
        try:
            request = json.loads(message, parse_constant=_no_constant)
            if not isinstance(request, dict):
                raise ValueError("a control request is a JSON object")
            ident = request.get("id")
            result = await self._dispatch(request)
        except (WacError, ValueError, TypeError) as exc:
            return {"id": ident, "ok": False, **_error(exc)}
        except Exception as exc:
            log.exception("control request failed")
            return {"id": ident, "ok": False, "error": "WacError", "message": str(exc)}
        return {"id": ident, "ok": True, "result": result}

    async def _dispatch(self, request: dict[str, Any]) -> Any:
        op = request.get("op")
        handler = self.ops.get(op) if isinstance(op, str) else None
        if handler is None:
            raise ValueError(f"unknown control op {op!r}; known: {', '.join(sorted(self.ops))}")
        return await handler(self.session, request)

    ops: dict[str, Op] = {}
    """Op name -> ``async fn(session, request) -> JSON-able result``. Other modules add their
    own (the roster adds ``roster_sync``); errors they raise travel back like these do."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _peer_uid(connection: ServerConnection) -> int | None:
    """The uid of the process at the other end of a Unix socket (Linux), else None."""
    option = getattr(socket, "SO_PEERCRED", None)
    sock = connection.transport.get_extra_info("socket")
    if option is None or sock is None:
        return None
    try:
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, 12))
    except OSError:
        return None
    return int(uid)


def _sn(request: dict[str, Any]) -> str:
    sn = request.get("sn")
    if not isinstance(sn, str) or not sn:
        raise ValueError(f"{request.get('op')}: sn required")
    return sn


async def _terminals(session: Session, request: dict[str, Any]) -> Any:
    return [
        {
            **asdict(t),
            "info": None,
            "last_seen": str(t.last_seen or ""),
            "first_seen": str(t.first_seen or ""),
        }
        for t in session.terminals()
    ]


async def _command(session: Session, request: dict[str, Any]) -> Any:
    """Any server-to-terminal command of the catalogue, checked as the typed methods check
    it (see :mod:`~wac_toolkit.control_command`), then sent as the Session sends it."""
    sn = _sn(request)
    checked = check_command(request)
    return await session._terminal_request(
        sn, checked.cmd, checked.fields, timeout=checked.timeout,
        expect_reply=checked.expect_reply,
    )  # fmt: skip


async def _ingest(session: Session, request: dict[str, Any]) -> Any:
    """Records a client pulled from a terminal, stored as if the gateway had pulled them."""
    source = request.get("source")
    if source not in _PULLS:
        raise ValueError(f"ingest source must be one of {sorted(_PULLS)}")
    records = tuple(LogRecord.from_wire(item) for item in request.get("records") or ())
    return await session._store_pulled(_sn(request), records, source)


async def _reconnect_mark(session: Session, request: dict[str, Any]) -> Any:
    return await session._reconnect_mark(_sn(request))


async def _wait_reconnect(session: Session, request: dict[str, Any]) -> Any:
    mark = request.get("mark")
    if isinstance(mark, bool) or not isinstance(mark, int):
        raise ValueError("wait_reconnect: mark must be the number reconnect_mark gave")
    timeout = check_timeout(request.get("timeout"), required=True)
    assert timeout is not None
    return await session._wait_reconnect(_sn(request), mark, timeout)


ControlServer.ops.update(
    {
        "terminals": _terminals,
        "command": _command,
        "ingest": _ingest,
        "reconnect_mark": _reconnect_mark,
        "wait_reconnect": _wait_reconnect,
    }
)


def _error(exc: Exception) -> dict[str, Any]:
    out: dict[str, Any] = {"error": type(exc).__name__, "message": str(exc)}
    for key in ("sn", "cmd", "reason", "reply", "timeout", "limit"):
        if hasattr(exc, key):
            out[key] = getattr(exc, key)
    return out


def _raise(answer: dict[str, Any]) -> None:
    """Raise the exception the gateway raised, as the same class."""
    kind, message = answer.get("error"), str(answer.get("message", "control request failed"))
    sn, cmd = answer.get("sn"), str(answer.get("cmd", "?"))
    if kind == "DeviceError":
        raise DeviceError(sn, cmd, answer.get("reason"), answer.get("reply"))
    if kind == "CommandTimeout":
        raise CommandTimeout(sn, cmd, float(answer.get("timeout") or 0))
    if kind == "TerminalOffline":
        raise TerminalOffline(str(sn))
    if kind == "ConfirmationRequired":
        raise ConfirmationRequired(cmd)
    if kind == "QueueFull":
        raise QueueFull(sn, int(answer.get("limit") or 0))
    if kind in ("ValueError", "TypeError"):
        raise (ValueError if kind == "ValueError" else TypeError)(message)
    raise WacClientError(message)


class ControlClient:
    """Talk to a running gateway's control endpoint (one request at a time).

    Use :meth:`find` / :meth:`from_db` to find the gateway serving a store file (its Unix
    socket, checked to be this user's), or give a TCP ``url`` and ``token``.

    Args:
        url: a TCP endpoint (``ws://127.0.0.1:PORT/control``); ignored with ``unix``.
        token: the TCP token.
        unix: the gateway's private directory (``<db>.control``) holding its socket.
    """

    def __init__(
        self,
        url: str = "ws://localhost/control",
        token: str | None = None,
        *,
        unix: str | Path | None = None,
        timeout: float = 60.0,
        instance: str = "",
    ) -> None:
        self.unix = Path(unix) if unix is not None else None
        self.instance = instance
        """The gateway run named in its control file (TCP proofs are bound to it)."""
        self.url = "ws://localhost/control" if self.unix else url
        self.token = token
        self.timeout = timeout
        self._connection: ClientConnection | None = None
        self._lock = asyncio.Lock()
        self._next_id = 0

    def __repr__(self) -> str:  # no token in reprs, logs or tracebacks
        return f"<ControlClient {self.unix or self.url}>"

    @property
    def where(self) -> str:
        """The socket directory or URL, for messages."""
        return str(self.unix / "sock") if self.unix else self.url

    @classmethod
    def from_db(cls, db: str | Path = "wac.sqlite", **kwargs: Any) -> ControlClient:
        """The gateway serving store ``db``; see :meth:`find`."""
        return cls.find(db, **kwargs)

    @classmethod
    def find(
        cls,
        db: str | Path = "wac.sqlite",
        *,
        url: str | None = None,
        token: str | None = None,
        timeout: float = 60.0,
    ) -> ControlClient:
        """The gateway at TCP ``url``, else the one serving store ``db`` (its control file).

        A TCP token is ``token``, else ``$WAC_CONTROL_TOKEN``, else the control file's.
        """
        token = token or os.environ.get(TOKEN_ENV)
        if url is None:
            endpoint = locate(db)
            if endpoint.transport == "unix":
                return cls(unix=endpoint.directory, timeout=timeout)
            url, token = endpoint.url, token or endpoint.token
            if not token:
                raise WacClientError(f"a control token is needed (${TOKEN_ENV} or --token-file)")
            return cls(url, token, timeout=timeout, instance=endpoint.instance)
        if not token:
            raise WacClientError(f"a control token is needed (${TOKEN_ENV} or --token-file)")
        return cls(url, token, timeout=timeout)

    async def connect(self) -> ControlClient:
        if self._connection is None:
            options: dict[str, Any] = {"max_size": 64 * 2**20, "compression": None}
            options["open_timeout"] = 10
            try:
                if self.unix is not None:
                    with socket_path(self.unix) as path:
                        self._connection = await unix_connect(path, uri=self.url, **options)
                else:
                    assert self.token is not None
                    port = urlsplit(self.url).port or 80
                    header, expected = client_authorization(self.token, port, self.instance)
                    connection = await connect(
                        self.url, additional_headers={"Authorization": header}, **options
                    )
                    assert connection.response is not None  # set once the handshake is done
                    proof = connection.response.headers.get(PROOF_HEADER, "")
                    if not hmac.compare_digest(proof.encode(), expected.encode()):
                        await connection.close()
                        raise WacClientError(
                            f"the endpoint at {self.url} does not know the token: not the"
                            " gateway (a stale control file, and someone else on its port?)"
                        )
                    self._connection = connection
            except InvalidStatus as exc:
                status = exc.response.status_code
                raise WacClientError(
                    f"control endpoint {self.where} refused us ({status})"
                ) from exc
            except ConnectionRefusedError as exc:
                raise WacClientError(
                    f"no gateway answers at {self.where}: it is not running (a crashed one"
                    " leaves its socket; the next `wac serve` removes it)"
                ) from exc
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                raise WacClientError(f"cannot reach the gateway at {self.where}: {exc}") from exc
        return self

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def __aenter__(self) -> ControlClient:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def call(self, op: str, *, wait: float | None = None, **payload: Any) -> Any:
        """Send one request and return its result, or raise the gateway's error."""
        await self.connect()
        assert self._connection is not None
        async with self._lock:
            self._next_id += 1
            ident = self._next_id
            try:
                await self._connection.send(json.dumps({"id": ident, "op": op, **payload}))
                while True:
                    async with asyncio.timeout(wait or self.timeout):
                        raw = await self._connection.recv()
                    answer = json.loads(raw)
                    # No id: the gateway could not read the request (one at a time: ours).
                    if answer.get("id") in (ident, None):
                        break
            except (ConnectionClosed, TimeoutError) as exc:
                await self.close()
                raise WacClientError(f"control connection to {self.where} lost: {exc!r}") from exc
        if not answer.get("ok"):
            _raise(answer)
        return answer.get("result")

    async def command(
        self,
        sn: str,
        cmd: str,
        fields: Any = None,
        *,
        confirm: bool = False,
        timeout: float | None = None,
        expect_reply: bool = True,
    ) -> dict[str, Any]:
        """Any catalogue command to terminal ``sn``; the terminal's reply.

        A destructive one needs ``confirm=True`` (the typed methods pass it once their own
        ``confirm`` was given). Whether a reply is awaited is the catalogue's decision;
        ``expect_reply`` is accepted for the signature's sake.
        """
        del expect_reply
        wait = (timeout or self.timeout) + 10.0
        payload: dict[str, Any] = {"sn": sn, "cmd": cmd, "fields": fields or {}}
        if confirm:
            payload["confirm"] = True
        if timeout is not None:
            payload["timeout"] = timeout
        result = await self.call("command", wait=wait, **payload)
        return dict(result or {})

    async def ingest(self, sn: str, records: Iterable[LogRecord], source: str) -> int:
        wire = [record.to_wire() for record in records]
        return int(await self.call("ingest", sn=sn, records=wire, source=source))

    async def reconnect_mark(self, sn: str) -> int:
        return int(await self.call("reconnect_mark", sn=sn))

    async def wait_reconnect(self, sn: str, mark: int, timeout: float) -> bool:
        return bool(
            await self.call("wait_reconnect", wait=timeout + 10, sn=sn, mark=mark, timeout=timeout)
        )

    async def terminals(self) -> list[dict[str, Any]]:
        return list(await self.call("terminals"))
