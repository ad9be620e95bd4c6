"""Typed results of server-to-terminal commands, read leniently from the terminal's reply.

Every result keeps the whole reply (``reply``, not compared, not shown) so a field the model
does not name is never lost. Readers never raise: a missing or malformed value is None.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from .models import BackupNum
from .values import as_int, as_text, parse_time

__all__ = [
    "Ack",
    "DeviceCapacity",
    "DeviceSettings",
    "DeviceTime",
    "DoorSettings",
    "Holidays",
    "Questionnaire",
    "Rebooted",
    "Reply",
    "UserLock",
    "UserName",
    "UserProfile",
    "UserSlot",
]


def _number(value: Any) -> int | None:
    """``as_int`` that also takes JSON booleans (``sleep: true``)."""
    return int(value) if isinstance(value, bool) else as_int(value)


def _list(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


def _int(wire: str | None = None) -> Any:
    return field(default=None, metadata={"read": _number, "wire": wire})


def _text(wire: str | None = None) -> Any:
    return field(default=None, metadata={"read": as_text, "wire": wire})


def _items(wire: str | None = None) -> Any:
    return field(default=None, metadata={"read": _list, "wire": wire})


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """Base of every typed reply: the terminal's ``sn`` and the raw reply frame."""

    sn: str | None = None
    reply: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> Any:
        values = {}
        for spec in fields(cls):
            read = spec.metadata.get("read")
            if read is not None:
                values[spec.name] = read(reply.get(spec.metadata.get("wire") or spec.name))
        return cls(sn=as_text(reply.get("sn")), reply=reply, **values)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack(Reply):
    """The terminal did it. ``enrollid`` is echoed by user commands of v3.0 firmware."""

    enrollid: int | None = _int()


@dataclass(frozen=True, slots=True)
class UserSlot:
    """One credential slot of one user, as ``getuserlist`` pages list them."""

    enrollid: int
    admin: int
    backupnum: BackupNum

    @classmethod
    def from_wire(cls, item: Any) -> UserSlot:
        item = item if isinstance(item, dict) else {}
        return cls(
            enrollid=as_int(item.get("enrollid")) or 0,
            admin=as_int(item.get("admin")) or 0,
            backupnum=BackupNum(as_int(item.get("backupnum")) or 0),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class UserName(Reply):
    """``getusername``: the name arrives in ``record``, not ``name`` (PROTOCOL.md 9.18)."""

    enrollid: int | None = _int()
    name: str | None = _text("record")


@dataclass(frozen=True, slots=True, kw_only=True)
class UserProfile(Reply):
    """``getuserprofile``: the message shown to a user (enrollid 0: the public notice)."""

    enrollid: int | None = _int()
    profile: str | None = _text("record")


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceTime(Reply):
    """``gettime``: the terminal's wall clock (``text`` as sent, ``time`` parsed or None)."""

    text: str | None = _text("time")

    @property
    def time(self) -> datetime | None:
        return parse_time(self.text)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceSettings(Reply):
    """``getdevinfo``: the settings ``setdevinfo`` writes (not the ``reg`` devinfo)."""

    deviceid: int | None = _int()
    language: int | None = _int()
    volume: int | None = _int()
    screensaver: int | None = _int()
    verifymode: int | None = _int()
    sleep: int | None = _int()
    userfpnum: int | None = _int()
    loghint: int | None = _int()
    reverifytime: int | None = _int()


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceCapacity(Reply):
    """``getdevcap``: capacities (``*size``) and usage (``used*``)."""

    usersize: int | None = _int()
    facesize: int | None = _int()
    fpsize: int | None = _int()
    palmsize: int | None = _int()
    cardsize: int | None = _int()
    pwdsize: int | None = _int()
    logsize: int | None = _int()
    useduser: int | None = _int()
    usedface: int | None = _int()
    usedfp: int | None = _int()
    usedpalm: int | None = _int()
    usedcard: int | None = _int()
    usedpwd: int | None = _int()
    usedlog: int | None = _int()
    usednewlog: int | None = _int()
    usedrtlog: int | None = _int()


@dataclass(frozen=True, slots=True, kw_only=True)
class DoorSettings(Reply):
    """``getdevlock``: door, alarm and Wiegand settings and the time-zone tables."""

    opendelay: int | None = _int()
    doorsensor: int | None = _int()
    alarmdelay: int | None = _int()
    threat: int | None = _int()
    inputalarm: int | None = _int("InputAlarm")
    antpass: int | None = _int()
    interlock: int | None = _int()
    mutiopen: int | None = _int()
    tryalarm: int | None = _int()
    tamper: int | None = _int()
    wgformat: int | None = _int()
    wgoutput: int | None = _int()
    cardoutput: int | None = _int()
    access_times: int | None = _int()
    punchtimes: int | None = _int()
    dayzone: list[Any] | None = _items()
    weekzone: list[Any] | None = _items()
    lockgroup: list[Any] | None = _items()
    nopentime: list[Any] | None = _items()


@dataclass(frozen=True, slots=True, kw_only=True)
class UserLock(Reply):
    """``getuserlock``: a user's week zones (one per door), group and validity period."""

    enrollid: int | None = _int()
    weekzone: int | None = _int()
    weekzone2: int | None = _int()
    weekzone3: int | None = _int()
    weekzone4: int | None = _int()
    group: int | None = _int()
    starttime: str | None = _text()
    endtime: str | None = _text()


@dataclass(frozen=True, slots=True, kw_only=True)
class Holidays(Reply):
    """``getholiday`` (v3.0 form): ``[{name, startday "MM-DD", endday, shift, dayzone}]``."""

    holidays: list[Any] | None = _items()


@dataclass(frozen=True, slots=True, kw_only=True)
class Questionnaire(Reply):
    """``getquestionnaire``: the attendance-status prompt."""

    title: str | None = _text()
    voice: str | None = _text()
    errmsg: str | None = _text()
    radio: int | None = _int()
    optionflag: int | None = _int()
    usequestion: int | None = _int()
    useschedule: int | None = _int()
    card: int | None = _int()
    items: list[Any] | None = _items()
    schedules: list[Any] | None = _items()


@dataclass(frozen=True, slots=True)
class Rebooted:
    """``reboot`` has no reply; ``reconnected`` says whether a new ``reg`` came in time
    (None when nobody waited)."""

    sn: str | None
    reconnected: bool | None = None
