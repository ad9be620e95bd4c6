"""Dates as an analyst says them: ``today``, ``yesterday``, ``7d``, ``this-month``, ``2025-08``.

Every ``%wac`` flag that takes a date goes through :func:`period`, so ``--since 7d``,
``%wac logs yesterday`` and ``%wac timesheet last-month`` mean the same days everywhere.
A period is a half-open range ``[start, end)`` of terminal-local wall time; ``--since X``
takes X's start and ``--until X`` its end, so ``--since today --until today`` is today.
"Now" is passed in (the Session's local time), never read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..protocol.values import parse_time

__all__ = ["WORDS", "Period", "month_period", "period"]

WORDS = (
    "today", "yesterday", "this-week", "last-week", "this-month", "last-month", "Nd",
)  # fmt: skip
"""Relative dates :func:`period` understands (``Nd``: the last N days, today included)."""

_DAYS = re.compile(r"^(\d{1,4})d$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)`` in terminal-local wall time (naive datetimes)."""

    start: datetime
    end: datetime
    label: str

    @property
    def month(self) -> str | None:
        """``"2025-08"`` when the period is exactly one calendar month, else None."""
        first = self.start
        if first.day != 1 or first.time() != datetime.min.time():
            return None
        return f"{first:%Y-%m}" if _next_month(first) == self.end else None


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _next_month(first: datetime) -> datetime:
    return datetime(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_period(year: int, month: int) -> Period:
    """The calendar month; ValueError for month 13."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} does not exist (1 to 12)")
    first = datetime(year, month, 1)
    return Period(first, _next_month(first), f"{first:%Y-%m}")


def period(text: str, now: datetime) -> Period:
    """The period ``text`` names, relative to ``now`` (terminal-local).

    Accepts the :data:`WORDS`, a month ``2025-08``, a date ``2025-08-04`` (that day) and a
    time ``2025-08-04 08:00[:00]`` (an instant: start and end are the same).

    Raises:
        ValueError: the text is none of these (the message lists what is accepted).
    """
    word = text.strip().lower()
    today = _midnight(now.date())
    day = timedelta(days=1)
    if word == "today":
        return Period(today, today + day, "today")
    if word == "yesterday":
        return Period(today - day, today, "yesterday")
    if word in ("this-week", "last-week"):
        monday = today - timedelta(days=today.weekday())
        if word == "last-week":
            monday -= timedelta(days=7)
        return Period(monday, monday + timedelta(days=7), word)
    if word in ("this-month", "last-month"):
        first = today.replace(day=1)
        if word == "last-month":
            first = (first - day).replace(day=1)
        return Period(first, _next_month(first), word)
    if match := _DAYS.match(word):
        count = int(match.group(1))
        if count < 1:
            raise ValueError("0d is no days; the last day is 1d (today)")
        return Period(today - (count - 1) * day, today + day, word)
    if match := _MONTH.match(word):
        return month_period(int(match.group(1)), int(match.group(2)))
    moment = parse_time(text.strip())
    if moment is not None:
        if not re.search(r"[ T]\d", text.strip()):  # a date without a time: the whole day
            return Period(moment, moment + day, text.strip())
        return Period(moment, moment, text.strip())
    raise ValueError(
        f"not a date or time: {text!r} (use YYYY-MM-DD [HH:MM:SS], YYYY-MM, today, yesterday,"
        " 7d, this-week, last-week, this-month or last-month)"
    )
