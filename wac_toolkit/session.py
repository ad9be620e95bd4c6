"""``Session``: one gateway, one store and one event stream. Every face uses it.

The Session runs on whatever event loop starts it: the CLI's, Home Assistant's, or the
background thread of :class:`~wac_toolkit.sync.SessionSync` (notebooks and scripts).
"""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from . import access, bounds, layers
from .access import AccessDecision, AccessPolicy, on_sendpin, on_sendqrcode
from .bus import EventBus
from .errors import FrameError, StoreError, WacError
from .events import (
    Event,
    TerminalConnected,
    TerminalDisconnected,
    TerminalPending,
)
from .ingest import IngestPipeline
from .net.gateway import Gateway
from .net.peer import Peer
from .presence import Presence
from .protocol.handlers import REG_INVALID, ack, fail, reg_reply
from .protocol.models import BackupNum, DeviceInfo, LogRecord, UserCredential
from .quarantine import Quarantined
from .registry import Registry, Terminal, TerminalState
from .session_commands import SessionCommands
from .store import open_store
from .store.base import LogQuery
from .transport import CommandTransport
from .trust import SessionTrust, must_store_first

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AccessDecision", "AccessPolicy", "Session", "Terminal", "resolve_tz"]

log = logging.getLogger(__name__)


def resolve_tz(tz: str | tzinfo | None) -> tzinfo:
    """A zone from a name (``"Europe/Berlin"``), a tzinfo, or None for the host's zone."""
    if tz is None:
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    if isinstance(tz, str):
        return ZoneInfo(tz)
    return tz


