"""Toolkit errors turned into translated Home Assistant errors, in one place."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError

from wac_toolkit.errors import (
    CommandTimeout,
    DeviceError,
    QueueFull,
    TerminalNotAdopted,
    TerminalOffline,
    WacError,
)

from .const import DOMAIN

__all__ = ["translate_error"]


def translate_error(err: WacError, sn: str, cmd: str) -> HomeAssistantError:
    """The error to raise for ``err`` from terminal ``sn`` while sending ``cmd``.

    Always a ``HomeAssistantError``: an unreachable terminal, a refusal, a timeout or a full
    queue is none of the caller's doing (a ``ServiceValidationError`` would say it is).
    """
    placeholders = {"sn": sn, "cmd": cmd}
    if isinstance(err, TerminalOffline):
        key = "terminal_offline"
    elif isinstance(err, TerminalNotAdopted):
        key = "terminal_not_adopted"
    elif isinstance(err, DeviceError):
        key, placeholders["reason"] = "terminal_refused", str(err.reason)
    elif isinstance(err, CommandTimeout):
        key, placeholders["timeout"] = "command_timeout", f"{err.timeout:g}"
    elif isinstance(err, QueueFull):
        key = "queue_full"
    else:
        key, placeholders["error"] = "command_failed", str(err)
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
