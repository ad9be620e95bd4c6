"""Friendly inputs for clock times and durations ("08:30", 5 minutes), checked once here.

Rules and schedules are written by people in notebooks; a typo should fail with a clear
message where it was typed, not as a NaT three functions later.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import TypeAlias

__all__ = ["ClockLike", "DurationLike", "as_clock", "as_duration"]

ClockLike: TypeAlias = time | str
"""A wall-clock time: ``datetime.time`` or ``"HH:MM"`` / ``"HH:MM:SS"``."""

DurationLike: TypeAlias = timedelta | int | float | str
"""A duration: ``timedelta``, a number of minutes, or ``"HH:MM"``."""


def as_clock(value: ClockLike, what: str = "time") -> time:
    """A ``datetime.time`` from ``"08:30"``, ``"8:30:15"`` or a ``time``.

    Raises:
        ValueError: the text is not a clock time; the message names ``what``.
    """
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        parts = value.strip().split(":")
        if 2 <= len(parts) <= 3 and all(p.isdigit() for p in parts):
            hour, minute, second = (int(p) for p in (*parts, "0")[:3])
            if hour < 24 and minute < 60 and second < 60:
                return time(hour, minute, second)
    raise ValueError(f"{what} must be a clock time such as '08:30', not {value!r}")


def as_duration(value: DurationLike, what: str = "duration") -> timedelta:
    """A non-negative ``timedelta`` from minutes, ``"HH:MM"`` or a ``timedelta``.

    Raises:
        ValueError: the value is not a duration or is negative.
    """
    result: timedelta | None = None
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = timedelta(minutes=value)
    elif isinstance(value, str):
        try:
            clock = as_clock(value, what)
        except ValueError:
            result = None
        else:
            result = timedelta(hours=clock.hour, minutes=clock.minute, seconds=clock.second)
    if result is None:
        raise ValueError(f"{what} must be minutes, 'HH:MM' or a timedelta, not {value!r}")
    if result < timedelta(0):
        raise ValueError(f"{what} must not be negative, got {value!r}")
    return result
