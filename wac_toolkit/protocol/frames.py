"""JSON text <-> frame dicts. Stateless; no I/O.

A frame is one JSON object with ``cmd`` (a request) or ``ret`` (a reply). Decoding is strict
about that shape and lenient about the rest: keys and command names lose the padding some
firmware adds (``"record "``, ``" initsys"``, PROTOCOL.md 9.7).

orjson is used when installed (2-3x faster decode, 10-20x faster encode on a 100-record
frame than the standard library, see ``bench/json_codec.py``); ``json`` otherwise.
"""

from __future__ import annotations

import json
from typing import Any, cast

from ..errors import FrameError

try:  # pragma: no cover - exercised by whichever is installed
    import orjson

    def _loads(data: str | bytes) -> Any:
        return orjson.loads(data)

    def _dumps(frame: dict[str, Any]) -> str:
        return orjson.dumps(frame).decode()

    _DecodeError: tuple[type[Exception], ...] = (orjson.JSONDecodeError,)
except ImportError:  # pragma: no cover
    orjson = None  # type: ignore[assignment]

    def _loads(data: str | bytes) -> Any:
        return json.loads(data)

    def _dumps(frame: dict[str, Any]) -> str:
        return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))

    _DecodeError = (json.JSONDecodeError,)

_NOT_JSON: tuple[type[Exception], ...] = (
    *_DecodeError,
    UnicodeDecodeError,
    ValueError,
    RecursionError,
)

__all__ = ["MAX_DEPTH", "decode", "encode", "kind", "name"]

MAX_DEPTH = 4
"""Key padding is stripped this deep (frame, record list, record, nested object)."""


def decode(data: str | bytes) -> dict[str, Any]:
    """Parse one text frame.

    Raises:
        FrameError: not JSON, not an object, or neither ``cmd`` nor ``ret``.
    """
    try:
        frame = _loads(data)
    except _NOT_JSON as exc:
        raise FrameError(f"not JSON: {exc}") from None
    if not isinstance(frame, dict):
        raise FrameError("a frame must be a JSON object")
    frame = cast("dict[str, Any]", _strip_keys(frame, 1))
    for key in ("cmd", "ret"):
        value = frame.get(key)
        if isinstance(value, str):
            frame[key] = value.strip().lower()
        elif value is not None:
            raise FrameError(f"{key!r} must be a string")
    if "cmd" not in frame and "ret" not in frame:
        raise FrameError("a frame needs 'cmd' or 'ret'")
    return frame


def encode(frame: dict[str, Any]) -> str:
    """Serialise a frame as compact UTF-8 JSON text."""
    return _dumps(frame)


def kind(frame: dict[str, Any]) -> str:
    """``"request"`` when the frame has ``cmd`` (the rule every implementation uses), else ``"reply"``."""
    return "request" if "cmd" in frame else "reply"


def name(frame: dict[str, Any]) -> str:
    """The command a frame is or answers."""
    return str(frame.get("cmd") or frame.get("ret") or "")


_PLAIN_KEYS = frozenset(
    "enrollid name time mode inout event temp image verifymode pin userid attmode verify type"
    " status sn cmd ret result count logindex record backupnum admin cloudtime reason msg"
    " message access nosenduser cpusn devinfo".split()
)
"""Keys that need no stripping; a record made only of these is checked by one C-level test."""


def _strip_keys(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, dict):
        if value.keys() <= _PLAIN_KEYS:  # nothing to strip here: keep the dict
            if depth > 2:
                return value  # a record: as before, its nested values are left alone
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    value[key] = _strip_keys(item, depth + 1)
            return value
        if depth > 2 and all(type(k) is str and k == k.strip() for k in value):
            return value
        return {
            (k.strip() if isinstance(k, str) else k): _strip_keys(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_strip_keys(v, depth + 1) for v in value]
    return value
