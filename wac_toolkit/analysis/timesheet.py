"""A monthly timesheet per person: every day of the month, with totals HR can sign off.

Built from the per-day frame (:func:`first_last`), the presence calendar (absent,
holiday, off) and, when a schedule is given, the punctuality columns, so it shows the
same numbers as those functions, never a second computation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, cast

from .filters import require_columns
from .presence import People, attendance_calendar
from .punctuality import against_schedule
from .schedule import Schedule

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TIMESHEET_COLUMNS", "month_bounds", "timesheet", "timesheet_totals"]

TIMESHEET_COLUMNS = (
    "enrollid", "name", "workday", "weekday", "status", "shift", "first_in", "last_out",
    "punches", "worked", "breaks", "hours", "late", "early_leave", "overtime", "missing_punch",
)  # fmt: skip
"""Columns of :func:`timesheet`, in order."""

_MONTH_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
_DURATIONS = ("worked", "breaks", "late", "early_leave", "overtime")


def month_bounds(month: str | date | pd.Timestamp | pd.Period) -> tuple[date, date]:
    """First and last date of ``"2025-03"`` (or any date in that month).

    Raises:
        ValueError: ``month`` is not a month.
    """
    import pandas as pd

    if isinstance(month, str) and not _MONTH_RE.match(month.strip()):
        raise ValueError(f"month must be like '2025-03', not {month!r}")
    try:
        period = pd.Period(month.strip() if isinstance(month, str) else month, freq="M")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"month must be like '2025-03', not {month!r}") from exc
    return period.start_time.date(), period.end_time.date()


def timesheet(
    days: pd.DataFrame,
    month: str | date | pd.Timestamp | pd.Period,
    *,
    people: People | None = None,
    schedule: Schedule | None = None,
    holidays: Iterable[date | str] = (),
) -> pd.DataFrame:
    """Every day of ``month`` for every person: status, times, hours, lateness, overtime.

    Args:
        days: the per-day frame from :func:`first_last` (or already passed through
            :func:`against_schedule`).
        month: ``"2025-03"``, a date in the month, or a ``Period``.
        people: who is expected (enrollids or ``{enrollid: name}``); default everyone in
            ``days``.
        schedule: shifts and holidays; without one, Monday to Friday are expected and
            lateness columns are zero.
        holidays: extra holiday dates.

    Returns:
        :data:`TIMESHEET_COLUMNS`, sorted by enrollid then workday; ``weekday`` is
        ``"Mon"``..``"Sun"``. Days without punches have NaT times and zero durations.
    """
    import pandas as pd

    require_columns(days, ("enrollid", "workday", "first_in", "last_out", "worked"), "timesheet")
    first, last = month_bounds(month)
    in_month = days["workday"].between(pd.Timestamp(first), pd.Timestamp(last))
    scoped = days.loc[in_month]
    if schedule is not None:
        scoped = against_schedule(scoped, schedule)
    calendar = attendance_calendar(
        scoped, people, first, last, schedule=schedule, holidays=holidays
    )
    merged = calendar.merge(
        scoped.drop(columns=["name"], errors="ignore"), on=["enrollid", "workday"], how="left"
    )
    merged["weekday"] = merged["workday"].dt.strftime("%a").astype("string")
    for column in _DURATIONS:
        if column not in merged.columns:
            merged[column] = pd.Timedelta(0)
        merged[column] = merged[column].fillna(pd.Timedelta(0)).astype("timedelta64[us]")
    if "shift" not in merged.columns:
        merged["shift"] = pd.Series(pd.NA, index=merged.index, dtype="string")
    merged["punches"] = merged["punches"].fillna(0).astype("int64")
    merged["hours"] = cast("pd.Series[pd.Timedelta]", merged["worked"]) / pd.Timedelta(hours=1)
    merged["missing_punch"] = merged["missing_punch"].astype("boolean").fillna(False).astype(bool)
    out = merged[list(TIMESHEET_COLUMNS)]
    return out.sort_values(["enrollid", "workday"], kind="stable").reset_index(drop=True)


def timesheet_totals(sheet: pd.DataFrame) -> pd.DataFrame:
    """One row per person summing a :func:`timesheet`: days by status, hours, late, overtime.

    Columns: ``enrollid``, ``name``, ``present``, ``absent``, ``holiday``, ``worked``,
    ``hours``, ``late_days``, ``late``, ``early_days``, ``early_leave``, ``overtime``,
    ``missing_punches``.
    """
    import pandas as pd

    require_columns(sheet, TIMESHEET_COLUMNS, "timesheet_totals")
    status = sheet["status"].astype("string")
    flags = pd.DataFrame(
        {
            "enrollid": sheet["enrollid"],
            "present": status == "present",
            "absent": status == "absent",
            "holiday": status == "holiday",
            "worked": sheet["worked"],
            "late_days": sheet["late"] > pd.Timedelta(0),
            "late": sheet["late"],
            "early_days": sheet["early_leave"] > pd.Timedelta(0),
            "early_leave": sheet["early_leave"],
            "overtime": sheet["overtime"],
            "missing_punches": sheet["missing_punch"],
        }
    )
    totals = flags.groupby("enrollid", sort=True).sum(numeric_only=False)
    counts = ["present", "absent", "holiday", "late_days", "early_days", "missing_punches"]
    totals[counts] = totals[counts].astype("int64")
    names = sheet.dropna(subset=["name"]).groupby("enrollid", sort=True)["name"].last()
    totals.insert(0, "name", names.reindex(totals.index).astype("string"))
    totals.insert(
        5, "hours", cast("pd.Series[pd.Timedelta]", totals["worked"]) / pd.Timedelta(hours=1)
    )
    return totals.reset_index()
