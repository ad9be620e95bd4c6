"""The narrow interface every store implements.

Writes are coroutines (a store may do blocking I/O; it must do it off the event loop) and
resolve only once the data is durable, because a ``sendlog`` is acknowledged right after.
Reads are plain calls returning rows; faces that live on an event loop run them in an
executor. The PostgreSQL store for several gateways implements the same methods.

The roster's tables are behind :class:`RosterTx`: typed operations that run inside one store
transaction (:meth:`Store.roster_write`) or on one read connection (:meth:`Store.roster_read`).
Why a unit of work rather than one coroutine per operation: a roster change and the steps it
makes necessary for every terminal are planned by the roster (:mod:`wac_toolkit.roster.planner`,
pure) from what the store holds, and must commit together, or a crash between them loses a
step; with several gateways, planning on rows another gateway changes in between would queue
the wrong steps. The roster composes the typed operations; the SQL stays in the store
(:mod:`wac_toolkit.store.roster_sql`, one text both stores run).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from ..protocol.models import DeviceInfo, LogRecord, UserCredential

__all__ = [
    "LOG_COLUMNS",
    "OUTCOME_COLUMNS",
    "QUEUE_COLUMNS",
    "Held",
    "LogQuery",
    "PersonRow",
    "QueuedStep",
    "RosterTx",
    "Store",
    "Wanted",
]

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


# -- the roster's rows ---------------------------------------------------------------------------

QUEUE_COLUMNS = (
    "id", "sn", "cmd", "enrollid", "backupnum", "enabled", "attempts", "next_at", "last_error",
    "created_at",
)  # fmt: skip
"""Columns of :meth:`RosterTx.pending_rows`: queued steps, times in UTC microseconds."""
OUTCOME_COLUMNS = (
    "id", "sn", "cmd", "enrollid", "backupnum", "enabled", "ok", "attempts", "reason", "at",
)  # fmt: skip
"""Columns of :meth:`RosterTx.outcome_rows`: settled steps."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonRow:
    """A person as the store keeps them: credentials are slot -> wire text, targets are
    ``(kind, name)`` pairs (``("all", "")``, ``("group", "front")``, ``("terminal", SN)``)."""

    enrollid: int
    name: str = ""
    admin: int = 0
    enabled: bool = True
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    credentials: Mapping[int, str] = field(default_factory=dict)
    targets: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Wanted:
    """What the roster says one terminal should hold for one person."""

    enrollid: int
    name: str
    admin: int
    enabled: bool
    credentials: Mapping[int, str]


@dataclass(frozen=True, slots=True)
class Held:
    """What one terminal is known to hold for one enrollid (None where unknown)."""

    enrollid: int
    name: str | None
    admin: int | None
    enabled: bool | None
    credentials: Mapping[int, str]


class QueuedStep(NamedTuple):
    """A step in the sync queue: one command (``kind``) for one terminal."""

    id: int
    sn: str
    kind: str
    enrollid: int
    backupnum: int | None
    enabled: bool | None
    attempts: int


