"""wac-toolkit: gateway, store, SDK and faces for "WebSocket + JSON" attendance terminals.

The names below are imported on first use (a module ``__getattr__``, as ``websockets`` does),
so that ``import wac_toolkit`` or ``import wac_ws_sdk`` costs little: a script that only
speaks the protocol never loads SQLite, the roster or pandas. ``tests/test_exports.py``
checks that every name resolves and that the table matches ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import layers as _layers

if TYPE_CHECKING:
    from .access import AccessDecision
    from .client import WacClient, WacClientSync
    from .commands import PagingError
    from .control import ControlClient
    from .errors import (
        CommandTimeout,
        ConfirmationRequired,
        DeviceError,
        FrameError,
        QueueFull,
        StoreError,
        TerminalNotAdopted,
        TerminalOffline,
        WacClientError,
        WacError,
    )
    from .events import (
        AccessEvent,
        Event,
        IdentityConflict,
        TerminalConnected,
        TerminalDisconnected,
        TerminalHeld,
        TerminalPending,
        TerminalStateChanged,
        UserPushed,
    )
    from .net import Quirks, VirtualTerminal, run_fleet
    from .protocol import BackupNum, DeviceInfo, LogRecord, UserCredential, VerifyMode
    from .protocol.catalogue import DoorMode, LockMode
    from .protocol.results import UserSlot
    from .quarantine import Quarantined
    from .registry import TerminalState
    from .session import Session, Terminal
    from .store import is_dsn, open_store
    from .sync import SessionSync

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "AccessDecision": ".access",
    "AccessEvent": ".events",
    "BackupNum": ".protocol",
    "CommandTimeout": ".errors",
    "ConfirmationRequired": ".errors",
    "ControlClient": ".control",
    "DeviceError": ".errors",
    "DeviceInfo": ".protocol",
    "DoorMode": ".protocol.catalogue",
    "Event": ".events",
    "FrameError": ".errors",
    "IdentityConflict": ".events",
    "LockMode": ".protocol.catalogue",
    "LogRecord": ".protocol",
    "PagingError": ".commands",
    "Quarantined": ".quarantine",
    "QueueFull": ".errors",
    "Quirks": ".net",
    "Session": ".session",
    "SessionSync": ".sync",
    "StoreError": ".errors",
    "Terminal": ".session",
    "TerminalConnected": ".events",
    "TerminalDisconnected": ".events",
    "TerminalNotAdopted": ".errors",
    "TerminalOffline": ".errors",
    "TerminalPending": ".events",
    "TerminalState": ".registry",
    "TerminalStateChanged": ".events",
    "TerminalHeld": ".events",
    "UserCredential": ".protocol",
    "UserPushed": ".events",
    "UserSlot": ".protocol.results",
    "VerifyMode": ".protocol",
    "VirtualTerminal": ".net",
    "WacClient": ".client",
    "WacClientError": ".errors",
    "WacClientSync": ".client",
    "WacError": ".errors",
    "run_fleet": ".net",
    "is_dsn": ".store",
    "open_store": ".store",
}
"""Each public name and the module it comes from, imported when first asked for."""

__all__ = [
    "AccessDecision",
    "AccessEvent",
    "BackupNum",
    "CommandTimeout",
    "ConfirmationRequired",
    "ControlClient",
    "DeviceError",
    "DeviceInfo",
    "DoorMode",
    "Event",
    "FrameError",
    "IdentityConflict",
    "LockMode",
    "LogRecord",
    "PagingError",
    "Quarantined",
    "QueueFull",
    "Quirks",
    "Session",
    "SessionSync",
    "StoreError",
    "Terminal",
    "TerminalConnected",
    "TerminalDisconnected",
    "TerminalHeld",
    "TerminalNotAdopted",
    "TerminalOffline",
    "TerminalPending",
    "TerminalState",
    "TerminalStateChanged",
    "UserCredential",
    "UserPushed",
    "UserSlot",
    "VerifyMode",
    "VirtualTerminal",
    "WacClient",
    "WacClientError",
    "WacClientSync",
    "WacError",
    "is_dsn",
    "open_store",
    "run_fleet",
    "__version__",
]
"""The public names: every key of the lazy table, and ``__version__``."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _roster(session: Any) -> Any:
    """The roster on every Session (``session.roster``): a layer above the Session, wired
    here rather than imported by ``session.py`` (see :mod:`wac_toolkit.layers`); loaded when
    the first Session is made, so ``import wac_ws_sdk`` stays light."""
    from .roster import Roster

    return Roster(session)


_layers.register("roster", _roster)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext wac_toolkit`` registers the ``%wac`` magics (needs the jupyter extra)."""
    from .jupyter.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .jupyter.magics import unload_ipython_extension as unload

    unload(ipython)
