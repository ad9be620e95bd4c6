"""Log rows -> a typed pandas DataFrame. The schema is a documented contract.

======================  ==============================  =============================================
column                  dtype                           meaning
======================  ==============================  =============================================
``id``                  ``int64``                       row id in the store
``sn``                  ``category``                    terminal serial number (sorted categories)
``enrollid``            ``Int64``                       user number; 0 door event, 99999999 stranger
``name``                ``string``                      name the terminal sent (often empty)
``time``                ``datetime64[us, <tz>]``        punch time in the terminals' zone
``time_raw``            ``string``                      time text when not canonical (or not a time)
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

__all__ = ["LOG_DTYPES", "arrow_logs_frame", "empty_logs_frame", "logs_frame", "row_type"]

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
    """Build the typed frame from store rows in ``LOG_COLUMNS`` order.

    The rows go through pyarrow in one C-level pass (typed, no per-column inference), which
    makes this faster than a plain ``pandas.read_sql`` of the same rows (``bench/dataframe.py``).
    Rows pyarrow cannot type (hand-made ones in odd types) take the pandas path instead.
    """
    if rows:
        try:
            return _arrow_frame(rows, tz)
        except (ImportError, TypeError, ValueError, OverflowError):
            pass  # pyarrow's ArrowInvalid / ArrowTypeError are ValueError / TypeError
    return _pandas_frame(rows, tz)


def _arrow_frame(rows: Sequence[tuple[Any, ...]], tz: tzinfo | str) -> pd.DataFrame:
    import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type hints

    table = pa.array(rows, type=row_type()).flatten()
    return arrow_logs_frame(dict(zip(LOG_COLUMNS, table, strict=True)), tz)


def arrow_logs_frame(col: dict[str, Any], tz: tzinfo | str) -> pd.DataFrame:
    """The typed frame from Arrow columns named and typed as ``row_type()`` says.

    A store that can hand over columns (PostgreSQL's ``COPY`` read by pyarrow) skips the
    Python row tuples altogether.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    zone = str(tz) if not isinstance(tz, str) else tz

    def ext(name: str, dtype: str) -> Any:
        return col[name].to_pandas(types_mapper=lambda _t: pd.api.types.pandas_dtype(dtype))

    def labelled(name: str, labels: dict[int, str], categories: list[str]) -> pd.Categorical[str]:
        values = col[name].cast(pa.int64()).fill_null(-(2**62)).to_numpy()
        codes = np.full(len(values), -1, dtype=np.int8)
        for code, label in labels.items():
            codes[values == code] = categories.index(label)
        return pd.Categorical.from_codes(codes, categories=pd.Index(categories))

    parsed = _strict_times(col["time"])
    naive = pd.Series(parsed.to_numpy(zero_copy_only=False).astype("datetime64[us]"))
    unreadable = pc.and_(pc.is_null(col["time_raw"]), pc.is_null(parsed))
    time_raw = pc.if_else(unreadable, col["time"], col["time_raw"])
    labels = {code: VerifyMode(code).label for code in _MODE_CODES}
    received = col["received_at"].to_numpy().astype("datetime64[us]")
    data = {
        "id": col["id"].to_numpy(),
        "sn": _sorted_categories(col["sn"].dictionary_encode().to_pandas()),
        "enrollid": ext("enrollid", "Int64"),
        "name": ext("name", "string"),
        "time": _wall_time(naive, zone),
        "time_raw": time_raw.to_pandas(types_mapper=lambda _t: pd.StringDtype()),
        "mode": ext("mode", "Int16"),
        "mode_label": labelled("mode", labels, sorted(set(labels.values()))),
        "inout": ext("inout", "Int8"),
        "direction": labelled("inout", {0: "in", 1: "out"}, ["in", "out"]),
        "event": ext("event", "Int16"),
        "temp": ext("temp", "Float32"),
        "verifymode": ext("verifymode", "Int16"),
        "logindex": ext("logindex", "Int64"),
        "received_at": pd.Series(received).dt.tz_localize("UTC"),
        "has_image": col["has_image"].to_numpy(zero_copy_only=False) != 0,
    }
    return pd.DataFrame({k: pd.Series(v).reset_index(drop=True) for k, v in data.items()})


def _sorted_categories(series: pd.Series) -> pd.Series:
    """Serials in sorted order (``value_counts``, groupby and plots list them that way),
    not in the order they first appear in the rows."""
    return series.cat.reorder_categories(sorted(series.cat.categories))


def _strict_times(text: Any) -> Any:
    """Parse canonical times; anything else is null, as ``pandas.to_datetime`` would have it.

    Arrow's strptime rolls impossible dates over (Feb 30 -> Mar 2, second 60 -> the next
    minute) and takes year 0. The store keeps such text as the terminal sent it, so the
    parsed day and second are checked against the text (cheap slices, no per-row Python).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    parsed = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
    shaped = pc.and_(pc.is_valid(parsed), pc.equal(pc.utf8_length(text), 19))
    safe = pc.if_else(shaped, text, pa.scalar("2000-01-01 00:00:00"))

    def digits(start: int, stop: int) -> Any:
        return pc.cast(pc.utf8_slice_codeunits(safe, start, stop), pa.int64())

    same = pc.and_(
        pc.and_(
            pc.equal(pc.day(parsed), digits(8, 10)), pc.equal(pc.second(parsed), digits(17, 19))
        ),
        pc.greater_equal(pc.year(parsed), 1),
    )
    return pc.if_else(pc.and_(shaped, same).fill_null(False), parsed, pa.scalar(None, parsed.type))


def row_type() -> Any:
    """The Arrow struct of one log row (``LOG_COLUMNS`` with the types the frame starts from)."""
    import pyarrow as pa

    types = {
        "id": pa.int64(), "sn": pa.string(), "enrollid": pa.int64(), "name": pa.string(),
        "time": pa.string(), "time_raw": pa.string(), "mode": pa.int16(), "inout": pa.int8(),
        "event": pa.int16(), "temp": pa.float32(), "verifymode": pa.int16(),
        "logindex": pa.int64(), "received_at": pa.int64(), "has_image": pa.int8(),
    }  # fmt: skip
    return pa.struct([(name, types[name]) for name in LOG_COLUMNS])


def _pandas_frame(rows: Sequence[tuple[Any, ...]], tz: tzinfo | str) -> pd.DataFrame:
    import pandas as pd

    raw = pd.DataFrame.from_records(rows, columns=list(LOG_COLUMNS), coerce_float=False)
    zone = str(tz) if not isinstance(tz, str) else tz
    out = pd.DataFrame(index=raw.index)
    out["id"] = raw["id"].astype("int64")
    out["sn"] = raw["sn"].astype("category")
    out["enrollid"] = raw["enrollid"].astype("Int64")
    out["name"] = raw["name"].astype("string")
    naive = pd.to_datetime(raw["time"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    # Same as the arrow path: no leap seconds, no year 0 (the protocol layer rejects both).
    naive = naive.mask(raw["time"].astype(str).str[17:19].eq("60") | naive.dt.year.lt(1))
    out["time"] = _wall_time(naive, zone)
    out["time_raw"] = raw["time_raw"].where(raw["time_raw"].notna() | naive.notna(), raw["time"])
    out["time_raw"] = out["time_raw"].astype("string")
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


def _wall_time(naive: pd.Series, zone: str) -> pd.Series:
    """Terminal wall time in its zone. In the repeated hour when clocks go back, take the first
    (summer-time) reading rather than losing the punch; a skipped hour moves forward."""
    import numpy as np

    wall: pd.Series = naive.dt.tz_localize(
        zone, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward"
    ).astype(f"datetime64[us, {zone}]")
    return wall


def empty_logs_frame(tz: tzinfo | str) -> pd.DataFrame:
    """The frame with no rows but every column typed."""
    return logs_frame([], tz)
