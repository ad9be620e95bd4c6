"""The asyncio layer: one connection (:class:`Peer`), the listener (:class:`Gateway`), and
virtual terminals that dial in."""

from .gateway import Gateway
from .peer import Peer
from .terminal import Quirks, VirtualTerminal, VirtualUser, run_fleet
from .terminal_commands import TerminalState, state as terminal_state

__all__ = [
    "Gateway",
    "Peer",
    "Quirks",
    "TerminalState",
    "VirtualTerminal",
    "VirtualUser",
    "run_fleet",
    "terminal_state",
]
