"""Typed events a :class:`~wac_toolkit.session.Session` publishes to its subscribers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .protocol.event_types import EventType, event_type
from .protocol.models import DeviceInfo, LogRecord, UserCredential

__all__ = ["AccessEvent", "Event", "TerminalDisconnected", "TerminalConnected", "UserPushed"]


@dataclass(frozen=True, slots=True)
class TerminalConnected:
    """A terminal registered (first time, or again after a reconnect)."""

    sn: str
    info: DeviceInfo
    remote: str | None


@dataclass(frozen=True, slots=True)
class TerminalDisconnected:
    """A terminal's connection ended (or was replaced by a newer one: then no event)."""

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


Event = TerminalConnected | TerminalDisconnected | AccessEvent | UserPushed
