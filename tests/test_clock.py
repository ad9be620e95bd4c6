"""A terminal whose clock is off is noticed from its reg and its records; backlog is not."""

from __future__ import annotations

from datetime import datetime, timedelta

from wac_toolkit.clock import ClockWatch, describe_offset

NOW = datetime(2026, 11, 30, 9, 0, 0)


def test_reg_time_gives_the_offset_and_a_good_reg_clears_it():
    watch = ClockWatch()
    skew = watch.observe_reg("T1", "2026-11-30 08:00:00", NOW)
    assert skew is not None and skew.offset == timedelta(hours=-1) and skew.source == "reg"
    assert skew.looks_like_zone and skew.describe() == "1 h 0 min behind"
    assert watch.observe_reg("T1", "2026-11-30 09:00:30", NOW) is None
    assert watch.observe_reg("T2", None, NOW) is None  # firmware without devinfo.time


def test_records_from_the_future_mean_a_clock_ahead():
    watch = ClockWatch()
    skew = watch.observe_records("T1", [NOW + timedelta(minutes=7)], NOW)
    assert skew is not None and skew.describe() == "7 min ahead" and not skew.looks_like_zone
    assert watch.observe_records("T1", [NOW], NOW) is None  # a fresh record clears it


def test_a_backlog_flush_is_not_a_slow_clock():
    watch = ClockWatch()
    for hours in (5, 4, 3, 2):  # frames of an outage: each lags by a different amount
        old = NOW - timedelta(hours=hours)
        assert watch.observe_records("T1", [old - timedelta(minutes=9), old], NOW) is None


def test_frames_lagging_alike_mean_a_clock_behind():
    watch = ClockWatch()
    verdicts = [
        watch.observe_records(
            "T1", [NOW + timedelta(seconds=s) - timedelta(hours=2)], NOW + timedelta(seconds=s)
        )
        for s in (0, 20, 40)
    ]
    assert verdicts[:2] == [None, None]
    assert verdicts[2] is not None and verdicts[2].offset == timedelta(hours=-2)
    watch.reset("T1")
    assert watch.skew("T1") is None


def test_describe():
    assert describe_offset(timedelta(minutes=-90)) == "1 h 30 min behind"
