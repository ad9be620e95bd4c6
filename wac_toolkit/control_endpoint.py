"""Where a running gateway's control endpoint is, and how clients find it safely.

Everything lives in ``<db>.control/``, a directory only the gateway's user can enter (700).
A PostgreSQL DSN names no file: its directory is ``<digest>.control`` (a digest of the DSN
without its password) in a private directory of this user: ``$XDG_RUNTIME_DIR/wac``, else
``wac-<uid>`` in the temporary folder, both 700. Several gateways on one database may run
on one host: the first takes that directory, the next ``<digest>-2.control`` and so on, and a
client takes the first that answers (any of them reaches every terminal through the database).

* ``sock``: the Unix domain socket (mode 600), on POSIX. The file permissions are the
  authentication, as for Docker's and PostgreSQL's local sockets: no token, and no TCP port
  that another local user could take over after a crash. A gateway that died leaves a socket
  nobody answers on; the next ``wac serve`` sees ``connect`` refused and removes it, and a
  client in between gets a clear "not running" error instead of anyone else's listener.
* ``control.json``: how to connect (``unix``, or ``tcp`` with URL and token), created with
  ``O_EXCL | O_NOFOLLOW`` so a planted file or symlink is refused, and trusted by a client
  only when it belongs to the client's own user (or root).

TCP, with a token, is used only when asked (``--control-tcp``, ``$WAC_CONTROL_TCP``) and on
Windows. The token comes from ``$WAC_CONTROL_TOKEN`` or a file, never from the command line
(every local user can read a process's arguments), and is never printed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import stat
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import WacClientError
from .private import POSIX, PrivateDir, UnsafePath, open_private_dir, private_umask, trusted_owner

if TYPE_CHECKING:
    from .control import ControlServer
    from .session import Session

__all__ = [
    "CONTROL_FILE",
    "PROOF_HEADER",
    "SOCKET",
    "TCP_ENV",
    "TOKEN_ENV",
    "Endpoint",
    "ProofChecker",
    "client_authorization",
    "control_dir",
    "control_file",
    "has_endpoint",
    "locate",
    "open_control",
    "read_token_file",
    "socket_path",
    "unix_supported",
]

log = logging.getLogger(__name__)

TOKEN_ENV = "WAC_CONTROL_TOKEN"
"""Environment variable holding the TCP control token (never a command-line option)."""
TCP_ENV = "WAC_CONTROL_TCP"
"""Set to 1 to make ``wac serve`` use TCP with a token instead of the Unix socket."""
SOCKET = "sock"
CONTROL_FILE = "control.json"


def unix_supported() -> bool:
    """Unix domain sockets with file permissions (not Windows)."""
    return POSIX and hasattr(socket, "AF_UNIX")


DSN_SLOTS = 16
"""Gateways on one PostgreSQL database that may each have a control endpoint on one host."""


def _is_dsn(db: str | Path) -> bool:
    from .store import is_dsn  # not at import: the store package loads SQLite

    return is_dsn(db)


def dsn_base() -> Path:
    """This user's private directory for the control directories of DSN stores."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "wac"
    uid = os.geteuid() if POSIX else os.getpid()
    return Path(tempfile.gettempdir()) / f"wac-{uid}"


def control_dir(db: str | Path, slot: int = 0) -> Path:
    """The private directory of the gateway serving store ``db`` (``slot``: the n-th gateway
    on one PostgreSQL database on this host; a file has one gateway)."""
    if not _is_dsn(db):
        return Path(f"{db}.control")
    from .store import describe

    digest = hashlib.sha256(describe(db).encode()).hexdigest()[:16]
    return dsn_base() / (f"{digest}.control" if not slot else f"{digest}-{slot + 1}.control")


def _slots(db: str | Path) -> range:
    return range(DSN_SLOTS if _is_dsn(db) else 1)


def control_file(db: str | Path, slot: int = 0) -> Path:
    """The file saying how to reach the gateway serving store ``db`` (exists while it runs)."""
    return control_dir(db, slot) / CONTROL_FILE


def has_endpoint(db: str | Path) -> bool:
    """Some gateway on ``db`` has written its control file (on a DSN, in any slot)."""
    return any(control_file(db, slot).exists() for slot in _slots(db))


