"""Durations read as H:MM and hours with 2 decimals, in notebooks (Styler) and as text."""

from __future__ import annotations

import pandas as pd

from tests.analysis_helpers import frame
from wac_toolkit.analysis import first_last, hmm, readable, styled, timesheet, timesheet_totals


def month() -> pd.DataFrame:
    punches = []
    for d in pd.date_range("2025-10-01", "2025-10-31"):
        if d.weekday() < 5:
            punches += [(1, f"{d:%Y-%m-%d} 08:00:00"), (1, f"{d:%Y-%m-%d} 15:11:47")]
    return timesheet(first_last(frame(*punches)), "2025-10")


def test_hmm_rounds_to_the_minute_and_keeps_counting_hours() -> None:
    assert hmm(pd.Timedelta(hours=8, minutes=11, seconds=47)) == "8:12"
    assert hmm(pd.Timedelta(days=6, hours=7, minutes=24, seconds=28)) == "151:24"
    assert hmm(pd.Timedelta(minutes=-30)) == "-0:30"
    assert hmm(pd.Timedelta(0)) == "0:00" and hmm(pd.NaT) == "" and hmm(None) == ""


def test_readable_timesheet_and_totals() -> None:
    sheet = month()
    text = readable(sheet)
    first = text.iloc[0]
    assert first["worked"] == "7:12" and first["hours"] == 7.2
    assert str(first["workday"]) == "2025-10-01"
    assert sheet["worked"].dtype == "timedelta64[us]"  # the data itself is unchanged
    totals = readable(timesheet_totals(sheet)).iloc[0]
    assert totals["worked"] == "165:31" and totals["hours"] == 165.52
    assert " days " not in readable(timesheet_totals(sheet)).to_string()


def test_styled_shows_hmm_and_two_decimals_and_keeps_numbers() -> None:
    sheet = month()
    html = styled(sheet.head(3)).to_html()
    assert ">7:12<" in html and ">7.20<" in html and ">2025-10-01<" in html
    assert "0 days" not in html and "7.196" not in html
    assert "00:00:00" not in html  # workday shown as a date
    totals = styled(timesheet_totals(sheet)).to_html()
    assert ">165:31<" in totals and ">165.52<" in totals
