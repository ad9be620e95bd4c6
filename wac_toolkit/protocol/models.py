"""Typed models of what terminals send and hold.

Models are frozen, slotted dataclasses built by ``from_wire`` class methods that are lenient
where real firmware is sloppy (PROTOCOL.md 9) and never raise anything but
:class:`~wac_toolkit.errors.FrameError`. Code tables are *open* enums: a value outside the
table survives as a pseudo-member such as ``BackupNum.UNKNOWN_60`` that still equals ``60``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import IntEnum
from typing import Any

from ..errors import FrameError
from .values import as_int, as_text, is_canonical_time, parse_time, strip_data_uri

__all__ = [
    "BackupNum",
    "DeviceInfo",
    "LogRecord",
    "STRANGER_ID",
    "UserCredential",
    "VerifyMode",
]

STRANGER_ID = 99999999
"""``enrollid`` terminals use for an unknown face or stranger."""


class _OpenIntEnum(IntEnum):
    """An IntEnum that keeps values it does not know instead of raising."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            member = int.__new__(cls, value)
            member._name_ = f"UNKNOWN_{value}"
            member._value_ = value
            return member
        return None

    @property
    def known(self) -> bool:
        """False for a value outside the documented table."""
        return not self.name.startswith("UNKNOWN_")


class BackupNum(_OpenIntEnum):
    """Credential slot selector (``backupnum``)."""

    FP0 = 0
    FP1 = 1
    FP2 = 2
    FP3 = 3
    FP4 = 4
    FP5 = 5
    FP6 = 6
    FP7 = 7
    FP8 = 8
    FP9 = 9
    PASSWORD = 10
    CARD = 11
    ALL_FINGERPRINTS = 12
    ALL = 13
    FACE0 = 20
    FACE1 = 21
    FACE2 = 22
    FACE3 = 23
    FACE4 = 24
    FACE5 = 25
    FACE6 = 26
    FACE7 = 27
    PALM0 = 40
    PALM1 = 41
    PHOTO = 50

    @property
    def is_fingerprint(self) -> bool:
        return 0 <= self <= 9

    @property
    def is_numeric(self) -> bool:
        """PIN and card travel as JSON numbers in the documented form."""
        return self in (BackupNum.PASSWORD, BackupNum.CARD)

    @property
    def is_biometric(self) -> bool:
        """Templates and photos: never logged, never shown."""
        return self.is_fingerprint or 20 <= self <= 50

    @property
    def label(self) -> str:
        if self.is_fingerprint:
            return f"fingerprint {int(self) + 1}"
        return _BACKUP_LABELS.get(int(self), self.name.lower())


_BACKUP_LABELS = {
    10: "password",
    11: "card",
    12: "all fingerprints",
    13: "whole user",
    40: "palm 1",
    41: "palm 2",
    50: "photo",
    **{20 + i: f"face {i + 1}" for i in range(8)},
}


class VerifyMode(_OpenIntEnum):
    """How a punch was verified (the record's ``mode``).

    Firmware editions disagree on this table (PROTOCOL.md 8.1); the raw code is always kept,
    and this is the table of the product's SDK contract.
    """

    FP = 0
    CARD = 1
    PWD = 2
    FACE = 8

    @property
    def label(self) -> str:
        return _MODE_LABELS.get(int(self), f"mode {int(self)}")


_MODE_LABELS = {0: "fingerprint", 1: "card", 2: "password", 8: "face"}

