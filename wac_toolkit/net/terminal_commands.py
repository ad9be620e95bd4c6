"""The virtual terminal's answers to every server-to-terminal command of the catalogue.

Each handler changes the terminal's own state (users, logs, settings, door, locks) the way
firmware would, so the typed methods are tested against something that behaves. Paged
commands page like firmware: ``vt.paging`` ``"total"`` (``count`` is the total and an empty
package follows the last one), ``"page"`` (``count`` is the page size; an empty package ends
it), or ``"endless"`` (a broken firmware whose indices keep advancing for ever).
Importing this module registers the handlers in ``VirtualTerminal.handlers``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..protocol.catalogue import COMMANDS, DoorMode, terminal_commands
from ..protocol.models import BackupNum, LogRecord
from ..protocol.values import as_int, as_text, format_time, parse_time
from .terminal import TerminalHandler, VirtualTerminal, VirtualUser

__all__ = ["HANDLERS", "TerminalState", "state"]

Frame = dict[str, Any]


@dataclass
class _Cursor:
    items: list[dict[str, Any]]
    position: int = 0
    done: Callable[[], None] | None = None


@dataclass
class TerminalState:
    """What a terminal keeps besides users and logs."""

    settings: dict[str, Any] = field(
        default_factory=lambda: {
            "deviceid": 1, "language": 0, "volume": 6, "screensaver": 60, "verifymode": 0,
            "sleep": 0, "userfpnum": 3, "loghint": 0, "reverifytime": 0,
        }
    )  # fmt: skip
    door: dict[str, Any] = field(
        default_factory=lambda: {
            "opendelay": 5, "doorsensor": 0, "alarmdelay": 0, "threat": 0, "InputAlarm": 0,
            "antpass": 0, "interlock": 0, "mutiopen": 0, "tryalarm": 0, "tamper": 0,
            "wgformat": 0, "wgoutput": 0, "cardoutput": 0, "dayzone": [], "weekzone": [],
            "lockgroup": [{"group": 1}] * 5,
        }
    )  # fmt: skip
    questionnaire: dict[str, Any] = field(default_factory=lambda: {"title": "", "items": []})
    keypad: dict[str, Any] = field(default_factory=dict)
    """The last ``keypad`` settings (``on``, ``keep``, ``timeout``)."""
    holidays: dict[str, Any] = field(default_factory=lambda: {"holidays": []})
    user_locks: dict[int, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[int, str] = field(default_factory=dict)
    enabled: bool = True
    """False between ``disabledevice`` and ``enabledevice``."""
    door_mode: DoorMode = DoorMode.NORMAL
    opened: list[int | None] = field(default_factory=list)
    """``doornum`` of every ``opendoor`` (None: all doors)."""
    clock_offset: timedelta = timedelta(0)
    reboots: int = 0
    cursors: dict[str, _Cursor] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


def state(terminal: VirtualTerminal) -> TerminalState:
    """The terminal's :class:`TerminalState`, made on first use."""
    found = terminal.__dict__.get("state")
    if found is None:
        found = terminal.__dict__["state"] = TerminalState()
    return found


def _enrollid(terminal: VirtualTerminal, frame: Frame) -> int | None:
    # P30's enableuser example misspells the key as "enrolled" (PROTOCOL.md 8.12).
    return as_int(frame.get("enrollid", frame.get("enrolled")))


def _user(terminal: VirtualTerminal, frame: Frame) -> VirtualUser | None:
    enrollid = _enrollid(terminal, frame)
    return terminal.users.get(enrollid) if enrollid is not None else None


def _now(terminal: VirtualTerminal) -> datetime:
    return terminal.clock() + state(terminal).clock_offset


# -- paging -------------------------------------------------------------------------------------


def _page(terminal: VirtualTerminal, cmd: str, frame: Frame, items: Callable[[], Any]) -> Frame:
    """Serve the next package of ``cmd``; ``stn: true`` starts over from a fresh snapshot."""
    cursors = state(terminal).cursors
    if frame.get("stn") in (True, 1, "true") or cmd not in cursors:
        snapshot, done = items()
        cursors[cmd] = _Cursor(snapshot, 0, done)
    cursor = cursors[cmd]
    size = max(1, terminal.page_size)
    start = cursor.position
    if terminal.paging == "endless" and cursor.items:
        chunk = [cursor.items[(start + i) % len(cursor.items)] for i in range(size)]
        cursor.position += size
        return terminal.reply(
            cmd, count=size, **{"from": start, "to": start + size - 1}, record=chunk
        )
    chunk = cursor.items[start : start + size]
    if not chunk:
        if cursor.done is not None:
            cursor.done()
            cursor.done = None
        return terminal.reply(cmd, count=0, **{"from": 0, "to": 0}, record=[])
    cursor.position += len(chunk)
    count = len(cursor.items) if terminal.paging == "total" else len(chunk)
    if terminal.paging == "total" and cursor.position >= len(cursor.items) and cursor.done:
        cursor.done()  # the server may rightly stop here without asking for the empty page
        cursor.done = None
    fields = {"from": start, "to": start + len(chunk) - 1}
    return terminal.reply(cmd, count=count, **fields, record=chunk)


