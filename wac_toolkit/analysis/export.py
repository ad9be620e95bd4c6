"""Timesheets out of Python: CSV for other programs, XLSX for people.

Neither format knows pandas' types. Excel cannot hold a time zone, so times become the
terminals' wall-clock time (the zone the sheet is about); durations become real Excel
durations shown as ``[h]:mm`` so columns still add up. CSV keeps the UTC offset on times
(unambiguous on the night clocks go back) and writes durations as ``H:MM:SS``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..safe_cells import safe_frame, safe_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["to_csv", "to_xlsx"]

_SHEET_NAME_MAX = 31
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _clock_text(value: pd.Timedelta) -> str:
    import pandas as pd

    if pd.isna(value):
        return ""
    seconds = int(value.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def to_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write any analysis frame as UTF-8 CSV without the index.

    Raises:
        TypeError: ``frame`` is not a DataFrame.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"to_csv needs a DataFrame, got {type(frame).__name__}")
    out = safe_frame(frame)
    for column in out.columns:
        if pd.api.types.is_timedelta64_dtype(out[column]):
            out[column] = out[column].map(_clock_text)
    out.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S%z")


def _for_excel(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """A copy openpyxl can write, and the number format each special column needs."""
    import pandas as pd

    out = safe_frame(frame)
    formats: dict[str, str] = {}
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = series.dt.tz_localize(None)
            formats[column] = "yyyy-mm-dd hh:mm:ss"
        elif pd.api.types.is_timedelta64_dtype(series):
            out[column] = series / pd.Timedelta(days=1)
            formats[column] = "[h]:mm"
        elif pd.api.types.is_datetime64_dtype(series):
            known = series.dropna()
            whole_days = bool((known == known.dt.normalize()).all())
            formats[column] = "yyyy-mm-dd" if whole_days else "yyyy-mm-dd hh:mm:ss"
        elif isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(series):
            out[column] = series.astype(object).where(series.notna(), None)
    return out, formats


def to_xlsx(
    frames: pd.DataFrame | Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    by: str | None = None,
) -> None:
    """Write one frame, several named frames, or one frame split per person, to an XLSX file.

    Args:
        frames: a DataFrame, or ``{"sheet name": frame}``.
        path: the ``.xlsx`` file to create (replaced if it exists).
        by: with a single frame, one sheet per value of this column, e.g. ``by="enrollid"``
            for one timesheet sheet per person (named ``"<enrollid> <name>"`` when a
            ``name`` column exists).

    Raises:
        TypeError: ``frames`` is neither a DataFrame nor a mapping of them.
        ValueError: ``by`` is not a column, or there is nothing to write.
    """
    import pandas as pd
    from openpyxl.utils import get_column_letter

    if isinstance(frames, pd.DataFrame):
        if by is None:
            sheets: dict[str, pd.DataFrame] = {"Sheet1": frames}
        else:
            if by not in frames.columns:
                raise ValueError(f"by={by!r} is not a column of the frame")
            sheets = {}
            for key, part in frames.groupby(by, sort=True, observed=True):
                label = str(key[0] if isinstance(key, tuple) else key)
                if "name" in part.columns and part["name"].notna().any():
                    label = f"{label} {part['name'].dropna().iloc[-1]}"
                sheets[label] = part
    elif isinstance(frames, Mapping):
        sheets = dict(frames)
    else:
        raise TypeError(f"to_xlsx needs a DataFrame or a mapping, got {type(frames).__name__}")
    if not sheets:
        raise ValueError("nothing to write: no frames")
    for title, frame in sheets.items():
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"sheet {title!r} is a {type(frame).__name__}, not a DataFrame")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for title, frame in sheets.items():
            clean = safe_text(str(title)).lstrip("'").translate(_BAD_SHEET_CHARS)
            name = clean[:_SHEET_NAME_MAX] or "Sheet"
            data, formats = _for_excel(frame)
            data.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for position, column in enumerate(data.columns, start=1):
                style = formats.get(column)
                width = 20 if style and "hh" in style else 10
                sheet.column_dimensions[get_column_letter(position)].width = max(
                    width, len(str(column)) + 2
                )
                if style is None:
                    continue
                for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
                    cell.number_format = style
