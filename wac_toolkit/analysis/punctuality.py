"""Late arrivals, early leaves and overtime: a per-day frame measured against a Schedule.

Each person-day is matched to one shift (their assigned one, or the one starting nearest
their first punch when several run that day). Grace is a tolerance, not a deduction:
with 5 minutes' grace, 08:05 is on time and 08:06 is 6 minutes late. Overtime is time
worked beyond the shift's expected hours; on a day with no shift (weekend, holiday) all
time worked is overtime.
"""

from __future__ import annotations

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


def _pick(options: tuple[Shift, ...], first_in: Any, day: Any, tz: Any) -> Shift:
    import pandas as pd

    if len(options) == 1 or pd.isna(first_in):
        return options[0]
    return min(options, key=lambda s: abs(s.bounds(day, tz)[0] - first_in))


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
    zero = pd.Timedelta(0)
    rows: list[tuple[Any, ...]] = []
    for enrollid, day, first_in, last_out, worked in zip(
        days["enrollid"],
        days["workday"],
        days["first_in"],
        days["last_out"],
        days["worked"],
        strict=True,
    ):
        options = schedule.shifts_on(day, enrollid)
        if not options:
            rows.append((pd.NA, pd.NaT, pd.NaT, zero, zero, zero, worked, False, False))
            continue
        shift = _pick(options, first_in, day.date(), tz)
        start, end = shift.bounds(day.date(), tz)
        expected = (end - start) - shift.unpaid_break
        late = first_in - start if not pd.isna(first_in) else pd.NaT
        if not pd.isna(late) and late <= shift.grace:
            late = zero
        leave_grace = shift.grace if shift.leave_grace is None else shift.leave_grace
        early = end - last_out if not pd.isna(last_out) else pd.NaT
        if not pd.isna(early) and early <= leave_grace:
            early = zero
        overtime = max(worked - expected, zero)
        rows.append((
            shift.name, start, end, expected, late, early, overtime,
            bool(not pd.isna(late) and late > zero), bool(not pd.isna(early) and early > zero),
        ))  # fmt: skip
    unit = f"datetime64[us, {tz}]" if tz is not None else "datetime64[us]"
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(SCHEDULE_COLUMNS)
    extra = {
        name: pd.Series(list(values), index=days.index, dtype=object)
        for name, values in zip(SCHEDULE_COLUMNS, columns, strict=True)
    }
    out = days.drop(columns=[c for c in SCHEDULE_COLUMNS if c in days.columns]).copy()
    out["shift"] = extra["shift"].astype("string")
    for column in ("shift_start", "shift_end"):
        out[column] = pd.to_datetime(extra[column], utc=True).dt.tz_convert(tz).astype(unit)
    for column in ("expected", "late", "early_leave", "overtime"):
        out[column] = pd.to_timedelta(extra[column]).astype("timedelta64[us]")
    out["is_late"] = extra["is_late"].astype(bool)
    out["left_early"] = extra["left_early"].astype(bool)
    return out