def _slots(terminal: VirtualTerminal) -> tuple[list[dict[str, Any]], None]:
    slots = [
        {"enrollid": user.enrollid, "admin": user.admin, "backupnum": backupnum}
        for user in sorted(terminal.users.values(), key=lambda u: u.enrollid)
        for backupnum in sorted(user.credentials)
    ]
    return slots, None


def _wire(records: list[LogRecord]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.to_wire().items() if k != "image"} for r in records]


async def _getuserlist(terminal: VirtualTerminal, frame: Frame) -> Frame:
    return _page(terminal, "getuserlist", frame, lambda: _slots(terminal))


async def _getnewlog(terminal: VirtualTerminal, frame: Frame) -> Frame:
    def items() -> tuple[list[dict[str, Any]], Callable[[], None]]:
        end = len(terminal.logs)

        def uploaded() -> None:  # reading them all marks them uploaded, like a push ack
            terminal.acked = max(terminal.acked, end)

        return _wire(terminal.logs[terminal.acked : end]), uploaded

    return _page(terminal, "getnewlog", frame, items)


async def _getalllog(terminal: VirtualTerminal, frame: Frame) -> Frame:
    first, last = parse_time(frame.get("from")), parse_time(frame.get("to"))

    def within(record: LogRecord) -> bool:
        day = record.time[:10]
        return (first is None or day >= f"{first:%Y-%m-%d}") and (
            last is None or day <= f"{last:%Y-%m-%d}"
        )

    return _page(
        terminal, "getalllog", frame, lambda: (_wire([r for r in terminal.logs if within(r)]), None)
    )


# -- users --------------------------------------------------------------------------------------

_set_credential = VirtualTerminal.handlers["setuserinfo"]


async def _setuserinfo(terminal: VirtualTerminal, frame: Frame) -> Frame | None:
    """Credential form (``backupnum`` + ``record``) or the v2.9 profile form (any other keys)."""
    if "backupnum" in frame and "record" in frame:
        return await _set_credential(terminal, frame)
    enrollid = _enrollid(terminal, frame)
    if enrollid is None:
        return terminal.refusal("setuserinfo")
    user = terminal.users.setdefault(enrollid, VirtualUser(enrollid))
    for key, value in frame.items():
        if key == "name":
            user.name = str(value)
        elif key == "admin":
            user.admin = as_int(value) or 0
        elif key == "enable":
            user.enabled = bool(as_int(value))
        elif key in ("card", "pwd"):
            user.credentials[BackupNum.CARD if key == "card" else BackupNum.PASSWORD] = value
        elif key not in ("cmd", "sn", "enrollid"):
            user.extra[key] = value
    return terminal.reply("setuserinfo", enrollid=enrollid)


async def _getuserinfo(terminal: VirtualTerminal, frame: Frame) -> Frame:
    user, backupnum = _user(terminal, frame), as_int(frame.get("backupnum"))
    if user is None or backupnum not in user.credentials:
        return terminal.refusal("getuserinfo", "can not find the user")
    return terminal.reply(
        "getuserinfo",
        enrollid=user.enrollid,
        name=user.name,
        backupnum=backupnum,
        admin=user.admin,
        record=user.credentials[backupnum],
    )


async def _getusername(terminal: VirtualTerminal, frame: Frame) -> Frame:
    user = _user(terminal, frame)
    if user is None:
        return terminal.refusal("getusername")
    return terminal.reply("getusername", enrollid=user.enrollid, record=user.name)


async def _setusername(terminal: VirtualTerminal, frame: Frame) -> Frame:
    records = frame.get("record")
    if not isinstance(records, list) or as_int(frame.get("count")) != len(records):
        return terminal.refusal("setusername")
    for item in records:
        enrollid = as_int(item.get("enrollid")) if isinstance(item, dict) else None
        if enrollid is None:
            return terminal.refusal("setusername")
        terminal.users.setdefault(enrollid, VirtualUser(enrollid)).name = str(item.get("name", ""))
    return terminal.reply("setusername")


async def _enableuser(terminal: VirtualTerminal, frame: Frame) -> Frame:
    user, flag = _user(terminal, frame), as_int(frame.get("enflag"))
    if user is None or flag not in (0, 1):
        return terminal.refusal("enableuser")
    user.enabled = bool(flag)
    return terminal.reply("enableuser")


