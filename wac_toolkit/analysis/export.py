"""Timesheets out of Python: CSV for other programs, XLSX for people.

Neither format knows pandas' types. Excel cannot hold a time zone, so times become the
terminals' wall-clock time (the zone the sheet is about); durations become real Excel
durations shown as ``[h]:mm`` so columns still add up, hours as numbers to 2 decimals.
Each sheet has a frozen header and an autofilter; a sheet per person ends with a bold
totals row, and a timesheet of several people gets a ``Totals`` sheet. CSV keeps the UTC
offset on times (unambiguous on the night clocks go back), writes durations as ``H:MM``
and workdays as dates. Text in both is made safe for spreadsheets
(:mod:`wac_toolkit.safe_cells`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from ..safe_cells import safe_frame, safe_text
from .display import HOURS_DECIMALS, hours_columns, readable

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["to_csv", "to_xlsx"]

_SHEET_NAME_MAX = 31
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def to_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write any analysis frame as UTF-8 CSV without the index.

    Durations are ``H:MM``, hours have 2 decimals, whole-day columns (``workday``) are
    dates, times keep their UTC offset, and text is safe to open in a spreadsheet
    (:mod:`wac_toolkit.safe_cells`).

    Raises:
        TypeError: ``frame`` is not a DataFrame.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"to_csv needs a DataFrame, got {type(frame).__name__}")
    out = readable(safe_frame(frame))
    out.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S%z")


def _for_excel(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """A copy openpyxl can write, and the number format each special column needs."""
    import pandas as pd

    out = safe_frame(frame)
    formats: dict[str, str] = {}
    for column in hours_columns(out):
        out[column] = out[column].round(HOURS_DECIMALS)
        formats[column] = "0." + "0" * HOURS_DECIMALS
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = series.dt.tz_localize(None)
            formats[column] = "yyyy-mm-dd hh:mm:ss"
        elif pd.api.types.is_timedelta64_dtype(series):
            out[column] = cast("pd.Series[pd.Timedelta]", series) / pd.Timedelta(days=1)
            formats[column] = "[h]:mm"
        elif pd.api.types.is_datetime64_dtype(series):
            known = series.dropna()
            whole_days = bool((known == known.dt.normalize()).all())
            formats[column] = "yyyy-mm-dd" if whole_days else "yyyy-mm-dd hh:mm:ss"
        elif isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(series):
            out[column] = series.astype(object).where(series.notna(), None)
    return out, formats


def _totals_row(frame: pd.DataFrame) -> dict[str, Any] | None:
    """Sums of a person's durations, hours and counts, labelled "Total"; None if none."""
    import pandas as pd

    row: dict[str, Any] = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_timedelta64_dtype(series):
            row[column] = series.sum()
        elif column in hours_columns(frame):
            row[column] = round(float(series.sum()), HOURS_DECIMALS)
        elif pd.api.types.is_bool_dtype(series) or column in _COUNTED:
            row[column] = int(series.sum())
    if not any(pd.api.types.is_timedelta64_dtype(frame[c]) for c in row):
        return None
    label = "name" if "name" in frame.columns else frame.columns[0]
    row[label] = "Total"
    return row


_COUNTED = ("punches",)
"""Integer columns a totals row adds up (ids and codes are not summed)."""


def to_xlsx(
    frames: pd.DataFrame | Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    by: str | None = None,
    totals: bool = True,
) -> None:
    """Write one frame, several named frames, or one frame split per person, to an XLSX file.

    Args:
        frames: a DataFrame, or ``{"sheet name": frame}``.
        path: the ``.xlsx`` file to create (replaced if it exists).
        by: with a single frame, one sheet per value of this column, e.g. ``by="enrollid"``
            for one timesheet sheet per person (named ``"<enrollid> <name>"`` when a
            ``name`` column exists).
        totals: add a bold "Total" row to each per-person sheet (durations, hours and
            counts summed), and a ``Totals`` sheet (:func:`timesheet_totals`) when a
            single timesheet of several people is written.

    Raises:
        TypeError: ``frames`` is neither a DataFrame nor a mapping of them.
        ValueError: ``by`` is not a column, or there is nothing to write.
    """
    import pandas as pd
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from .timesheet import TIMESHEET_COLUMNS, timesheet_totals

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
        if (
            totals
            and by is None
            and set(TIMESHEET_COLUMNS) <= set(frames.columns)
            and frames["enrollid"].nunique() > 1
        ):
            sheets["Totals"] = timesheet_totals(frames)
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
            total = _totals_row(frame) if totals and by is not None else None
            body = frame
            if total is not None:
                body = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
                durations = [c for c in total if pd.api.types.is_timedelta64_dtype(frame[c])]
                body = body.astype({c: frame[c].dtype for c in durations})
            data, formats = _for_excel(body)
            data.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            last = get_column_letter(max(len(data.columns), 1))
            sheet.freeze_panes = "A2"
            sheet.auto_filter.ref = f"A1:{last}{len(frame) + 1}"
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
            if total is not None:
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
