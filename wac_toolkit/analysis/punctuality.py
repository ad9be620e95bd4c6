"""Late arrivals, early leaves and overtime: a per-day frame measured against a Schedule.

Each person-day is matched to one shift (their assigned one, or the one starting nearest
their first punch when several run that day). Grace is a tolerance, not a deduction:
with 5 minutes' grace, 08:05 is on time and 08:06 is 6 minutes late. The shift's break
policy (:class:`~.schedule.Shift`) takes the break out of the time at work, so ``worked``
here is paid working time; overtime is worked beyond the shift's expected hours. On a day
with no shift (weekend, holiday) nothing is deducted and all time worked is overtime.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from .filters import require_columns
from .schedule import Schedule, Shift

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SCHEDULE_COLUMNS", "against_schedule"]

SCHEDULE_COLUMNS = (
    "shift", "shift_start", "shift_end", "expected", "late", "early_leave", "overtime",
    "is_late", "left_early", "break_deducted",
)  # fmt: skip
"""Columns :func:`against_schedule` adds to the per-day frame."""


_NAT = np.iinfo(np.int64).min
"""numpy's NaT as an int64."""


_POLICY_CODES = {"auto": 0, "punched": 1, "paid": 2}


def _us(value: timedelta) -> int:
    return value // timedelta(microseconds=1)


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

    ``worked``, ``breaks`` and ``hours`` are recomputed with the shift's break policy:
    ``worked`` becomes paid working time (presence less the break), ``breaks`` the time
    not counted. Added columns: ``shift`` (name, NA when none), ``shift_start`` /
    ``shift_end`` (tz-aware, DST-correct), ``expected`` (shift length minus the unpaid
    break unless it is paid; 0 with no shift), ``break_deducted`` (what the policy took
    off presence; negative when a paid break was added back), ``late`` (``first_in - shift_start`` when beyond grace, else 0), ``early_leave``
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
    facts: dict[tuple[Shift, date], tuple[int, int, int, int, int, int]] = {}
    none = (_NAT, _NAT, 0, 0, 0, 0)
    picked: list[str | None] = []
    numbers: list[tuple[int, int, int, int, int, int]] = []
    for enrollid, day, first_in in zip(
        days["enrollid"].tolist(), days["workday"].dt.date.tolist(), days["first_in"], strict=True
    ):
        person = int(enrollid) if int(enrollid) in schedule.assign else None
        key = (day, person)
        if key not in offered:
            offered[key] = schedule.shifts_on(day, person)
        options = offered[key]
        if not options:
            picked.append(None)
            numbers.append(none)
            continue
        shift = _pick(options, first_in, day, bounds)
        if (shift, day) not in facts:
            start, end = bounds[shift, day]
            leave = shift.grace if shift.leave_grace is None else shift.leave_grace
            facts[shift, day] = (
                start.value // 1000, end.value // 1000, _us(shift.unpaid_break),
                _us(shift.grace), _us(leave), _POLICY_CODES[shift.break_policy],
            )  # fmt: skip
        picked.append(shift.name)
        numbers.append(facts[shift, day])

    # Per-row choices are made; the arithmetic is done on whole columns.
    index = days.index
    unit = f"datetime64[us, {tz}]" if tz is not None else "datetime64[us]"
    table = np.array(numbers, dtype="int64").reshape(-1, 6)

    def moments(values: np.ndarray) -> pd.Series:
        naive = pd.Series(values.astype("datetime64[us]"), index=index)
        local = naive.dt.tz_localize("UTC").dt.tz_convert(tz)
        return local.astype(unit)  # type: ignore[call-overload,no-any-return]  # pandas-stubs: astype() takes literal dtype names only

    def durations(values: np.ndarray) -> pd.Series:
        return pd.Series(values.astype("timedelta64[us]"), index=index)

    start, end = moments(table[:, 0]), moments(table[:, 1])
    unpaid, grace, leave_grace = (durations(table[:, i]) for i in (2, 3, 4))
    policy = pd.Series(table[:, 5], index=index)
    zero = pd.Timedelta(0)
    has_shift = pd.Series([name is not None for name in picked], index=index, dtype=bool)
    paid = policy == _POLICY_CODES["paid"]
    expected = ((end - start) - unpaid.where(~paid, zero)).where(has_shift, zero)
    expected = expected.astype("timedelta64[us]")

    # Time at work before any deduction (undo an earlier pass, so calling this twice is safe).
    before = days["break_deducted"] if "break_deducted" in days.columns else zero
    presence = (days["worked"] + before).astype("timedelta64[us]")
    punched = (days["breaks"] - before).fillna(zero) if "breaks" in days.columns else zero
    punched = pd.Series(punched, index=index).astype("timedelta64[us]")
    auto = has_shift & (policy == _POLICY_CODES["auto"]) & ~(punched > zero)
    deducted = unpaid.where(auto, zero).clip(upper=presence)
    deducted = deducted.where(~(has_shift & paid), -punched)
    worked = (presence - deducted).astype("timedelta64[us]")
    late = days["first_in"] - start
    late = late.where(~(late <= grace), zero).where(has_shift, zero)
    early = end - days["last_out"]
    early = early.where(~(early <= leave_grace), zero).where(has_shift, zero)
    # pandas-stubs types clip() bounds as numbers; a Timedelta bound is what pandas documents.
    overtime = (worked - expected).clip(lower=zero)  # type: ignore[call-overload]

    out = days.drop(columns=[c for c in SCHEDULE_COLUMNS if c in days.columns]).copy()
    out["worked"] = worked
    if "breaks" in out.columns:
        out["breaks"] = (punched + deducted).astype("timedelta64[us]")
    if "hours" in out.columns:
        out["hours"] = worked / pd.Timedelta(hours=1)
    out["shift"] = pd.Series(picked, index=index, dtype=object).astype("string")
    out["shift_start"], out["shift_end"] = start, end
    out["expected"] = expected
    out["late"] = late.astype("timedelta64[us]")
    out["early_leave"] = early.astype("timedelta64[us]")
    out["overtime"] = overtime.astype("timedelta64[us]")
    out["is_late"] = (late > zero).fillna(False).astype(bool)
    out["left_early"] = (early > zero).fillna(False).astype(bool)
    out["break_deducted"] = deducted.astype("timedelta64[us]")
    return out
