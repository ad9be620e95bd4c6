"""Who is inside now: each person's last punch, and whether it was an "in".

For a fire drill or an evacuation the question is not hours but presence: who came in and
has not gone out. The answer comes from each person's latest accepted punch within a window
(16 hours by default, so last night's forgotten "out" does not keep someone inside for
ever): an "in" punch means inside, at the terminal that recorded it.

Terminals that do not set in/out (``inout`` missing) are read by parity instead: an odd
number of punches in the window means inside, as :func:`.first_last` reads a day.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from .dedupe import drop_double_scans
from .filters import attendance_punches
from .units import DurationLike, as_duration

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_WINDOW", "INSIDE_COLUMNS", "who_is_inside"]

DEFAULT_WINDOW = 16 * 60
"""Minutes (16 h): punches older than this say nothing about now."""

INSIDE_COLUMNS = ("enrollid", "name", "since", "sn", "punches")
"""Columns of :func:`who_is_inside`: ``since`` is the time of the "in" punch."""


def who_is_inside(
    logs: pd.DataFrame,
    now: datetime | pd.Timestamp | None = None,
    *,
    window: DurationLike = DEFAULT_WINDOW,
    names: dict[int, str] | None = None,
) -> pd.DataFrame:
    """The people inside at ``now``: one row each, the longest inside first.

    Args:
        logs: a logs frame (``Session.logs()``); door events, strangers and refused punches
            are left out, and double scans dropped.
        now: the moment asked about (tz-aware, or naive terminal-local); default the
            newest punch in ``logs``. Punches after ``now`` are ignored.
        window: how far back a punch still counts (minutes, ``"HH:MM"`` or a timedelta).
        names: ``{enrollid: name}`` (the roster's) preferred over names the terminals sent.

    Returns:
        :data:`INSIDE_COLUMNS`: ``enrollid`` (Int64), ``name``, ``since`` (the "in" punch,
        tz-aware), ``sn`` (where they came in), ``punches`` (in the window).
    """
    import pandas as pd

    punches = attendance_punches(logs)
    tz = logs["time"].dt.tz
    span = pd.Timedelta(as_duration(window, "window"))
    if now is None:
        moment = punches["time"].max() if len(punches) else pd.Timestamp.now(tz=tz)
    else:
        moment = pd.Timestamp(now)
        if moment.tz is None and tz is not None:
            moment = moment.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    recent = punches.loc[(punches["time"] <= moment) & (punches["time"] > moment - span)]
    recent = drop_double_scans(recent) if len(recent) else recent
    rows: list[dict[str, Any]] = []
    for key, mine in recent.groupby("enrollid", sort=True):
        enrollid = int(key)  # type: ignore[arg-type]  # a groupby key: the Int64 enrollid
        last = mine.iloc[-1]
        flags = mine["inout"] if "inout" in mine.columns else None
        if flags is not None and pd.notna(last["inout"]):
            inside = int(last["inout"]) == 0
        else:
            inside = len(mine) % 2 == 1
        if not inside:
            continue
        name = (names or {}).get(enrollid)
        if not name and "name" in mine.columns:
            known = mine["name"].dropna()
            known = known[known != ""]
            name = str(known.iloc[-1]) if len(known) else None
        rows.append(
            {
                "enrollid": enrollid,
                "name": name,
                "since": last["time"],
                "sn": str(last["sn"]) if "sn" in mine.columns else None,
                "punches": len(mine),
            }
        )
    unit = f"datetime64[us, {tz}]" if tz is not None else "datetime64[us]"
    out = pd.DataFrame(rows, columns=list(INSIDE_COLUMNS))
    out = out.astype(
        {"enrollid": "Int64", "name": "string", "since": unit, "sn": "string", "punches": "int64"}
    )
    return out.sort_values(["since", "enrollid"], kind="stable").reset_index(drop=True)
