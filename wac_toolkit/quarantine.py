"""Poison frames: store what can be read, quarantine the rest, and acknowledge.

Firmware re-sends an unacknowledged ``sendlog`` or ``senduser`` for ever (PROTOCOL.md 4.2,
"Acknowledgement"). Refusing a whole batch because one record has no time, or is not even an
object, therefore stops that terminal's logs for good: every later punch queues behind the
poison batch. The rule here: a frame that firmware repeats until acknowledged is acknowledged
once what can be stored is stored; what cannot be read goes to the ``quarantine`` table with
the raw text and the reason, for an operator to look at (``wac quarantine``,
:meth:`Session.quarantined <wac_toolkit.session.Session.quarantined>`). Only a store that
cannot write keeps refusing, because then nothing was kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import FrameError
from .protocol.models import LogRecord
from .protocol.values import as_int

__all__ = ["MAX_RAW", "Quarantined", "SplitLog", "Unreadable", "raw_text", "split_sendlog"]

MAX_RAW = 64 * 1024
"""Characters of a quarantined item kept; the rest is cut (a photo says nothing more)."""


@dataclass(frozen=True, slots=True)
class Quarantined:
    """One unreadable item a terminal sent, kept for an operator.

    Attributes:
        id: row id in the store.
        sn: the terminal that sent it.
        cmd: the frame it came in (``sendlog``, ``senduser`` ...).
        reason: why it could not be stored, in words.
        raw: the item as received (JSON text, cut at :data:`MAX_RAW` characters).
        received_at: when it arrived (UTC).
    """

    id: int
    sn: str
    cmd: str
    reason: str
    raw: str
    received_at: datetime | None


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An item that could not be read: its raw JSON text and the reason."""

    reason: str
    raw: str


@dataclass(frozen=True, slots=True)
class SplitLog:
    """A ``sendlog`` split into the records that can be stored and those that cannot."""

    records: tuple[LogRecord, ...]
    unreadable: tuple[Unreadable, ...]
    count: int | None
    logindex: int | None


def raw_text(value: Any) -> str:
    """Compact JSON of ``value`` (``repr`` if it is not JSON), cut at :data:`MAX_RAW`."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= MAX_RAW else text[:MAX_RAW] + "…"


def split_sendlog(payload: dict[str, Any]) -> SplitLog:
    """Read every record that can be read; describe the others.

    ``record`` may be a list, a single object (RUST), or named ``log``/``logs``. A frame
    without any record list is one unreadable item (the whole frame).
    """
    count, logindex = as_int(payload.get("count")), as_int(payload.get("logindex"))
    items = payload.get("record", payload.get("log", payload.get("logs")))
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return SplitLog((), (Unreadable("sendlog without a record list", raw_text(payload)),),
                        count, logindex)  # fmt: skip
    records: list[LogRecord] = []
    unreadable: list[Unreadable] = []
    where = f" (logindex {logindex})" if logindex is not None else ""
    for position, item in enumerate(items):
        try:
            records.append(LogRecord.from_wire(item))
        except FrameError as exc:
            reason = f"record {position + 1} of {len(items)}{where}: {exc}"
            unreadable.append(Unreadable(reason, raw_text(item)))
    return SplitLog(tuple(records), tuple(unreadable), count, logindex)
