"""The integration's wrapper around one wac-toolkit ``Session`` on Home Assistant's loop.

The Session owns the protocol, the gateway and the SQLite store; the hub only turns its
events into Home Assistant things: device-registry entries, dispatcher signals for the
entities, and one ``wac_access`` bus event per stored record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send

from wac_toolkit.events import AccessEvent, Event, TerminalConnected, TerminalDisconnected
from wac_toolkit.protocol.models import DeviceInfo, LogRecord
from wac_toolkit.session import Session
from wac_toolkit.store.sqlite import SQLiteStore

from .const import (
    ATTR_BACKLOG,
    ATTR_ENROLLID,
    ATTR_EVENT_CODE,
    ATTR_INOUT,
    ATTR_NAME,
    ATTR_SN,
    ATTR_SOURCE,
    ATTR_TERMINAL_TIME,
    ATTR_VERIFY_MODE,
    COMMAND_TIMEOUT,
    CONF_ALLOW,
    CONF_FRESH_MINUTES,
    DEFAULT_FRESH_MINUTES,
    DOMAIN,
    EVENT_ACCESS,
    EVENT_TYPE_DENIED,
    EVENT_TYPE_GRANTED,
    MANUFACTURER,
)
from .pending import PendingTracker

__all__ = ["TerminalState", "WacConfigEntry", "WacHub", "access_attributes", "store_path"]

_LOGGER = logging.getLogger(__name__)

type WacConfigEntry = ConfigEntry[WacHub]


@dataclass(frozen=True, slots=True)
class TerminalState:
    """What the entities of one terminal show."""

    sn: str
    online: bool = False
    info: DeviceInfo | None = None
    last_user: dict[str, Any] | None = None
    """Attributes of the newest granted record."""
    last_access: datetime | None = None
    """Terminal time (aware) of the newest record, granted or not."""


def store_path(hass: HomeAssistant, entry_id: str) -> Path:
    """Where an entry's SQLite store lives (inside HA's config directory)."""
    return Path(hass.config.path(".storage", f"{DOMAIN}.{entry_id}.sqlite"))


def access_attributes(record: LogRecord, tz: tzinfo) -> dict[str, Any]:
    """Event attributes of a record; never the photo, template, PIN or card."""
    moment = record.datetime
    return {
        ATTR_ENROLLID: record.enrollid,
        ATTR_NAME: record.name,
        ATTR_VERIFY_MODE: record.mode.label if record.mode is not None else None,
        ATTR_INOUT: record.inout,
        ATTR_EVENT_CODE: record.event,
        ATTR_TERMINAL_TIME: moment.replace(tzinfo=tz).isoformat() if moment else record.time,
    }


class WacHub:
    """Runs the entry's Session and fans its events out to Home Assistant."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, session: Session, store: SQLiteStore
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.session = session
        self.store = store
        self.states: dict[str, TerminalState] = {}
        self.pending = PendingTracker(hass, session.roster, self.signal_pending)
        """What the roster still has to deliver to each terminal (the pending sensor)."""
        self._unsubscribe = session.subscribe(self._on_event)
        self._stopped = False

    @classmethod
    async def async_start(cls, hass: HomeAssistant, entry: ConfigEntry, tz: tzinfo) -> WacHub:
        """Open the store (in an executor) and start listening; OSError when the port is taken."""
        path = store_path(hass, entry.entry_id)
        options = {
            "host": entry.data[CONF_HOST],
            "port": entry.data[CONF_PORT],
            "tz": tz,
            "allow": entry.options.get(CONF_ALLOW) or None,
            "fresh_window": 60.0 * entry.options.get(CONF_FRESH_MINUTES, DEFAULT_FRESH_MINUTES),
            "command_timeout": COMMAND_TIMEOUT,
        }
        store, session = await hass.async_add_executor_job(_open, path, options)
        hub = cls(hass, entry, session, store)
        try:
            await session.start()
        except BaseException:
            await hub.async_stop()
            raise
        for terminal in session.terminals():
            hub.states[terminal.sn] = TerminalState(terminal.sn, False, terminal.info)
            hub._register_device(terminal.sn, terminal.info)
        recent = await hass.async_add_executor_job(_latest_records, store, list(hub.states))
        for sn, records in recent.items():
            for record in records:
                hub._remember(sn, record, access_attributes(record, session.tz))
        await hub.pending.async_refresh()
        return hub

    async def async_stop(self, *_: Any) -> None:
        """Close every terminal connection, release the port, and close the store."""
        if self._stopped:
            return
        self._stopped = True
        self._unsubscribe()
        try:
            await self.pending.async_stop()
            await self.session.stop()
        finally:
            await self.hass.async_add_executor_job(self.store.close)

    @property
    def signal_new(self) -> str:
        """Dispatcher signal: a terminal registered for the first time (arg: sn)."""
        return f"{DOMAIN}_{self.entry.entry_id}_new"

    def signal_update(self, sn: str) -> str:
        """Dispatcher signal: the state of terminal ``sn`` changed."""
        return f"{DOMAIN}_{self.entry.entry_id}_update_{sn}"

    def signal_pending(self, sn: str) -> str:
        """Dispatcher signal: the roster's queue for terminal ``sn`` changed."""
        return f"{DOMAIN}_{self.entry.entry_id}_pending_{sn}"

    def signal_access(self, sn: str) -> str:
        """Dispatcher signal: a fresh record from ``sn`` (args: event type, attributes)."""
        return f"{DOMAIN}_{self.entry.entry_id}_access_{sn}"

    def device_id(self, sn: str) -> str | None:
        device = dr.async_get(self.hass).async_get_device(identifiers={(DOMAIN, sn)})
        return device.id if device else None

    @callback
    def _register_device(self, sn: str, info: DeviceInfo | None) -> None:
        # Keyed by serial number only: clone firmware reports the same MAC on many terminals,
        # and the registry would merge devices sharing a connection.
        dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.entry.entry_id,
            identifiers={(DOMAIN, sn)},
            manufacturer=MANUFACTURER,
            model=info.modelname if info else None,
            sw_version=info.firmware if info else None,
            serial_number=sn,
            name=f"{info.modelname or 'Terminal'} {sn}" if info else f"Terminal {sn}",
        )

    @callback
    def _remember(self, sn: str, record: LogRecord, attributes: dict[str, Any]) -> None:
        """Keep the newest record's time, and the newest granted record's user."""
        state = self.states.get(sn, TerminalState(sn))
        moment = record.datetime
        if moment is not None:
            moment = moment.replace(tzinfo=self.session.tz)
            if state.last_access is None or moment >= state.last_access:
                state = replace(state, last_access=moment)
                if record.granted:
                    state = replace(state, last_user=attributes)
        self.states[sn] = state

    @callback
    def _on_event(self, event: Event) -> None:
        if isinstance(event, TerminalConnected):
            self._on_connected(event)
        elif isinstance(event, TerminalDisconnected):
            self._on_disconnected(event)
        elif isinstance(event, AccessEvent):
            self._on_access(event)

    @callback
    def _on_connected(self, event: TerminalConnected) -> None:
        known = event.sn in self.states
        previous = self.states.get(event.sn, TerminalState(event.sn))
        self.states[event.sn] = replace(previous, online=True, info=event.info)
        self._register_device(event.sn, event.info)
        if not known:
            async_dispatcher_send(self.hass, self.signal_new, event.sn)
        _LOGGER.info("terminal %s connected", event.sn)
        async_dispatcher_send(self.hass, self.signal_update(event.sn))

    @callback
    def _on_disconnected(self, event: TerminalDisconnected) -> None:
        if event.sn not in self.states:
            return
        self.states[event.sn] = replace(self.states[event.sn], online=False)
        _LOGGER.info("terminal %s disconnected", event.sn)
        async_dispatcher_send(self.hass, self.signal_update(event.sn))

    @callback
    def _on_access(self, event: AccessEvent) -> None:
        record = event.record
        attributes = access_attributes(record, self.session.tz)
        event_type = EVENT_TYPE_GRANTED if record.granted else EVENT_TYPE_DENIED
        self.hass.bus.async_fire(
            EVENT_ACCESS,
            {
                "device_id": self.device_id(event.sn),
                ATTR_SN: event.sn,
                "event_type": event_type,
                **attributes,
                ATTR_BACKLOG: event.backlog,
                ATTR_SOURCE: event.source,
            },
        )
        self._remember(event.sn, record, attributes)
        if not event.backlog:
            async_dispatcher_send(self.hass, self.signal_access(event.sn), event_type, attributes)
        async_dispatcher_send(self.hass, self.signal_update(event.sn))


def _open(path: Path, options: dict[str, Any]) -> tuple[SQLiteStore, Session]:
    """Store and Session; both touch the database when built, so this runs in an executor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(path)
    try:
        return store, Session(store=store, **options)
    except BaseException:
        store.close()
        raise


def _latest_records(store: SQLiteStore, sns: list[str]) -> dict[str, list[LogRecord]]:
    return {sn: store.latest_records(sn) for sn in sns}
