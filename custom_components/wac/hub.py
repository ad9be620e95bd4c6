"""The integration's wrapper around one wac-toolkit ``Session`` on Home Assistant's loop.

The Session owns the protocol, the gateway and the store; the hub only turns its events into
Home Assistant things: device-registry entries, dispatcher signals for the entities, bus
events, and repair issues (a clock that is off, a terminal another entry owns).

Records are handled per frame, not per record: the Session's bus delivers the new records of
one ``sendlog`` together, in one pass of the loop, so the hub collects them and handles them
once that pass ends (frames of one terminal delivered in the same pass count as one). After an outage a terminal flushes hundreds of records; that costs one
state write per entity and one ``wac_backlog`` summary per frame instead of one of each per
record (per-record backlog events are an option).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, discovery_flow, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval

from wac_toolkit.clock import ClockSkew, ClockWatch
from wac_toolkit.errors import WacError
from wac_toolkit.events import (
    AccessEvent,
    Event,
    IdentityConflict,
    TerminalConnected,
    TerminalDisconnected,
    TerminalPending,
    TerminalStateChanged,
)
from wac_toolkit.protocol.event_types import door_is_open, event_type
from wac_toolkit.protocol.models import DeviceInfo, LogRecord
from wac_toolkit.session import Session

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
    CONF_ADOPT_NEW,
    CONF_ALLOW,
    CONF_BACKLOG_EVENTS,
    CONF_DATABASE,
    CONF_FRESH_MINUTES,
    CONF_PATH_SECRET,
    CONF_TLS_CERT,
    CONF_TLS_KEY,
    DEFAULT_FRESH_MINUTES,
    DOMAIN,
    ELSEWHERE_INTERVAL,
    EVENT_ACCESS,
    EVENT_BACKLOG,
)
from .pending import PendingCoordinator

__all__ = [
    "TerminalState",
    "WacConfigEntry",
    "WacHub",
    "access_attributes",
    "clock_issue_id",
    "conflict_issue_id",
    "discovery_unique_id",
    "owner_issue_id",
    "store_path",
]

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
    door_open: bool | None = None
    """What the newest door-sensor record said (None: no sensor report yet)."""
    elsewhere: str | None = None
    """The gateway holding the terminal when it is connected to another one (a shared
    PostgreSQL database): reachable, its actions are routed there."""
    door_at: datetime | None = None


def store_path(hass: HomeAssistant, entry_id: str) -> Path:
    """Where an entry's SQLite store lives (inside HA's config directory)."""
    return Path(hass.config.path(".storage", f"{DOMAIN}.{entry_id}.sqlite"))


def clock_issue_id(entry_id: str, sn: str) -> str:
    return f"clock_skew_{entry_id}_{sn}"


def owner_issue_id(entry_id: str, sn: str) -> str:
    return f"terminal_elsewhere_{entry_id}_{sn}"


def conflict_issue_id(entry_id: str, sn: str) -> str:
    return f"identity_conflict_{entry_id}_{sn}"


def discovery_unique_id(entry_id: str, sn: str) -> str:
    """The unique id of the "adopt?" flow of a pending terminal (and of its ignore entry)."""
    return f"{entry_id}_{sn}"


def host_of(remote: str | None) -> str:
    """``192.168.1.40`` of ``192.168.1.40:51234`` (and ``::1`` of ``[::1]:5``)."""
    if not remote:
        return "?"
    host = remote.rsplit(":", 1)[0] if remote.count(":") == 1 or "]" in remote else remote
    return host.strip("[]")


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

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, session: Session) -> None:
        self.hass = hass
        self.entry = entry
        self.session = session
        self.states: dict[str, TerminalState] = {}
        self.clock = ClockWatch(threshold=session.fresh_window)
        """Whose clock is off (a repair issue each; the fix sends ``settime``)."""
        self.backlog_events = bool(entry.options.get(CONF_BACKLOG_EVENTS, False))
        self.pending = PendingCoordinator(hass, entry, session, self.signal_pending)
        """What the roster still has to deliver to each terminal (the pending sensor)."""
        self._frames: dict[str, list[AccessEvent]] = {}
        self._flush_handle: asyncio.Handle | None = None
        self._unsubscribe = session.subscribe(self._on_event)
        self._untrack_elsewhere: Callable[[], None] | None = None
        self._stopped = False
        session.reg_check = self._reg_check

    @classmethod
    async def async_start(cls, hass: HomeAssistant, entry: ConfigEntry, tz: tzinfo) -> WacHub:
        """Open the store (in an executor) and start listening; OSError when the port is taken
        or the TLS files cannot be read."""
        options = {
            "host": entry.data[CONF_HOST],
            "port": entry.data[CONF_PORT],
            "tz": tz,
            "allow": entry.options.get(CONF_ALLOW) or None,
            "fresh_window": 60.0 * entry.options.get(CONF_FRESH_MINUTES, DEFAULT_FRESH_MINUTES),
            "command_timeout": COMMAND_TIMEOUT,
            "path_secret": entry.options.get(CONF_PATH_SECRET) or None,
            "adopt_new": bool(entry.options.get(CONF_ADOPT_NEW, False)),
        }
        db = entry.options.get(CONF_DATABASE) or store_path(hass, entry.entry_id)
        cert, key = entry.options.get(CONF_TLS_CERT), entry.options.get(CONF_TLS_KEY)
        session = await hass.async_add_executor_job(_open, db, options, cert, key)
        hub = cls(hass, entry, session)
        try:
            await session.start()
        except BaseException:
            await hub.async_stop()
            raise
        terminals = [t for t in session.terminals() if t.adopted and hub._owner(t.sn) is None]
        for pending in session.terminals():
            if pending.state == "pending" and pending.info is not None:
                hub._discovered(pending.sn, pending.info, pending.remote)
        for terminal in terminals:
            hub.states[terminal.sn] = TerminalState(terminal.sn, False, terminal.info)
            hub._register_device(terminal.sn, terminal.info)
        recent = await hass.async_add_executor_job(_latest_records, session, list(hub.states))
        for sn, records in recent.items():
            hub._remember(sn, records)
        await hub.pending.async_refresh()
        if session.presence is not None:  # a shared database: other gateways hold terminals
            await hub._async_refresh_elsewhere()
            hub._untrack_elsewhere = async_track_time_interval(
                hass, hub._async_refresh_elsewhere, ELSEWHERE_INTERVAL
            )
        return hub

    async def async_stop(self, *_: Any) -> None:
        """Close every terminal connection, release the port, and close the store."""
        if self._stopped:
            return
        self._stopped = True
        self._unsubscribe()
        if self._untrack_elsewhere is not None:
            self._untrack_elsewhere()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        await self.pending.async_shutdown()
        await self.session.stop()

    async def _async_refresh_elsewhere(self, *_: Any) -> None:
        """Which terminals other gateways hold now: their entities are available and their
        actions go through the database (the leases lapse within a minute of a loss)."""
        try:
            held = await self.hass.async_add_executor_job(self.session.held_elsewhere)
        except WacError as err:
            _LOGGER.warning("cannot read which gateway holds which terminal: %s", err)
            return
        for sn, state in list(self.states.items()):
            if state.elsewhere != held.get(sn):
                self.states[sn] = replace(state, elsewhere=held.get(sn))
                async_dispatcher_send(self.hass, self.signal_update(sn))

    async def async_forget(self, sn: str) -> None:
        """The user deleted the terminal's device: forget it in the store as well, so it does
        not come back on the next start (it does when it connects again)."""
        self.states.pop(sn, None)
        self.clock.reset(sn)
        ir.async_delete_issue(self.hass, DOMAIN, clock_issue_id(self.entry.entry_id, sn))
        await self.session.forget(sn)

    async def async_set_clock(self, sn: str) -> None:
        """Send ``settime`` (the terminals' wall time now) and clear the clock verdict."""
        await self.session.set_time(sn)
        self.clock.reset(sn)

    # -- signals ------------------------------------------------------------------------------

    @property
    def signal_new(self) -> str:
        """Dispatcher signal: a terminal registered for the first time (arg: sn)."""
        return f"{DOMAIN}_{self.entry.entry_id}_new"

    @property
    def signal_new_door(self) -> str:
        """Dispatcher signal: a terminal reported its door sensor for the first time (arg: sn)."""
        return f"{DOMAIN}_{self.entry.entry_id}_new_door"

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

    # -- devices ------------------------------------------------------------------------------

    @callback
    def _owner(self, sn: str) -> str | None:
        """The title of another wac entry that owns ``sn``'s device, or None."""
        device = dr.async_get(self.hass).async_get_device(identifiers={(DOMAIN, sn)})
        if device is None or self.entry.entry_id in device.config_entries:
            return None
        for entry_id in device.config_entries:
            other = self.hass.config_entries.async_get_entry(entry_id)
            if other is not None and other.domain == DOMAIN:
                return other.title
        return None

    @callback
    def _reg_check(self, info: DeviceInfo) -> str | None:
        """Refuse a terminal whose device another entry owns (one owner per terminal: two
        entries would make two sets of entities with the same unique ids)."""
        owner = self._owner(info.sn)
        issue_id = owner_issue_id(self.entry.entry_id, info.sn)
        if owner is None:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return None
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="terminal_elsewhere",
            translation_placeholders={"sn": info.sn, "owner": owner, "entry": self.entry.title},
        )
        return "served by another listener"

    @callback
    def _register_device(self, sn: str, info: DeviceInfo | None) -> None:
        # Keyed by serial number only: clone firmware reports the same MAC on many terminals,
        # and the registry would merge devices sharing a connection.
        dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.entry.entry_id,
            identifiers={(DOMAIN, sn)},
            manufacturer=info.manufacturer if info else None,
            model=info.modelname if info else None,
            sw_version=info.firmware if info else None,
            serial_number=sn,
            name=f"{info.modelname or 'Terminal'} {sn}" if info else f"Terminal {sn}",
        )

    # -- records ------------------------------------------------------------------------------

    @callback
    def _remember(self, sn: str, records: list[LogRecord]) -> bool:
        """Keep the newest record's time, the newest granted record's user, and the newest
        door-sensor report; True when the terminal reported its door for the first time."""
        state = self.states.get(sn, TerminalState(sn))
        tz = self.session.tz
        had_door = state.door_at is not None
        newest = granted = door = None
        for record in records:
            moment = record.datetime
            if moment is None:
                continue
            if newest is None or moment >= newest[0]:
                newest = (moment, record)
            if record.granted and (granted is None or moment >= granted[0]):
                granted = (moment, record)
            if door_is_open(record) is not None and (door is None or moment >= door[0]):
                door = (moment, record)
        if newest is not None:
            moment = newest[0].replace(tzinfo=tz)
            if state.last_access is None or moment >= state.last_access:
                state = replace(state, last_access=moment)
        if granted is not None:
            moment = granted[0].replace(tzinfo=tz)
            user_time = state.last_user.get(ATTR_TERMINAL_TIME) if state.last_user else None
            if not isinstance(user_time, str) or moment >= datetime.fromisoformat(user_time):
                state = replace(state, last_user=access_attributes(granted[1], tz))
        if door is not None:
            moment = door[0].replace(tzinfo=tz)
            if state.door_at is None or moment >= state.door_at:
                state = replace(state, door_open=door_is_open(door[1]), door_at=moment)
        self.states[sn] = state
        return not had_door and state.door_at is not None

    @callback
    def _on_event(self, event: Event) -> None:
        if isinstance(event, AccessEvent):
            self._frames.setdefault(event.sn, []).append(event)
            if self._flush_handle is None:
                # the rest of this frame's records are published in this same loop pass
                self._flush_handle = self.hass.loop.call_soon(self._flush)
        elif isinstance(event, TerminalConnected):
            self._on_connected(event)
        elif isinstance(event, TerminalDisconnected):
            self._on_disconnected(event)
        elif isinstance(event, TerminalPending):
            self._discovered(event.sn, event.info, event.remote)
        elif isinstance(event, TerminalStateChanged):
            self._on_state_changed(event)
        elif isinstance(event, IdentityConflict):
            self._on_conflict(event)

    # -- trust --------------------------------------------------------------------------------

    @callback
    def _discovered(self, sn: str, info: DeviceInfo, remote: str | None) -> None:
        """A pending terminal: offer it as a discovered device ("adopt?") in the UI."""
        discovery_flow.async_create_flow(
            self.hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={
                "entry_id": self.entry.entry_id,
                "sn": sn,
                "model": info.modelname or "Terminal",
                "host": host_of(remote),
            },
        )

    @callback
    def _end_discovery(self, sn: str) -> None:
        """The terminal is no longer pending: its "adopt?" flow has nothing left to ask.

        Deferred to the next loop pass: when the flow itself adopted the terminal, it is
        still running its step now and ends by itself.
        """
        self.hass.loop.call_soon(self._abort_discovery, sn)

    @callback
    def _abort_discovery(self, sn: str) -> None:
        unique_id = discovery_unique_id(self.entry.entry_id, sn)
        flows = self.hass.config_entries.flow
        for flow in flows.async_progress_by_handler(DOMAIN, match_context={"unique_id": unique_id}):
            flows.async_abort(flow["flow_id"])

    @callback
    def _on_state_changed(self, event: TerminalStateChanged) -> None:
        if event.state != "pending":
            self._end_discovery(event.sn)
        if event.state is None and event.sn in self.states:  # forgotten by another face
            self.states.pop(event.sn)
            device = dr.async_get(self.hass).async_get_device(identifiers={(DOMAIN, event.sn)})
            if device is not None:
                dr.async_get(self.hass).async_update_device(
                    device.id, remove_config_entry_id=self.entry.entry_id
                )

    @callback
    def _on_conflict(self, event: IdentityConflict) -> None:
        """Another device claimed an adopted serial with another identity: it was refused;
        tell the user, since it is either an impostor or replaced hardware."""
        pinned, claimed = event.pinned, event.claimed
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            conflict_issue_id(self.entry.entry_id, event.sn),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="identity_conflict",
            translation_placeholders={
                "sn": event.sn,
                "host": host_of(event.remote),
                "pinned": _identity_text(pinned),
                "claimed": _identity_text(claimed),
            },
        )

    @callback
    def _on_connected(self, event: TerminalConnected) -> None:
        known = event.sn in self.states
        previous = self.states.get(event.sn, TerminalState(event.sn))
        self.states[event.sn] = replace(previous, online=True, info=event.info)
        self._register_device(event.sn, event.info)
        if not known:
            async_dispatcher_send(self.hass, self.signal_new, event.sn)
        _LOGGER.info("terminal %s connected", event.sn)
        before = self.clock.skew(event.sn)
        after = self.clock.observe_reg(event.sn, event.info.time, self.session.now_local())
        self._clock_changed(event.sn, before, after)
        async_dispatcher_send(self.hass, self.signal_update(event.sn))

    @callback
    def _on_disconnected(self, event: TerminalDisconnected) -> None:
        if event.sn not in self.states:
            return
        self.states[event.sn] = replace(self.states[event.sn], online=False)
        _LOGGER.info("terminal %s disconnected", event.sn)
        async_dispatcher_send(self.hass, self.signal_update(event.sn))

    @callback
    def _flush(self) -> None:
        """Handle the records of the frames that arrived in the last loop pass."""
        self._flush_handle = None
        frames, self._frames = self._frames, {}
        for sn, events in frames.items():
            if sn not in self.states:  # forgotten meanwhile
                continue
            self._on_frame(sn, events)

    @callback
    def _on_frame(self, sn: str, events: list[AccessEvent]) -> None:
        device_id = self.device_id(sn)
        tz = self.session.tz
        backlog: list[AccessEvent] = []
        for event in events:
            if event.backlog:
                backlog.append(event)
                if not self.backlog_events:
                    continue
            kind = event_type(event.record)
            attributes = access_attributes(event.record, tz)
            self.hass.bus.async_fire(
                EVENT_ACCESS,
                {
                    "device_id": device_id,
                    ATTR_SN: sn,
                    "event_type": kind.value,
                    **attributes,
                    ATTR_BACKLOG: event.backlog,
                    ATTR_SOURCE: event.source,
                },
            )
            if not event.backlog:
                async_dispatcher_send(self.hass, self.signal_access(sn), kind.value, attributes)
        if backlog:
            times = sorted(e.record.time for e in backlog)
            self.hass.bus.async_fire(
                EVENT_BACKLOG,
                {
                    "device_id": device_id,
                    ATTR_SN: sn,
                    "count": len(backlog),
                    "first_time": times[0],
                    "last_time": times[-1],
                    "event_types": dict(Counter(e.kind.value for e in backlog)),
                    ATTR_SOURCE: backlog[-1].source,
                },
            )
        if self._remember(sn, [e.record for e in events]):
            async_dispatcher_send(self.hass, self.signal_new_door, sn)
        if any(e.source == "sendlog" for e in events):
            before = self.clock.skew(sn)
            after = self.clock.observe_records(
                sn, (e.record.datetime for e in events), self.session.now_local()
            )
            self._clock_changed(sn, before, after)
        async_dispatcher_send(self.hass, self.signal_update(sn))

    # -- clock --------------------------------------------------------------------------------

    @callback
    def _clock_changed(self, sn: str, before: ClockSkew | None, after: ClockSkew | None) -> None:
        issue_id = clock_issue_id(self.entry.entry_id, sn)
        if after is None:
            if before is not None:
                _LOGGER.info("terminal %s: clock right again", sn)
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        if before is not None and abs(before.offset - after.offset) < timedelta(minutes=1):
            return
        _LOGGER.warning("terminal %s: clock %s (from its %s)", sn, after.describe(), after.source)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="clock_zone" if after.looks_like_zone else "clock_skew",
            translation_placeholders={"sn": sn, "offset": after.describe()},
            data={"entry_id": self.entry.entry_id, "sn": sn},
        )


def _identity_text(identity: dict[str, str]) -> str:
    """Model and MAC as a person compares them (the cpusn is long and says nothing more)."""
    parts = [identity.get("modelname"), identity.get("mac")]
    return ", ".join(p for p in parts if p) or "nothing"


def _open(db: Path | str, options: dict[str, Any], cert: str | None, key: str | None) -> Session:
    """The Session (its store is opened when it is built, so this runs in an executor):
    the entry's SQLite file, or a PostgreSQL database shared with other gateways."""
    if isinstance(db, Path):
        db.parent.mkdir(parents=True, exist_ok=True)
    if cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key or None)
        options = {**options, "ssl": context}
    return Session(db=db, **options)


def _latest_records(session: Session, sns: list[str]) -> dict[str, list[LogRecord]]:
    return {sn: session.latest_records(sn) for sn in sns}
