"""wac-toolkit: gateway, store, SDK and faces for "WebSocket + JSON" attendance terminals."""

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
from .session import AccessDecision, Session, Terminal
from .sync import SessionSync

__version__ = "0.1.0"

__all__ = [
    "AccessDecision",
    "AccessEvent",
    "BackupNum",
    "CommandTimeout",
    "ControlClient",
    "ConfirmationRequired",
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
    "WacClientSync",
    "WacClientError",
    "WacError",
    "__version__",
    "run_fleet",
]


def load_ipython_extension(ipython):  # type: ignore[no-untyped-def]
    """``%load_ext wac_toolkit`` registers the ``%wac`` magics (needs the jupyter extra)."""
    from .jupyter.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython):  # type: ignore[no-untyped-def]
    from .jupyter.magics import unload_ipython_extension as unload

    unload(ipython)
