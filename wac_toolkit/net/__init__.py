"""The asyncio layer: one connection (:class:`Peer`), the listener (:class:`Gateway`), and
virtual terminals that dial in."""

from .gateway import Gateway
from .peer import Peer
from .terminal import Quirks, VirtualTerminal, VirtualUser, run_fleet

__all__ = ["Gateway", "Peer", "Quirks", "VirtualTerminal", "VirtualUser", "run_fleet"]