_DEVINFO_INTS = (
    "usersize", "fpsize", "cardsize", "pwdsize", "logsize", "facesize", "palmsize",
    "useduser", "usedfp", "usedcard", "usedpwd", "usedlog", "usednewlog", "usedface",
    "usedpalm", "usedrtlog",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceInfo:
    """What a terminal says about itself in ``reg`` (every field optional on real firmware)."""

    sn: str
    cpusn: str | None = None
    modelname: str | None = None
    firmware: str | None = None
    fpalgo: str | None = None
    mac: str | None = None
    time: str | None = None
    counters: dict[str, int] = field(default_factory=dict)
    """Capacities and usage: ``usersize``, ``useduser``, ``usednewlog`` and the like."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Keys this model does not name, kept as sent."""

    @classmethod
    def from_reg(cls, payload: dict[str, Any]) -> DeviceInfo:
        sn = as_text(payload.get("sn"))
        if not sn:
            raise FrameError("reg without sn")
        info = payload.get("devinfo")
        info = info if isinstance(info, dict) else {}
        counters = {k: v for k in _DEVINFO_INTS if (v := as_int(info.get(k))) is not None}
        named = {"modelname", "firmware", "fpalgo", "mac", "time", *_DEVINFO_INTS}
        return cls(
            sn=sn,
            cpusn=as_text(payload.get("cpusn")),
            modelname=as_text(info.get("modelname")),
            firmware=as_text(info.get("firmware")),
            fpalgo=as_text(info.get("fpalgo")),
            mac=as_text(info.get("mac")),
            time=as_text(info.get("time")),
            counters=counters,
            extra={k: v for k, v in info.items() if k not in named},
        )

    @property
    def manufacturer(self) -> str | None:
        """The maker, when the firmware names one in ``devinfo`` (no documented key does;
        OEM firmware adds ``manufacturer``, ``vendor`` or ``brand``). None otherwise: the
        protocol's name is not a manufacturer, and many brands sell the same firmware."""
        for key in ("manufacturer", "vendor", "brand"):
            if (value := as_text(self.extra.get(key))) is not None:
                return value
        return None

    def to_wire(self) -> dict[str, Any]:
        """The ``devinfo`` object as a terminal would send it."""
        out: dict[str, Any] = {
            k: v
            for k in ("modelname", "firmware", "fpalgo", "mac", "time")
            if (v := getattr(self, k)) is not None
        }
        return {**out, **self.counters, **self.extra}


@dataclass(frozen=True, slots=True, kw_only=True)
class LogRecord:
    """One attendance or access record from ``sendlog``, ``getnewlog`` or ``getalllog``.

    ``time`` is the terminal's local wall time, normalised to ``YYYY-MM-DD HH:MM:SS`` when it
    parses, else kept as sent; ``time_raw`` is always exactly what the terminal sent.
    """

    enrollid: int | None
    time: str
    time_raw: str = ""
    name: str | None = None
    mode: VerifyMode | None = None
    inout: int | None = None
    event: int | None = None
    temp: float | None = None
    image: str | None = field(default=None, repr=False)
    """Bare base64 JPEG of the punch (``data:`` prefix removed); never logged."""
    verifymode: int | None = None

    @property
    def is_door_event(self) -> bool:
        return self.enrollid == 0

    @property
    def is_stranger(self) -> bool:
        return self.enrollid == STRANGER_ID

    @property
    def granted(self) -> bool:
        """False for strangers, unknown persons (event 2) and door events."""
        return bool(self.enrollid) and not self.is_stranger and self.event in (None, 0)

    @property
    def datetime(self) -> datetime | None:
        return parse_time(self.time)

    def image_bytes(self) -> bytes | None:
        """The punch photo decoded, or None when absent or not base64."""
        if not self.image:
            return None
        try:
            return base64.b64decode(self.image, validate=False)
        except (binascii.Error, ValueError):
            return None

    @classmethod
    def from_wire(cls, item: Any) -> LogRecord:
        if not isinstance(item, dict):
            raise FrameError("a record must be an object")
        raw_time = item.get("time")
        if type(raw_time) is not str or not is_canonical_time(raw_time):
            # Slow path: numbers, padding, other separators, invalid dates.
            raw_time = as_text(raw_time)
            if raw_time is None:
                raise FrameError("record without time")
            parsed = parse_time(raw_time)
            time = parsed.strftime("%Y-%m-%d %H:%M:%S") if parsed else raw_time
        else:
            time = raw_time
        enrollid = _int(_first(item, "enrollid", "pin", "userid"))
        mode = _int(_first(item, "mode", "attmode", "verify", "type"))
        name = item.get("name")
        values = (
            enrollid,
            time,
            raw_time,
            (name or None) if type(name) is str and name == name.strip() else
            (as_text(name) or None),
            None if mode is None else _verify_mode(mode),
            _int(item.get("inout")),
            _int(_first(item, "event", "status")),
            _temperature(item.get("temp")),
            strip_data_uri(item.get("image")),
            _int(item.get("verifymode")),
        )  # fmt: skip
        if cls is not LogRecord or not _SETTERS:
            arguments: dict[str, Any] = dict(zip(_WIRE_FIELDS, values, strict=True))
            return cls(**arguments)
        # Every value is checked above, so skip the generated __init__: the frozen dataclass
        # sets each field through object.__setattr__, half the cost of a record on ingest.
        record = _new(LogRecord)
        for setter, value in zip(_SETTERS, values, strict=True):
            setter(record, value)
        return record

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"enrollid": self.enrollid, "time": self.time_raw or self.time}
        for key in ("name", "mode", "inout", "event", "temp", "image", "verifymode"):
            value = getattr(self, key)
            if value is not None:
                out[key] = int(value) if isinstance(value, IntEnum) else value
        return out


