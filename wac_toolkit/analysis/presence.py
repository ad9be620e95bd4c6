"""Every expected person-day in a date range and its status: present, absent, holiday, off.

Absences are days someone was expected and did not punch; a timesheet lists every day of
the month. Both need the same calendar of person x date with "was anyone expected?", so
it is built here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

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
        for enrollid, name in zip(days["enrollid"], days["name"], strict=True):
            if not pd.isna(name) and name:
                names[int(enrollid)] = name
    if people is None:
        ids = sorted({int(e) for e in days["enrollid"].dropna()})
    elif isinstance(people, Mapping):
        ids = [int(e) for e in people]
        names.update({int(e): n for e, n in people.items() if n})
    else:
        ids = [int(e) for e in people]
    seen = {
        (int(e), as_date(d))
        for e, d in zip(days["enrollid"], days["workday"], strict=True)
        if not pd.isna(e)
    }
    dates = [d.date() for d in pd.date_range(first, last, freq="D")]
    rows = []
    for enrollid in ids:
        for day in dates:
            holiday = day in off_days
            expected = not holiday and _expected(day, enrollid, schedule)
            if (enrollid, day) in seen:
                status = "present"
            elif holiday:
                status = "holiday"
            else:
                status = "absent" if expected else "off"
            rows.append((enrollid, names.get(enrollid, pd.NA), pd.Timestamp(day), status, expected))
    out = pd.DataFrame.from_records(
        rows, columns=["enrollid", "name", "workday", "status", "expected"]
    )
    out["enrollid"] = out["enrollid"].astype("Int64")
    out["name"] = out["name"].astype("string")
    out["workday"] = out["workday"].astype("datetime64[us]")
    out["status"] = pd.Categorical(out["status"], categories=list(STATUSES))
    out["expected"] = out["expected"].astype(bool)
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
