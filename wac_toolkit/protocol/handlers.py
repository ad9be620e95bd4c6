"""Pure handlers for what terminals push, and the replies they need.

Every handler takes the decoded frame and the current terminal-local time and returns the
reply dict. They never raise: an invalid payload gets the documented failure reply
(``result: false`` with ``reason``), so a terminal is always answered (PROTOCOL.md 9.5).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import FrameError
from .models import DeviceInfo, LogRecord, UserCredential, record_from_values, wire_values
from .typed import TypedSendlog, fast_values
from .values import as_int, format_time

__all__ = [
    "MAX_RAW",
    "REG_INVALID",
    "SendLog",
    "Unreadable",
    "ack",
    "fail",
    "handle_reg",
    "handle_sendlog",
    "handle_senduser",
    "parse_sendlog",
    "raw_text",
    "read_sendlog",
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


MAX_RAW = 64 * 1024
"""Characters of an unreadable item kept; the rest is cut (a photo says nothing more)."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An item that could not be read: its raw JSON text and the reason."""

    reason: str
    raw: str


def raw_text(value: Any) -> str:
    """Compact JSON of ``value`` (``repr`` if it is not JSON), cut at :data:`MAX_RAW`."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= MAX_RAW else text[:MAX_RAW] + "…"


class SendLog:
    """A decoded ``sendlog``: the records that could be read, the batch's ``count`` /
    ``logindex``, and the items that could not be read (with the reason and raw text).

    ``values`` holds each readable record's values (:data:`~.models.LOG_VALUES` order), which
    is what the store writes; the :class:`LogRecord` objects are built the first time
    ``records`` is read (an event subscriber, a server-mode decision), not for every batch.
    """

    __slots__ = ("_records", "count", "logindex", "unreadable", "values")

    def __init__(
        self,
        values: Sequence[tuple[Any, ...]],
        count: int | None,
        logindex: int | None,
        unreadable: tuple[Unreadable, ...] = (),
    ) -> None:
        self.values = values
        self.count = count
        self.logindex = logindex
        self.unreadable = unreadable
        self._records: tuple[LogRecord, ...] | None = None

    @property
    def records(self) -> tuple[LogRecord, ...]:
        if self._records is None:
            self._records = tuple(map(record_from_values, self.values))
        return self._records

    def __repr__(self) -> str:
        return (
            f"SendLog({len(self.values)} records, count={self.count}, logindex={self.logindex},"
            f" {len(self.unreadable)} unreadable)"
        )


def read_sendlog(payload: dict[str, Any]) -> SendLog:
    """Read every record of a ``sendlog`` (or a ``getnewlog``/``getalllog`` page) that can be
    read and describe the others; never raises.

    This is the one decoding path: :func:`parse_sendlog` and :func:`handle_sendlog` (the SDK)
    and the gateway's ingest pipeline (which stores what is readable and quarantines the
    rest) all read a batch through it. ``record`` may be a list, a single object (RUST), or
    named ``log``/``logs``. A frame without any record list is one unreadable item (the
    whole frame). A batch in the documented shape is checked in one C call
    (:mod:`.typed`); any other goes through the lenient reader, record by record. A frame
    the connection already read straight into values (:class:`~.typed.TypedSendlog`) is
    not read again.
    """
    if isinstance(payload, TypedSendlog):
        return SendLog(payload.log_values, payload.get("count"), payload.get("logindex"))
    count, logindex = as_int(payload.get("count")), as_int(payload.get("logindex"))
    items = payload.get("record", payload.get("log", payload.get("logs")))
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        missing = Unreadable("sendlog without a record list", raw_text(payload))
        return SendLog((), count, logindex, (missing,))
    values = fast_values(items)
    if values is not None:
        return SendLog(values, count, logindex)
    try:  # every record readable: no per-record bookkeeping
        return SendLog(list(map(wire_values, items)), count, logindex)
    except FrameError:
        pass
    readable: list[tuple[Any, ...]] = []
    unreadable: list[Unreadable] = []
    where = f" (logindex {logindex})" if logindex is not None else ""
    for position, item in enumerate(items):
        try:
            readable.append(wire_values(item))
        except FrameError as exc:
            reason = f"record {position + 1} of {len(items)}{where}: {exc}"
            unreadable.append(Unreadable(reason, raw_text(item)))
    return SendLog(readable, count, logindex, tuple(unreadable))


def parse_sendlog(payload: dict[str, Any]) -> SendLog:
    """Decode a ``sendlog`` (or a ``getnewlog``/``getalllog`` page), all or nothing.

    Raises:
        FrameError: no records, or a record that is not usable (the first one's reason).
    """
    batch = read_sendlog(payload)
    if batch.unreadable:
        raise FrameError(batch.unreadable[0].reason)
    return batch


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
