"""Hand-built logs frames in the real schema, for analysis tests whose answers are known."""

from __future__ import annotations

from typing import Any

import pandas as pd

from wac_toolkit.dataframe import logs_frame

TZ = "Europe/Berlin"


def frame(*punches: tuple[Any, ...], tz: str = TZ) -> pd.DataFrame:
    """``frame((enrollid, "2025-03-03 08:00:00"), (7, "...", {"inout": 1}), ...)``.

    Each punch is ``(enrollid, local time text)`` plus an optional dict overriding
    ``sn``, ``name``, ``mode``, ``inout``, ``event``. Rows go through ``logs_frame``, so the
    dtypes are the ones ``Session.logs()`` returns.
    """
    rows = []
    for i, punch in enumerate(punches, start=1):
        enrollid, moment = punch[0], punch[1]
        extra: dict[str, Any] = punch[2] if len(punch) > 2 else {}
        rows.append(
            (
                i,
                extra.get("sn", "SN1"),
                enrollid,
                extra.get("name", f"P{enrollid}"),
                moment,
                None,
                extra.get("mode", 0),
                extra.get("inout", 0),
                extra.get("event", 0),
                None,
                None,
                1,
                1_700_000_000_000_000 + i,
                0,
            )
        )
    return logs_frame(rows, tz)
