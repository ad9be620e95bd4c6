"""Shifts and schedules: late arrivals and early leaves with grace, overtime, night shifts."""

from __future__ import annotations

from datetime import date, time, timedelta

import pandas as pd
import pytest

from tests.analysis_helpers import frame
from wac_toolkit.analysis import Schedule, Shift, against_schedule, first_last

DAY = Shift("08:00", "16:00", "day", grace=5)


def verdict(logs: pd.DataFrame, schedule: Schedule, **options: object) -> pd.DataFrame:
    return against_schedule(first_last(logs, **options), schedule)  # type: ignore[arg-type]


def minutes(value: pd.Timedelta) -> float:
    return value / pd.Timedelta(minutes=1)


def test_grace_is_a_tolerance_at_the_second() -> None:
    logs = frame(
        (1, "2025-03-03 08:05:00"),  # exactly at the end of grace: on time
        (1, "2025-03-03 15:55:00"),  # exactly at the end of leave grace: on time
        (2, "2025-03-03 08:05:01"),  # one second past grace: late from 08:00
        (2, "2025-03-03 15:54:59"),
    )
    out = verdict(logs, Schedule(DAY)).set_index("enrollid")
    assert (out.loc[1, "late"], out.loc[1, "early_leave"]) == (pd.Timedelta(0), pd.Timedelta(0))
    assert not out.loc[1, "is_late"] and not out.loc[1, "left_early"]
    assert out.loc[2, "late"] == pd.Timedelta(minutes=5, seconds=1)
    assert out.loc[2, "early_leave"] == pd.Timedelta(minutes=5, seconds=1)
    assert out.loc[2, "is_late"] and out.loc[2, "left_early"]


def test_separate_leave_grace_and_unpaid_break_and_overtime() -> None:
    shift = Shift("08:00", "16:30", "office", grace=5, leave_grace=0, unpaid_break=30)
    logs = frame(
        (1, "2025-03-03 07:50:00"),
        (1, "2025-03-03 16:29:00"),  # no leave grace: 1 minute early
        (2, "2025-03-03 08:00:00"),
        (2, "2025-03-03 18:00:00"),  # 10 h at work, 8 h expected
    )
    out = verdict(logs, Schedule(shift)).set_index("enrollid")
    assert out.loc[1, "expected"] == pd.Timedelta(hours=8)
    assert minutes(out.loc[1, "early_leave"]) == 1 and out.loc[1, "late"] == pd.Timedelta(0)
    # 8:39 at work less the 30-minute break (auto-deducted: no break punched), 8:00 expected
    assert out.loc[1, "overtime"] == pd.Timedelta(minutes=9)
    assert out.loc[2, "worked"] == pd.Timedelta(hours=9, minutes=30)
    assert out.loc[2, "overtime"] == pd.Timedelta(hours=1, minutes=30)


def test_missing_departure_gives_no_early_leave_verdict() -> None:
    out = verdict(frame((1, "2025-03-03 08:20:00")), Schedule(DAY)).iloc[0]
    assert out["late"] == pd.Timedelta(minutes=20)
    assert pd.isna(out["early_leave"]) and out["missing_punch"] and not out["left_early"]


def test_night_shift_across_midnight() -> None:
    night = Shift("22:00", "06:00", "night", grace=5)
    assert night.crosses_midnight and night.length == timedelta(hours=8)
    logs = frame((5, "2025-03-03 22:07:00"), (5, "2025-03-04 05:50:00"))
    out = verdict(logs, Schedule(night), day_start="12:00").iloc[0]
    assert out["shift_start"] == pd.Timestamp("2025-03-03 22:00", tz="Europe/Berlin")
    assert out["shift_end"] == pd.Timestamp("2025-03-04 06:00", tz="Europe/Berlin")
    assert minutes(out["late"]) == 7 and minutes(out["early_leave"]) == 10


