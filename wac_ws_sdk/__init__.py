"""The SDK contract: a small facade over :mod:`wac_toolkit` (never a second implementation).

Clients ``WacClient`` / ``WacClientSync``; models ``DeviceInfo``, ``LogRecord``, ``BackupNum``,
``VerifyMode``; errors ``WacClientError``, ``DeviceError``; and the handlers
``handle_reg(payload, remote)``, ``handle_sendlog(payload)``, ``handle_senduser(payload)``,
which answer terminal frames with the standard replies (``cloudtime`` in the host's local
time unless ``now`` is given).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wac_toolkit.client import WacClient, WacClientSync
from wac_toolkit.errors import DeviceError, WacClientError
from wac_toolkit.protocol import handlers as _handlers
from wac_toolkit.protocol.models import BackupNum, DeviceInfo, LogRecord, UserCredential, VerifyMode

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


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now().replace(microsecond=0)


def handle_reg(
    payload: dict[str, Any], remote: Any, *, now: datetime | None = None
) -> dict[str, Any]:
    """Reply to a terminal's ``reg``: ``result`` and ``cloudtime`` (its local wall time)."""
    return _handlers.handle_reg(payload, remote, now=_now(now))


def handle_sendlog(payload: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """Reply to ``sendlog``, echoing ``count`` and ``logindex``; ``result:false`` if invalid."""
    return _handlers.handle_sendlog(payload, now=_now(now))


def handle_senduser(payload: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """Reply to ``senduser``; ``result:false`` when the payload is not a credential."""
    return _handlers.handle_senduser(payload, now=_now(now))
