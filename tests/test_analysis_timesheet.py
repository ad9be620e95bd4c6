"""Absences against the people expected and holidays, and the monthly timesheet."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.analysis_helpers import frame
from wac_toolkit.analysis import (
    TIMESHEET_COLUMNS,
    Schedule,
    Shift,
    absences,
    attendance_calendar,
    first_last,
    month_bounds,
    timesheet,
    timesheet_totals,
)

SCHEDULE = Schedule(Shift("08:00", "16:00", "day", grace=5), holidays=["2025-03-07"])
PEOPLE = {1: "Ann", 2: "Bob", 3: "Cy"}


def march() -> pd.DataFrame:
    """Ann works Mon 3rd (late 10 min) and Tue 4th (1 h overtime), and the Friday holiday;
    Bob forgets to punch out on Wed 5th; Cy never comes."""
    return first_last(
        frame(
            (1, "2025-03-03 08:10:00", {"name": "Ann"}),
            (1, "2025-03-03 16:00:00", {"name": "Ann"}),
            (1, "2025-03-04 07:58:00", {"name": "Ann"}),
            (1, "2025-03-04 16:58:00", {"name": "Ann"}),
            (1, "2025-03-07 09:00:00", {"name": "Ann"}),
            (1, "2025-03-07 11:00:00", {"name": "Ann"}),
            (2, "2025-03-05 08:00:00", {"name": "Bob"}),
        )
    )


def test_absences_skip_weekends_holidays_and_days_present() -> None:
    gone = absences(march(), PEOPLE, "2025-03-03", "2025-03-09", schedule=SCHEDULE)
    got = {
        (int(e), d.strftime("%d")) for e, d in zip(gone["enrollid"], gone["workday"], strict=True)
    }
    assert got == {
        (1, "05"), (1, "06"),
        (2, "03"), (2, "04"), (2, "06"),
        (3, "03"), (3, "04"), (3, "05"), (3, "06"),
    }  # fmt: skip
    assert gone.loc[gone["enrollid"] == 3, "name"].unique().tolist() == ["Cy"]


def test_absences_without_a_schedule_use_monday_to_friday_and_holiday_list() -> None:
    gone = absences(march(), [3], "2025-03-03", "2025-03-09", holidays=["2025-03-03"])
    assert gone["workday"].dt.strftime("%a").tolist() == ["Tue", "Wed", "Thu", "Fri"]


def test_calendar_status_per_day() -> None:
    cal = attendance_calendar(march(), PEOPLE, "2025-03-07", "2025-03-08", schedule=SCHEDULE)
    assert [(int(e), s) for e, s in zip(cal["enrollid"], cal["status"], strict=True)] == [
        (1, "present"),  # worked on the holiday
        (1, "off"),
        (2, "holiday"),
        (2, "off"),
        (3, "holiday"),
        (3, "off"),
    ]
    with pytest.raises(ValueError, match="before start"):
        attendance_calendar(march(), PEOPLE, "2025-03-08", "2025-03-07")


def test_monthly_timesheet_rows_and_totals() -> None:
    sheet = timesheet(march(), "2025-03", people=PEOPLE, schedule=SCHEDULE)
    assert tuple(sheet.columns) == TIMESHEET_COLUMNS
    assert len(sheet) == 3 * 31
    ann = sheet[sheet["enrollid"] == 1].set_index(sheet[sheet["enrollid"] == 1]["workday"].dt.day)
    assert ann.loc[3, "late"] == pd.Timedelta(minutes=10) and ann.loc[3, "weekday"] == "Mon"
    assert ann.loc[4, "overtime"] == pd.Timedelta(hours=1)
    assert ann.loc[7, "status"] == "present" and ann.loc[7, "overtime"] == pd.Timedelta(hours=2)
    assert ann.loc[5, "status"] == "absent" and ann.loc[5, "hours"] == 0
    totals = timesheet_totals(sheet).set_index("enrollid")
    # March 2025 has 21 weekdays; the 7th is a holiday, so 20 expected days. Ann was
    # present on two of them (and on the holiday, which is not an expected day).
    assert totals.loc[1, ["present", "absent", "holiday"]].tolist() == [3, 18, 0]
    assert totals.loc[1, "worked"] == pd.Timedelta(hours=7 + 50 / 60 + 9 + 2)
    assert (totals.loc[1, "late_days"], totals.loc[1, "late"]) == (1, pd.Timedelta(minutes=10))
    assert totals.loc[1, "overtime"] == pd.Timedelta(hours=3)
    assert totals.loc[2, ["present", "absent", "holiday", "missing_punches"]].tolist() == [
        1,
        19,
        1,
        1,
    ]
    assert totals.loc[3, ["name", "present", "absent"]].tolist() == ["Cy", 0, 20]


def test_timesheet_without_schedule_and_month_forms() -> None:
    sheet = timesheet(march(), pd.Period("2025-03", freq="M"))
    assert sorted(sheet["enrollid"].unique()) == [1, 2]  # everyone who punched
    assert (sheet["late"] == pd.Timedelta(0)).all()
    assert month_bounds("2024-02")[1].day == 29
    with pytest.raises(ValueError, match="month must be"):
        timesheet(march(), "March")