_WIRE_FIELDS = (
    "enrollid", "time", "time_raw", "name", "mode", "inout", "event", "temp", "image",
    "verifymode",
)  # fmt: skip
"""The order ``LogRecord.from_wire`` computes its values in."""
_new = object.__new__
if tuple(f.name for f in fields(LogRecord)) == _WIRE_FIELDS:
    _SETTERS = tuple(getattr(LogRecord, name).__set__ for name in _WIRE_FIELDS)
else:  # pragma: no cover - a field was added: fall back to the constructor
    _SETTERS = ()


def _first(item: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = item.get(key)
        if value is not None:
            return value
    return None


def _int(value: Any) -> int | None:
    """:func:`as_int` with the common case (a JSON integer) first: this runs per record."""
    return value if type(value) is int and -_2_63 <= value < _2_63 else as_int(value)


_2_63 = 2**63
_VERIFY_MODES = {int(m): m for m in VerifyMode}


def _verify_mode(code: int) -> VerifyMode:
    """The member for ``code`` without the enum machinery for the four known codes."""
    member = _VERIFY_MODES.get(code)
    return VerifyMode(code) if member is None else member


def _temperature(value: Any) -> float | None:
    """Degrees Celsius from a float, or from integer tenths / hundredths (PROTOCOL.md 8.8)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        temp = float(value)
    except (TypeError, ValueError):
        return None
    if temp != temp or temp in (float("inf"), float("-inf")) or temp <= 0:
        return None
    while temp > 100:
        temp /= 10
    return round(temp, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserCredential:
    """One credential slot of one user, as ``senduser`` / ``getuserinfo`` / ``setuserinfo`` carry it.

    ``record`` keeps its wire form: an ``int`` when the terminal sent a JSON number, a ``str``
    when it sent text (so a card ``"0012345"`` keeps its leading zeros).
    """

    enrollid: int
    backupnum: BackupNum
    record: str | int | None = field(default=None, repr=False)
    name: str | None = None
    admin: int = 0

    @classmethod
    def from_wire(cls, payload: dict[str, Any]) -> UserCredential:
        enrollid = as_int(payload.get("enrollid"))
        backupnum = as_int(payload.get("backupnum"))
        if enrollid is None:
            raise FrameError("user without a numeric enrollid")
        if backupnum is None:
            raise FrameError("user without a numeric backupnum")
        record = payload.get("record")
        if isinstance(record, bool) or not isinstance(record, (int, str, type(None))):
            raise FrameError("record must be a number or a string")
        if isinstance(record, str) and backupnum == BackupNum.PHOTO:
            record = strip_data_uri(record)
        return cls(
            enrollid=enrollid,
            backupnum=BackupNum(backupnum),
            record=record,
            name=as_text(payload.get("name")) or None,
            admin=as_int(payload.get("admin")) or 0,
        )

    def record_for_wire(self, *, numbers_as_text: bool = False) -> str | int | None:
        """The record as a terminal expects it.

        PIN and card go out as JSON numbers (the documented form) unless they were text with
        leading zeros or ``numbers_as_text`` is set; templates and photos are always text.
        """
        record = self.record
        if not self.backupnum.is_numeric or record is None:
            return record
        text = str(record).strip()
        if numbers_as_text or not text.isdigit() or (len(text) > 1 and text.startswith("0")):
            return text
        return int(text)

    def to_wire(self, *, numbers_as_text: bool = False) -> dict[str, Any]:
        return {
            "enrollid": self.enrollid,
            "name": self.name or "",
            "backupnum": int(self.backupnum),
            "admin": self.admin,
            "record": self.record_for_wire(numbers_as_text=numbers_as_text),
        }
