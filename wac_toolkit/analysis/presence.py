"""Every expected person-day in a date range and its status: present, absent, holiday, off.

Absences are days someone was expected and did not punch; a timesheet lists every day of
the month. Both need the same calendar of person x date with "was anyone expected?", so
it is built here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from .filters import require_columns
from .schedule import MON_FRI, Schedule, as_date

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["STATUSES", "People", "absences", "attendance_calendar"]

STATUSES = ("present", "absent", "holiday", "off")
"""``present``: punched; ``absent``: expected and no punch; ``holiday``; ``off``: not expected."""

People = Iterable[int] | Mapping[int, str]
"""The people expected: enrollids, or ``{enrollid: name}`` so absentees have names."""


def _expected(day: date, enrollid: int, schedule: Schedule | None) -> bool:
    if schedule is None:
        return day.weekday() in MON_FRI
    return bool(schedule.shifts_on(day, enrollid))


def attendance_calendar(
    days: pd.DataFrame,
    people: People | None,
    start: date | str,
    end: date | str,
    *,
    schedule: Schedule | None = None,
    holidays: Iterable[date | str] = (),
) -> pd.DataFrame:
    """One row per person per date from ``start`` to ``end`` (inclusive) with a ``status``.

    A person is expected on the days their schedule gives them a shift (Monday to Friday
    without a schedule), except on ``holidays`` and the schedule's holidays. A day with
    punches is ``present`` even on a holiday. Columns: ``enrollid``, ``name``, ``workday``,
    ``status`` (see :data:`STATUSES`), ``expected`` (bool).

    Args:
        days: the per-day frame from :func:`first_last`.
        people: who is expected; None means everyone in ``days``.

    Raises:
        ValueError: ``end`` is before ``start`` or a column is missing.
    """
    import pandas as pd

    require_columns(days, ("enrollid", "workday"), "attendance_calendar")
    first, last = as_date(start), as_date(end)
    if last < first:
        raise ValueError(f"end {last} is before start {first}")
    off_days = {as_date(d) for d in holidays} | (schedule.holidays if schedule else set())
    names: dict[int, Any] = {}
    if "name" in days.columns:
        known = days.loc[days["name"].notna() & (days["name"] != ""), ["enrollid", "name"]]
        names = dict(zip(known["enrollid"].astype("int64"), known["name"], strict=True))
    if people is None:
        ids = sorted({int(e) for e in days["enrollid"].dropna()})
    elif isinstance(people, Mapping):
        ids = [int(e) for e in people]
        names.update({int(e): n for e, n in people.items() if n})
    else:
        ids = [int(e) for e in people]
    dates = [d.date() for d in pd.date_range(first, last, freq="D")]
    holiday_row = np.array([d in off_days for d in dates], dtype=bool)
    # Who is expected depends only on the date and, for assigned people, the person.
    patterns: dict[int | None, np.ndarray] = {}
    expected_rows = []
    for enrollid in ids:
        kind = enrollid if schedule is not None and enrollid in schedule.assign else None
        if kind not in patterns:
            patterns[kind] = ~holiday_row & np.array(
                [_expected(d, enrollid, schedule) for d in dates], dtype=bool
            )
        expected_rows.append(patterns[kind])
    grid = pd.MultiIndex.from_product(
        [pd.Index(ids, dtype="int64"), pd.DatetimeIndex(dates).astype("datetime64[us]")],
        names=["enrollid", "workday"],
    )
    punched = pd.MultiIndex.from_arrays(
        [
            days["enrollid"].astype("Int64").fillna(-1).astype("int64"),
            days["workday"].astype("datetime64[us]"),
        ]
    )
    present = grid.isin(punched)
    expected = np.concatenate(expected_rows) if ids else np.zeros(0, dtype=bool)
    holiday = np.tile(holiday_row, len(ids))
    status = np.select(
        [present, holiday, expected], ["present", "holiday", "absent"], default="off"
    )
    out = grid.to_frame(index=False)
    out["enrollid"] = out["enrollid"].astype("Int64")
    out.insert(1, "name", out["enrollid"].map(names).astype("string"))
    out["workday"] = out["workday"].astype("datetime64[us]")
    out["status"] = pd.Categorical(status, categories=list(STATUSES))
    out["expected"] = expected
    return out


def absences(
    days: pd.DataFrame,
    people: People | None,
    start: date | str,
    end: date | str,
    *,
    schedule: Schedule | None = None,
    holidays: Iterable[date | str] = (),
) -> pd.DataFrame:
    """The person-days someone was expected and has no punch (see :func:`attendance_calendar`).

    Columns ``enrollid``, ``name``, ``workday``; sorted by workday, then enrollid.
    """
    calendar = attendance_calendar(days, people, start, end, schedule=schedule, holidays=holidays)
    out = calendar.loc[calendar["status"] == "absent", ["enrollid", "name", "workday"]]
    return out.sort_values(["workday", "enrollid"], kind="stable").reset_index(drop=True)
