"""``Session``: one gateway, one store and one event stream. Every face uses it.

The Session runs on whatever event loop starts it: the CLI's, Home Assistant's, or the
background thread of :class:`~wac_toolkit.sync.SessionSync` (notebooks and scripts).
"""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .access import on_sendpin, on_sendqrcode
from .errors import FrameError, StoreError, TerminalOffline, WacError
from .events import AccessEvent, Event, TerminalConnected, TerminalDisconnected, UserPushed
from .net.gateway import Gateway
from .net.peer import Peer
from .presence import Presence
from .protocol.handlers import ack, fail, parse_sendlog, reg_reply, sendlog_reply, senduser_reply
from .protocol.models import BackupNum, DeviceInfo, LogRecord, UserCredential
from .protocol.values import format_time, is_canonical_time
from .roster import Roster
from .session_commands import SessionCommands
from .store import open_store
from .store.base import LogQuery

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AccessDecision", "AccessPolicy", "Session", "Terminal", "resolve_tz"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Terminal:
    """What the session knows about one terminal."""

    sn: str
    online: bool
    info: DeviceInfo | None = None
    last_seen: datetime | None = None
    remote: str | None = None

    @property
    def modelname(self) -> str | None:
        return self.info.modelname if self.info else None

    @property
    def firmware(self) -> str | None:
        return self.info.firmware if self.info else None


@dataclass(frozen=True, slots=True)
class AccessDecision:
    """What a server-verification terminal should do: open (``access`` 1) or not, and say what."""

    access: bool
    message: str | None = None
    enrollid: int | None = None
    name: str | None = None


AccessPolicy = Callable[[str, str, dict[str, Any]], AccessDecision]
"""``policy(sn, cmd, frame)`` decides ``sendqrcode`` / ``sendpin`` / server-mode ``sendlog``."""


def resolve_tz(tz: str | tzinfo | None) -> tzinfo:
    """A zone from a name (``"Europe/Berlin"``), a tzinfo, or None for the host's zone."""
    if tz is None:
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    if isinstance(tz, str):
        return ZoneInfo(tz)
    return tz