async def _cleanuser(terminal: VirtualTerminal, frame: Frame) -> Frame:
    terminal.users.clear()
    state(terminal).user_locks.clear()
    return terminal.reply("cleanuser")


async def _cleanadmin(terminal: VirtualTerminal, frame: Frame) -> Frame:
    for user in terminal.users.values():
        user.admin = 0
    return terminal.reply("cleanadmin")


async def _adduser(terminal: VirtualTerminal, frame: Frame) -> Frame:
    """Remote enrolment; the virtual person enrols at once (a placeholder template)."""
    enrollid, backupnum = _enrollid(terminal, frame), as_int(frame.get("backupnum")) or 0
    if enrollid is None:
        return terminal.refusal("adduser")
    if enrollid in terminal.users:
        return terminal.refusal("adduser", 2)
    user = terminal.users[enrollid] = VirtualUser(enrollid, str(frame.get("name") or ""))
    user.admin = as_int(frame.get("admin")) or 0
    user.credentials[backupnum] = f"ENROLLED-{enrollid}-{backupnum}"
    return terminal.reply("adduser", enrollid=enrollid)


async def _setuserprofile(terminal: VirtualTerminal, frame: Frame) -> Frame:
    enrollid, profile = _enrollid(terminal, frame), as_text(frame.get("profile"))
    if enrollid is None or profile is None or len(profile.encode()) > 200:
        return terminal.refusal("setuserprofile")
    state(terminal).profiles[enrollid] = profile
    return terminal.reply("setuserprofile", enrollid=enrollid)


async def _getuserprofile(terminal: VirtualTerminal, frame: Frame) -> Frame:
    enrollid = _enrollid(terminal, frame)
    profile = state(terminal).profiles.get(enrollid) if enrollid is not None else None
    if profile is None:
        return terminal.refusal("getuserprofile", "have no data")
    return terminal.reply("getuserprofile", enrollid=enrollid, record=profile)


# -- logs and system ----------------------------------------------------------------------------


async def _cleanlog(terminal: VirtualTerminal, frame: Frame) -> Frame:
    terminal.logs.clear()
    terminal.acked = 0
    return terminal.reply("cleanlog")


async def _initsys(terminal: VirtualTerminal, frame: Frame) -> Frame:
    await _cleanuser(terminal, frame)
    await _cleanlog(terminal, frame)
    return terminal.reply("initsys")


async def _reboot(terminal: VirtualTerminal, frame: Frame) -> None:
    """No reply: the connection drops, and the terminal dials and registers again."""
    state(terminal).reboots += 1
    state(terminal).cursors.clear()

    async def restart() -> None:
        await asyncio.sleep(0.01)
        running = terminal._runner is not None and not terminal._runner.done()
        await terminal.disconnect(abort=True)
        if not running:  # nobody to reconnect for us: do it like firmware would
            with contextlib.suppress(Exception):
                await terminal.connect()

    task = asyncio.ensure_future(restart())
    state(terminal).tasks.add(task)
    task.add_done_callback(state(terminal).tasks.discard)
    return None


async def _settime(terminal: VirtualTerminal, frame: Frame) -> Frame:
    moment = parse_time(frame.get("cloudtime"))
    if moment is None:
        return terminal.refusal("settime")
    state(terminal).clock_offset = moment - terminal.clock()
    return terminal.reply("settime")


async def _gettime(terminal: VirtualTerminal, frame: Frame) -> Frame:
    reply = terminal.reply("gettime", time=format_time(_now(terminal)))
    reply.pop("result")  # as documented: gettime's reply carries no result (PROTOCOL.md 8.14)
    return reply


async def _getdevcap(terminal: VirtualTerminal, frame: Frame) -> Frame:
    devinfo = terminal._reg_fields()["devinfo"]
    counters = {k: v for k, v in devinfo.items() if isinstance(v, int)}
    return terminal.reply("getdevcap", **counters, usedrtlog=len(terminal.logs))


def _switch(cmd: str, enabled: bool) -> TerminalHandler:
    async def handler(terminal: VirtualTerminal, frame: Frame) -> Frame:
        state(terminal).enabled = enabled
        return terminal.reply(cmd)

    return handler


# -- settings tables (devinfo, devlock, holidays, questionnaire) ---------------------------------


def _keys(cmd: str) -> set[str]:
    return {f.name for f in COMMANDS[cmd].fields}


