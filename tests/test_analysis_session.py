"""End to end: punches from a virtual terminal over a real WebSocket, analysed from the store."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from wac_toolkit import Session
from wac_toolkit.analysis import Schedule, Shift, absences, against_schedule, first_last, timesheet


async def test_punches_pushed_by_a_terminal_come_out_as_a_timesheet(
    session: Session, terminal
) -> None:
    vt = await terminal("SN-ANALYSIS")
    vt.punch(7, datetime(2025, 3, 3, 8, 7), name="Ann")  # late (grace 5)
    vt.punch(7, datetime(2025, 3, 3, 8, 7, 20), name="Ann")  # double scan
    vt.punch(7, datetime(2025, 3, 3, 17, 0), inout=1, name="Ann")
    vt.punch(9, datetime(2025, 3, 3, 21, 58), name="Nik")  # night shift
    vt.punch(9, datetime(2025, 3, 4, 6, 2), inout=1, name="Nik")
    vt.punch(0, datetime(2025, 3, 3, 9, 0), event=1)  # door event
    vt.punch(99999999, datetime(2025, 3, 3, 9, 1))  # stranger
    await vt.wait_flushed()

    logs = await session.logs_async(since="2025-03-01", until="2025-04-01")
    assert len(logs) == 7
    days = first_last(logs, day_start={9: "12:00"})
    assert days[["enrollid", "punches", "hours"]].values.tolist() == [
        [7, 2, 8 + 53 / 60],
        [9, 2, 8 + 4 / 60],
    ]

    schedule = Schedule(
        [Shift("08:00", "16:00", "day", grace=5), Shift("22:00", "06:00", "night")],
        assign={7: "day", 9: "night"},
    )
    checked = against_schedule(days, schedule).set_index("enrollid")
    assert checked.loc[7, "late"] == pd.Timedelta(minutes=7)
    assert checked.loc[7, "overtime"] == pd.Timedelta(minutes=53)
    assert checked.loc[9, "shift_end"] == pd.Timestamp("2025-03-04 06:00", tz="Europe/Berlin")
    assert checked.loc[9, "late"] == pd.Timedelta(0)

    gone = absences(
        days, {7: "Ann", 9: "Nik", 11: "Eve"}, "2025-03-03", "2025-03-03", schedule=schedule
    )
    assert gone["name"].tolist() == ["Eve"]
    sheet = timesheet(days, "2025-03", schedule=schedule)
    assert sheet.loc[sheet["status"] == "present", "name"].tolist() == ["Ann", "Nik"]
