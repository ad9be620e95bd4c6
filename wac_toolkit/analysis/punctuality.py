"""Late arrivals, early leaves and overtime: a per-day frame measured against a Schedule.

Each person-day is matched to one shift (their assigned one, or the one starting nearest
their first punch when several run that day). Grace is a tolerance, not a deduction:
with 5 minutes' grace, 08:05 is on time and 08:06 is 6 minutes late. Overtime is time
worked beyond the shift's expected hours; on a day with no shift (weekend, holiday) all
time worked is overtime.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from .filters import require_columns
from .schedule import Schedule, Shift

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SCHEDULE_COLUMNS", "against_schedule"]

SCHEDULE_COLUMNS = (
    "shift", "shift_start", "shift_end", "expected", "late", "early_leave", "overtime",
    "is_late", "left_early",
)  # fmt: skip
"""Columns :func:`against_schedule` adds to the per-day frame."""


class _Bounds(dict[tuple[Shift, date], tuple[Any, Any]]):
    """Shift bounds per (shift, day), placed in the zone once: a month has few of them."""

    def __init__(self, tz: Any) -> None:
        super().__init__()
        self.tz = tz

    def __missing__(self, key: tuple[Shift, date]) -> tuple[Any, Any]:
        shift, day = key
        self[key] = value = shift.bounds(day, self.tz)
        return value


def _pick(options: tuple[Shift, ...], first_in: Any, day: date, bounds: _Bounds) -> Shift:
    import pandas as pd

    if len(options) == 1 or pd.isna(first_in):
        return options[0]
    return min(options, key=lambda s: abs(bounds[s, day][0] - first_in))


def against_schedule(days: pd.DataFrame, schedule: Schedule) -> pd.DataFrame:
    """The per-day frame from :func:`first_last` with the schedule's verdict added.

    Added columns: ``shift`` (name, NA when none), ``shift_start`` / ``shift_end``
    (tz-aware, DST-correct), ``expected`` (shift length minus unpaid break, 0 with no
    shift), ``late`` (``first_in - shift_start`` when beyond grace, else 0), ``early_leave``
    (``shift_end - last_out`` when beyond grace, else 0; NaT when the departure is missing),
    ``overtime`` (``worked - expected`` when positive), ``is_late`` and ``left_early``.

    Raises:
        ValueError: ``days`` lacks a first_last column.
        TypeError: ``schedule`` is not a Schedule.
    """
    import pandas as pd

    require_columns(
        days, ("enrollid", "workday", "first_in", "last_out", "worked"), "against_schedule"
    )
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a Schedule, got {type(schedule).__name__}")
    tz = days["first_in"].dt.tz
    bounds = _Bounds(tz)
    offered: dict[tuple[date, int | None], tuple[Shift, ...]] = {}
    picked: list[Shift | None] = []
    for enrollid, day, first_in in zip(
        days["enrollid"], days["workday"], days["first_in"], strict=True
    ):
        person = int(enrollid) if int(enrollid) in schedule.assign else None
        key = (day.date(), person)
        if key not in offered:
            offered[key] = schedule.shifts_on(key[0], person)
        options = offered[key]
        picked.append(_pick(options, first_in, key[0], bounds) if options else None)

    # Per-row choices are made; the arithmetic is done on whole columns.
    index = days.index
    unit = f"datetime64[us, {tz}]" if tz is not None else "datetime64[us]"

    def column(values: list[Any], dtype: str) -> pd.Series:
        return pd.Series(pd.array(values, dtype=object), index=index).astype(dtype)

    places = [
        bounds[s, d.date()] if s else (pd.NaT, pd.NaT)
        for s, d in zip(picked, days["workday"], strict=True)
    ]
    start = pd.to_datetime(pd.Series([p[0] for p in places], index=index, dtype=object), utc=True)
    end = pd.to_datetime(pd.Series([p[1] for p in places], index=index, dtype=object), utc=True)
    start, end = start.dt.tz_convert(tz).astype(unit), end.dt.tz_convert(tz).astype(unit)
    zero = pd.Timedelta(0)
    has_shift = pd.Series([s is not None for s in picked], index=index, dtype=bool)
    unpaid = column([s.unpaid_break if s else zero for s in picked], "timedelta64[us]")
    grace = column([s.grace if s else zero for s in picked], "timedelta64[us]")
    leave_grace = column(
        [(s.grace if s.leave_grace is None else s.leave_grace) if s else zero for s in picked],
        "timedelta64[us]",
    )
    expected = ((end - start) - unpaid).where(has_shift, zero).astype("timedelta64[us]")
    late = days["first_in"] - start
    late = late.where(~(late <= grace), zero).where(has_shift, zero)
    early = end - days["last_out"]
    early = early.where(~(early <= leave_grace), zero).where(has_shift, zero)
    overtime = (days["worked"] - expected).clip(lower=zero)

    out = days.drop(columns=[c for c in SCHEDULE_COLUMNS if c in days.columns]).copy()
    out["shift"] = pd.Series([s.name if s else pd.NA for s in picked], index=index, dtype="string")
    out["shift_start"], out["shift_end"] = start, end
    out["expected"] = expected
    out["late"] = late.astype("timedelta64[us]")
    out["early_leave"] = early.astype("timedelta64[us]")
    out["overtime"] = overtime.astype("timedelta64[us]")
    out["is_late"] = (late > zero).fillna(False).astype(bool)
    out["left_early"] = (early > zero).fillna(False).astype(bool)
    return out
