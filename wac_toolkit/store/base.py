"""The narrow interface every store implements.

Writes are coroutines (a store may do blocking I/O; it must do it off the event loop) and
resolve only once the data is durable, because a ``sendlog`` is acknowledged right after.
Reads are plain calls returning rows; faces that live on an event loop run them in an
executor. The PostgreSQL store for several gateways implements the same methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from ..protocol.models import DeviceInfo, LogRecord, UserCredential

__all__ = ["LOG_COLUMNS", "LogQuery", "Store"]

T = TypeVar("T")

LOG_COLUMNS = (
    "id", "sn", "enrollid", "name", "time", "time_raw", "mode", "inout", "event", "temp",
    "verifymode", "logindex", "received_at", "has_image",
)  # fmt: skip
"""Columns of a log row as ``fetch_logs`` returns them; ``received_at`` is UTC microseconds."""


@dataclass(frozen=True, slots=True)
class LogQuery:
    """Filters for reading logs; times compare with the terminal-local ``time`` text."""

    since: datetime | None = None
    until: datetime | None = None
    sn: str | Sequence[str] | None = None
    enrollid: int | Sequence[int] | None = None
    limit: int | None = None
    include_pending: bool = False
    """Also records from terminals not adopted (kept apart until adopted)."""


class Store(Protocol):
    """What a Session, the roster, the CLI and the faces need of a store; the SQLite store
    and the PostgreSQL store both implement all of it (``tests/store_contract`` runs the
    same tests on both)."""

    path: str
    """What log lines and banners show: the file, or the DSN without its password."""

    # -- writes: resolve once durable ---------------------------------------------------------

    async def save_device(
        self,
        info: DeviceInfo,
        remote: str | None,
        seen_at: datetime,
        *,
        state: str | None = None,
        identity: dict[str, str] | None = None,
    ) -> None:
        """Remember a terminal and its latest ``reg`` devinfo; with ``state`` also its trust
        state and pinned identity."""

    async def set_device_state(
        self, sn: str, state: str, identity: dict[str, str] | None = None
    ) -> None:
        """Set a terminal's trust state (``pending``/``adopted``/``blocked``) and pinned
        identity; a serial never seen gets a row. Adopting promotes its pending logs."""

    async def forget_device(self, sn: str) -> bool:
        """Drop a terminal, what it holds and its pending logs; False if it was unknown."""

    async def ingest_logs(
        self,
        sn: str,
        records: Sequence[LogRecord],
        *,
        logindex: int | None,
        received_at: datetime,
        pending: bool = False,
    ) -> list[int]:
        """Store records durably, dropping duplicates; return the positions of the new ones.
        ``pending``: from a terminal not adopted (left out of reads unless asked for)."""

    async def save_credential(self, sn: str, credential: UserCredential) -> None:
        """Remember a credential a terminal holds (pushed or set by us)."""

    async def delete_credential(self, sn: str, enrollid: int, backupnum: int) -> None:
        """Forget a credential slot (12: all fingerprints, 13: the whole user)."""

    async def quarantine_frame(
        self,
        sn: str,
        cmd: str,
        items: Sequence[tuple[str, str]],
        received_at: datetime | None = None,
    ) -> int:
        """Keep unreadable items (``(reason, raw)`` pairs) durably, once each; return how many
        were new. The frame they came in is acknowledged right after."""

    async def run_write(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(connection)`` in the writer's next transaction (the roster's tables); the
        connection takes the SQL both dialects share, with ``?`` placeholders."""

    # -- reads: plain calls (faces on an event loop use an executor) --------------------------

    def quarantined(self, sn: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Quarantined items, newest first (``id, sn, cmd, reason, raw, received_at``)."""

    def quarantine_count(self) -> int:
        """How many items are in quarantine."""

    def devices(self) -> list[dict[str, Any]]:
        """Every terminal ever seen, newest first, with ``state`` and ``identity``."""

    def device_states(self, sns: Sequence[str] | None = None) -> dict[str, tuple[str, Any]]:
        """Terminal -> (state, pinned identity) as stored now (all, or those in ``sns``)."""

    def fetch_logs(self, query: LogQuery) -> list[tuple[Any, ...]]:
        """Log rows in ``LOG_COLUMNS`` order, oldest first."""

    def count_logs(self) -> int:
        """How many log rows are stored (pending ones included)."""

    def credentials(self, sn: str) -> list[UserCredential]:
        """The credentials a terminal is known to hold."""

    def latest_records(self, sn: str, limit: int = 200) -> list[LogRecord]:
        """The newest ``limit`` records of one terminal, oldest first."""

    def log_image(self, log_id: int) -> bytes | None:
        """The punch photo of one log row, if it had one."""

    def schema_version(self) -> int:
        """The highest migration step applied (:mod:`.migrations`)."""

    def reader(self) -> AbstractContextManager[Any]:
        """A read connection for the roster's shared SQL; use it in a ``with`` block."""

    def close(self) -> None:
        """Finish pending writes and release the database."""
