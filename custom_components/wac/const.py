"""Constants shared by the wac integration's modules."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from wac_toolkit.protocol.event_types import EventType

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
    "ELSEWHERE_INTERVAL",
    "EVENT_ACCESS",
    "EVENT_TYPE_DENIED",
    "EVENT_TYPE_GRANTED",
    "CONF_ADOPT_NEW",
    "CONF_BACKLOG_EVENTS",
    "CONF_DATABASE",
    "CONF_PATH_SECRET",
    "CONF_TLS_CERT",
    "CONF_TLS_KEY",
    "CONF_UNBLOCK",
    "EVENT_BACKLOG",
    "EVENT_TYPES",
    "COMMAND_TIMEOUT",
]

DOMAIN: Final = "wac"

DEFAULT_HOST: Final = "0.0.0.0"
DEFAULT_PORT: Final = 7788
DEFAULT_FRESH_MINUTES: Final = 5
COMMAND_TIMEOUT: Final = 10.0
"""Seconds an action waits for a terminal's reply."""
ELSEWHERE_INTERVAL: Final = timedelta(seconds=15)
"""How often a hub on a shared database reads which terminals other gateways hold."""

CONF_ALLOW: Final = "allow"
"""Options: serial numbers allowed to register; empty accepts any terminal."""
CONF_TIME_ZONE: Final = "time_zone"
"""Options: the zone the terminals' clocks run in (they send local time without an offset)."""
CONF_FRESH_MINUTES: Final = "fresh_minutes"
"""Options: a record older than this is backlog (flushed after a reconnect), not a punch now."""
CONF_BACKLOG_EVENTS: Final = "backlog_events"
"""Options: also fire one ``wac_access`` per backlog record (default: one summary per frame)."""
CONF_TLS_CERT: Final = "tls_certificate"
"""Options: PEM certificate file; with a key, terminals dial ``wss://``."""
CONF_TLS_KEY: Final = "tls_key"
CONF_PATH_SECRET: Final = "path_secret"
"""Options: only WebSocket paths containing this word are accepted (``ws://ip:port/SECRET``)."""
CONF_UNBLOCK: Final = "unblock"
"""Options form only (not stored): blocked terminals to forget, so they can be adopted again."""
CONF_ADOPT_NEW: Final = "adopt_new"
"""Options: adopt every new terminal at once (a lab); otherwise each waits for an operator."""
CONF_DATABASE: Final = "database"
"""Options: a ``postgresql://`` DSN shared with other gateways; empty keeps the entry's own
SQLite file in HA's config directory."""

EVENT_ACCESS: Final = "wac_access"
"""Bus event fired once for every fresh record (and backlog records when asked)."""
EVENT_BACKLOG: Final = "wac_backlog"
"""Bus event fired once per frame of backlog records: how many, from when to when, by type."""
EVENT_TYPE_GRANTED: Final = EventType.ACCESS_GRANTED.value
EVENT_TYPE_DENIED: Final = EventType.ACCESS_DENIED.value
EVENT_TYPES: Final = [t.value for t in EventType]
"""Every event type of the access event entity (the toolkit's EventType)."""

ATTR_SN: Final = "sn"
ATTR_ENROLLID: Final = "enrollid"
ATTR_NAME: Final = "name"
ATTR_VERIFY_MODE: Final = "verify_mode"
ATTR_INOUT: Final = "inout"
ATTR_EVENT_CODE: Final = "event_code"
ATTR_TERMINAL_TIME: Final = "terminal_time"
ATTR_BACKLOG: Final = "backlog"
ATTR_SOURCE: Final = "source"
