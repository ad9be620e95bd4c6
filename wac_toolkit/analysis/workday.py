"""The logical workday: the day a punch belongs to, which is not always its calendar date.

Grouping by calendar date splits a night shift (21:55 to 06:03) into two half-days of zero
hours. A day boundary (a wall-clock time such as 04:00, or noon for night workers) moves
the change of day to when nobody works: a punch before the boundary belongs to the day
before. The boundary is wall-clock time in the terminals' zone, so it stays at 04:00 on
the nights the clocks change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import TYPE_CHECKING, TypeAlias

from .filters import require_columns
from .units import ClockLike, as_clock

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_DAY_START", "DayStart", "as_day", "workday"]

DEFAULT_DAY_START = "04:00"
"""Late shifts ending by 04:00 stay whole; use e.g. ``"12:00"`` for night shifts to 06:00."""

DayStart: TypeAlias = ClockLike | Mapping[int, ClockLike]
"""One boundary for everyone, or ``{enrollid: boundary}`` (others get the default)."""


def _offset(clock: time) -> pd.Timedelta:
    import pandas as pd

    return pd.Timedelta(hours=clock.hour, minutes=clock.minute, seconds=clock.second)


def workday(punches: pd.DataFrame, day_start: DayStart = DEFAULT_DAY_START) -> pd.Series:
    """The logical workday of each row, as a naive ``datetime64[us]`` date at midnight.

    Args:
        punches: a frame with ``time`` (tz-aware) and, for per-person boundaries, ``enrollid``.
        day_start: ``"04:00"``, a ``datetime.time``, or ``{enrollid: "12:00", ...}`` for
            people on night shifts; people missing from the mapping use 04:00.

    Raises:
        ValueError: a column is missing or a boundary is not a clock time.
    """
    require_columns(punches, ("time",), "workday")
    wall = punches["time"].dt.tz_localize(None) if punches["time"].dt.tz else punches["time"]
    shift: pd.Series[pd.Timedelta] | pd.Timedelta
    if isinstance(day_start, Mapping):
        require_columns(punches, ("enrollid",), "workday with per-person day_start")
        default = _offset(as_clock(DEFAULT_DAY_START))
        offsets = {int(k): _offset(as_clock(v, f"day_start[{k}]")) for k, v in day_start.items()}
        shift = punches["enrollid"].map(offsets).astype("timedelta64[us]").fillna(default)
    else:
        shift = _offset(as_clock(day_start, "day_start"))
    days = (wall - shift).dt.floor("D").astype("datetime64[us]")
    days.name = "workday"
    return days


def as_day(value: date | str | pd.Timestamp) -> pd.Timestamp:
    """A naive midnight ``Timestamp`` (the ``workday`` form) from a date or ``"2025-03-03"``."""
    import pandas as pd

    stamp = pd.Timestamp(value)
    if stamp.tz is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()
