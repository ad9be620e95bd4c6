"""Break policies, with answers worked out by hand: worked = presence less the break.

HR's rule (issue 13): the unpaid break is deducted automatically when the person did not
punch out for it, the actual break when they did; overtime is worked beyond expected.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.analysis_helpers import frame
from wac_toolkit.analysis import (
    Schedule,
    Shift,
    against_schedule,
    first_last,
    timesheet,
    timesheet_totals,
)


def hm(text: str) -> pd.Timedelta:
    hours, minutes = text.split(":")
    return pd.Timedelta(hours=int(hours), minutes=int(minutes))


def day(shift: Shift, *times: str, mode: str = "first_last") -> pd.Series:
    logs = frame(*((1, f"2025-03-03 {t}:00") for t in times))
    days = first_last(logs, mode=mode)  # type: ignore[arg-type]
    return against_schedule(days, Schedule(shift)).iloc[0]


OFFICE = Shift("08:00", "16:30", unpaid_break=30)


def test_the_issue_example_a_scheduled_day_is_no_overtime() -> None:
    out = day(OFFICE, "08:00", "16:30")
    assert out["expected"] == hm("8:00")
    assert out["worked"] == hm("8:00")
    assert out["overtime"] == hm("0:00")
    assert out["breaks"] == hm("0:30") and out["break_deducted"] == hm("0:30")
    assert out["hours"] == 8.0


@pytest.mark.parametrize(
    ("policy", "times", "mode", "expected", "worked", "overtime", "breaks"),
    [
        # auto: no break punched -> 30 min deducted
        ("auto", ("08:00", "16:30"), "first_last", "8:00", "8:00", "0:00", "0:30"),
        ("auto", ("08:00", "18:00"), "first_last", "8:00", "9:30", "1:30", "0:30"),
        # auto: a punched 45-minute break is the break actually taken
        ("auto", ("08:00", "12:00", "12:45", "16:30"), "pairs", "8:00", "7:45", "0:00", "0:45"),
        # auto: a punched 10-minute break counts as it was (no extra deduction)
        ("auto", ("08:00", "12:00", "12:10", "16:30"), "pairs", "8:00", "8:20", "0:20", "0:10"),
        # punched: nothing punched, nothing deducted
        ("punched", ("08:00", "16:30"), "first_last", "8:00", "8:30", "0:30", "0:00"),
        ("punched", ("08:00", "12:00", "12:45", "16:30"), "pairs", "8:00", "7:45", "0:00", "0:45"),
        # paid: the break is working time, and the whole shift is expected
        ("paid", ("08:00", "16:30"), "first_last", "8:30", "8:30", "0:00", "0:00"),
        ("paid", ("08:00", "12:00", "12:45", "16:30"), "pairs", "8:30", "8:30", "0:00", "0:00"),
    ],
)
def test_break_policies_known_answers(policy, times, mode, expected, worked, overtime, breaks):
    shift = Shift("08:00", "16:30", unpaid_break=30, break_policy=policy)
    out = day(shift, *times, mode=mode)
    assert (out["expected"], out["worked"], out["overtime"], out["breaks"]) == (
        hm(expected), hm(worked), hm(overtime), hm(breaks),
    )  # fmt: skip
    assert out["hours"] == pytest.approx(hm(worked) / pd.Timedelta(hours=1))


def test_short_presence_never_goes_negative_and_a_weekend_is_not_deducted() -> None:
    out = day(OFFICE, "08:00", "08:20")
    assert out["worked"] == hm("0:00") and out["break_deducted"] == hm("0:20")
    sat = frame((1, "2025-03-08 08:00:00"), (1, "2025-03-08 12:00:00"))
    weekend = against_schedule(first_last(sat), Schedule(OFFICE)).iloc[0]
    assert weekend["worked"] == hm("4:00") and weekend["overtime"] == hm("4:00")


def test_applying_the_schedule_twice_deducts_once() -> None:
    days = first_last(frame((1, "2025-03-03 08:00:00"), (1, "2025-03-03 16:30:00")))
    schedule = Schedule(OFFICE)
    once = against_schedule(days, schedule)
    twice = against_schedule(once, schedule)
    assert twice["worked"].iloc[0] == hm("8:00") and twice["breaks"].iloc[0] == hm("0:30")
    sheet = timesheet(once, "2025-03", schedule=schedule)  # the notebook's path
    row = sheet.loc[sheet["workday"] == pd.Timestamp("2025-03-03")].iloc[0]
    assert (row["worked"], row["overtime"]) == (hm("8:00"), hm("0:00"))


def test_a_month_of_scheduled_days_has_no_overtime() -> None:
    """The defect HR saw: every day worker got 9-11 h overtime a month from the break."""
    punches = []
    for d in pd.date_range("2025-03-01", "2025-03-31"):
        if d.weekday() < 5:
            punches += [(1, f"{d:%Y-%m-%d} 08:00:00"), (1, f"{d:%Y-%m-%d} 16:30:00")]
    schedule = Schedule(OFFICE)
    sheet = timesheet(first_last(frame(*punches)), "2025-03", schedule=schedule)
    totals = timesheet_totals(sheet).iloc[0]
    assert totals["overtime"] == pd.Timedelta(0)
    assert totals["worked"] == pd.Timedelta(hours=8 * 21) and totals["hours"] == 168.0


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="break_policy"):
        Shift("08:00", "16:30", break_policy="lunch")  # type: ignore[arg-type]
