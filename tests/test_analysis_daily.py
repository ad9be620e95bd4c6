"""Which punches count, double scans, the logical workday and first-in/last-out."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.analysis_helpers import frame
from wac_toolkit.analysis import (
    DAY_COLUMNS,
    as_clock,
    as_duration,
    attendance_punches,
    drop_double_scans,
    first_last,
    workday,
)
from wac_toolkit.dataframe import empty_logs_frame


def day(days: pd.DataFrame, enrollid: int, when: str) -> pd.Series:
    rows = days[(days["enrollid"] == enrollid) & (days["workday"] == pd.Timestamp(when))]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="Europe/Berlin")


def test_door_stranger_and_denied_rows_are_not_attendance() -> None:
    logs = frame(
        (7, "2025-03-03 08:00:00"),
        (0, "2025-03-03 08:01:00"),  # door opened by button
        (99999999, "2025-03-03 08:02:00"),  # unknown face
        (8, "2025-03-03 08:03:00", {"event": 1}),  # refused
        (9, "2025-03-03 08:04:00"),
    )
    assert attendance_punches(logs)["enrollid"].tolist() == [7, 9]
    assert attendance_punches(logs, include=("denied",))["enrollid"].tolist() == [7, 8, 9]
    assert set(first_last(logs)["enrollid"]) == {7, 9}
    with pytest.raises(ValueError, match="include accepts"):
        attendance_punches(logs, include=("doors",))


def test_double_scans_collapse_per_person_across_terminals() -> None:
    logs = frame(
        (7, "2025-03-03 08:00:00", {"sn": "A"}),
        (7, "2025-03-03 08:00:00", {"sn": "A"}),  # resent batch: exact repeat
        (7, "2025-03-03 08:00:30", {"sn": "B"}),  # next reader, same arrival
        (7, "2025-03-03 08:00:59", {"sn": "A"}),
        (7, "2025-03-03 08:01:00", {"sn": "A"}),  # 60 s after the kept punch: a new punch
        (8, "2025-03-03 08:00:10", {"sn": "A"}),  # someone else: never merged
    )
    kept = drop_double_scans(logs)
    assert list(
        zip(kept["enrollid"], kept["time"].dt.strftime("%H:%M:%S"), kept["sn"], strict=True)
    ) == [
        (7, "08:00:00", "A"),
        (8, "08:00:10", "A"),
        (7, "08:01:00", "A"),
    ]
    exact_only = drop_double_scans(logs, window=0)
    assert len(exact_only) == 5
    assert len(drop_double_scans(logs, window="00:02")) == 2


def test_a_long_tap_keeps_one_punch_per_window() -> None:
    # Someone holding a card on the reader for three minutes, a read every 20 s.
    logs = frame(*((7, f"2025-03-03 08:0{s // 60}:{s % 60:02d}") for s in range(0, 181, 20)))
    kept = drop_double_scans(logs)
    assert kept["time"].dt.strftime("%M:%S").tolist() == ["00:00", "01:00", "02:00", "03:00"]


def test_workday_boundary_keeps_a_night_shift_whole() -> None:
    logs = frame((5, "2025-03-03 21:55:00"), (5, "2025-03-04 06:03:00"))
    by_date = first_last(logs, day_start="00:00")
    assert len(by_date) == 2 and by_date["missing_punch"].all()
    night = first_last(logs, day_start="12:00")
    row = day(night, 5, "2025-03-03")
    assert (row["first_in"], row["last_out"]) == (at("2025-03-03 21:55"), at("2025-03-04 06:03"))
    assert row["worked"] == pd.Timedelta(hours=8, minutes=8)
    assert not row["missing_punch"]


def test_per_person_day_start() -> None:
    logs = frame(
        (5, "2025-03-03 21:55:00"),
        (5, "2025-03-04 06:03:00"),
        (6, "2025-03-04 06:03:00"),
        (6, "2025-03-04 14:00:00"),
    )
    days = first_last(logs, day_start={5: "12:00"})
    assert day(days, 5, "2025-03-03")["hours"] == pytest.approx(8 + 8 / 60)
    assert day(days, 6, "2025-03-04")["hours"] == pytest.approx(8 - 3 / 60)


def test_workday_boundary_is_wall_clock_on_dst_days() -> None:
    # 2025-03-30: Berlin skips 02:00-03:00. 04:30 is after the 04:00 boundary, so the punch
    # belongs to the 30th; subtracting 4 real hours would wrongly land on the 29th.
    logs = frame((1, "2025-03-30 03:30:00"), (1, "2025-03-30 04:30:00"), (1, "2025-10-26 04:30:00"))
    assert workday(logs).dt.strftime("%Y-%m-%d").tolist() == [
        "2025-03-29",
        "2025-03-30",
        "2025-10-26",
    ]


def test_night_shift_over_autumn_clock_change_counts_real_hours() -> None:
    # 2025-10-26 03:00 CEST -> 02:00 CET: the night is one hour longer.
    logs = frame((5, "2025-10-25 22:00:00"), (5, "2025-10-26 06:00:00"))
    row = day(first_last(logs, day_start="12:00"), 5, "2025-10-25")
    assert row["worked"] == pd.Timedelta(hours=9)


def test_modes_first_last_pairs_and_strict_inout() -> None:
    logs = frame(
        (7, "2025-03-03 08:00:00", {"inout": 0}),
        (7, "2025-03-03 12:00:00", {"inout": 1}),
        (7, "2025-03-03 12:30:00", {"inout": 0}),
        (7, "2025-03-03 17:00:00", {"inout": 1}),
    )
    plain = day(first_last(logs), 7, "2025-03-03")
    assert (plain["worked"], plain["breaks"]) == (pd.Timedelta(hours=9), pd.Timedelta(0))
    pairs = day(first_last(logs, mode="pairs"), 7, "2025-03-03")
    assert pairs["worked"] == pd.Timedelta(hours=8, minutes=30)
    assert pairs["breaks"] == pd.Timedelta(minutes=30)
    strict = day(first_last(logs, mode="inout"), 7, "2025-03-03")
    assert strict["worked"] == pd.Timedelta(hours=8, minutes=30)
    assert not strict["missing_punch"]


def test_strict_inout_flags_an_unmatched_key_press() -> None:
    # Two "in" presses (the second one 10 minutes later, not a bounce): the first in has no out.
    logs = frame(
        (7, "2025-03-03 08:00:00", {"inout": 0}),
        (7, "2025-03-03 08:10:00", {"inout": 0}),
        (7, "2025-03-03 16:10:00", {"inout": 1}),
    )
    strict = day(first_last(logs, mode="inout"), 7, "2025-03-03")
    assert strict["worked"] == pd.Timedelta(hours=8)
    assert strict["first_in"] == at("2025-03-03 08:00")
    assert strict["missing_punch"]
    plain = day(first_last(logs), 7, "2025-03-03")
    assert plain["worked"] == pd.Timedelta(hours=8, minutes=10)
    assert plain["missing_punch"]  # three punches: one is missing


def test_missing_punch_leaves_no_departure() -> None:
    logs = frame((7, "2025-03-03 08:00:00"), (7, "2025-03-03 08:00:20"))  # a bounce, not an out
    row = day(first_last(logs), 7, "2025-03-03")
    assert row["punches"] == 1 and row["missing_punch"]
    assert pd.isna(row["last_out"]) and row["worked"] == pd.Timedelta(0)
    kept = day(first_last(logs, bounce=None), 7, "2025-03-03")
    assert kept["punches"] == 2 and not kept["missing_punch"]


def test_day_frame_schema_and_names() -> None:
    logs = frame(
        (7, "2025-03-03 08:00:00", {"name": ""}), (7, "2025-03-03 16:00:00", {"name": "Ann"})
    )
    days = first_last(logs)
    assert tuple(days.columns) == DAY_COLUMNS
    assert str(days["enrollid"].dtype) == "Int64"
    assert str(days["workday"].dtype) == "datetime64[us]"
    assert str(days["first_in"].dtype) == "datetime64[us, Europe/Berlin]"
    assert days.loc[0, "name"] == "Ann"
    empty = first_last(empty_logs_frame("Europe/Berlin"))
    assert tuple(empty.columns) == DAY_COLUMNS and empty.empty


def test_bad_input_gets_a_clear_error() -> None:
    with pytest.raises(ValueError, match="needs the column"):
        first_last(pd.DataFrame({"time": []}))
    with pytest.raises(TypeError, match="DataFrame"):
        first_last([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode must be"):
        first_last(frame((1, "2025-03-03 08:00:00")), mode="in-out")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="day_start must be a clock time"):
        first_last(frame((1, "2025-03-03 08:00:00")), day_start="25:00")
    with pytest.raises(ValueError, match="not be negative"):
        as_duration(-1)
    assert as_clock("8:30") == as_clock("08:30:00")
