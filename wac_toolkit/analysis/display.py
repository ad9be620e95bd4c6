"""Durations as ``8:00`` and hours as ``8.20``: how HR reads a timesheet.

pandas shows a ``Timedelta`` as ``0 days 08:11:47`` and a month's total as ``6 days
07:24:28`` for 151 hours; hours come out as ``8.196389``. Nobody signs that off. The data
keeps its real types (durations still add up); only what is *shown* changes:

* :func:`hmm` formats one duration as ``H:MM`` (hours keep counting past 24: ``151:24``);
* :func:`readable` returns a copy with durations as ``H:MM`` text, hours to 2 decimals
  and whole-day columns as dates, for ``print``, ``to_string`` or a CSV;
* :func:`styled` is the notebook preset: a pandas ``Styler`` showing the same, while the
  frame underneath stays numeric (sorting and sums still work).

The exports (:mod:`.export`) write the same formats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

__all__ = ["HOURS_DECIMALS", "hmm", "hours_columns", "readable", "styled"]

HOURS_DECIMALS = 2
"""Hours are shown and exported rounded to this many decimals."""


def hmm(value: Any) -> str:
    """``H:MM`` for a duration (Timedelta, timedelta), rounded to the minute; ``""`` for NaT.

    >>> hmm(pd.Timedelta(hours=151, minutes=24, seconds=28))
    '151:24'
    """
    import pandas as pd

    if value is None or pd.isna(value):
        return ""
    seconds = round(pd.Timedelta(value).total_seconds() / 60) * 60
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}"


def hours_columns(frame: pd.DataFrame) -> list[str]:
    """Float columns that hold hours (``hours`` and names ending in ``_hours``)."""
    import pandas as pd

    return [
        c
        for c in frame.columns
        if (str(c) == "hours" or str(c).endswith("_hours"))
        and pd.api.types.is_float_dtype(frame[c])
    ]


def _whole_days(series: pd.Series) -> bool:
    import pandas as pd

    if not pd.api.types.is_datetime64_dtype(series) or isinstance(series.dtype, pd.DatetimeTZDtype):
        return False
    known = series.dropna()
    return bool(len(known)) and bool((known == known.dt.normalize()).all())


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for reading: durations as ``H:MM`` text, hours rounded, day columns as dates.

    Times of day keep their zone; use :func:`styled` in a notebook to keep the numbers.
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_timedelta64_dtype(series):
            out[column] = series.map(hmm).astype("string")
        elif _whole_days(series):
            out[column] = series.dt.date
    for column in hours_columns(out):
        out[column] = out[column].round(HOURS_DECIMALS)
    return out


def styled(frame: pd.DataFrame) -> Styler:
    """The notebook preset: ``H:MM`` durations, 2-decimal hours, dates, no index.

    Returns a pandas ``Styler`` (needs jinja2, part of the ``[jupyter]`` extra); the frame's
    values are untouched, so ``styled(sheet)`` is only how it looks.
    """
    import pandas as pd

    formats: dict[Any, Any] = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_timedelta64_dtype(series):
            formats[column] = hmm
        elif _whole_days(series):
            formats[column] = lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d}"
        elif isinstance(series.dtype, pd.DatetimeTZDtype):
            formats[column] = lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d %H:%M:%S}"
    for column in hours_columns(frame):
        formats[column] = f"{{:.{HOURS_DECIMALS}f}}"
    return frame.style.format(formats, na_rep="").hide(axis="index")