class RosterTx(Protocol):
    """The roster's tables, inside one transaction (or one read connection).

    Every method is a plain call: the store runs the whole unit of work on its writer thread
    (:meth:`Store.roster_write`) or in the caller's thread (:meth:`Store.roster_read`).
    """

    # people
    def people(self, enrollids: Collection[int] | None = None) -> list[PersonRow]:
        """Current (not removed) people, by enrollid, with credentials and targets."""

    def person_source(self, enrollid: int) -> str | None:
        """Where a person came from (``api``, ``csv``, ``keypad:SN``, ``reconcile:SN``)."""

    def known_ids(self) -> set[int]:
        """Every enrollid the roster has ever had, removed ones included."""

    def upsert_person(self, person: PersonRow, source: str | None = None) -> None:
        """Write a person and replace their credentials (targets: :meth:`set_assignments`)."""

    def remove_person(self, enrollid: int) -> bool:
        """Mark removed (kept, so terminals can be told), drop credentials and targets."""

    def put_credential(self, enrollid: int, backupnum: int, record: str) -> None: ...
    def delete_credential(self, enrollid: int, backupnum: int) -> bool: ...
    def set_assignments(self, enrollid: int, targets: Iterable[tuple[str, str]]) -> None: ...
    def credential_records(self, backupnum: int) -> list[tuple[int, str]]:
        """``(enrollid, record)`` of every current person's credential in one slot."""

    def window_crossed(self, since: str, until: str) -> list[int]:
        """People whose validity window opened or closed in (``since``, ``until``]."""

    # groups and terminals
    def set_group(self, name: str, sns: Iterable[str]) -> None: ...
    def groups(self) -> dict[str, list[str]]: ...
    def group_members(self, name: str) -> list[str]: ...
    def is_adopted(self, sn: str) -> bool: ...
    def terminals(self) -> list[str]:
        """Adopted, grouped, assigned, or known to hold someone."""

    def terminals_for(self, enrollid: int) -> set[str]:
        """The terminals a person is assigned to now."""

    def holders(self, enrollid: int) -> set[str]:
        """The terminals known to hold someone."""

    # what each terminal should hold and holds
    def wanted(
        self, sn: str, enrollids: Collection[int] | None = None, local_now: str | None = None
    ) -> dict[int, Wanted]:
        """What the roster says ``sn`` should hold; ``local_now`` applies validity windows;
        a terminal not adopted wants nobody."""

    def held(self, sn: str, enrollids: Collection[int] | None = None) -> dict[int, Held]: ...
    def replace_held(self, sn: str, credentials: Sequence[Any]) -> None:
        """What ``sn`` holds is exactly these ``UserCredential`` (its enabled flags unknown)."""

    def mark_enabled(self, sn: str, enrollid: int, enabled: bool) -> None: ...
    def mark_held_user(self, sn: str, enrollid: int, name: str, admin: int) -> None: ...
    def forget_held_user(self, sn: str, enrollid: int) -> None: ...
    def forget_enabled(self, sn: str, enrollid: int | None = None) -> None:
        """Forget the enabled flags ``sn`` is believed to have (all, or one person's)."""

    # generations: planned against the roster as it is now?
    def generation(self) -> int: ...
    def bump(self) -> int:
        """Count a change planned for every terminal it affects (current ones stay current)."""

    def mark_planned(self, sn: str) -> None: ...
    def is_current(self, sn: str) -> bool: ...
    def forget_plan(self, sn: str) -> None:
        """``sn`` is to be planned in full next time."""

    def forget_terminal(self, sn: str) -> None:
        """``sn`` is no longer adopted: drop its queued steps (not one in flight) and plan."""

    # keypad conflicts
    def record_conflict(
        self, sn: str, enrollid: int, backupnum: int, record: str, name: str | None, at: int
    ) -> None: ...
    def conflicts(self) -> list[tuple[Any, ...]]:
        """``id, sn, enrollid, backupnum, name, first_at, last_at, count``, oldest first."""

    # the queue and the outcomes
    def queued_steps(self, sn: str, enrollids: Collection[int] | None = None) -> list[QueuedStep]:
        """Steps of ``sn`` waiting (not in flight), in queue order."""

    def queued_terminals(self, enrollid: int | None = None) -> set[str]:
        """Terminals with queued steps (of one person)."""

    def queue_steps(
        self, sn: str, steps: Iterable[tuple[str, int, int | None, bool | None]], now: int
    ) -> None:
        """Append ``(kind, enrollid, backupnum, enabled)`` steps to ``sn``'s queue."""

    def drop_steps(self, ids: Iterable[int]) -> None: ...
    def take_step(self, sn: str, now: int, token: str) -> tuple[QueuedStep | None, int | None]:
        """The oldest due step of ``sn``, now marked in flight for ``token``; or when the next
        one is due. A step another worker took and never settled is taken again: only the
        holder of ``sn`` (the gateway with its connection and lease) asks."""

    def release_step(self, step_id: int) -> None:
        """Give a step in flight back (its terminal went away before answering)."""

    def postpone_step(self, step_id: int, *, attempts: int, next_at: int, reason: str) -> None: ...
    def finish_step(
        self, step: QueuedStep, *, ok: bool, attempts: int, reason: str | None, now: int
    ) -> bool:
        """Move a step to the outcomes, once: False (and nothing recorded) if it was settled
        already (by another gateway) or dropped."""

    def pending_rows(self, sn: str | None = None) -> list[tuple[Any, ...]]:
        """Queued steps in :data:`QUEUE_COLUMNS` order, by terminal then queue order."""

    def outcome_rows(
        self, sn: str | None = None, limit: int | None = None
    ) -> list[tuple[Any, ...]]:
        """The newest ``limit`` settled steps in :data:`OUTCOME_COLUMNS` order, oldest first."""

    def queue_counts(self, sns: Iterable[str] = ()) -> dict[str, int]:
        """Queued steps per terminal (0 for the ``sns`` given and not queued)."""

    def due_terminals(self, now: int) -> list[str]:
        """Terminals with a step due by ``now``."""


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

    async def roster_write(self, fn: Callable[[RosterTx], T]) -> T:
        """Run ``fn`` on the roster's tables in the writer's next transaction; resolves once
        committed. ``fn`` raising ``ValueError`` or ``KeyError`` (bad input, unknown person)
        undoes its writes alone and the same exception is raised here; other writes sharing
        the transaction are kept."""

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

    def roster_read(self, fn: Callable[[RosterTx], T]) -> T:
        """Run ``fn`` on the roster's tables on a read connection (blocking: executor);
        a failure of the database raises :class:`~wac_toolkit.errors.StoreError`."""

    def close(self) -> None:
        """Finish pending writes and release the database."""