@pytest.mark.parametrize(
    ("night", "hours"),
    [("2025-03-29", 7), ("2025-10-25", 9)],  # Berlin springs forward / falls back that night
)
def test_night_shift_over_a_clock_change(night: str, hours: int) -> None:
    shift = Shift("22:00", "06:00", "night", weekdays=range(7))
    nxt = (pd.Timestamp(night) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    logs = frame((5, f"{night} 22:00:00"), (5, f"{nxt} 06:00:00"))
    out = verdict(logs, Schedule(shift), day_start="12:00").iloc[0]
    assert out["worked"] == out["expected"] == pd.Timedelta(hours=hours)
    assert out["overtime"] == out["late"] == out["early_leave"] == pd.Timedelta(0)


def test_several_shifts_a_day_pick_the_nearest_or_the_assigned_one() -> None:
    early = Shift("06:00", "14:00", "early", grace=5)
    late = Shift("14:00", "22:00", "late", grace=5)
    logs = frame(
        (1, "2025-03-03 06:20:00"),
        (1, "2025-03-03 14:00:00"),
        (2, "2025-03-03 13:50:00"),
        (2, "2025-03-03 22:00:00"),
        (3, "2025-03-03 06:20:00"),
        (3, "2025-03-03 14:00:00"),
    )
    out = verdict(logs, Schedule([early, late], assign={3: "late"})).set_index("enrollid")
    assert out["shift"].tolist() == ["early", "late", "late"]
    assert minutes(out.loc[1, "late"]) == 20
    assert out.loc[2, "late"] == pd.Timedelta(0)
    assert minutes(out.loc[3, "early_leave"]) == 8 * 60  # on the late shift, left at 14:00


def test_half_day_special_and_holiday_and_weekend() -> None:
    schedule = Schedule(
        DAY,
        holidays=["2025-12-25"],
        special={"2025-12-24": [Shift("08:00", "12:00", "half day")]},
    )
    logs = frame(
        (1, "2025-12-24 08:00:00"),
        (1, "2025-12-24 12:00:00"),
        (1, "2025-12-25 10:00:00"),  # worked on the holiday
        (1, "2025-12-25 12:00:00"),
        (1, "2025-12-27 10:00:00"),  # Saturday
        (1, "2025-12-27 11:00:00"),
    )
    out = verdict(logs, schedule).set_index("workday")
    half = out.loc[pd.Timestamp("2025-12-24")]
    assert half["shift"] == "half day" and half["expected"] == pd.Timedelta(hours=4)
    assert half["early_leave"] == half["overtime"] == pd.Timedelta(0)
    holiday = out.loc[pd.Timestamp("2025-12-25")]
    assert pd.isna(holiday["shift"]) and holiday["overtime"] == pd.Timedelta(hours=2)
    assert out.loc[pd.Timestamp("2025-12-27"), "overtime"] == pd.Timedelta(hours=1)
    assert schedule.shifts_on("2025-12-26") == (DAY,)
    assert schedule.shifts_on(date(2025, 12, 25)) == ()


def test_shift_and_schedule_validate_their_input() -> None:
    assert Shift(time(8), "16:00").name == "08:00-16:00"
    with pytest.raises(ValueError, match="start must be a clock time"):
        Shift("8am", "16:00")
    with pytest.raises(ValueError, match="weekdays"):
        Shift("08:00", "16:00", weekdays=[7])
    with pytest.raises(ValueError, match="unpaid_break"):
        Shift("08:00", "09:00", unpaid_break=60)
    with pytest.raises(ValueError, match="unknown shift"):
        Schedule(DAY, assign={1: "night"})
    with pytest.raises(ValueError, match="expected a date"):
        Schedule(DAY, holidays=["25.12.2025"])
    with pytest.raises(TypeError, match="Shift objects"):
        Schedule(["08:00-16:00"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="must be a Schedule"):
        against_schedule(first_last(frame((1, "2025-03-03 08:00:00"))), DAY)  # type: ignore[arg-type]
