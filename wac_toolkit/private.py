"""Files and directories only their owner may read: the store, the control directory.

The store holds PINs, cards and templates, and the control directory is the control
channel's only authentication (its Unix socket answers anyone who can reach it), so both
are created private rather than made private afterwards: a file created world-readable
and ``chmod``-ed a moment later can be opened in between, and an opened descriptor keeps
working after the ``chmod``.

Directories are opened with ``O_NOFOLLOW | O_DIRECTORY`` and checked on the descriptor
(``fstat``), then used through that descriptor (``dir_fd=``, or ``/proc/self/fd/N/name`` for
sockets), so a directory swapped for a symlink or another one between the check and the use
is never followed. These checks need POSIX ownership; on Windows they do nothing and the
control channel uses TCP with a token instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from .errors import WacClientError

__all__ = [
    "POSIX",
    "UnsafePath",
    "create_private_file",
    "PrivateDir",
    "open_private_dir",
    "private_umask",
    "tighten",
    "trusted_owner",
]

log = logging.getLogger(__name__)

POSIX = os.name == "posix"
"""Ownership and modes mean something here (not on Windows)."""

_UMASK_LOCK = threading.Lock()


class UnsafePath(WacClientError):
    """A path that should be private is not: wrong owner, too open, or a symlink."""


def trusted_owner(uid: int) -> bool:
    """Files of this process's user, or of root (who could replace them anyway)."""
    return not POSIX or uid in (os.geteuid(), 0)


@contextlib.contextmanager
def private_umask(mask: int = 0o077) -> Iterator[None]:
    """Create files as 600 and directories as 700 while inside (``mask`` 0o177: sockets,
    which are made 777 minus the mask, as 600 too).

    ``umask`` is per process, so this holds a lock against other users of it; a thread
    that creates a file meanwhile only gets a stricter mode, never a looser one.
    """
    if not POSIX:
        yield
        return
    with _UMASK_LOCK:
        old = os.umask(mask)
        try:
            yield
        finally:
            os.umask(old)


class PrivateDir:
    """A directory checked by :func:`open_private_dir`, used through its descriptor.

    On POSIX every name is resolved relative to the checked descriptor (``dir_fd``), so
    swapping the directory afterwards changes nothing; on Windows, plain paths.
    """

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self.fd = fd

    def open(self, name: str, flags: int, mode: int = 0o600) -> int:
        flags |= getattr(os, "O_NOFOLLOW", 0)
        if self.fd is None:
            return os.open(self.path / name, flags, mode)
        return os.open(name, flags, mode, dir_fd=self.fd)

    def stat(self, name: str) -> os.stat_result:
        if self.fd is None:
            return os.stat(self.path / name, follow_symlinks=False)
        return os.stat(name, dir_fd=self.fd, follow_symlinks=False)

    def unlink(self, name: str) -> None:
        if self.fd is None:
            os.unlink(self.path / name)
        else:
            os.unlink(name, dir_fd=self.fd)

    def socket_path(self, name: str) -> str:
        """A path to socket ``name`` that cannot be redirected while this is open.

        On Linux ``/proc/self/fd/N/name`` resolves through the very directory that was
        checked (and is short, so a long store path stays under the 108-byte limit of
        socket paths); elsewhere the plain path.
        """
        if self.fd is not None and os.path.isdir(f"/proc/self/fd/{self.fd}"):
            return f"/proc/self/fd/{self.fd}/{name}"
        return str(self.path / name)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> PrivateDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_private_dir(path: str | Path, *, create: bool) -> PrivateDir:
    """Directory ``path``, checked to be ours and writable by us alone.

    With ``create`` (the gateway) the directory is made 700 if missing, and one of ours
    that is too open is refused rather than repaired (someone may already have put a file
    in it). Without (a client) it must exist. Either way it must not be a symlink, must
    belong to this user (or root), and must not be writable by group or others.

    Raises:
        FileNotFoundError: no such directory and not ``create``.
        UnsafePath: a symlink, another owner, or too open.
    """
    path = Path(path)
    if create:
        with private_umask():
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o700)
    if not POSIX:
        if not path.is_dir():
            raise FileNotFoundError(path)
        return PrivateDir(path, None)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafePath(f"{path} is a symlink; refusing to use it") from exc
        if isinstance(exc, NotADirectoryError):
            raise UnsafePath(f"{path} is not a directory; refusing to use it") from exc
        raise
    try:
        info = os.fstat(fd)
        if not trusted_owner(info.st_uid):
            raise UnsafePath(
                f"{path} belongs to uid {info.st_uid}, not to this user ({os.geteuid()});"
                " refusing to use it"
            )
        mode = stat.S_IMODE(info.st_mode)
        too_open = 0o077 if create else 0o022  # a client only needs "nobody else writes"
        if mode & too_open:
            raise UnsafePath(
                f"{path} has mode {mode:03o}; it must be 700 (remove it if no gateway uses"
                " it: the gateway makes a new one)"
            )
    except BaseException:
        os.close(fd)
        raise
    return PrivateDir(path, fd)


def create_private_file(path: str | Path) -> bool:
    """Create ``path`` empty with mode 600 if it does not exist; True if this call made it.

    ``O_EXCL | O_NOFOLLOW``: a symlink planted at ``path`` is not followed.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        with private_umask():
            fd = os.open(path, flags, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def tighten(path: str | Path) -> None:
    """Take group and other permissions off an existing file of ours, saying so once.

    Used on store files an older version (or a looser umask) left readable: the PINs and
    cards they hold should not stay readable by every local user after an upgrade. Files of
    other users and missing files are left alone.
    """
    if not POSIX:
        return
    try:
        info = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or not mode & 0o077:
        return
    try:
        os.chmod(path, mode & 0o700)
    except OSError as exc:
        log.warning("%s is readable by others (mode %03o) and cannot be fixed: %s", path, mode, exc)
        return
    log.warning("%s was mode %03o; now %03o (owner only)", path, mode, mode & 0o700)
