"""Log rows -> a typed pandas DataFrame. The schema is a documented contract.

======================  ==============================  =============================================
column                  dtype                           meaning
======================  ==============================  =============================================
``id``                  ``int64``                       row id in the store
``sn``                  ``category``                    terminal serial number
``enrollid``            ``Int64``                       user number; 0 door event, 99999999 stranger
``name``                ``string``                      name the terminal sent (often empty)
``time``                ``datetime64[us, <tz>]``        punch time in the terminals' zone
``time_raw``            ``string``                      time text when it was not canonical
``mode``                ``Int16``                       verify mode code as sent
``mode_label``          ``category``                    fingerprint / card / password / face / ...
``inout``               ``Int8``                        0 in, 1 out (as the terminal says)
``direction``           ``category``                    "in" / "out"
``event``               ``Int16``                       0 normal; door or custom event code
``temp``                ``Float32``                     body temperature in °C, when measured
``verifymode``          ``Int16``                       the record's own ``verifymode``, if sent
``logindex``            ``Int64``                       batch number the terminal sent it in
``received_at``         ``datetime64[us, UTC]``         when the gateway stored it
``has_image``           ``bool``                        a punch photo is stored (not in the frame)
======================  ==============================  =============================================

Images and templates never enter the frame. Works with pandas 2.2 and 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from .protocol.models import VerifyMode
from .store.base import LOG_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LOG_DTYPES", "empty_logs_frame", "logs_frame"]

LOG_DTYPES: dict[str, str] = {
    "id": "int64",
    "sn": "category",
    "enrollid": "Int64",
    "name": "string",
    "time": "datetime64[us, tz]",
    "time_raw": "string",
    "mode": "Int16",
    "mode_label": "category",
    "inout": "Int8",
    "direction": "category",
    "event": "Int16",
    "temp": "Float32",
    "verifymode": "Int16",
    "logindex": "Int64",
    "received_at": "datetime64[us, UTC]",
    "has_image": "bool",
}
"""Column -> dtype (``tz`` stands for the session's zone)."""

_MODE_CODES = (0, 1, 2, 8)


def logs_frame(rows: Sequence[tuple[Any, ...]], tz: tzinfo | str) -> pd.DataFrame:
    """Build the typed frame from store rows in ``LOG_COLUMNS`` order."""
    import pandas as pd

    raw = pd.DataFrame.from_records(rows, columns=list(LOG_COLUMNS), coerce_float=False)
    zone = str(tz) if not isinstance(tz, str) else tz
    out = pd.DataFrame(index=raw.index)
    out["id"] = raw["id"].astype("int64")
    out["sn"] = raw["sn"].astype("category")
    out["enrollid"] = raw["enrollid"].astype("Int64")
    out["name"] = raw["name"].astype("string")
    naive = pd.to_datetime(raw["time"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    out["time"] = naive.dt.tz_localize(
        tz if not isinstance(tz, str) else zone, ambiguous="NaT", nonexistent="shift_forward"
    ).astype(f"datetime64[us, {zone}]")
    out["time_raw"] = raw["time_raw"].astype("string")
    out["mode"] = raw["mode"].astype("Int16")
    labels = {code: VerifyMode(code).label for code in _MODE_CODES}
    out["mode_label"] = pd.Categorical(
        raw["mode"].map(labels), categories=sorted(set(labels.values()))
    )
    out["inout"] = raw["inout"].astype("Int8")
    out["direction"] = pd.Categorical(
        raw["inout"].map({0: "in", 1: "out"}), categories=["in", "out"]
    )
    out["event"] = raw["event"].astype("Int16")
    out["temp"] = raw["temp"].astype("Float32")
    out["verifymode"] = raw["verifymode"].astype("Int16")
    out["logindex"] = raw["logindex"].astype("Int64")
    out["received_at"] = pd.to_datetime(raw["received_at"], unit="us", utc=True).astype(
        "datetime64[us, UTC]"
    )
    out["has_image"] = raw["has_image"].astype(bool)
    return out


def empty_logs_frame(tz: tzinfo | str) -> pd.DataFrame:
    """The frame with no rows but every column typed."""
    return logs_frame([], tz)
