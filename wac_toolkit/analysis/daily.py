"""First-in / last-out per person per logical workday: the table every timesheet starts from.

Three ways to read a day's punches, because terminals and people disagree about ``inout``:

* ``"first_last"`` (default): the first punch is the arrival, the last the departure; the
  in/out key is ignored, since people press the wrong one (horilla-hr#340).
* ``"pairs"``: punches alternate in, out, in, out; the time between pairs is a break.
* ``"inout"``: trust the terminal's in/out flag; an in followed by an out is a worked period
  and anything unmatched is a missing punch. Rows without a flag are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, cast

from .dedupe import DEFAULT_BOUNCE, drop_double_scans
from .filters import Include, attendance_punches
from .units import DurationLike
from .workday import DEFAULT_DAY_START, DayStart, workday

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DAY_COLUMNS", "PairMode", "first_last"]

PairMode = Literal["first_last", "pairs", "inout"]

DAY_COLUMNS = (
    "enrollid", "name", "workday", "first_in", "last_out", "punches", "worked", "breaks",
    "hours", "missing_punch",
)  # fmt: skip
"""Columns of the per-day frame, in order (see :func:`first_last`)."""

_MODES = ("first_last", "pairs", "inout")


def first_last(
    logs: pd.DataFrame,
    *,
    day_start: DayStart = DEFAULT_DAY_START,
    mode: PairMode = "first_last",
    bounce: DurationLike | None = DEFAULT_BOUNCE,
    include: Iterable[Include] = (),
) -> pd.DataFrame:
    """One row per person per workday from a logs frame.

    Door events, strangers and denied punches are left out (see :func:`attendance_punches`),
    then double scans within ``bounce`` (60 s; ``None`` keeps every punch), then punches are
    grouped by ``enrollid`` and :func:`workday`.

    Returns:
        A frame with ``enrollid`` (Int64), ``name``, ``workday`` (naive midnight),
        ``first_in`` and ``last_out`` (tz-aware; ``last_out`` is the last punch that ended a
        worked period, NaT when none did), ``punches`` (after bounce removal), ``worked``
        (Timedelta), ``breaks`` (time between first_in and last_out not worked), ``hours``
        (worked as float hours) and ``missing_punch`` (an odd count, or an unmatched in/out
        in ``"inout"`` mode). Sorted by workday, then enrollid.

    Raises:
        ValueError: a column is missing, or ``mode`` is unknown.
    """
    import pandas as pd

    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, not {mode!r}")
    punches = attendance_punches(logs, include)
    if bounce is not None:
        punches = drop_double_scans(punches, bounce)
    tz = logs["time"].dt.tz
    cols = ["enrollid", "name", "time"] + (["inout"] if mode == "inout" else [])
    p = punches[[c for c in cols if c in punches.columns]].copy()
    if "name" not in p.columns:
        p["name"] = pd.Series(pd.NA, index=p.index, dtype="string")
    if mode == "inout":
        p = p.loc[p["inout"].isin([0, 1]).fillna(False).astype(bool)]
    p["workday"] = workday(p, day_start)
    p = p.sort_values(["enrollid", "workday", "time"], kind="stable").reset_index(drop=True)
    # pandas-stubs does not take pd.NA as replace()'s value; pandas does.
    p["name"] = p["name"].astype("string").replace("", pd.NA)  # type: ignore[call-overload]

    keys = [p["enrollid"], p["workday"]]
    same = (p["enrollid"] == p["enrollid"].shift()) & (p["workday"] == p["workday"].shift())
    same = same.fillna(False).astype(bool)
    zero = pd.Timedelta(0)
    if mode == "first_last":
        p["opens"] = ~same
        p["closes"] = False
        count = p.groupby(keys, sort=False)["time"].transform("size")
        last = ~(same.shift(-1, fill_value=False).astype(bool))
        p.loc[last & (count >= 2), "closes"] = True
        first_time = p.groupby(keys, sort=False)["time"].transform("first")
        p["span"] = (p["time"] - first_time).where(p["closes"], zero)
        p["unmatched"] = False
    elif mode == "pairs":
        position = p.groupby(keys, sort=False).cumcount()
        p["closes"] = position % 2 == 1
        p["opens"] = ~p["closes"]
        p["span"] = (p["time"] - p["time"].shift()).where(p["closes"], zero)
        p["unmatched"] = False
    else:
        is_in, is_out = p["inout"] == 0, p["inout"] == 1
        p["closes"] = (is_out & same & is_in.shift(fill_value=False)).fillna(False).astype(bool)
        next_closes = p["closes"].shift(-1, fill_value=False).astype(bool)
        p["opens"] = is_in.fillna(False).astype(bool)
        p["span"] = (p["time"] - p["time"].shift()).where(p["closes"], zero)
        p["unmatched"] = ~(p["closes"] | (p["opens"] & next_closes))

    p["in_time"] = p["time"].where(p["opens"])
    p["out_time"] = p["time"].where(p["closes"])
    grouped = p.groupby(["enrollid", "workday"], sort=True)
    days = grouped.agg(
        name=("name", "last"),
        first_in=("in_time", "min"),
        last_out=("out_time", "max"),
        punches=("time", "size"),
        worked=("span", "sum"),
        unmatched=("unmatched", "sum"),
    ).reset_index()
    if mode == "inout":
        missing = days["unmatched"] > 0
    else:
        missing = days["punches"] % 2 == 1
    unit = f"datetime64[us, {tz}]" if tz is not None else "datetime64[us]"
    out = pd.DataFrame(
        {
            "enrollid": days["enrollid"].astype("Int64"),
            "name": days["name"].astype("string"),
            "workday": days["workday"].astype("datetime64[us]"),
            # pandas-stubs: astype() takes literal dtype names only, not a computed one
            "first_in": days["first_in"].astype(unit),  # type: ignore[call-overload]
            "last_out": days["last_out"].astype(unit),  # type: ignore[call-overload]
            "punches": days["punches"].astype("int64"),
            "worked": days["worked"].astype("timedelta64[us]"),
        }
    )
    out["breaks"] = ((out["last_out"] - out["first_in"]) - out["worked"]).fillna(zero)
    out["breaks"] = out["breaks"].astype("timedelta64[us]")
    out["hours"] = cast("pd.Series[pd.Timedelta]", out["worked"]) / pd.Timedelta(hours=1)
    out["missing_punch"] = missing.astype(bool).to_numpy()
    out = out.sort_values(["workday", "enrollid"], kind="stable").reset_index(drop=True)
    return out[list(DAY_COLUMNS)]
