"""The one place a command is described.

Each :class:`Command` says who sends it, what fields it takes (with the Python argument that
fills each one and how it goes on the wire), what the reply becomes, whether the other side
replies at all, whether it pages, and whether it destroys data. The typed methods of ``Session``
and ``WacClient`` (source generated from here by :mod:`wac_toolkit.codegen`: run it after a
change), the virtual terminal, the control endpoint, the CLI, the magics and Home Assistant all
look commands up here, so a new command is added in one place. :func:`markdown_table` renders
the README's command list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, IntEnum
from typing import Any

from .models import LogRecord, UserCredential
from .results import (
    Ack,
    DeviceCapacity,
    DeviceSettings,
    DeviceTime,
    DoorSettings,
    Holidays,
    Questionnaire,
    UserLock,
    UserName,
    UserProfile,
    UserSlot,
)
from .values import format_time, parse_time

__all__ = [
    "COMMANDS",
    "NO_DEFAULT",
    "Command",
    "Direction",
    "DoorMode",
    "Field",
    "LockMode",
    "build_fields",
    "by_method",
    "command",
    "markdown_table",
    "terminal_commands",
]


class Direction(Enum):
    TO_TERMINAL = "server->terminal"
    TO_SERVER = "terminal->server"


class DoorMode(IntEnum):
    """``lockctrl`` ``fuc`` codes (v2.9 "set door status")."""

    FORCE_OPEN = 1
    FORCE_CLOSED = 2
    SOFTWARE_OPEN = 3
    NORMAL = 4
    RESTART = 5
    CANCEL_ALARM = 6


LockMode = DoorMode
"""Alias: the documents call the same codes lock modes."""

NO_DEFAULT: Any = object()
"""Marks a :class:`Field` without a default value."""


@dataclass(frozen=True, slots=True)
class Field:
    """One request field.

    Attributes:
        name: the key on the wire.
        type: the Python type(s) the argument accepts.
        required: the field must be sent.
        help: one line for docs and ``--help``.
        arg: the Python argument name when it differs from the wire key.
        to_wire: turns the argument into the wire value (after the type check).
        default: the argument's default (sent when the caller leaves it out).
        annotation: the argument's type as source for the generated methods, when ``type``
            alone says too little (``Mapping[int, str]`` rather than ``Mapping``).
    """

    name: str
    type: type | tuple[type, ...]
    required: bool = True
    help: str = ""
    arg: str | None = None
    to_wire: Callable[[Any], Any] | None = None
    default: Any = NO_DEFAULT
    annotation: str | None = None

    @property
    def param(self) -> str:
        return self.arg or self.name

    def check(self, value: Any, where: str) -> Any:
        """The wire value of ``value``; raises ValueError/TypeError with a clear message."""
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            names = " or ".join(t.__name__ for t in types)
            raise TypeError(f"{where}: {self.param} must be {names}, not {value!r}")
        return self.to_wire(value) if self.to_wire is not None else value


@dataclass(frozen=True, slots=True)
class Command:
    """One protocol command.

    Attributes:
        method: the typed method on ``Session``/``WacClient`` (None: no method).
        group: users, logs, system, doors, holidays, questionnaire, push.
        form: names a second schema under the same ``cmd`` (``setuserinfo`` "profile").
        result: reads a success reply into a typed result.
        item: reads one record of a paged reply.
        settings: the optional fields are passed as keyword arguments (``**settings``).
        batch: records per frame for list commands (``count`` + ``record``).
        timeout: seconds to wait when the default is too short (``adduser`` waits for a person).
        since: the protocol version that introduced it.
    """

    name: str
    direction: Direction
    fields: tuple[Field, ...] = ()
    reply_fields: tuple[str, ...] = ()
    has_reply: bool = True
    paged: bool = False
    destructive: bool = False
    help: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    method: str | None = None
    group: str = ""
    form: str | None = None
    result: Callable[[dict[str, Any]], Any] | None = None
    item: Callable[[Any], Any] | None = None
    settings: bool = False
    batch: int | None = None
    timeout: float | None = None
    since: str = ""

    @property
    def key(self) -> str:
        """Unique catalogue key: ``cmd``, or ``cmd.form`` for a second schema."""
        return f"{self.name}.{self.form}" if self.form else self.name

    @property
    def kind(self) -> str:
        """What a caller gets back: ``paged``, ``no reply``, ``data`` or ``ack``."""
        if self.paged:
            return "paged"
        if not self.has_reply:
            return "no reply"
        return "data" if self.result not in (None, Ack.from_reply) else "ack"


def _day(value: date | str) -> str:
    """A ``getalllog`` date: ``YYYY-MM-DD`` from a date, a datetime or lenient text."""
    if isinstance(value, str):
        parsed = parse_time(value)
        if parsed is None:
            raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)")
        value = parsed
    return value.strftime("%Y-%m-%d")


def _time(value: datetime | str) -> str:
    if isinstance(value, str):
        parsed = parse_time(value)
        if parsed is None:
            raise ValueError(f"not a time: {value!r} (use YYYY-MM-DD HH:MM:SS)")
        value = parsed
    return format_time(value)


def _door_mode(value: int) -> int:
    try:
        return int(DoorMode(value))
    except ValueError:
        raise ValueError(f"lock mode must be 1..6 (DoorMode), not {value!r}") from None


def _slot(value: int) -> int:
    """A credential slot that can be read: 12 and 13 name groups, for ``deleteuser`` only."""
    if value in (12, 13):
        raise ValueError(
            f"backupnum {value} means all fingerprints (12) or the whole user (13), which only"
            " deleteuser takes; read one slot: 0-9 finger, 10 PIN, 11 card, 50 photo"
        )
    return value


def _names(value: Mapping[int, str]) -> list[dict[str, Any]]:
    return [{"enrollid": int(k), "name": str(v)} for k, v in value.items()]


def _records(value: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(item) for item in value]


_T = Direction.TO_TERMINAL
_S = Direction.TO_SERVER
_ACK = Ack.from_reply
_ENROLLID = Field("enrollid", int, help="user number")
_BACKUPNUM = Field("backupnum", int, help="credential slot (BackupNum)")
_READ_SLOT = Field("backupnum", int, help="credential slot (not 12/13)", to_wire=_slot)

_DEVINFO = tuple(
    Field(name, (int, bool), False)
    for name in (
        "deviceid", "language", "volume", "screensaver", "verifymode", "sleep", "userfpnum",
        "loghint", "reverifytime", "use_logphoto", "stranger_photo",
    )
)  # fmt: skip
_DEVLOCK = (
    *(
        Field(name, int, False)
        for name in (
            "opendelay", "doorsensor", "alarmdelay", "threat", "InputAlarm", "antpass",
            "interlock", "mutiopen", "tryalarm", "tamper", "wgformat", "wgoutput", "cardoutput",
            "access_times", "punchtimes",
        )
    ),
    *(Field(name, list, False) for name in ("dayzone", "weekzone", "lockgroup", "nopentime")),
)  # fmt: skip
_PROFILE = (
    _ENROLLID,
    Field("name", str, False),
    Field("verifymode", int, False, "per-user verify mode 0..24"),
    Field("department", (int, str), False),
    Field("admin", int, False),
    Field("card", (int, str), False),
    Field("pwd", (int, str), False),
    Field("enable", (int, bool), False, to_wire=int),
    *(Field(name, int, False) for name in ("shiftid", "zoneid", "groupid", "access_times")),
    Field("postid", (int, str), False),
    Field("starttime", (datetime, str), False, to_wire=_time),
    Field("endtime", (datetime, str), False, to_wire=_time),
    Field("backupnum", int, False),
    Field("record", (int, str), False),
)
_QUESTIONNAIRE = (
    *(Field(name, str, False) for name in ("title", "voice", "errmsg")),
    *(
        Field(name, (int, bool), False, to_wire=int)
        for name in ("radio", "optionflag", "usequestion", "useschedule", "card")
    ),
    Field("items", list, False, "up to 8 multiple / 16 single choices", annotation="list[str]"),
    Field("schedules", list, False, '"HH:MM-HH:MM*item", up to 8', annotation="list[str]"),
)


def _c(*args: Any, **kwargs: Any) -> Command:
    return Command(*args, **kwargs)


def _wipe(name: str, method: str, group: str, help: str, since: str = "") -> Command:
    """A destructive command without fields: it needs ``confirm=True``."""
    return Command(
        name, _T, method=method, group=group, destructive=True, result=_ACK, since=since, help=help
    )


_ALL = (
    # -- terminal -> server ---------------------------------------------------------------------
    _c("reg", _S, group="push", help="terminal registers; always first"),
    _c("sendlog", _S, group="push", help="terminal pushes attendance/access records"),
    _c("senduser", _S, group="push", help="terminal announces a keypad-enrolled credential"),
    _c("sendqrcode", _S, group="push", since="3.0", help="QR code scanned; access policy answers"),
    _c("sendpin", _S, group="push", help="PIN typed in server-keypad mode; access policy answers"),
    # -- users ----------------------------------------------------------------------------------
    _c(
        "getuserlist", _T, paged=True, method="get_user_list", group="users", item=UserSlot.from_wire,
        help="every credential slot of every user (enrollid, admin, backupnum)",
    ),
    _c(
        "getuserinfo", _T, (_ENROLLID, _READ_SLOT), ("enrollid", "name", "backupnum", "admin", "record"),
        method="get_user_info", group="users", result=UserCredential.from_wire,
        help="one credential slot of a user (template, photo, card or PIN)",
    ),
    _c(
        "setuserinfo", _T,
        (
            _ENROLLID,
            Field("name", str),
            _BACKUPNUM,
            Field("record", (int, str), help="template, photo, card number or PIN"),
            Field("admin", int, default=0, help="0 user, 1 admin, 2 super user"),
        ),
        ("enrollid",), method="set_user_info", group="users", result=_ACK, since="1.2",
        help="create or update one credential slot of a user",
    ),
    _c(
        "setuserinfo", _T, _PROFILE, ("enrollid",), method="set_user_profile_info", group="users",
        form="profile", result=_ACK, settings=True, since="2.9",
        help="set a user's profile fields (verify mode, enable, validity, card, PIN ...)",
    ),
    _c(
        "deleteuser", _T, (_ENROLLID, Field("backupnum", int, default=13)), method="delete_user",
        group="users", result=_ACK,
        help="delete a credential slot (12 all fingerprints, 13 the whole user)",
    ),
    _c(
        "getusername", _T, (_ENROLLID,), ("record",), method="get_user_name", group="users",
        result=UserName.from_reply, since="1.1", help="a user's name",
    ),
    _c(
        "setusername", _T,
        (Field("record", Mapping, arg="names", to_wire=_names, annotation="Mapping[int, str]"),),
        method="set_user_names", group="users", batch=50, since="1.1",
        help="set names of many users ({enrollid: name}, 50 a frame)",
    ),
    _c(
        "enableuser", _T, (_ENROLLID, Field("enflag", bool, arg="enabled", to_wire=int)),
        method="enable_user", group="users", result=_ACK, since="1.7",
        help="enable or disable a user",
    ),
    _wipe("cleanuser", "clean_users", "users", "delete every user"),
    _wipe("cleanadmin", "clean_admins", "users", "demote every administrator to a normal user"),
    _c(
        "adduser", _T,
        (
            _ENROLLID,
            Field("name", str, default=""),
            Field("backupnum", int, default=0),
            Field("admin", int, default=0),
            Field("flag", int, False, "10: automatic registration"),
        ),
        ("enrollid",), method="add_user", group="users", result=_ACK, timeout=120.0, since="2.8",
        help="start enrolment on the terminal; replies once the person enrolled (reason 2: exists)",
    ),
    _c(
        "setuserprofile", _T, (_ENROLLID, Field("profile", str, help="200 bytes at most")),
        method="set_user_profile", group="users", result=_ACK, since="3.0",
        help="message shown to a user (enrollid 0: public notice)",
    ),
    _c(
        "getuserprofile", _T, (_ENROLLID,), ("enrollid", "record"), method="get_user_profile",
        group="users", result=UserProfile.from_reply, since="3.0", help="the message of a user",
    ),
    # -- logs -----------------------------------------------------------------------------------
    _c(
        "getnewlog", _T, paged=True, method="get_new_logs", group="logs", item=LogRecord.from_wire,
        help="records not yet uploaded",
    ),
    _c(
        "getalllog", _T,
        (
            Field("from", (date, str), False, "first day", arg="since", to_wire=_day),
            Field("to", (date, str), False, "last day", arg="until", to_wire=_day),
        ),
        paged=True, method="get_all_logs", group="logs", item=LogRecord.from_wire,
        help="every record, optionally within a date range",
    ),
    _wipe("cleanlog", "clean_logs", "logs", "delete every record"),
    # -- system ---------------------------------------------------------------------------------
    _wipe("initsys", "init_system", "system", "delete every user and record, keep the settings"),
    _c(
        "reboot", _T, has_reply=False, method="reboot", group="system", since="1.3",
        help="restart; no reply, the terminal reconnects and registers again",
    ),
    _c(
        "settime", _T, (Field("cloudtime", (datetime, str), arg="when", to_wire=_time),),
        method="set_time", group="system", result=_ACK, since="1.4",
        help="set the clock (default: now in the session's zone)",
    ),
    _c(
        "gettime", _T, reply_fields=("time",), method="get_time", group="system",
        result=DeviceTime.from_reply, since="3.0", help="read the clock",
    ),
    _c(
        "setdevinfo", _T, _DEVINFO, method="set_dev_info", group="system", result=_ACK,
        settings=True, help="change settings (language, volume, verify mode ...)",
    ),
    _c(
        "getdevinfo", _T, method="get_dev_info", group="system", result=DeviceSettings.from_reply,
        help="read the settings setdevinfo writes",
    ),
    _c(
        "getdevcap", _T, method="get_dev_cap", group="system", result=DeviceCapacity.from_reply,
        since="3.0", help="capacities and usage",
    ),
    _c(
        "disabledevice", _T, method="disable_device", group="system", result=_ACK,
        help="suspend local verification (before bulk user changes)",
    ),
    _c(
        "enabledevice", _T, method="enable_device", group="system", result=_ACK,
        help="resume local verification",
    ),
    _c(
        "keypad", _T,
        (
            Field("keep", bool, False, "stay in server-keypad mode"),
            Field("on", bool, False, "enter (true) or leave server-keypad mode"),
            Field("timeout", int, False, "seconds before leaving it", arg="seconds"),
        ),
        method="set_keypad", group="system", result=_ACK, settings=True,
        help="server-keypad mode: typed PINs go to the server as sendpin (CS2512 demo)",
    ),
    # -- doors and locks ------------------------------------------------------------------------
    _c(
        "opendoor", _T, (Field("doornum", int, False, "door 1..4; all when left out"),),
        method="open_door", group="doors", result=_ACK, help="open the door (or one of four)",
    ),
    _c(
        "lockctrl", _T, (Field("fuc", int, arg="mode", to_wire=_door_mode),),
        method="lock_control", group="doors", result=_ACK, since="2.9",
        help="force open/closed, software open, back to normal, restart, cancel alarm (DoorMode)",
    ),
    _c(
        "setdevlock", _T, _DEVLOCK, method="set_dev_lock", group="doors", result=_ACK,
        settings=True, help="door, alarm, Wiegand settings and time zones (partial updates)",
    ),
    _c(
        "getdevlock", _T, method="get_dev_lock", group="doors", result=DoorSettings.from_reply,
        help="read the door settings",
    ),
    _c(
        "getuserlock", _T, (_ENROLLID,), method="get_user_lock", group="doors",
        result=UserLock.from_reply, help="a user's week zones, group and validity",
    ),
    _c(
        "setuserlock", _T,
        (
            Field(
                "record", Iterable, arg="locks", to_wire=_records,
                annotation="Iterable[Mapping[str, Any]]",
            ),
        ),
        method="set_user_locks", group="doors", batch=50,
        help="set access rights of users ([{enrollid, weekzone, group, starttime, endtime}])",
    ),
    _c(
        "deleteuserlock", _T, (_ENROLLID,), method="delete_user_lock", group="doors",
        result=_ACK, since="1.1", help="remove a user's access rights",
    ),
    _wipe("cleanuserlock", "clean_user_locks", "doors", "remove every user's access rights", "1.1"),
    # -- holidays and questionnaire -------------------------------------------------------------
    _c(
        "getholiday", _T, method="get_holidays", group="holidays", result=Holidays.from_reply,
        since="3.0", help="the holiday table",
    ),
    _c(
        "setholiday", _T,
        (
            Field(
                "holidays", Iterable, help="30 at most", to_wire=_records,
                annotation="Iterable[Mapping[str, Any]]",
            ),
        ),
        method="set_holidays", group="holidays", result=_ACK, since="3.0",
        help="replace the holiday table ([{name, startday, endday, shift, dayzone}])",
    ),
    _c(
        "getquestionnaire", _T, method="get_questionnaire", group="questionnaire",
        result=Questionnaire.from_reply, since="3.0", help="the attendance-status prompt",
    ),
    _c(
        "setquestionnaire", _T, _QUESTIONNAIRE, method="set_questionnaire",
        group="questionnaire", result=_ACK, settings=True, since="3.0",
        help="set the attendance-status prompt",
    ),
)  # fmt: skip

COMMANDS: dict[str, Command] = {c.key: c for c in _ALL}
"""Every command by :attr:`Command.key` (``cmd``, or ``cmd.form`` for a second schema)."""

_BY_METHOD = {c.method: c for c in _ALL if c.method}

# Sent with every "get" that pages or takes stn on some firmware (PROTOCOL.md 3, "stn").
_STN_SINGLE = frozenset({"getholiday", "getquestionnaire"})


def command(name: str) -> Command | None:
    """The catalogue entry for ``name`` (a ``cmd`` or ``cmd.form``), or None."""
    return COMMANDS.get(name)


def by_method(method: str) -> Command:
    """The command behind a typed method name; KeyError for an unknown name."""
    return _BY_METHOD[method]


def terminal_commands() -> list[Command]:
    """Every server-to-terminal command, in catalogue order."""
    return [c for c in _ALL if c.direction is _T]


def build_fields(spec: Command, args: Mapping[str, Any]) -> dict[str, Any]:
    """The wire fields of ``spec`` from Python arguments keyed by :attr:`Field.param`.

    Raises:
        TypeError: an unknown argument, a missing required one, or a value of the wrong type.
        ValueError: a value of the right type that the command does not accept.
    """
    where = spec.method or spec.name
    known = {f.param for f in spec.fields}
    unknown = sorted(set(args) - known)
    if unknown:
        allowed = ", ".join(sorted(known)) or "none"
        raise TypeError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {allowed}")
    wire: dict[str, Any] = {}
    for spec_field in spec.fields:
        value = args.get(spec_field.param, spec_field.default)
        if value is NO_DEFAULT or value is None:
            if spec_field.required:
                raise TypeError(f"{where}: {spec_field.param} is required")
            continue
        wire[spec_field.name] = spec_field.check(value, where)
    if spec.settings and not any(not f.required and f.name in wire for f in spec.fields):
        choices = ", ".join(f.param for f in spec.fields if not f.required)
        raise TypeError(f"{where}: nothing to set; give one or more of {choices}")
    if spec.name in _STN_SINGLE:
        wire["stn"] = True
    return wire


def markdown_table() -> str:
    """The README's "Terminal commands" table, one row per server-to-terminal command."""
    rows = [
        "| command | method | kind | destructive | since | what it does |",
        "|---|---|---|---|---|---|",
    ]
    for c in terminal_commands():
        name = f"`{c.name}` ({c.form})" if c.form else f"`{c.name}`"
        since = c.since or "≤1.6"
        rows.append(
            f"| {name} | `{c.method}` | {c.kind} | {'yes' if c.destructive else ''} "
            f"| {since} | {c.help} |"
        )
    return "\n".join(rows) + "\n"
