"""The control endpoint: other processes command the terminals of a running gateway.

``wac serve`` starts a :class:`ControlServer` on its own loopback port (not under a path of
the terminal listener: that one usually binds every interface so terminals can reach it,
and the control endpoint must not be reachable from the terminals' network at all; it also
keeps the gateway's "reg first" rule untouched). Every connection must present the token in
an ``Authorization: Bearer`` header, checked before the WebSocket opens (HTTP 401 otherwise).
The URL and token are written to ``<db>.control.json`` (mode 600) so the CLI and notebooks
on the same machine find them.

Messages are JSON objects with an ``id`` and an ``op``; the answer echoes the ``id`` with
``ok`` and ``result``, or ``ok: false`` and the error (``TerminalOffline``, ``DeviceError``
with its reason, ``CommandTimeout`` ...), which :class:`ControlClient` raises again as the
same exception. Ops: ``command`` (sn, cmd, fields: any server-to-terminal command of the
catalogue), ``ingest`` (pulled records into the gateway's store), ``reconnect_mark`` /
``wait_reconnect`` (for ``reboot``), ``terminals``, ``roster_sync`` and
``roster_reconcile`` (for ``wac roster``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.http11 import Request, Response

from .errors import (
    CommandTimeout,
    DeviceError,
    QueueFull,
    TerminalOffline,
    WacClientError,
    WacError,
)
from .protocol.catalogue import terminal_commands
from .protocol.models import LogRecord
from .store import describe, is_dsn

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "ControlClient",
    "ControlServer",
    "Op",
    "TOKEN_ENV",
    "control_file",
    "read_control_file",
    "write_control_file",
]

log = logging.getLogger(__name__)

TOKEN_ENV = "WAC_CONTROL_TOKEN"
"""Environment variable holding the control token (instead of ``--control-token``)."""

Op = Callable[["Session", dict[str, Any]], Awaitable[Any]]
"""A control op: ``async fn(session, request) -> result``."""

_TERMINAL_COMMANDS = frozenset(c.name for c in terminal_commands())
_PULLS = frozenset(c.name for c in terminal_commands() if c.paged and c.group == "logs")


def control_file(db: str | Path) -> Path:
    """Where the gateway using store ``db`` writes its control URL and token.

    A PostgreSQL DSN is no file name: its control file goes to the temporary folder, named
    by a digest of the DSN without its password (the same for every process of this user).
    """
    if is_dsn(db):
        digest = hashlib.sha256(describe(db).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"wac-{digest}.control.json"
    return Path(f"{db}.control.json")


def write_control_file(db: str | Path, url: str, token: str) -> Path:
    """Write URL and token readable by this user only."""
    path = control_file(db)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"url": url, "token": token}, out)
    os.chmod(path, 0o600)
    return path


def read_control_file(db: str | Path) -> tuple[str, str]:
    """URL and token of the gateway serving ``db``; WacClientError when none is running."""
    path = control_file(db)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return str(data["url"]), str(data["token"])
    except (OSError, ValueError, KeyError) as exc:
        raise WacClientError(
            f"no running gateway found for {db} ({path} missing or unreadable): "
            "start `wac serve`, or pass --control URL and --token"
        ) from exc


class ControlServer:
    """Serve control requests for ``session``.

    Args:
        host: bind address; loopback unless you really mean otherwise.
        port: 0 lets the OS choose (see :attr:`url`).
        token: the shared secret; a random one is generated when None.
    """

    def __init__(
        self,
        session: Session,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token: str | None = None,
    ) -> None:
        self.session = session
        self.host = host
        self.port = port
        """The port; the one the OS chose once started with port 0."""
        self.token = token or secrets.token_urlsafe(24)
        self._server: Server | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}/control"

    async def start(self) -> ControlServer:
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._check_token,
            max_size=64 * 2**20,
            compression=None,
            server_header=None,
        )
        self.port = self._server.sockets[0].getsockname()[1]
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
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
            log.warning("control connection from %s refused: bad token", connection.remote_address)
            return connection.respond(HTTPStatus.UNAUTHORIZED, "control token required\n")
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
            request = json.loads(message)
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


def _sn(request: dict[str, Any]) -> str:
    sn = request.get("sn")
    if not isinstance(sn, str) or not sn:
        raise ValueError(f"{request.get('op')}: sn required")
    return sn


async def _terminals(session: Session, request: dict[str, Any]) -> Any:
    return [
        {**asdict(t), "info": None, "last_seen": str(t.last_seen or "")}
        for t in session.terminals()
    ]


async def _command(session: Session, request: dict[str, Any]) -> Any:
    """Any server-to-terminal command of the catalogue, as the Session sends it."""
    cmd = request.get("cmd")
    if cmd not in _TERMINAL_COMMANDS:
        raise ValueError(f"{cmd!r} is not a server-to-terminal command of the catalogue")
    fields = request.get("fields") or {}
    if not isinstance(fields, dict):
        raise ValueError("fields must be an object")
    timeout = request.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
    ):
        raise ValueError("timeout must be a positive number of seconds")
    expect_reply = bool(request.get("expect_reply", True))
    return await session._terminal_request(
        _sn(request), cmd, fields, timeout=timeout, expect_reply=expect_reply
    )


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
    mark, timeout = int(request["mark"]), float(request["timeout"])
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
    if kind == "QueueFull":
        raise QueueFull(sn, int(answer.get("limit") or 0))
    if kind in ("ValueError", "TypeError"):
        raise (ValueError if kind == "ValueError" else TypeError)(message)
    raise WacClientError(message)


class ControlClient:
    """Talk to a running gateway's control endpoint (one request at a time).

    Use :meth:`find` / :meth:`from_db` to find the gateway serving a store file, or give URL
    and token.
    """

    def __init__(self, url: str, token: str, *, timeout: float = 60.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self._connection: ClientConnection | None = None
        self._lock = asyncio.Lock()
        self._next_id = 0

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
        """The gateway at ``url``, else the one serving store ``db`` (its control file).

        The token is ``token``, else ``$WAC_CONTROL_TOKEN``, else the control file's.
        """
        token = token or os.environ.get(TOKEN_ENV)
        if url is None:
            url, written = read_control_file(db)
            token = token or written
        if not token:
            raise WacClientError(f"a control token is needed (--token or ${TOKEN_ENV})")
        return cls(url, token, timeout=timeout)

    async def connect(self) -> ControlClient:
        if self._connection is None:
            try:
                self._connection = await connect(
                    self.url,
                    additional_headers={"Authorization": f"Bearer {self.token}"},
                    max_size=64 * 2**20,
                    compression=None,
                    open_timeout=10,
                )
            except InvalidStatus as exc:
                status = exc.response.status_code
                raise WacClientError(f"control endpoint {self.url} refused us ({status})") from exc
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                raise WacClientError(f"cannot reach the gateway at {self.url}: {exc}") from exc
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
                    raw = await asyncio.wait_for(self._connection.recv(), wait or self.timeout)
                    answer = json.loads(raw)
                    if answer.get("id") == ident:
                        break
            except (ConnectionClosed, TimeoutError) as exc:
                await self.close()
                raise WacClientError(f"control connection to {self.url} lost: {exc!r}") from exc
        if not answer.get("ok"):
            _raise(answer)
        return answer.get("result")

    async def command(self, sn: str, cmd: str, fields: Any = None, **how: Any) -> dict[str, Any]:
        """Any catalogue command to terminal ``sn`` (``how``: ``timeout``, ``expect_reply``);
        the terminal's reply."""
        wait = (how.get("timeout") or self.timeout) + 10.0
        result = await self.call("command", wait=wait, sn=sn, cmd=cmd, fields=fields or {}, **how)
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
