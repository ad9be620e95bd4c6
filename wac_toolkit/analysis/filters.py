"""Which log rows count as attendance: people's accepted punches, not doors or strangers.

The logs frame mixes three kinds of rows that must not become working hours: door events
(``enrollid`` 0), unknown faces (``enrollid`` 99999999) and refused or custom events
(``event`` != 0). Every analysis starts here so they are excluded the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DOOR_ID", "STRANGER_ID", "Include", "attendance_punches", "require_columns"]

DOOR_ID = 0
"""``enrollid`` of door events (open, close, alarm) that no person made."""

STRANGER_ID = 99999999
"""``enrollid`` terminals use for a face they could not match."""

Include = Literal["door", "stranger", "denied"]
"""Row kinds that are excluded by default and can be asked for back."""

_KINDS = ("door", "stranger", "denied")


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Fail early, naming the missing columns, when ``df`` is not the frame ``what`` expects.

    Raises:
        TypeError: ``df`` is not a DataFrame.
        ValueError: one or more columns are missing.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} needs a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} needs the column(s) {', '.join(missing)}; got {list(df.columns)}")


def attendance_punches(logs: pd.DataFrame, include: Iterable[Include] = ()) -> pd.DataFrame:
    """The rows of a logs frame that are people's accepted punches, oldest first.

    Rows without a valid ``time`` (unparseable terminal clocks) are dropped too: they
    cannot be placed on a workday. Pass ``include=("denied",)`` (or ``"door"``,
    ``"stranger"``) to keep a kind that is excluded by default.

    Raises:
        ValueError: a column is missing, or ``include`` names an unknown kind.
    """
    require_columns(logs, ("enrollid", "time", "event"), "attendance_punches")
    wanted = set(include)
    unknown = wanted.difference(_KINDS)
    if unknown:
        raise ValueError(f"include accepts {_KINDS}, not {sorted(unknown)}")
    enrollid = logs["enrollid"]
    keep = enrollid.notna() & logs["time"].notna()
    if "door" not in wanted:
        keep &= enrollid != DOOR_ID
    if "stranger" not in wanted:
        keep &= enrollid != STRANGER_ID
    if "denied" not in wanted:
        keep &= logs["event"].fillna(0) == 0
    out = logs.loc[keep.fillna(False).astype(bool)]
    return out.sort_values(["time"], kind="stable")
