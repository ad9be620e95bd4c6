"""Typed events a :class:`~wac_toolkit.session.Session` publishes to its subscribers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .protocol.event_types import EventType, event_type
from .protocol.models import DeviceInfo, LogRecord, UserCredential

__all__ = [
    "AccessEvent",
    "Event",
    "IdentityConflict",
    "TerminalConnected",
    "TerminalDisconnected",
    "TerminalHeld",
    "TerminalPending",
    "TerminalStateChanged",
    "UserPushed",
]


@dataclass(frozen=True, slots=True)
class TerminalConnected:
    """An adopted terminal registered (first time, or again after a reconnect), or a connected
    terminal was just adopted. Pending terminals publish :class:`TerminalPending` instead."""

    sn: str
    info: DeviceInfo
    remote: str | None


@dataclass(frozen=True, slots=True)
class TerminalDisconnected:
    """An adopted terminal's connection ended (or was replaced by a newer one: then no event)."""

    sn: str


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One new record stored from a terminal (duplicates of stored records publish nothing).

    Attributes:
        backlog: the record is older than the session's fresh window, so it was flushed after
            a reconnect or pulled, rather than punched just now. Door automations skip these.
        source: ``"sendlog"`` when pushed, or the paging command that pulled it.
    """

    sn: str
    record: LogRecord
    received_at: datetime
    backlog: bool = False
    source: str = "sendlog"

    @property
    def granted(self) -> bool:
        return self.record.granted

    @property
    def kind(self) -> EventType:
        """What the record is: a granted punch, a stranger, the exit button... (EventType)."""
        return event_type(self.record)


@dataclass(frozen=True, slots=True)
class UserPushed:
    """A terminal announced a credential enrolled on its keypad (``senduser``)."""

    sn: str
    credential: UserCredential


@dataclass(frozen=True, slots=True)
class TerminalPending:
    """A terminal not adopted yet connected: it waits for an operator (``adopt``/``block``)."""

    sn: str
    info: DeviceInfo
    remote: str | None


@dataclass(frozen=True, slots=True)
class TerminalStateChanged:
    """A terminal was adopted, blocked or set back to pending (``state``, a
    :class:`~wac_toolkit.registry.TerminalState`, equal to its text); None: forgotten."""

    sn: str
    state: str | None


@dataclass(frozen=True, slots=True)
class TerminalHeld:
    """This gateway took the terminal's lease on a shared store (PostgreSQL): commands routed
    to it and the roster's steps for it go out from here now (:mod:`wac_toolkit.presence`)."""

    sn: str
    gateway: str


@dataclass(frozen=True, slots=True)
class IdentityConflict:
    """A connection claimed an adopted serial with another identity and was refused.

    Published once per serial and claimed identity. ``pinned`` and ``claimed`` hold
    ``cpusn``, ``mac`` and ``modelname`` where the terminal sent them.
    """

    sn: str
    pinned: dict[str, str]
    claimed: dict[str, str]
    remote: str | None


Event = (
    TerminalConnected
    | TerminalDisconnected
    | AccessEvent
    | UserPushed
    | TerminalPending
    | TerminalStateChanged
    | IdentityConflict
    | TerminalHeld
)
