"""The logs DataFrame schema, as documented in wac_toolkit.dataframe."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from wac_toolkit.dataframe import LOG_DTYPES, empty_logs_frame


async def test_schema_of_session_logs(session, terminal):
    vt = await terminal("DF1")
    vt.punch(7, datetime(2025, 3, 30, 1, 30), mode=1, inout=0)  # just before the DST jump
    vt.punch(7, datetime(2025, 3, 30, 2, 30), mode=8, inout=1)  # nonexistent in Berlin
    vt.punch(99999999, datetime(2025, 3, 30, 9, 0), mode=3, event=2)
    await vt.wait_flushed(10)
    df = session.logs()
    assert list(df.columns) == list(LOG_DTYPES)
    assert str(df["time"].dtype) == "datetime64[us, Europe/Berlin]"
    assert str(df["received_at"].dtype) == "datetime64[us, UTC]"
    assert isinstance(df["sn"].dtype, pd.CategoricalDtype)
    assert str(df["enrollid"].dtype) == "Int64" and str(df["mode"].dtype) == "Int16"
    assert df["mode_label"].tolist()[:2] == ["card", "face"]
    assert pd.isna(df["mode_label"].iloc[2])  # a code outside the table has no label
    assert df["direction"].tolist()[:2] == ["in", "out"]
    assert df["time"].iloc[0] == pd.Timestamp("2025-03-30 01:30", tz="Europe/Berlin")
    assert df["time"].iloc[1] == pd.Timestamp("2025-03-30 03:00", tz="Europe/Berlin")
    assert not df["has_image"].any()
    assert "image" not in df.columns


async def test_filters_accept_date_strings(session, terminal):
    vt = await terminal("DF2")
    for day in (1, 2, 3):
        vt.punch(day, datetime(2025, 8, day, 9, 0))
    await vt.wait_flushed(10)
    assert session.logs(since="2025-08-02")["enrollid"].tolist() == [2, 3]
    assert session.logs(until="2025-08-02", sn="DF2")["enrollid"].tolist() == [1]
    assert session.logs(enrollid=[1, 3])["enrollid"].tolist() == [1, 3]


def test_empty_frame_is_typed():
    df = empty_logs_frame("UTC")
    assert len(df) == 0 and str(df["enrollid"].dtype) == "Int64"


async def test_punch_in_the_repeated_autumn_hour_is_kept(session, terminal):
    vt = await terminal("DF3")
    vt.punch(5, datetime(2025, 10, 26, 2, 30))  # happens twice in Berlin that night
    await vt.wait_flushed(10)
    [moment] = session.logs()["time"].tolist()
    assert moment == pd.Timestamp("2025-10-26 02:30").tz_localize("Europe/Berlin", ambiguous=True)
    assert moment.utcoffset().total_seconds() == 7200  # the first, summer-time 02:30
