"""The SDK contract: a small facade over :mod:`wac_toolkit` (never a second implementation).

Clients ``WacClient`` / ``WacClientSync``; models ``DeviceInfo``, ``LogRecord``, ``BackupNum``,
``VerifyMode``; errors ``WacClientError``, ``DeviceError``; and the handlers
``handle_reg(payload, remote)``, ``handle_sendlog(payload)``, ``handle_senduser(payload)``,
which answer terminal frames with the standard replies (``cloudtime`` in the host's local
time unless ``now`` is given).

Every name is imported on first use (a module ``__getattr__``, as ``websockets`` does): a
script that imports the SDK pays for what it touches, and never for SQLite, the roster or
pandas (``tests/test_exports.py`` checks both).
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wac_toolkit.client import WacClient, WacClientSync
    from wac_toolkit.errors import DeviceError, WacClientError
    from wac_toolkit.protocol.models import (
        BackupNum,
        DeviceInfo,
        LogRecord,
        UserCredential,
        VerifyMode,
    )

_LAZY: dict[str, str] = {
    "BackupNum": "wac_toolkit.protocol.models",
    "DeviceError": "wac_toolkit.errors",
    "DeviceInfo": "wac_toolkit.protocol.models",
    "LogRecord": "wac_toolkit.protocol.models",
    "UserCredential": "wac_toolkit.protocol.models",
    "VerifyMode": "wac_toolkit.protocol.models",
    "WacClient": "wac_toolkit.client",
    "WacClientError": "wac_toolkit.errors",
    "WacClientSync": "wac_toolkit.client",
}
"""Each name of the contract and the :mod:`wac_toolkit` module it comes from."""

__all__ = [
    "BackupNum",
    "DeviceError",
    "DeviceInfo",
    "LogRecord",
    "UserCredential",
    "VerifyMode",
    "WacClient",
    "WacClientError",
    "WacClientSync",
    "handle_reg",
    "handle_sendlog",
    "handle_senduser",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now().replace(microsecond=0)


def handle_reg(
    payload: dict[str, Any], remote: Any, *, now: datetime | None = None
) -> dict[str, Any]:
    """Reply to a terminal's ``reg``: ``result`` and ``cloudtime`` (its local wall time)."""
    from wac_toolkit.protocol import handlers

    return handlers.handle_reg(payload, remote, now=_now(now))


def handle_sendlog(payload: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """Reply to ``sendlog``, echoing ``count`` and ``logindex``; ``result:false`` if invalid."""
    from wac_toolkit.protocol import handlers

    return handlers.handle_sendlog(payload, now=_now(now))


def handle_senduser(payload: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """Reply to ``senduser``; ``result:false`` when the payload is not a credential."""
    from wac_toolkit.protocol import handlers

    return handlers.handle_senduser(payload, now=_now(now))
