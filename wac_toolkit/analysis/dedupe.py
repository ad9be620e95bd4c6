"""Double-scan removal: one intended punch, however many times the finger was pressed.

People press twice when the terminal is slow to beep, and terminals resend a batch after a
lost acknowledgement. Left in, a bounce makes an odd punch count look even and the day's
hours wrong, so every per-day analysis removes bounces first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .filters import require_columns
from .units import DurationLike, as_duration

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_BOUNCE", "drop_double_scans"]

DEFAULT_BOUNCE = 1.0
"""Minutes (60 s): a second punch by the same person this soon after is a bounce."""


def drop_double_scans(punches: pd.DataFrame, window: DurationLike = DEFAULT_BOUNCE) -> pd.DataFrame:
    """Keep a person's punch only if it comes ``window`` or more after their last kept punch.

    Measured per person across all terminals (walking from one reader to the next is still
    one arrival), against the last *kept* punch, so someone tapping for five minutes
    leaves one punch a minute rather than one in all. Exact repeats (same person, same
    second) are always dropped, even with ``window=0``. The first punch of each run stays,
    with its terminal, mode and direction. Returns the kept rows oldest first.

    Args:
        punches: a logs frame, usually from :func:`attendance_punches`.
        window: minutes, ``"HH:MM"`` or a ``timedelta``; default 60 seconds.

    Raises:
        ValueError: a column is missing or ``window`` is not a duration.
    """
    require_columns(punches, ("enrollid", "time"), "drop_double_scans")
    gap = np.timedelta64(int(as_duration(window, "window").total_seconds() * 1e6), "us")
    ordered = punches.loc[punches["time"].notna()].sort_values(["enrollid", "time"], kind="stable")
    people = ordered["enrollid"].to_numpy(dtype="int64", na_value=-1)
    moments = ordered["time"].to_numpy(dtype="datetime64[us]")
    same_person = np.zeros(len(ordered), dtype=bool)
    same_person[1:] = people[1:] == people[:-1]
    since_previous = np.zeros(len(ordered), dtype="timedelta64[us]")
    since_previous[1:] = moments[1:] - moments[:-1]
    # A punch at least `gap` after the person's previous punch is kept whatever came before;
    # only runs of close punches need the sequential "since the last kept one" walk.
    close = same_person & ((since_previous < gap) | (since_previous == np.timedelta64(0, "us")))
    keep = ~close
    last_kept = moments[0] if len(moments) else None
    for i in np.flatnonzero(close):
        if not close[i - 1]:
            last_kept = moments[i - 1]
        if moments[i] != last_kept and moments[i] - last_kept >= gap:
            keep[i] = True
            last_kept = moments[i]
    kept: pd.DataFrame = ordered.loc[keep].sort_values("time", kind="stable")
    return kept
