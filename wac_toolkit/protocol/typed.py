"""The typed fast path for log records: msgspec checks a whole batch in C.

Nearly every batch a terminal sends has one shape: objects with the documented keys, JSON
integers, a canonical time. For those, :func:`fast_values` validates the batch with one
``msgspec.convert`` into :class:`WireRecord` structs (10-20x cheaper than reading each dict in
Python) and returns the values in :data:`~.models.LOG_VALUES` order. Anything else (aliases
such as ``pin`` or ``attmode``, numbers as text, floats, padded names, other time formats,
integers beyond 64 bits) returns None, and the caller reads the batch with the lenient reader
(:func:`~.models.wire_values`), which stays the one definition of what a record means: the
fast path only accepts what the lenient reader would read to the same values.

Why ``strict=True``: msgspec's lax mode would turn ``"7.0"`` into 7, where the lenient reader
says "no number"; a batch would then mean different things depending on whether another of
its records was odd. Strings go to the lenient reader instead.

A gateway goes one step further with :func:`decode_sendlog`: a ``sendlog`` frame's text is
decoded straight into those structs (no dict per record, no key stripping, no second pass),
about half the CPU of decoding the frame and then reading its batch (bench/README.md).

msgspec is imported on first use (``import wac_ws_sdk`` stays light); without it every batch
takes the lenient reader.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from .models import _temperature
from .values import strip_data_uri

__all__ = ["TypedSendlog", "decode_sendlog", "fast_values", "whole"]

_convert: Any = None
_errors: tuple[type[Exception], ...] = ()
_type: Any = None
_frame: Any = None
_unset: Any = None


class TypedSendlog(dict[str, Any]):
    """A ``sendlog`` read by :func:`decode_sendlog`: the dict holds the frame's scalar fields
    (``cmd``, and ``sn``, ``count``, ``logindex`` when sent), :attr:`log_values` its records
    (``LOG_VALUES`` order, every one readable), :attr:`text` the frame as received.

    Only a handler that asked for it gets one (``typed_sendlog``); whoever needs the records
    as dicts (an access policy, a quarantine) reads :func:`whole`.
    """

    __slots__ = ("log_values", "text")

    text: str | bytes
    log_values: list[tuple[Any, ...]]

    def full(self) -> dict[str, Any]:
        """The whole frame as :func:`~.frames.decode` reads it."""
        from .frames import decode

        return decode(self.text)


def whole(frame: dict[str, Any]) -> dict[str, Any]:
    """``frame`` with its records as dicts (a :class:`TypedSendlog` is decoded again)."""
    return frame.full() if isinstance(frame, TypedSendlog) else frame


def _load() -> bool:
    global _convert, _errors, _type, _frame, _unset
    if _convert is not None:
        return _convert is not False
    try:
        import msgspec
    except ImportError:  # pragma: no cover - msgspec is a dependency
        _convert = False
        return False

    # One record in the documented shape; an unknown key means "not this shape". Built
    # with defstruct: the annotations must be objects, not this module's postponed strings.
    int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)] | None
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        ("time", str), ("enrollid", int64, None), ("name", str | None, None),
        ("mode", int64, None), ("inout", int64, None), ("event", int64, None),
        ("temp", float | None, None), ("image", str | None, None), ("verifymode", int64, None),
    ]  # fmt: skip
    WireRecord = msgspec.defstruct("WireRecord", fields, forbid_unknown_fields=True)

    _type = list[WireRecord]  # type: ignore[valid-type]
    # A sendlog frame in the documented shape; "cmd" exactly "sendlog" (padded or upper case
    # names, other keys, a record object instead of a list: decode_sendlog declines).
    unset = msgspec.UnsetType
    frame = msgspec.defstruct(
        "WireSendlog",
        [("cmd", Literal["sendlog"]), ("record", _type), ("sn", str | None | unset, msgspec.UNSET),
         ("count", int64 | unset, msgspec.UNSET), ("logindex", int64 | unset, msgspec.UNSET)],
        forbid_unknown_fields=True,
    )  # fmt: skip
    _frame = msgspec.json.Decoder(frame)
    _unset = msgspec.UNSET
    _errors = (msgspec.ValidationError, msgspec.DecodeError)
    _convert = msgspec.convert
    return True


def fast_values(items: list[Any]) -> list[tuple[Any, ...]] | None:
    """The values of every record in ``items`` (``LOG_VALUES`` order, ``mode`` as an int),
    or None when any record needs the lenient reader."""
    if not _load():
        return None
    try:
        wires = _convert(items, _type, strict=True)
    except _errors:
        return None
    return _values(wires)


def decode_sendlog(data: str | bytes) -> TypedSendlog | None:
    """A ``sendlog`` frame's text read straight into values, or None when the text is not a
    ``sendlog`` in the documented shape (then :func:`~.frames.decode` and the lenient reader
    read it, and say what is wrong with it)."""
    if not _load():
        return None
    try:
        wire = _frame.decode(data)
    except _errors:
        return None
    values = _values(wire.record)
    if values is None:
        return None
    frame = TypedSendlog(cmd="sendlog")
    for key in ("sn", "count", "logindex"):
        value = getattr(wire, key)
        if value is not _unset:
            frame[key] = value
    frame.text = data
    frame.log_values = values
    return frame


def all_canonical(times: list[str]) -> bool:
    """``all(map(is_canonical_time, times))``, with the same checks done for the batch at
    once in C: every length 19, the joined text ASCII, each separator column by slicing the
    joined text, then ``datetime.fromisoformat`` mapped over the times (a third of the CPU
    of a Python call per record)."""
    count = len(times)
    if not count:
        return True
    if set(map(len, times)) != {19}:
        return False
    text = "".join(times)
    if not text.isascii():
        return False
    for position, separator in ((4, "-"), (7, "-"), (10, " "), (13, ":"), (16, ":")):
        if text[position::19] != separator * count:
            return False
    try:
        return all(map(datetime.fromisoformat, times))
    except ValueError:
        return False


def _values(wires: list[Any]) -> list[tuple[Any, ...]] | None:
    if not all_canonical([w.time for w in wires]):
        return None
    out: list[tuple[Any, ...]] = []
    append = out.append
    for w in wires:
        time, name, temp, image = w.time, w.name, w.temp, w.image
        if name is not None:
            if name != name.strip():
                return None
            name = name or None
        if temp is not None:
            temp = _temperature(temp)
        if image is not None:
            image = strip_data_uri(image)
        append((w.enrollid, time, time, name, w.mode, w.inout, w.event, temp, image, w.verifymode))
    return out
