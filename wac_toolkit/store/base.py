"""The narrow interface every store implements.

Writes are coroutines (a store may do blocking I/O; it must do it off the event loop) and
resolve only once the data is durable, because a ``sendlog`` is acknowledged right after.
Reads are plain calls returning rows; faces that live on an event loop run them in an
executor. A PostgreSQL store for several gateways would implement the same methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..protocol.models import DeviceInfo, LogRecord, UserCredential

__all__ = ["LOG_COLUMNS", "LogQuery", "Store"]

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
    async def save_device(self, info: DeviceInfo, remote: str | None, seen_at: datetime) -> None:
        """Remember a terminal and its latest ``reg`` devinfo."""

    async def ingest_logs(
        self,
        sn: str,
        records: Sequence[LogRecord],
        *,
        logindex: int | None,
        received_at: datetime,
    ) -> list[int]:
        """Store records durably, dropping duplicates; return the positions of the new ones."""

    async def forget_device(self, sn: str) -> bool:
        """Drop a terminal's row and what it is known to hold (its logs stay)."""

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

    def quarantined(self, sn: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Quarantined items, newest first (``id, sn, cmd, reason, raw, received_at``)."""

    def quarantine_count(self) -> int:
        """How many items are in quarantine."""

    def devices(self) -> list[dict[str, Any]]:
        """Every terminal ever seen, newest first."""

    def fetch_logs(self, query: LogQuery) -> list[tuple[Any, ...]]:
        """Log rows in ``LOG_COLUMNS`` order, oldest first."""

    def credentials(self, sn: str) -> list[UserCredential]:
        """The credentials a terminal is known to hold."""

    def latest_records(self, sn: str, limit: int = 200) -> list[LogRecord]:
        """The newest ``limit`` records of one terminal, oldest first."""

    def log_image(self, log_id: int) -> bytes | None:
        """The punch photo of one log row, if it had one."""

    def close(self) -> None:
        """Finish pending writes and release the database."""