class Session(SessionCommands):
    """The toolkit's one entry point.

    Args:
        db: SQLite file (``":memory:"`` for a throwaway store) or a ``postgresql://`` DSN
            (:func:`~wac_toolkit.store.open_store`); ignored when ``store`` is given.
        host, port: where terminals dial in; port 0 lets the OS choose.
        tz: the terminals' time zone (name or tzinfo; default the host's). ``cloudtime`` is sent
            in it and log times are read in it.
        allow: serial numbers allowed to register; None accepts any terminal.
        nosenduser: sent in the ``reg`` reply when not None (True asks terminals not to push
            keypad enrolments; some firmware reads it inverted, PROTOCOL.md 4.1).
        command_timeout: seconds to wait for a terminal's reply.
        fresh_window: records older than this (seconds) are flagged ``backlog``.
        access_policy: decides ``sendqrcode``/``sendpin`` and server-verification ``sendlog``.
        store: a store object to use instead of a SQLite file.
        gateway_options: anything else :class:`~wac_toolkit.net.gateway.Gateway` takes.
    """

    def __init__(
        self,
        db: str | Path = "wac.sqlite",
        host: str = "127.0.0.1",
        port: int = 7788,
        *,
        tz: str | tzinfo | None = None,
        allow: Iterable[str] | None = None,
        nosenduser: bool | None = None,
        command_timeout: float = 20.0,
        reg_timeout: float = 15.0,
        fresh_window: float = 300.0,
        access_policy: AccessPolicy | None = None,
        store: Any = None,
        synchronous: str = "FULL",
        ssl: ssl_module.SSLContext | None = None,
        path_secret: str | None = None,
        **gateway_options: Any,
    ) -> None:
        self.tz = resolve_tz(tz)
        self.allow = set(allow) if allow is not None else None
        self.nosenduser = nosenduser
        self.fresh_window = timedelta(seconds=fresh_window)
        self.access_policy = access_policy
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
        self._terminals: dict[str, Terminal] = {}
        self._subscribers: list[tuple[Callable[[Event], Any], tuple[type, ...]]] = []
        self._access_subscribers = 0
        """Subscribers that take AccessEvents; with none, ingest builds no event per record."""
        self._started = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.roster = Roster(self)
        """People and their durable sync to terminals (:mod:`wac_toolkit.roster`)."""
        self.presence = Presence(self) if hasattr(self.store, "claim_terminal") else None
        """Leases on terminals in a shared store (PostgreSQL): :mod:`wac_toolkit.presence`."""

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> Session:
        """Load known terminals and start listening; raises OSError when the port is taken."""
        if self._started:
            return self
        self.loop = asyncio.get_running_loop()
        for row in await self.loop.run_in_executor(None, self.store.devices):
            info = _device_info(row)
            self._terminals[row["sn"]] = Terminal(
                row["sn"], False, info, row["last_seen"], row["remote"]
            )
        try:
            await self.gateway.start()
        except OSError:
            if self._owns_store:
                await self.loop.run_in_executor(None, self.store.close)
            raise
        self._started = True
        if self.presence is not None:
            await self.presence.start()
        log.info("listening on %s", self.url)
        return self

    async def stop(self) -> None:
        """Close every terminal connection, stop listening, and flush the store."""
        await self.roster.stop()
        if self.presence is not None and self._started:
            await self.presence.stop()
        if self._started:
            await self.gateway.stop()
            self._started = False
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
        return sorted(self._terminals.values(), key=lambda t: (not t.online, t.sn))

    def terminal(self, sn: str) -> Terminal | None:
        return self._terminals.get(sn)

    def now_local(self) -> datetime:
        """The terminals' wall time now (naive), as ``cloudtime`` carries it."""
        return datetime.now(self.tz).replace(tzinfo=None, microsecond=0)

    def logs(
        self,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        sn: str | Iterable[str] | None = None,
        enrollid: int | Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """Stored logs as a typed DataFrame (schema in :mod:`wac_toolkit.dataframe`).

        ``since``/``until`` are terminal-local times (``until`` exclusive); strings such as
        ``"2025-08-01"`` are accepted. This reads the database: from an event loop use
        :meth:`logs_async`.
        """
        from .dataframe import arrow_logs_frame, logs_frame

        query = LogQuery(
            since=_as_datetime(since),
            until=_as_datetime(until),
            sn=sn if sn is None or isinstance(sn, str) else tuple(sn),
            enrollid=enrollid if enrollid is None or isinstance(enrollid, int) else tuple(enrollid),
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

    # -- events -------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], Any], *kinds: type) -> Callable[[], None]:
        """Call ``callback(event)`` on the session's loop for every event (or only for events
        of the given ``kinds``); returns unsubscribe.

        Callbacks must not block. A coroutine function is scheduled as a task. Name the kinds
        when you do not need every access record: the ingest path then does less per record.
        """
        entry = (callback, kinds)
        self._subscribers.append(entry)
        takes_access = not kinds or AccessEvent in kinds
        self._access_subscribers += takes_access

        def unsubscribe() -> None:
            if entry in self._subscribers:
                self._subscribers.remove(entry)
                self._access_subscribers -= takes_access

        return unsubscribe

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

    def publish(self, event: Event) -> None:
        for callback, kinds in list(self._subscribers):
            if kinds and not isinstance(event, kinds):
                continue
            try:
                result = callback(event)
                if result is not None and asyncio.iscoroutine(result):  # once per record: cheap
                    asyncio.ensure_future(result)
            except Exception:
                log.exception("event subscriber %r failed", callback)

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

        Raises:
            TerminalOffline: ``sn`` is not connected (at once, no waiting).
            DeviceError: the terminal answered ``result: false``.
            CommandTimeout: it did not answer in time.
        """
        try:
            peer = self.gateway.peer(sn)
        except TerminalOffline:
            if self.presence is None or not self._started:
                raise
            # Another gateway on the shared store may hold it (wac_toolkit.routing).
            limit = timeout if timeout is not None else self.gateway.command_timeout
            return await self.presence.route(
                sn, cmd, fields, timeout=limit, expect_reply=expect_reply
            )
        return await peer.request(cmd, fields, timeout=timeout, expect_reply=expect_reply)

    async def set_user_info(
        self,
        sn: str,
        enrollid: int,
        name: str,
        backupnum: int,
        record: str | int | None,
        admin: int = 0,
    ) -> dict[str, Any]:
        """Create or update one credential slot of a user on a terminal (``setuserinfo``)."""
        credential = UserCredential(
            enrollid=int(enrollid),
            backupnum=BackupNum(int(backupnum)),
            record=record,
            name=name,
            admin=int(admin),
        )
        reply = await self.command(sn, "setuserinfo", credential.to_wire())
        await self.store.save_credential(sn, credential)
        return reply

    async def delete_user(self, sn: str, enrollid: int, backupnum: int = 13) -> dict[str, Any]:
        """Delete a credential slot (``backupnum`` 13, the default, deletes the whole user)."""
        reply = await self.command(
            sn, "deleteuser", {"enrollid": int(enrollid), "backupnum": int(backupnum)}
        )
        await self.store.delete_credential(sn, int(enrollid), int(backupnum))
        return reply

    async def ingest(
        self, sn: str, records: Iterable[LogRecord], *, logindex: int | None, source: str
    ) -> int:
        """Store records from ``sn`` and publish an :class:`AccessEvent` for each new one."""
        records = tuple(records)
        received_at = datetime.now(UTC)
        new = await self.store.ingest_logs(sn, records, logindex=logindex, received_at=received_at)
        if new and self._access_subscribers:
            # Canonical times compare as text: no datetime per record on the ingest path.
            fresh_after = format_time(self.now_local() - self.fresh_window)
            for position in new:
                record = records[position]
                text = record.time
                backlog = source != "sendlog" or text < fresh_after or not is_canonical_time(text)
                self.publish(AccessEvent(sn, record, received_at, backlog, source))
        return len(new)

    # -- GatewayHandler -----------------------------------------------------------------------

    async def on_register(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
        try:
            info = DeviceInfo.from_reg(frame)
        except FrameError as exc:
            return fail("reg", str(exc))
        if self.allow is not None and info.sn not in self.allow:
            log.warning("refused terminal %s from %s: not in the allow-list", info.sn, peer.remote)
            return fail("reg", "terminal not allowed")
        peer.sn = info.sn
        try:
            await self.store.save_device(info, peer.remote, datetime.now(UTC))
        except StoreError as exc:
            log.error("cannot record terminal %s: %s", info.sn, exc)
        self._terminals[info.sn] = Terminal(info.sn, True, info, datetime.now(UTC), peer.remote)
        return reg_reply(self.now_local(), nosenduser=self.nosenduser)

    def on_online(self, peer: Peer, frame: dict[str, Any]) -> None:
        terminal = self._terminals[peer.sn or ""]
        log.info("terminal %s online from %s", terminal.sn, peer.remote)
        assert terminal.info is not None
        self.publish(TerminalConnected(terminal.sn, terminal.info, peer.remote))

    def on_offline(self, peer: Peer) -> None:
        sn = peer.sn or ""
        if sn in self._terminals:
            self._terminals[sn] = replace(
                self._terminals[sn], online=False, last_seen=datetime.now(UTC)
            )
        log.info("terminal %s offline", sn)
        self.publish(TerminalDisconnected(sn))

    async def on_request(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any] | None:
        cmd = frame["cmd"]
        sn = peer.sn or ""
        if sn in self._terminals:
            self._terminals[sn] = replace(self._terminals[sn], last_seen=datetime.now(UTC))
        handler = self._request_handlers.get(cmd)
        if handler is not None:
            return await handler(self, peer, frame)
        log.info("terminal %s sent unknown command %r; acknowledged", sn, cmd)
        return ack(cmd)

    async def _on_reg(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
        """A ``reg`` again on a live connection: some firmware uses it as a heartbeat."""
        return reg_reply(self.now_local(), nosenduser=self.nosenduser)

    async def _on_sendlog(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
        try:
            batch = parse_sendlog(frame)
        except FrameError as exc:
            log.warning("terminal %s sent an invalid sendlog: %s", peer.sn, exc)
            return fail("sendlog")
        try:
            await self.ingest(
                peer.sn or "", batch.records, logindex=batch.logindex, source="sendlog"
            )
        except StoreError:
            return fail("sendlog", "store unavailable")
        decision = self._decide(peer, "sendlog", frame) if self.access_policy else None
        return sendlog_reply(
            frame,
            self.now_local(),
            access=None if decision is None else int(decision.access),
            message=None if decision is None else decision.message,
        )

    async def _on_senduser(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
        try:
            credential = UserCredential.from_wire(frame)
        except FrameError as exc:
            log.warning("terminal %s sent an invalid senduser: %s", peer.sn, exc)
            return fail("senduser")
        try:
            await self.store.save_credential(peer.sn or "", credential)
        except StoreError:
            return fail("senduser", "store unavailable")
        self.publish(UserPushed(peer.sn or "", credential))
        return senduser_reply(frame, self.now_local())

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