class Session(SessionCommands, SessionTrust):
    """The toolkit's one entry point.

    Args:
        db: SQLite file (``":memory:"`` for a throwaway store) or a ``postgresql://`` DSN
            (:func:`~wac_toolkit.store.open_store`); ignored when ``store`` is given.
        host, port: where terminals dial in; port 0 lets the OS choose.
        tz: the terminals' time zone (name or tzinfo; default the host's). ``cloudtime`` is sent
            in it and log times are read in it.
        allow: serial numbers allowed to register; None accepts any terminal.
        adopt_new: adopt every new serial at its first ``reg`` (labs, demos, tests). Off by
            default: a new serial is pending until :meth:`adopt` (see :mod:`.registry`).
        max_pending: pending terminals kept; the one seen longest ago is forgotten.
        nosenduser: sent in the ``reg`` reply when not None (True asks terminals not to push
            keypad enrolments; some firmware reads it inverted, PROTOCOL.md 4.1).
        command_timeout: seconds to wait for a terminal's reply.
        fresh_window: records older than this (seconds) are flagged ``backlog``.
        access_policy: decides ``sendqrcode``/``sendpin`` and server-verification ``sendlog``;
            None: the roster decides (:func:`~wac_toolkit.access.roster_decision`).
        grant_all: with no ``access_policy``, grant every ``sendpin``/``sendqrcode`` (labs).
        server_mode: terminals whose ``sendlog`` asks to open (server verification): True for
            all, or their serial numbers; their single-record ``sendlog`` gets ``access``.
        reg_check: ``reg_check(info)`` returns a reason to refuse a terminal at ``reg`` (shown
            on its screen), or None to go on; e.g. Home Assistant refuses a terminal another
            of its listeners already owns.
        store: a store object to use instead of a SQLite file.
        listen: False for a Session that serves no terminals (a script, a notebook, ``wac
            open-door --db postgresql://...``): nothing listens, and on a PostgreSQL store
            its commands go through the database to whichever gateway holds each terminal.
        gateway_options: anything else :class:`~wac_toolkit.net.gateway.Gateway` takes.
    """

    roster: Any
    """People and their durable sync to terminals (:class:`wac_toolkit.roster.Roster`),
    attached at construction by the package entry (:mod:`wac_toolkit.layers`). Typed ``Any``
    here because the Session must not import the layer above it."""

    typed_sendlog = True
    """The ingest pipeline reads batches with ``read_sendlog``: the gateway may hand it
    ``sendlog`` frames already read into values (:mod:`wac_toolkit.protocol.typed`)."""

    def __init__(
        self,
        db: str | Path = "wac.sqlite",
        host: str = "127.0.0.1",
        port: int = 7788,
        *,
        tz: str | tzinfo | None = None,
        allow: Iterable[str] | None = None,
        adopt_new: bool = False,
        max_pending: int = 1000,
        nosenduser: bool | None = None,
        command_timeout: float = 20.0,
        reg_timeout: float = 15.0,
        fresh_window: float = 300.0,
        access_policy: AccessPolicy | None = None,
        grant_all: bool = False,
        server_mode: bool | Iterable[str] = False,
        store: Any = None,
        synchronous: str = "FULL",
        ssl: ssl_module.SSLContext | None = None,
        path_secret: str | None = None,
        reg_check: Callable[[DeviceInfo], str | None] | None = None,
        listen: bool = True,
        **gateway_options: Any,
    ) -> None:
        self.tz = resolve_tz(tz)
        self.allow = set(allow) if allow is not None else None
        self.adopt_new = adopt_new
        self.reg_check = reg_check
        self.nosenduser = nosenduser
        self.fresh_window = timedelta(seconds=fresh_window)
        self.access_policy = access_policy if access_policy or not grant_all else access.grant_all
        self.server_mode: bool | set[str] = (
            server_mode if isinstance(server_mode, bool) else set(server_mode)
        )
        self.store = store if store is not None else open_store(db, synchronous=synchronous)
        self._owns_store = store is None
        self.gateway = Gateway(
            self,
            host=host,
            port=port,
            command_timeout=command_timeout,
            reg_timeout=reg_timeout,
            ssl=ssl,
            path_secret=path_secret,
            **gateway_options,
        )
        self.registry = Registry(max_pending=max_pending)
        """Every known terminal: state (pending/adopted/blocked), pinned identity, presence."""
        self._announced: set[str] = set()
        """Serials whose TerminalConnected was published for their current connection."""
        self.bus = EventBus()
        """Subscribers and delivery on the loop (:mod:`wac_toolkit.bus`)."""
        self.ingestion = IngestPipeline(self)
        """decode -> bounds -> store -> ack -> events (:mod:`wac_toolkit.ingest`)."""
        self._later: set[asyncio.Task[Any]] = set()
        """Store writes nobody waits for (a reconnect's presence); awaited by :meth:`stop`."""
        self._started = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.command_hooks: list[Callable[[str, str, dict[str, Any]], Awaitable[None]]] = []
        """Awaited as ``hook(sn, cmd, fields)`` after a terminal accepted a command and the
        store recorded its effect, in the sender's task: how layers above (the roster's
        drift) learn of direct commands without the Session knowing them."""
        self.listen = listen
        shared = listen and hasattr(self.store, "claim_terminal")
        self.presence = Presence(self) if shared else None
        """Leases on terminals in a shared store (PostgreSQL): :mod:`wac_toolkit.presence`."""
        self.transport = CommandTransport(self)
        """Commands to a local connection or through the store (:mod:`wac_toolkit.transport`)."""
        self.layers = layers.attach(self)
        """Parts above the Session, by name, each also an attribute (``self.roster``: people
        and their durable sync to terminals, :mod:`wac_toolkit.roster`). The Session does not
        import them: the package entry registers them (:mod:`wac_toolkit.layers`)."""
        for name, layer in self.layers.items():
            setattr(self, name, layer)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> Session:
        """Load known terminals and start listening; raises OSError when the port is taken."""
        if self._started:
            return self
        self.loop = asyncio.get_running_loop()
        self.bus.attach(self.loop)
        await self.load()
        try:
            if self.listen:
                await self.gateway.start()
        except OSError:
            if self._owns_store:
                await self.loop.run_in_executor(None, self.store.close)
            raise
        self._started = True
        if self.presence is not None:
            await self.presence.start()
        if self.listen:
            log.info("listening on %s", self.url)
        return self

    async def load(self) -> None:
        """Read the terminals the store knows (``start`` does it; tools that change terminal
        states on a store file without serving call it themselves)."""
        loop = asyncio.get_running_loop()
        for row in await loop.run_in_executor(None, self.store.devices):
            self.registry.load(row, _device_info(row))

    async def stop(self) -> None:
        """Close every terminal connection, stop listening, and flush the store."""
        for layer in reversed(self.layers.values()):
            await layer.stop()
        if self.presence is not None and self._started:
            await self.presence.stop()
        await self.transport.close()
        if self._started:
            await self.gateway.stop()
            self._started = False
        await self.ingestion.wait()
        if self._later:
            await asyncio.wait(list(self._later))
        await self.bus.close()
        if self._owns_store:
            await asyncio.get_running_loop().run_in_executor(None, self.store.close)

    async def __aenter__(self) -> Session:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self.gateway.port

    @property
    def url(self) -> str:
        """Where a terminal (or a virtual one) should connect."""
        return self.gateway.url

    # -- what is known ------------------------------------------------------------------------

    def terminals(self) -> list[Terminal]:
        """Every known terminal: online ones first, then by serial number."""
        return sorted(self.registry.all(), key=lambda t: (not t.online, t.sn))

    def terminal(self, sn: str) -> Terminal | None:
        return self.registry.get(sn)

    def held_elsewhere(self) -> dict[str, str]:
        """Terminals connected to another gateway on a shared store, each with the gateway
        that holds it (blocking: reads the presence leases). Empty on a store of one: a
        face shows these as reachable, and commands to them are routed there."""
        if not self.transport.shared:
            return {}
        mine = self.presence.gateway if self.presence is not None else None  # listen=False
        return {sn: gw for sn, gw in self.store.holders().items() if gw != mine}

    def latest_records(self, sn: str, limit: int = 200) -> list[LogRecord]:
        """The newest stored records of ``sn``, oldest first (blocking: reads the store).

        What a dashboard shows again after a restart, before the terminal reconnects.
        """
        return list(self.store.latest_records(sn, limit))

    def credentials(self, sn: str) -> list[UserCredential]:
        """The credentials stored for ``sn`` (blocking: reads the store)."""
        return list(self.store.credentials(sn))

    def now_local(self) -> datetime:
        """The terminals' wall time now (naive), as ``cloudtime`` carries it."""
        return datetime.now(self.tz).replace(tzinfo=None, microsecond=0)

    def logs(
        self,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        sn: str | Iterable[str] | None = None,
        enrollid: int | Iterable[int] | None = None,
        include_pending: bool = False,
    ) -> pd.DataFrame:
        """Stored logs as a typed DataFrame (schema in :mod:`wac_toolkit.dataframe`).

        ``since``/``until`` are terminal-local times (``until`` exclusive); strings such as
        ``"2025-08-01"`` are accepted. Records from terminals pending adoption are left out
        unless ``include_pending``. This reads the database: from an event loop use
        :meth:`logs_async`.
        """
        from .dataframe import arrow_logs_frame, logs_frame

        query = LogQuery(
            since=_as_datetime(since),
            until=_as_datetime(until),
            sn=sn if sn is None or isinstance(sn, str) else tuple(sn),
            enrollid=enrollid if enrollid is None or isinstance(enrollid, int) else tuple(enrollid),
            include_pending=include_pending,
        )
        if hasattr(self.store, "fetch_logs_arrow"):  # columns straight from the database
            try:
                columns = self.store.fetch_logs_arrow(query)
                if columns:
                    return arrow_logs_frame(columns, self.tz)
            except (ImportError, ValueError, TypeError, OverflowError):
                pass  # no pyarrow, or values it will not type: the row path below
        return logs_frame(self.store.fetch_logs(query), self.tz)

    async def logs_async(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """:meth:`logs` in an executor, for callers on an event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: self.logs(*args, **kwargs))

    def quarantined(self, sn: str | None = None, limit: int | None = None) -> list[Quarantined]:
        """What terminals sent that could not be read (newest first); the frames that carried
        them were acknowledged once the readable part was stored (:mod:`.quarantine`)."""
        return [Quarantined(**row) for row in self.store.quarantined(sn, limit)]

    def quarantine_count(self) -> int:
        """How many items are in quarantine (a number for dashboards and diagnostics)."""
        return int(self.store.quarantine_count())

    # -- events -------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], Any], *kinds: type) -> Callable[[], None]:
        """Call ``callback(event)`` on the session's loop for every event (or only for events
        of the given ``kinds``); returns unsubscribe. Safe to call from any thread.

        Callbacks must not block. A coroutine function is scheduled as a task the session
        owns. Name the kinds when you do not need every access record: the ingest path then
        does less per record. Events come after the terminal got its reply.
        """
        return self.bus.subscribe(callback, *kinds)

    async def events(self, maxsize: int = 10_000) -> AsyncIterator[Event]:
        """``async for event in session.events()``; the oldest events drop if you fall behind."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)

        def put(event: Event) -> None:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

        unsubscribe = self.subscribe(put)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    def publish(self, event: object) -> None:
        """Queue ``event`` for every subscriber (delivered on the loop, after this step)."""
        self.bus.publish(event)

    # -- commands -----------------------------------------------------------------------------

    async def command(
        self,
        sn: str,
        cmd: str,
        fields: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        expect_reply: bool = True,
    ) -> dict[str, Any]:
        """Send any command to a connected terminal and return its reply.

        With a PostgreSQL store, a terminal connected to another gateway is reached through
        the database (:mod:`wac_toolkit.transport`).

        Raises:
            TerminalOffline: ``sn`` is not connected (at once, no waiting).
            TerminalNotAdopted: ``sn`` is pending adoption or blocked.
            DeviceError: the terminal answered ``result: false``.
            CommandTimeout: it did not answer in time.
        """
        transport: CommandTransport = self.transport
        return await transport.send(sn, cmd, fields, timeout=timeout, expect_reply=expect_reply)

    async def set_user_info(
        self,
        sn: str,
        enrollid: int,
        name: str,
        backupnum: int,
        record: str | int | None,
        admin: int = 0,
    ) -> dict[str, Any]:
        """Create or update one credential slot of a user on a terminal (``setuserinfo``).

        Like the generated command methods, the stored copy of the terminal's credentials is
        updated after the terminal accepted; if the store cannot write, that is logged and the
        terminal's answer is still returned (the terminal did it).
        """
        credential = UserCredential(
            enrollid=int(enrollid),
            backupnum=BackupNum(int(backupnum)),
            record=record,
            name=name,
            admin=int(admin),
        )
        reply: dict[str, Any] = await self._terminal_request(
            sn, "setuserinfo", credential.to_wire()
        )
        return reply

    async def delete_user(self, sn: str, enrollid: int, backupnum: int = 13) -> dict[str, Any]:
        """Delete a credential slot (``backupnum`` 13, the default, deletes the whole user)."""
        reply: dict[str, Any] = await self._terminal_request(
            sn, "deleteuser", {"enrollid": int(enrollid), "backupnum": int(backupnum)}
        )
        return reply

    async def ingest(
        self,
        sn: str,
        records: Iterable[LogRecord],
        *,
        logindex: int | None,
        source: str,
        pending: bool | None = None,
    ) -> int:
        """Store records from ``sn`` and publish an :class:`AccessEvent` for each new one.

        Records from a terminal not adopted are stored flagged ``pending`` and publish
        nothing: a device claiming a serial must not drive door automations.

        The events follow what the store committed: a caller cancelled while the write is
        under way (its connection dropped) does not lose them, and the terminal's re-send
        is deduplicated, so this is the only chance to publish them.
        """
        return await self.ingestion.ingest(
            sn, records, logindex=logindex, source=source, pending=pending
        )

    # -- GatewayHandler -----------------------------------------------------------------------

    async def on_register(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
        try:
            info = DeviceInfo.from_reg(frame)
        except FrameError as exc:
            log.warning("refused a reg from %s: %s", peer.remote, exc)
            return fail(
                "reg", REG_INVALID
            )  # shown on the terminal's screen: words, not parser text
        checked, problem = bounds.check_reg(info)
        if checked is None:
            log.warning("refused a reg from %s: %s", peer.remote, problem)
            return fail("reg", problem)
        info = checked
        if self.allow is not None and info.sn not in self.allow:
            log.warning("refused terminal %s from %s: not in the allow-list", info.sn, peer.remote)
            return fail("reg", "terminal not allowed")
        if self.reg_check is not None and (reason := self.reg_check(info)) is not None:
            log.warning("refused terminal %s from %s: %s", info.sn, peer.remote, reason)
            return fail("reg", reason)
        if self.presence is not None:  # a shared store: another process may have decided
            try:
                await self.sync_states([info.sn])
            except StoreError as exc:
                log.warning("terminal %s: state not read from the store: %s", info.sn, exc)
        now = datetime.now(UTC)
        known = self.registry.get(info.sn)
        terminal = await self._admit(peer, info, now)
        if isinstance(terminal, str):
            return fail("reg", terminal)
        peer.sn = info.sn
        write = self.store.save_device(
            info, peer.remote, now, state=str(terminal.state), identity=terminal.identity
        )
        if must_store_first(known, terminal):
            try:
                await write
            except StoreError as exc:
                log.error("cannot record terminal %s: %s", info.sn, exc)
        else:  # only presence changed (last_seen, remote, counters): no need to wait for it
            self._write_later(write, f"cannot record terminal {info.sn}")
        return reg_reply(self.now_local(), nosenduser=self.nosenduser)

    def _write_later(self, write: Any, failure: str) -> None:
        """Queue a store write nobody waits for (the store commits it with the next group);
        :meth:`stop` waits for it, a failure is logged."""

        def done(task: asyncio.Task[Any]) -> None:
            self._later.discard(task)
            if not task.cancelled() and task.exception() is not None:
                log.error("%s: %s", failure, task.exception())

        task = asyncio.ensure_future(write)
        self._later.add(task)
        task.add_done_callback(done)

    def on_online(self, peer: Peer, frame: dict[str, Any]) -> None:
        terminal = self.registry.get(peer.sn or "")
        if terminal is None or terminal.info is None:
            return
        log.info("terminal %s (%s) online from %s", terminal.sn, terminal.state, peer.remote)
        if terminal.state == TerminalState.ADOPTED:
            self._announced.add(terminal.sn)
            self.publish(TerminalConnected(terminal.sn, terminal.info, peer.remote))
        else:
            self.publish(TerminalPending(terminal.sn, terminal.info, peer.remote))

    def on_offline(self, peer: Peer) -> None:
        sn = peer.sn or ""
        self.registry.update(sn, online=False, last_seen=datetime.now(UTC))
        log.info("terminal %s offline", sn)
        if sn in self._announced:
            self._announced.discard(sn)
            self.publish(TerminalDisconnected(sn))

    async def on_request(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any] | None:
        cmd = frame["cmd"]
        sn = peer.sn or ""
        self.registry.update(sn, last_seen=datetime.now(UTC))
        handler = self._request_handlers.get(cmd)
        if handler is not None:
            reply: dict[str, Any] | None = await handler(self, peer, frame)
            return reply
        log.info("terminal %s sent unknown command %r; acknowledged", sn, cmd)
        return ack(cmd)

    async def _on_reg(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
        """A ``reg`` again on a live connection: some firmware uses it as a heartbeat."""
        return reg_reply(self.now_local(), nosenduser=self.nosenduser)

    async def _on_sendlog(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
        return await self.ingestion.on_sendlog(peer, frame)

    async def _on_senduser(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
        return await self.ingestion.on_senduser(peer, frame)

    def _server_mode(self, sn: str) -> bool:
        mode = self.server_mode
        return mode if isinstance(mode, bool) else sn in mode

    def _decide(self, peer: Peer, cmd: str, frame: dict[str, Any]) -> AccessDecision:
        assert self.access_policy is not None
        try:
            return self.access_policy(peer.sn or "", cmd, frame)
        except Exception:
            log.exception("access policy failed for %s from %s; refusing", cmd, peer.sn)
            return AccessDecision(False, "error")

    _request_handlers: dict[str, Callable[..., Any]] = {
        "reg": _on_reg,
        "sendlog": _on_sendlog,
        "senduser": _on_senduser,
        "sendqrcode": on_sendqrcode,
        "sendpin": on_sendpin,
    }


def _device_info(row: dict[str, Any]) -> DeviceInfo | None:
    devinfo = dict(row.get("devinfo") or {})
    cpusn = devinfo.pop("cpusn", None)
    try:
        return DeviceInfo.from_reg({"sn": row["sn"], "cpusn": cpusn, "devinfo": devinfo})
    except WacError:
        return None


def _as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    from .protocol.values import parse_time

    parsed = parse_time(value)
    if parsed is None:
        raise ValueError(f"not a date or time: {value!r} (use YYYY-MM-DD [HH:MM:SS])")
    return parsed