def read_token_file(path: str | Path) -> str:
    """The token in ``path`` (first line), refusing a file someone else could have written."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise WacClientError(f"cannot read the token file {path}: {exc.strerror}") from exc
    with os.fdopen(fd, encoding="utf-8") as handle:
        info = os.fstat(handle.fileno())
        if POSIX and (not trusted_owner(info.st_uid) or info.st_mode & 0o022):
            raise UnsafePath(f"token file {path} is writable by others or not ours; refusing it")
        if POSIX and info.st_mode & 0o004:
            log.warning("token file %s is readable by every local user", path)
        token = handle.readline().strip()
    if not token:
        raise WacClientError(f"token file {path} is empty")
    return token


@dataclass(frozen=True)
class Endpoint:
    """How to reach a running gateway: found by :func:`locate`."""

    transport: str
    """``unix`` or ``tcp``."""
    directory: Path
    url: str = "ws://localhost/control"
    token: str | None = None
    pid: int | None = None
    instance: str = ""
    """The gateway run, for TCP proofs (see :func:`client_authorization`)."""


def locate(db: str | Path) -> Endpoint:
    """The endpoint of the gateway serving ``db``, after checking nobody else planted it
    (on a DSN, of the first of the gateways on this host that still runs).

    Raises:
        WacClientError: no gateway runs on ``db`` (its directory or control file is missing).
        UnsafePath: the directory or control file is a symlink, someone else's, or too open.
    """
    if not _is_dsn(db):
        return _locate(db, 0)
    failure: WacClientError | None = None
    for slot in _slots(db):
        try:
            return _locate(db, slot)
        except UnsafePath:
            raise
        except WacClientError as exc:
            failure = failure or exc
    assert failure is not None
    raise failure


def _locate(db: str | Path, slot: int) -> Endpoint:
    from .store import describe

    where = control_dir(db, slot)
    missing = WacClientError(
        f"no running gateway found for {describe(db)} ({where / CONTROL_FILE} missing): start"
        " `wac serve`, or give --control URL with the token in $WAC_CONTROL_TOKEN or"
        " --token-file"
    )
    try:
        directory = open_private_dir(where, create=False)
    except FileNotFoundError:
        raise missing from None
    with directory:
        data = _read_control_file(directory)
        if data is None:
            raise missing
        transport = data.get("transport")
        pid = data.get("pid") if isinstance(data.get("pid"), int) else None
        if transport == "unix":
            _check_socket(directory)
            return Endpoint("unix", directory.path, pid=pid)
        if transport == "tcp" and isinstance(data.get("url"), str):
            if _alive(pid) is False:
                raise WacClientError(
                    f"the gateway that wrote {directory.path / CONTROL_FILE} (pid {pid}) is not"
                    " running; the next `wac serve` replaces the file"
                )
            token = data.get("token") if isinstance(data.get("token"), str) else None
            instance = str(data.get("instance") or "")
            return Endpoint("tcp", directory.path, data["url"], token, pid, instance)
        raise WacClientError(f"{directory.path / CONTROL_FILE} is not a control file")


def _read_control_file(directory: PrivateDir) -> dict[str, Any] | None:
    where = directory.path / CONTROL_FILE
    try:
        fd = directory.open(CONTROL_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as exc:  # ELOOP: a symlink
        raise UnsafePath(f"{where} cannot be opened safely ({exc.strerror}); refusing it") from exc
    with os.fdopen(fd, encoding="utf-8") as handle:
        info = os.fstat(handle.fileno())
        if POSIX and (not stat.S_ISREG(info.st_mode) or not trusted_owner(info.st_uid)):
            raise UnsafePath(f"{where} is not this user's; refusing it")
        try:
            data = json.load(handle)
        except ValueError as exc:
            raise WacClientError(f"{where} is not a control file") from exc
    return data if isinstance(data, dict) else {}


def _check_socket(directory: PrivateDir) -> None:
    try:
        info = directory.stat(SOCKET)
    except FileNotFoundError:
        raise WacClientError(
            f"the gateway's socket {directory.path / SOCKET} is gone: it is not running"
        ) from None
    if not stat.S_ISSOCK(info.st_mode) or not trusted_owner(info.st_uid):
        raise UnsafePath(f"{directory.path / SOCKET} is not this user's socket; refusing it")


@contextlib.contextmanager
def socket_path(directory: Path) -> Iterator[str]:
    """A path to the socket in ``directory``, good while inside (the directory re-checked)."""
    with open_private_dir(directory, create=False) as checked:
        _check_socket(checked)
        yield checked.socket_path(SOCKET)


# -- the gateway's side ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def open_control(
    session: Session,
    db: str | Path,
    *,
    tcp: bool = False,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
) -> AsyncIterator[tuple[ControlServer, Path]]:
    """Serve the control endpoint for ``session`` while inside; yields (server, where).

    ``where`` is the socket, or for TCP the control file holding URL and token. A socket
    left by a gateway that was killed is removed; one that answers means another gateway
    serves ``db``, and this one refuses to start rather than take it over.
    """
    from .control import ControlServer

    tcp = tcp or not unix_supported()
    slot, directory = _claim_dir(db)
    with directory:
        if tcp:
            server = ControlServer(session, host, port, token=token)
        else:
            server = ControlServer(session, unix=directory.socket_path(SOCKET))
        await server.start()
        try:
            data: dict[str, Any] = {"transport": "unix", "pid": os.getpid()}
            if tcp:
                data.update(
                    transport="tcp", url=server.url, token=server.token, instance=server.instance
                )
            _write_control_file(directory, data)
            try:
                yield server, directory.path / (CONTROL_FILE if tcp else SOCKET)
            finally:
                for name in (CONTROL_FILE, SOCKET):
                    with contextlib.suppress(OSError):
                        directory.unlink(name)
        finally:
            await server.stop()
    with contextlib.suppress(OSError):
        control_dir(db, slot).rmdir()


def _claim_dir(db: str | Path) -> tuple[int, PrivateDir]:
    """The control directory this gateway serves in, cleared of what a dead one left.

    A file's store has one: a gateway answering there means this one must not start. A DSN
    has several slots (gateways share the database): the first not answering is taken.
    """
    if _is_dsn(db):
        open_private_dir(dsn_base(), create=True).close()  # ours and 700, or refused
    busy: WacClientError | None = None
    for slot in _slots(db):
        directory = open_private_dir(control_dir(db, slot), create=True)
        try:
            _clear_stale(directory)
        except UnsafePath:
            directory.close()
            raise
        except WacClientError as exc:
            directory.close()
            busy = busy or exc
            continue
        return slot, directory
    assert busy is not None
    raise busy


def _write_control_file(directory: PrivateDir, data: dict[str, Any]) -> None:
    with private_umask():
        fd = directory.open(CONTROL_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out)


def _clear_stale(directory: PrivateDir) -> None:
    """Remove what a gateway that did not stop cleanly left; refuse if one still answers."""
    try:
        info = directory.stat(SOCKET)
    except FileNotFoundError:
        info = None
    if info is not None:
        if stat.S_ISSOCK(info.st_mode) and _answers(directory.socket_path(SOCKET)):
            raise WacClientError(
                f"another gateway already serves this store (its socket"
                f" {directory.path / SOCKET} answers); stop it first"
            )
        directory.unlink(SOCKET)
        log.warning("removed the control socket of a gateway that did not stop cleanly")
    try:
        data = _read_control_file(directory)
    except UnsafePath:
        raise
    except WacClientError:
        data = {}
    if data is None:
        return
    pid = data.get("pid")
    if data.get("transport") == "tcp" and _alive(pid):
        raise WacClientError(
            f"{directory.path / CONTROL_FILE} says gateway pid {pid} serves this store; stop"
            " it first (or remove the file if that process is not a gateway)"
        )
    directory.unlink(CONTROL_FILE)


def _answers(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(2)
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        return False
    except OSError:
        return True  # cannot tell (a timeout): do not take it over
    finally:
        probe.close()
    return True


def _alive(pid: Any) -> bool | None:
    """Whether process ``pid`` runs; None when that cannot be told (no pid, this process,
    or Windows, where ``os.kill`` would terminate it)."""
    if not POSIX or not isinstance(pid, int) or isinstance(pid, bool) or pid in (0, os.getpid()):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


# -- TCP: proving the token without sending it -----------------------------------------------

PROOF_HEADER = "X-WAC-Proof"
_SCHEME = "WAC-HMAC"
_WINDOW = 60
"""Seconds a client proof stays valid (clock skew on one host is nil)."""


def _mac(token: str, *parts: object) -> str:
    message = " ".join(str(part) for part in ("wac-control", *parts))
    return hmac.new(token.encode(), message.encode(), hashlib.sha256).hexdigest()


def client_authorization(token: str, port: int, instance: str = "") -> tuple[str, str]:
    """The ``Authorization`` header a client sends, and the proof it expects back.

    The token itself never crosses the wire: whoever answers on the port (after a crash,
    anyone could listen there) learns a MAC for one nonce, that port and that gateway run
    (``instance``, from the private control file; "" when dialing a bare URL), and must
    answer with a MAC of the nonce that only the token's holder can make.
    """
    nonce, moment = secrets.token_urlsafe(16), int(time.time())
    mac = _mac(token, "client", moment, nonce, port, instance)
    return f"{_SCHEME} ts={moment} nonce={nonce} mac={mac}", _mac(token, "server", nonce)


class ProofChecker:
    """The gateway's side: checks a client's proof once and makes its own.

    A proof names this port and this run of the gateway (or no run, for clients given only
    a URL) and its nonce is remembered for the window, so one captured by an impostor on a
    dead gateway's port does not open a later gateway, nor this one twice.
    """

    def __init__(self, token: str, port: int, instance: str) -> None:
        self._token = token
        self._port = port
        self._instance = instance
        self._seen: dict[str, float] = {}

    def check(self, header: str) -> str | None:
        """The proof to answer with, or None when ``header`` is not a valid fresh proof.
        ``Bearer <token>`` is accepted too, for hand-made clients (it does send the token)."""
        if hmac.compare_digest(header.encode(), f"Bearer {self._token}".encode()):
            return ""
        scheme, _, rest = header.partition(" ")
        fields = dict(part.partition("=")[::2] for part in rest.split())
        moment, nonce, mac = fields.get("ts", ""), fields.get("nonce", ""), fields.get("mac", "")
        now = time.time()
        if scheme != _SCHEME or not moment.isdigit() or not 8 <= len(nonce) <= 64:
            return None
        if abs(now - int(moment)) > _WINDOW or nonce in self._seen:
            return None
        valid = [
            _mac(self._token, "client", moment, nonce, self._port, instance)
            for instance in (self._instance, "")
        ]
        if not any(hmac.compare_digest(mac.encode(), v.encode()) for v in valid):
            return None
        self._seen = {n: t for n, t in self._seen.items() if now - t <= 2 * _WINDOW}
        self._seen[nonce] = now
        return _mac(self._token, "server", nonce)