def _write(cmd: str, table: str) -> TerminalHandler:
    """``set*``: keep the documented keys of the frame (partial updates)."""
    allowed = _keys(cmd)

    async def handler(terminal: VirtualTerminal, frame: Frame) -> Frame:
        given = {k: v for k, v in frame.items() if k in allowed}
        if not given:
            return terminal.refusal(cmd)
        getattr(state(terminal), table).update(given)
        return terminal.reply(cmd)

    return handler


def _read(cmd: str, table: str) -> TerminalHandler:
    async def handler(terminal: VirtualTerminal, frame: Frame) -> Frame:
        return terminal.reply(cmd, **getattr(state(terminal), table))

    return handler


# -- doors and locks ----------------------------------------------------------------------------


async def _opendoor(terminal: VirtualTerminal, frame: Frame) -> Frame:
    doornum = as_int(frame.get("doornum"))
    if "doornum" in frame and doornum not in (1, 2, 3, 4):
        return terminal.refusal("opendoor")
    state(terminal).opened.append(doornum)
    return terminal.reply("opendoor")


async def _lockctrl(terminal: VirtualTerminal, frame: Frame) -> Frame:
    code = as_int(frame.get("fuc"))
    if code not in tuple(DoorMode):
        return terminal.refusal("lockctrl")
    state(terminal).door_mode = DoorMode(code)
    return terminal.reply("lockctrl")


async def _getuserlock(terminal: VirtualTerminal, frame: Frame) -> Frame:
    user = _user(terminal, frame)
    if user is None:
        return terminal.refusal("getuserlock")
    lock = {"weekzone": 1, "group": 1, "starttime": "2000-01-01", "endtime": "2099-12-31"}
    lock.update(state(terminal).user_locks.get(user.enrollid, {}))
    return terminal.reply("getuserlock", enrollid=user.enrollid, **lock)


async def _setuserlock(terminal: VirtualTerminal, frame: Frame) -> Frame:
    records = frame.get("record")
    if not isinstance(records, list) or not records:
        return terminal.refusal("setuserlock")
    for item in records:
        enrollid = as_int(item.get("enrollid")) if isinstance(item, dict) else None
        if enrollid is None:
            return terminal.refusal("setuserlock")
        fields = {k: v for k, v in item.items() if k != "enrollid"}
        state(terminal).user_locks.setdefault(enrollid, {}).update(fields)
    return terminal.reply("setuserlock")


async def _deleteuserlock(terminal: VirtualTerminal, frame: Frame) -> Frame:
    enrollid = _enrollid(terminal, frame)
    if enrollid is None or state(terminal).user_locks.pop(enrollid, None) is None:
        return terminal.refusal("deleteuserlock")
    return terminal.reply("deleteuserlock")


async def _cleanuserlock(terminal: VirtualTerminal, frame: Frame) -> Frame:
    state(terminal).user_locks.clear()
    return terminal.reply("cleanuserlock")


HANDLERS: dict[str, TerminalHandler] = {
    "getuserlist": _getuserlist,
    "getuserinfo": _getuserinfo,
    "setuserinfo": _setuserinfo,
    "getusername": _getusername,
    "setusername": _setusername,
    "enableuser": _enableuser,
    "cleanuser": _cleanuser,
    "cleanadmin": _cleanadmin,
    "adduser": _adduser,
    "setuserprofile": _setuserprofile,
    "getuserprofile": _getuserprofile,
    "getnewlog": _getnewlog,
    "getalllog": _getalllog,
    "cleanlog": _cleanlog,
    "initsys": _initsys,
    "reboot": _reboot,
    "settime": _settime,
    "gettime": _gettime,
    "setdevinfo": _write("setdevinfo", "settings"),
    "keypad": _write("keypad", "keypad"),
    "getdevinfo": _read("getdevinfo", "settings"),
    "getdevcap": _getdevcap,
    "disabledevice": _switch("disabledevice", False),
    "enabledevice": _switch("enabledevice", True),
    "opendoor": _opendoor,
    "lockctrl": _lockctrl,
    "setdevlock": _write("setdevlock", "door"),
    "getdevlock": _read("getdevlock", "door"),
    "getuserlock": _getuserlock,
    "setuserlock": _setuserlock,
    "deleteuserlock": _deleteuserlock,
    "cleanuserlock": _cleanuserlock,
    "setholiday": _write("setholiday", "holidays"),
    "getholiday": _read("getholiday", "holidays"),
    "setquestionnaire": _write("setquestionnaire", "questionnaire"),
    "getquestionnaire": _read("getquestionnaire", "questionnaire"),
}
"""Command name -> handler; every server-to-terminal command of the catalogue has one."""

_missing = {c.name for c in terminal_commands()} - set(HANDLERS) - set(VirtualTerminal.handlers)
assert not _missing, f"virtual terminal lacks handlers for {sorted(_missing)}"
VirtualTerminal.handlers.update(HANDLERS)
