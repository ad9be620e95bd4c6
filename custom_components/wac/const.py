"""Constants shared by the wac integration's modules."""

from __future__ import annotations

from typing import Final

__all__ = [
    "ATTR_BACKLOG",
    "ATTR_ENROLLID",
    "ATTR_EVENT_CODE",
    "ATTR_INOUT",
    "ATTR_NAME",
    "ATTR_SN",
    "ATTR_SOURCE",
    "ATTR_TERMINAL_TIME",
    "ATTR_VERIFY_MODE",
    "CONF_ALLOW",
    "CONF_FRESH_MINUTES",
    "CONF_TIME_ZONE",
    "DEFAULT_FRESH_MINUTES",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DOMAIN",
    "EVENT_ACCESS",
    "EVENT_TYPE_DENIED",
    "EVENT_TYPE_GRANTED",
    "MANUFACTURER",
    "COMMAND_TIMEOUT",
]

DOMAIN: Final = "wac"
MANUFACTURER: Final = "WebSocket+JSON terminal"

DEFAULT_HOST: Final = "0.0.0.0"
DEFAULT_PORT: Final = 7788
DEFAULT_FRESH_MINUTES: Final = 5
COMMAND_TIMEOUT: Final = 10.0
"""Seconds an action waits for a terminal's reply."""

CONF_ALLOW: Final = "allow"
"""Options: serial numbers allowed to register; empty accepts any terminal."""
CONF_TIME_ZONE: Final = "time_zone"
"""Options: the zone the terminals' clocks run in (they send local time without an offset)."""
CONF_FRESH_MINUTES: Final = "fresh_minutes"
"""Options: a record older than this is backlog (flushed after a reconnect), not a punch now."""

EVENT_ACCESS: Final = "wac_access"
"""Bus event fired once for every stored record, backlog included."""
EVENT_TYPE_GRANTED: Final = "access_granted"
EVENT_TYPE_DENIED: Final = "access_denied"

ATTR_SN: Final = "sn"
ATTR_ENROLLID: Final = "enrollid"
ATTR_NAME: Final = "name"
ATTR_VERIFY_MODE: Final = "verify_mode"
ATTR_INOUT: Final = "inout"
ATTR_EVENT_CODE: Final = "event_code"
ATTR_TERMINAL_TIME: Final = "terminal_time"
ATTR_BACKLOG: Final = "backlog"
ATTR_SOURCE: Final = "source"
