"""What the roster is made of: people, their credentials, where they belong, and sync steps.

A credential's ``record`` is kept in its wire form, as text: a PIN ``"0012"`` or a card
``"0004567890"`` keeps its leading zeros, and a template or photo stays the opaque string the
terminal sent. :class:`~wac_toolkit.protocol.models.UserCredential` decides at send time
whether a PIN or card travels as a JSON number (the documented form) or as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..protocol.models import BackupNum
from ..store.base import Held, Wanted  # what the store reads for the planner

__all__ = [
    "ALL",
    "MAX_ENROLLID",
    "Held",
    "Op",
    "OpKind",
    "Person",
    "Target",
    "Wanted",
    "check_credential",
    "check_enrollid",
    "record_text",
]

ALL = "all"
"""The assignment target meaning every terminal the gateway knows."""

MAX_ENROLLID = 999_999_999_999
"""Twelve digits: the largest id any terminal family accepts (PROTOCOL.md 3)."""


def record_text(record: Any) -> str | None:
    """A credential record as the roster keeps and compares it (text, zeros kept)."""
    if record is None:
        return None
    if isinstance(record, bool):
        raise ValueError("a credential record must be text or a number, not a bool")
    if isinstance(record, int):
        return str(record)
    if not isinstance(record, str):
        raise ValueError(f"a credential record must be text or a number, not {record!r}")
    return record.strip()


def check_enrollid(enrollid: Any) -> int:
    """An enrollid as an int, or a clear ValueError (0 and 99999999 mean doors and strangers)."""
    try:
        value = int(str(enrollid).strip())
    except (TypeError, ValueError):
        raise ValueError(f"enrollid must be a whole number, not {enrollid!r}") from None
    if not 1 <= value <= MAX_ENROLLID or value == 99_999_999:
        raise ValueError(f"enrollid {value} is out of range (1..{MAX_ENROLLID}, not 99999999)")
    return value


def check_credential(backupnum: Any, record: Any) -> tuple[BackupNum, str]:
    """Validate one credential; PINs and cards must be digits (up to 8 for a PIN)."""
    try:
        slot = BackupNum(int(backupnum))
    except (TypeError, ValueError):
        raise ValueError(f"backupnum must be a number, not {backupnum!r}") from None
    if slot in (BackupNum.ALL, BackupNum.ALL_FINGERPRINTS) or slot < 0:
        raise ValueError(f"backupnum {int(slot)} is not a credential slot")
    text = record_text(record)
    if not text:
        raise ValueError(f"{slot.label}: the record is empty")
    if slot == BackupNum.PASSWORD and not (text.isdigit() and len(text) <= 8):
        raise ValueError("a PIN must be 1 to 8 digits")
    if slot == BackupNum.CARD and not (text.isdigit() and len(text) <= 20):
        raise ValueError("a card number must be digits")
    return slot, text


@dataclass(frozen=True, slots=True)
class Target:
    """Where a person belongs: every terminal, a named group, or one terminal."""

    kind: str
    """``"all"``, ``"group"`` or ``"terminal"``."""
    name: str = ""

    @classmethod
    def parse(cls, text: str | Target) -> Target:
        """``"all"``, ``"group:front"`` or a terminal's serial number."""
        if isinstance(text, Target):
            return text
        text = str(text).strip()
        if not text:
            raise ValueError("empty assignment target")
        if text.lower() == ALL:
            return cls(ALL)
        if text.lower().startswith("group:"):
            name = text[6:].strip()
            if not name:
                raise ValueError("group: needs a name")
            return cls("group", name)
        if text.lower().startswith("terminal:"):
            text = text[9:].strip()
        return cls("terminal", text)

    def __str__(self) -> str:
        if self.kind == ALL:
            return ALL
        return f"group:{self.name}" if self.kind == "group" else self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """One person in the roster, with credentials (slot -> wire text) and assignments."""

    enrollid: int
    name: str = ""
    admin: int = 0
    enabled: bool = True
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    credentials: Mapping[int, str] = field(default_factory=dict, repr=False)
    targets: tuple[Target, ...] = ()

    @property
    def pin(self) -> str | None:
        return self.credentials.get(BackupNum.PASSWORD)

    @property
    def card(self) -> str | None:
        return self.credentials.get(BackupNum.CARD)

    def summary(self) -> dict[str, Any]:
        """The person as faces show them: which credentials exist, never their values."""
        return {
            "enrollid": self.enrollid,
            "name": self.name,
            "admin": self.admin,
            "enabled": self.enabled,
            "pin": self.pin is not None,
            "card": self.card is not None,
            "terminals": [str(t) for t in self.targets],
        }


class OpKind(StrEnum):
    """A sync step; each is one command to one terminal."""

    SET = "setuserinfo"
    DELETE = "deleteuser"
    ENABLE = "enableuser"


@dataclass(frozen=True, slots=True)
class Op:
    """One queued step. Records are looked up in the roster when it is sent, not copied."""

    kind: OpKind
    enrollid: int
    backupnum: int | None = None
    enabled: bool | None = None
