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

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .protocol.handlers import MAX_RAW, SendLog, Unreadable, raw_text, read_sendlog

__all__ = ["MAX_RAW", "Quarantined", "SplitLog", "Unreadable", "raw_text", "split_sendlog"]


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


SplitLog = SendLog
"""A ``sendlog`` split into the records that can be stored and those that cannot."""


def split_sendlog(payload: dict[str, Any]) -> SendLog:
    """Read every record that can be read; describe the others (:func:`read_sendlog`)."""
    return read_sendlog(payload)
