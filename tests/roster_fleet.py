"""Helpers for the roster tests: virtual terminals that also answer the user-list commands.

The roster reads a terminal's own list (``getuserlist``/``getuserinfo``) and toggles users
(``enableuser``). When the virtual terminal's own handlers for these exist they are used;
until then these stand-ins, written to the protocol document (PROTOCOL.md 5.1, 5.3), fill in.
"""

from __future__ import annotations

from typing import Any

from wac_toolkit import VirtualTerminal
from wac_toolkit.protocol.values import as_int

__all__ = ["PAGE", "held", "roster_terminal"]

PAGE = 3
"""Slots per getuserlist page: small, so paging is exercised."""


async def _getuserlist(terminal: VirtualTerminal, frame: dict[str, Any]) -> dict[str, Any]:
    slots = [
        {"enrollid": u.enrollid, "admin": u.admin, "backupnum": b}
        for u in sorted(terminal.users.values(), key=lambda u: u.enrollid)
        for b in sorted(u.credentials)
    ]
    start = 0 if frame.get("stn", True) else getattr(terminal, "_list_cursor", 0)
    page = slots[start : start + PAGE]
    terminal._list_cursor = start + len(page)  # type: ignore[attr-defined]
    return terminal.reply(
        "getuserlist",
        count=len(slots),
        **{"from": start, "to": max(start, start + len(page) - 1)},
        record=page,
    )


async def _getuserinfo(terminal: VirtualTerminal, frame: dict[str, Any]) -> dict[str, Any]:
    user = terminal.users.get(as_int(frame.get("enrollid")) or -1)
    backupnum = as_int(frame.get("backupnum"))
    if user is None or backupnum not in user.credentials:
        return {"ret": "getuserinfo", "result": False, "msg": "can not find the user"}
    return terminal.reply(
        "getuserinfo",
        enrollid=user.enrollid,
        name=user.name,
        backupnum=backupnum,
        admin=user.admin,
        record=user.credentials[backupnum],
    )


async def _enableuser(terminal: VirtualTerminal, frame: dict[str, Any]) -> dict[str, Any]:
    user = terminal.users.get(as_int(frame.get("enrollid")) or -1)
    if user is None:
        return terminal.refusal("enableuser")
    user.enabled = bool(as_int(frame.get("enflag")))
    return terminal.reply("enableuser")


FALLBACK = {"getuserlist": _getuserlist, "getuserinfo": _getuserinfo, "enableuser": _enableuser}


def roster_terminal(url: str, sn: str, **options: Any) -> VirtualTerminal:
    """A virtual terminal answering the user-list commands (its own handlers win)."""
    vt = VirtualTerminal(url, sn, **options)
    vt.handlers = {**FALLBACK, **VirtualTerminal.handlers}  # type: ignore[misc]
    return vt


def held(vt: VirtualTerminal) -> dict[int, tuple[str, int, bool, dict[int, str]]]:
    """What a terminal holds, as a user would read it off the device."""
    return {
        u.enrollid: (u.name, u.admin, u.enabled, {b: str(r) for b, r in u.credentials.items()})
        for u in vt.users.values()
    }
