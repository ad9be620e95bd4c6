"""Lenient readers for the scalar values real firmware sends (PROTOCOL.md 9)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

__all__ = [
    "TIME_FORMAT",
    "as_int",
    "as_text",
    "format_time",
    "is_canonical_time",
    "is_ok",
    "parse_time",
    "reason_of",
    "strip_data_uri",
]

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""The only time format the protocol documents: terminal-local wall time, no zone."""

_TIME_RE = re.compile(
    r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?"
    r"(?:\.\d+)?\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$"
)


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def as_int(value: Any) -> int | None:
    """An integer from a JSON number or a digit string (``"123"``, ``" 0042 "``); else None.

    Numbers outside 64 bits are None too: no terminal sends them, and no store can keep them.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if _INT64_MIN <= value <= _INT64_MAX else None
    if isinstance(value, float):
        return as_int(int(value)) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if (text.isdecimal() or (text[:1] == "-" and text[1:].isdecimal())) and len(text) < 21:
            return as_int(int(text))
    return None


def as_text(value: Any) -> str | None:
    """A stripped string from a string or number; None for anything else."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def parse_time(value: Any) -> datetime | None:
    """A naive datetime from the formats firmware uses: ``2018-11-1``, ``2024/05/01 8:03``, ISO.

    Returns None when the text is not a valid date (month 13, Feb 30, garbage).
    """
    if not isinstance(value, str):
        return None
    match = _TIME_RE.match(value)
    if not match:
        return None
    parts = [int(p) if p else 0 for p in match.groups()]
    try:
        return datetime(*parts)  # type: ignore[arg-type]
    except ValueError:
        return None


def is_canonical_time(text: str) -> bool:
    """``YYYY-MM-DD HH:MM:SS`` and a real date: the form nearly every record arrives in.

    ``datetime.fromisoformat`` is C code and rejects impossible dates; the shape checks make
    sure it only accepts exactly the canonical form, so the text can be stored as sent.
    """
    if len(text) != 19 or text[4] != "-" or text[7] != "-" or text[10] != " ":
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return text[13] == ":" and text[16] == ":" and text.isascii()


def format_time(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS``: no ``T``, no zone, no microseconds (PROTOCOL.md 9.6)."""
    return moment.strftime(TIME_FORMAT)


def is_ok(reply: dict[str, Any]) -> bool:
    """``result`` as firmware sends it: true, 1, "true", "1"; a reply without one counts as ok."""
    result = reply.get("result", True)
    if isinstance(result, str):
        return result.strip().lower() in ("true", "1", "ok", "yes")
    return bool(result)


def reason_of(reply: dict[str, Any]) -> Any:
    """The failure reason: ``reason`` (int or text), else ``msg``, else ``1`` (generic)."""
    for key in ("reason", "msg", "message"):
        if reply.get(key) not in (None, ""):
            return reply[key]
    return 1


def strip_data_uri(value: Any) -> str | None:
    """Bare base64 from ``data:image/jpeg;base64,...`` or bare text; None when empty."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("data:"):
        _, _, text = text.partition(",")
    return text or None
