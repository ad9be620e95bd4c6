"""Every error the toolkit raises, rooted at :class:`WacError`.

::

    WacError
    ├── WacClientError            transport or usage trouble on our side of the wire
    │   ├── TerminalOffline       no live connection for that serial number
    │   ├── TerminalNotAdopted    the terminal is pending adoption: nothing is sent to it
    │   ├── CommandTimeout        the terminal did not answer in time (also a TimeoutError)
    │   ├── QueueFull             too many commands already waiting for that terminal
    │   └── ConfirmationRequired  a destructive command was called without ``confirm=True``
    ├── DeviceError               the terminal answered ``result: false``
    ├── FrameError                a frame that is not a protocol message (also a ValueError)
    └── StoreError                the store cannot take writes (disk full, read-only file)

Faces translate these at their edge: a ``result:false`` reply on the wire, a one-line
``UsageError`` in IPython, a translated error in Home Assistant, a non-zero exit in the CLI.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CommandTimeout",
    "ConfirmationRequired",
    "DeviceError",
    "FrameError",
    "QueueFull",
    "StoreError",
    "TerminalNotAdopted",
    "TerminalOffline",
    "WacClientError",
    "WacError",
]


class WacError(Exception):
    """Root of every error raised by wac-toolkit."""


class WacClientError(WacError):
    """Transport or usage failure: the command never got a terminal's verdict."""


class TerminalOffline(WacClientError):
    """No terminal with that serial number is connected right now."""

    def __init__(self, sn: str) -> None:
        super().__init__(f"terminal {sn} is offline")
        self.sn = sn


class TerminalNotAdopted(WacClientError):
    """The terminal is pending adoption (or blocked): until an operator adopts it, nothing is
    sent to it, since any device can claim any serial number."""

    def __init__(self, sn: str, state: str = "pending") -> None:
        what = "is pending adoption" if state == "pending" else f"is {state}"
        super().__init__(f"terminal {sn} {what}")
        self.sn = sn
        self.state = state


class CommandTimeout(WacClientError, TimeoutError):
    """The terminal did not reply within the command timeout."""

    def __init__(self, sn: str | None, cmd: str, timeout: float) -> None:
        super().__init__(f"terminal {sn or '?'} did not answer {cmd!r} within {timeout:g} s")
        self.sn = sn
        self.cmd = cmd
        self.timeout = timeout


class QueueFull(WacClientError):
    """The per-terminal command queue is full; retry later instead of piling up."""

    def __init__(self, sn: str | None, limit: int) -> None:
        super().__init__(f"terminal {sn or '?'} already has {limit} commands waiting")
        self.sn = sn
        self.limit = limit


class ConfirmationRequired(WacClientError):
    """A destructive command needs ``confirm=True`` so it is never sent by accident."""

    def __init__(self, cmd: str) -> None:
        super().__init__(f"{cmd!r} erases data on the terminal; pass confirm=True to send it")
        self.cmd = cmd


class DeviceError(WacError):
    """The terminal answered ``result: false``.

    Attributes:
        sn: serial number of the terminal that refused.
        cmd: the command it refused.
        reason: its ``reason`` (int or text) or ``msg``, as sent.
        reply: the whole reply frame.
    """

    def __init__(
        self, sn: str | None, cmd: str, reason: Any, reply: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"terminal {sn or '?'} refused {cmd!r}: {reason}")
        self.sn = sn
        self.cmd = cmd
        self.reason = reason
        self.reply = reply or {}


class FrameError(WacError, ValueError):
    """A frame that cannot be a protocol message (not a JSON object, no ``cmd`` nor ``ret``)."""


class StoreError(WacError):
    """The store refused a write; nothing was acknowledged, so terminals keep their records."""
