"""Attendance analysis as plain functions on the logs DataFrame (``Session.logs()``).

The usual path::

    days = first_last(session.logs(since="2025-03-01"), day_start="04:00")
    days = against_schedule(days, Schedule([Shift("08:00", "16:30", grace=5)]))
    sheet = timesheet(days, "2025-03", people={7: "Ann"}, schedule=schedule)
    to_xlsx(sheet, "march.xlsx", by="enrollid")

Each step is one module: :mod:`.filters` (which rows are attendance), :mod:`.dedupe`
(double scans), :mod:`.workday` (the day boundary), :mod:`.daily` (first-in/last-out),
:mod:`.schedule` and :mod:`.punctuality` (shifts, breaks, late, early, overtime),
:mod:`.presence` (absences), :mod:`.inside` (who is inside now), :mod:`.timesheet`, :mod:`.display` (``H:MM``, 2-decimal hours),
:mod:`.export`, :mod:`.plot`. Needs the ``[jupyter]`` (or
``[pandas]``) extra; plotting and XLSX need matplotlib and openpyxl.
"""

from .daily import DAY_COLUMNS, PairMode, first_last
from .dedupe import DEFAULT_BOUNCE, drop_double_scans
from .display import HOURS_DECIMALS, hmm, hours_columns, readable, styled
from .export import to_csv, to_xlsx
from .filters import DOOR_ID, STRANGER_ID, Include, attendance_punches, require_columns
from .inside import DEFAULT_WINDOW, INSIDE_COLUMNS, who_is_inside
from .plot import WEEKDAYS, arrival_counts, arrival_heatmap, inline_figure
from .presence import STATUSES, People, absences, attendance_calendar
from .punctuality import SCHEDULE_COLUMNS, against_schedule
from .schedule import BREAK_POLICIES, MON_FRI, BreakPolicy, Schedule, Shift, as_date
from .timesheet import TIMESHEET_COLUMNS, month_bounds, timesheet, timesheet_totals
from .units import ClockLike, DurationLike, as_clock, as_duration
from .workday import DEFAULT_DAY_START, DayStart, as_day, workday

__all__ = [
    "BREAK_POLICIES",
    "DAY_COLUMNS",
    "DEFAULT_WINDOW",
    "DEFAULT_BOUNCE",
    "DEFAULT_DAY_START",
    "DOOR_ID",
    "HOURS_DECIMALS",
    "INSIDE_COLUMNS",
    "MON_FRI",
    "SCHEDULE_COLUMNS",
    "STATUSES",
    "STRANGER_ID",
    "TIMESHEET_COLUMNS",
    "WEEKDAYS",
    "BreakPolicy",
    "ClockLike",
    "DayStart",
    "DurationLike",
    "Include",
    "PairMode",
    "People",
    "Schedule",
    "Shift",
    "absences",
    "against_schedule",
    "arrival_counts",
    "arrival_heatmap",
    "as_clock",
    "as_date",
    "as_day",
    "as_duration",
    "attendance_calendar",
    "attendance_punches",
    "drop_double_scans",
    "first_last",
    "hmm",
    "hours_columns",
    "inline_figure",
    "month_bounds",
    "readable",
    "require_columns",
    "styled",
    "timesheet",
    "timesheet_totals",
    "to_csv",
    "to_xlsx",
    "who_is_inside",
    "workday",
]
