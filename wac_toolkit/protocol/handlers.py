"""Pure handlers for what terminals push, and the replies they need.

Every handler takes the decoded frame and the current terminal-local time and returns the
reply dict. They never raise: an invalid payload gets the documented failure reply
(``result: false`` with ``reason``), so a terminal is always answered (PROTOCOL.md 9.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import FrameError
from .models import DeviceInfo, LogRecord, UserCredential
from .values import as_int, format_time

__all__ = [
    "REG_INVALID",
    "SendLog",
    "ack",
    "fail",
    "handle_reg",
    "handle_sendlog",
    "handle_senduser",
    "parse_sendlog",
    "reg_reply",
    "sendlog_reply",
    "senduser_reply",
]


REG_INVALID = "invalid registration"
"""The ``reason`` of a refused ``reg`` that could not be read. Some firmware shows a ``reg``
reason on its screen (PROTOCOL.md 3), so it is short human words, never parser text."""


def ack(ret: str, **fields: Any) -> dict[str, Any]:
    """A success reply: ``{"ret": ret, "result": true, ...}``."""
    return {"ret": ret, "result": True, **fields}


def fail(ret: str, reason: Any = 1) -> dict[str, Any]:
    """A failure reply. ``reason`` is the generic ``1`` unless the terminal should show text."""
    return {"ret": ret, "result": False, "reason": reason}


def reg_reply(now: datetime, *, nosenduser: bool | None = None) -> dict[str, Any]:
    """The minimal documented ``reg`` reply; extra flags break some firmware (PROTOCOL.md 4.1)."""
    reply = ack("reg", cloudtime=format_time(now))
    if nosenduser is not None:
        reply["nosenduser"] = nosenduser
    return reply


def sendlog_reply(
    payload: dict[str, Any],
    now: datetime,
    *,
    access: int | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    """Acknowledge a ``sendlog``, echoing ``count`` and ``logindex`` exactly as received."""
    reply = ack("sendlog")
    for key in ("count", "logindex"):
        if payload.get(key) is not None:
            reply[key] = payload[key]
    reply["cloudtime"] = format_time(now)
    if access is not None:
        reply["access"] = access
    if message is not None:
        reply["message"] = message
    return reply


def senduser_reply(payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Acknowledge a ``senduser`` with both documented forms (cloudtime; enrollid+backupnum)."""
    reply = ack("senduser", cloudtime=format_time(now))
    for key in ("enrollid", "backupnum"):
        if payload.get(key) is not None:
            reply[key] = payload[key]
    return reply


@dataclass(frozen=True, slots=True)
class SendLog:
    """A decoded ``sendlog``: the records and the batch's ``count`` / ``logindex``."""

    records: tuple[LogRecord, ...]
    count: int | None
    logindex: int | None


def parse_sendlog(payload: dict[str, Any]) -> SendLog:
    """Decode a ``sendlog`` (or a ``getnewlog``/``getalllog`` page).

    ``record`` may be a list, a single object (RUST), or named ``log``/``logs``.

    Raises:
        FrameError: no records, or a record that is not usable.
    """
    records = payload.get("record", payload.get("log", payload.get("logs")))
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list):
        raise FrameError("sendlog without a record list")
    return SendLog(
        records=tuple(LogRecord.from_wire(item) for item in records),
        count=as_int(payload.get("count")),
        logindex=as_int(payload.get("logindex")),
    )


def handle_reg(payload: dict[str, Any], remote: Any, *, now: datetime) -> dict[str, Any]:
    """Answer a ``reg``: success with ``cloudtime``, or failure when it names no terminal.

    Args:
        payload: the decoded ``reg`` frame.
        remote: the peer address; kept by the caller, not needed for the reply.
        now: the terminal's local wall time, sent back as ``cloudtime`` to set its clock.
    """
    try:
        DeviceInfo.from_reg(payload)
    except FrameError:
        return fail("reg", REG_INVALID)
    return reg_reply(now)


def handle_sendlog(payload: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """Answer a ``sendlog`` as if its records were stored (the gateway stores first)."""
    try:
        parse_sendlog(payload)
    except FrameError:
        return fail("sendlog")
    return sendlog_reply(payload, now)


def handle_senduser(payload: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """Answer a ``senduser`` (one credential slot of a keypad-enrolled user)."""
    try:
        UserCredential.from_wire(payload)
    except FrameError:
        return fail("senduser")
    return senduser_reply(payload, now)
