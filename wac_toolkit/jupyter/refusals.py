"""What a terminal's refusal means, where PROTOCOL.md documents it.

A refusal arrives as ``result: false`` with a ``reason`` that is almost always the generic
``1`` (PROTOCOL.md 3), sometimes a documented code (``adduser`` 2: the number is taken) or
a ``msg`` text from real firmware ("can not find the user"). ``refused 'deleteuser': 1``
tells an analyst nothing; :func:`explain` says what the code means for that command, and
:func:`describe` makes the one line a notebook shows.
"""

from __future__ import annotations

from typing import Any

from ..errors import DeviceError

__all__ = ["describe", "explain"]

_MESSAGES = {
    "can not find the user": "user not found on the terminal",
    "have no data": "that credential slot is empty",
    "can not find this command": "this firmware does not support the command",
}
"""Firmware ``msg`` texts (PROTOCOL.md 3) in plain words."""

_CODES: dict[tuple[str, Any], str] = {
    ("adduser", 2): "that user number is already taken",
}
"""Codes documented for one command (PROTOCOL.md 3 and 5.1)."""

_GENERIC = {
    "deleteuser": "user not found (or that slot is empty)",
    "getuserinfo": "user not found (or that slot is empty)",
    "getusername": "user not found",
    "enableuser": "user not found",
    "setuserinfo": "the terminal did not accept the credential (full, or a bad record)",
    "setusername": "the terminal did not accept the names",
    "adduser": "enrolment failed or timed out at the terminal",
    "opendoor": "the terminal would not open the door",
    "getuserlist": "the terminal could not list its users",
    "getnewlog": "the terminal could not list its records",
    "getalllog": "the terminal could not list its records",
}
"""What the generic reason ``1`` means for each command, per PROTOCOL.md 5."""


def explain(cmd: str, reason: Any, reply: dict[str, Any] | None = None) -> str | None:
    """Plain words for a refusal, or None when nothing is documented for it."""
    message = (reply or {}).get("msg")
    for text in (message, reason):
        if isinstance(text, str) and text.strip():
            known = _MESSAGES.get(text.strip().lower())
            if known:
                return known
            if not text.strip().isdigit():
                return None  # the terminal's own words are shown as they are
    try:
        code = int(reason)
    except (TypeError, ValueError):
        return None
    if (cmd, code) in _CODES:
        return _CODES[cmd, code]
    if code == 1:
        return _GENERIC.get(cmd, "generic failure (the protocol's reason 1)")
    return None


def describe(exc: DeviceError) -> str:
    """``terminal VT1 refused 'deleteuser': 1 (user not found ...)``."""
    meaning = explain(exc.cmd, exc.reason, exc.reply)
    return f"{exc} ({meaning})" if meaning else str(exc)
