"""Virtual terminals: a terminal emulator on :class:`Peer`, and a fleet runner.

A :class:`VirtualTerminal` behaves like the firmware: it dials, registers, pushes its new
records in batches with ``logindex``, keeps every batch until it is acknowledged (re-sending
after a reconnect), and answers server commands by changing its own user table. It can be
told to be sloppy the ways real firmware is (:class:`Quirks`), to refuse or ignore commands,
and to drop its connection at random, so every layer above is tested against something real.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from ..errors import DeviceError, WacClientError
from ..protocol.handlers import ack
from ..protocol.models import BackupNum, LogRecord, VerifyMode
from ..protocol.values import as_int, as_text, format_time
from .peer import Peer

__all__ = ["FleetResult", "Quirks", "VirtualTerminal", "VirtualUser", "run_fleet"]

log = logging.getLogger(__name__)

TerminalHandler = Callable[["VirtualTerminal", dict[str, Any]], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True, slots=True)
class Quirks:
    """Ways real firmware deviates from the documents (PROTOCOL.md 9)."""

    string_enrollid: bool = False
    """``"enrollid": "7"`` instead of ``7``."""
    no_logindex: bool = False
    """Pre-1.9 firmware: no ``logindex`` in ``sendlog``."""
    padded_keys: bool = False
    """``"count "``, ``"record "`` (the v1.6 document's typos)."""
    record_as_object: bool = False
    """A one-record batch sent as an object instead of a list."""
    no_sn_in_replies: bool = False
    """Old firmware omits ``sn`` from its replies."""
    string_result: bool = False
    """``"result": 1`` instead of ``true`` in replies."""


@dataclass(slots=True)
class VirtualUser:
    enrollid: int
    name: str = ""
    admin: int = 0
    enabled: bool = True
    credentials: dict[int, str | int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class VirtualTerminal:
    """An emulated terminal.

    Args:
        url: the gateway's WebSocket URL.
        sn: serial number.
        batch_size: records per ``sendlog`` frame.
        quirks: sloppy-firmware behaviour.
        drop_rate: probability of dropping the connection around each ``sendlog``.
        refuse: commands answered ``result: false``.
        ignore: commands never answered (for timeout tests).
        seed: seeds the random drops.
        paging, page_size: how paged replies count and how many records a page holds.
    """

    handlers: dict[str, TerminalHandler] = {}
    """Command name -> handler; extended by :mod:`wac_toolkit.net.terminal_commands`."""

    def __init__(
        self,
        url: str,
        sn: str,
        *,
        modelname: str = "AI806",
        firmware: str = "ai806_f06v_v5.17",
        batch_size: int = 100,
        quirks: Quirks = Quirks(),
        drop_rate: float = 0.0,
        refuse: Iterable[str] = (),
        ignore: Iterable[str] = (),
        seed: int | None = None,
        reply_timeout: float = 10.0,
        reconnect_delay: float = 0.05,
        clock: Callable[[], datetime] = datetime.now,
        paging: str = "total",
        page_size: int = 40,
        manufacturer: str | None = None,
    ) -> None:
        self.url = url
        self.sn = sn
        self.modelname = modelname
        self.firmware = firmware
        self.batch_size = batch_size
        self.quirks = quirks
        self.drop_rate = drop_rate
        self.refuse = set(refuse)
        self.ignore = set(ignore)
        self.random = random.Random(seed)
        self.reply_timeout = reply_timeout
        self.reconnect_delay = reconnect_delay
        self.clock = clock
        self.paging = paging
        """``"total"``: ``count`` is the total; ``"page"``: the page size, ending with an empty
        page; ``"endless"``: a firmware bug that never ends (see terminal_commands)."""
        self.page_size = page_size
        self.manufacturer = manufacturer
        """Sent as ``devinfo.manufacturer`` when set (some OEM firmware names its maker)."""
        self.users: dict[int, VirtualUser] = {}
        self.logs: list[LogRecord] = []
        self.acked = 0
        """Records before this index were acknowledged and will not be sent again."""
        self.logindex = 1
        self.registrations = 0
        self.frames_sent = 0
        self.cloudtime: str | None = None
        self.received: list[dict[str, Any]] = []
        """Every command frame received from the server, in order."""
        self.peer: Peer | None = None
        self._reader: asyncio.Task[None] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._new = asyncio.Event()
        self._flushed = asyncio.Event()
        self._flushed.set()
        self._registered = asyncio.Event()
        self._stopping = False
        self._refused = False

    def __repr__(self) -> str:
        return f"<VirtualTerminal {self.sn} users={len(self.users)} logs={len(self.logs)}>"

    def now(self) -> datetime:
        """The terminal's own clock: ``clock()`` plus what ``settime`` changed."""
        state = self.__dict__.get("state")  # terminal_commands keeps settime's offset there
        return self.clock() + (state.clock_offset if state is not None else timedelta(0))

    # -- state changes a person would make at the terminal ------------------------------------

    def punch(
        self,
        enrollid: int,
        time: datetime | None = None,
        *,
        mode: int = 0,
        inout: int = 0,
        event: int = 0,
        name: str | None = None,
        image: str | None = None,
        temp: float | None = None,
    ) -> LogRecord:
        """Record a punch; it is pushed with the next batch."""
        moment = format_time(time or self.now())
        user = self.users.get(enrollid)
        record = LogRecord(
            enrollid=enrollid,
            time=moment,
            time_raw=moment,
            name=name if name is not None else (user.name if user else None),
            mode=VerifyMode(mode),
            inout=inout,
            event=event,
            image=image,
            temp=temp,
        )
        self.logs.append(record)
        self._new.set()
        self._flushed.clear()
        return record

    async def enroll(
        self, enrollid: int, name: str, backupnum: int, record: str | int, admin: int = 0
    ) -> dict[str, Any]:
        """Enrol a credential on the keypad and push it with ``senduser``."""
        user = self.users.setdefault(enrollid, VirtualUser(enrollid))
        user.name, user.admin = name, admin
        user.credentials[backupnum] = record
        fields = {
            "sn": self.sn,
            "enrollid": str(enrollid) if self.quirks.string_enrollid else enrollid,
            "name": name,
            "backupnum": backupnum,
            "admin": admin,
            "record": record,
        }
        return await self._require_peer().request("senduser", fields, timeout=self.reply_timeout)

    # -- connection ---------------------------------------------------------------------------

    async def connect(self) -> dict[str, Any]:
        """Dial and register; returns the ``reg`` reply (raises DeviceError if refused)."""
        connection = await connect(
            self.url, max_size=None, compression=None, open_timeout=10, ping_interval=None
        )
        self.peer = Peer(connection, self._dispatch, sn=self.sn, timeout=self.reply_timeout)
        self._reader = asyncio.create_task(self.peer.run(), name=f"vt-{self.sn}-reader")
        reply = await self.peer.request("reg", self._reg_fields())
        self.registrations += 1
        self.cloudtime = as_text(reply.get("cloudtime"))
        self._registered.set()
        return reply

    async def disconnect(self, *, abort: bool = False) -> None:
        """Close the connection (``abort`` drops TCP without a close handshake, like a power cut)."""
        peer, self.peer = self.peer, None
        self._registered.clear()
        if peer is None:
            return
        if abort:
            peer.connection.transport.abort()
        else:
            with contextlib.suppress(Exception):
                await peer.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def push_pending(self) -> None:
        """Send every unacknowledged record, batch by batch, each after the previous ack."""
        while self.acked < len(self.logs):
            peer = self._require_peer()
            batch = self.logs[self.acked : self.acked + self.batch_size]
            frame = self._sendlog_frame(batch)
            if self.drop_rate and self.random.random() < self.drop_rate:
                if self.random.random() < 0.5:
                    await peer.send({"cmd": "sendlog", **frame})  # sent, ack never read
                    self.frames_sent += 1
                await self.disconnect(abort=True)
                raise WacClientError("dropped on purpose")
            self.frames_sent += 1
            try:
                await peer.request("sendlog", frame, timeout=self.reply_timeout)
            except DeviceError as exc:  # server refused: keep the records and retry
                if not self._refused:
                    log.warning(
                        "terminal %s: sendlog refused (%s); keeping %d unacknowledged records",
                        self.sn, exc.reason, len(self.logs) - self.acked,
                    )  # fmt: skip
                self._refused = True
                await asyncio.sleep(self.reconnect_delay)
                continue
            if self._refused:
                log.warning("terminal %s: sendlog accepted again", self.sn)
                self._refused = False
            self.acked += len(batch)
            self.logindex += 1
        self._flushed.set()

    async def run(self) -> None:
        """Stay connected and push records as they come, reconnecting after every drop."""
        while not self._stopping:
            try:
                if self.peer is None or self.peer.closed:
                    await self.connect()
                await self.push_pending()
                self._new.clear()
                if self.acked < len(self.logs):
                    continue
                waiter = asyncio.ensure_future(self._new.wait())
                closed = asyncio.ensure_future(self._require_peer().wait_closed())
                try:
                    await asyncio.wait({waiter, closed}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiter.cancel()
                    closed.cancel()
                    await asyncio.gather(waiter, closed, return_exceptions=True)
            except (WacClientError, OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                await self.disconnect(abort=True)
                if not self._stopping:
                    await asyncio.sleep(self.reconnect_delay * (0.5 + self.random.random()))
            except DeviceError as exc:  # registration refused: try again later, like firmware
                log.info("terminal %s: %s", self.sn, exc)
                await self.disconnect()
                await asyncio.sleep(max(self.reconnect_delay, 1.0))
            except InvalidURI:
                raise

    def start(self) -> asyncio.Task[None]:
        """Run in the background; see :meth:`stop`."""
        self._stopping = False
        self._runner = asyncio.create_task(self.run(), name=f"vt-{self.sn}")
        return self._runner

    async def wait_registered(self, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            await self._registered.wait()

    async def wait_flushed(self, timeout: float = 30.0) -> None:
        """Wait until every record so far has been acknowledged."""
        async with asyncio.timeout(timeout):
            await self._flushed.wait()

    async def stop(self) -> None:
        self._stopping = True
        self._new.set()
        # Work the command handlers started (a reboot's restart) is finished, not abandoned.
        state = self.__dict__.get("state")
        background = [t for t in getattr(state, "tasks", ()) if t is not asyncio.current_task()]
        if background:
            await asyncio.gather(*background, return_exceptions=True)
        await self.disconnect()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
            self._runner = None

    async def __aenter__(self) -> VirtualTerminal:
        self.start()
        await self.wait_registered()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- answering the server -----------------------------------------------------------------

    def reply(self, cmd: str, **fields: Any) -> dict[str, Any]:
        """A success reply as this firmware words it."""
        reply = ack(cmd, **fields)
        if not self.quirks.no_sn_in_replies:
            reply["sn"] = self.sn
        if self.quirks.string_result:
            reply["result"] = 1
        return reply

    def refusal(self, cmd: str, reason: Any = 1) -> dict[str, Any]:
        reply = {"ret": cmd, "result": 0 if self.quirks.string_result else False, "reason": reason}
        if not self.quirks.no_sn_in_replies:
            reply["sn"] = self.sn
        return reply

    async def _dispatch(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any] | None:
        cmd = frame["cmd"]
        self.received.append(frame)
        if cmd in self.ignore:
            return None
        if cmd in self.refuse:
            return self.refusal(cmd)
        handler = self.handlers.get(cmd)
        if handler is None:
            return {"ret": cmd, "result": False, "msg": "can not find this command"}
        return await handler(self, frame)

    # -- frames -------------------------------------------------------------------------------

    def _reg_fields(self) -> dict[str, Any]:
        with_fp = sum(
            1 for u in self.users.values() for b in u.credentials if 0 <= b <= 9
        )  # fmt: skip
        return {
            "sn": self.sn,
            "cpusn": f"CPU{self.sn}",
            "devinfo": {
                "modelname": self.modelname,
                "usersize": 3000,
                "fpsize": 3000,
                "cardsize": 10000,
                "pwdsize": 3000,
                "logsize": 100000,
                "useduser": len(self.users),
                "usedfp": with_fp,
                "usedcard": sum(1 for u in self.users.values() if BackupNum.CARD in u.credentials),
                "usedpwd": sum(
                    1 for u in self.users.values() if BackupNum.PASSWORD in u.credentials
                ),
                "usedlog": len(self.logs),
                "usednewlog": len(self.logs) - self.acked,
                "fpalgo": "thbio3.0",
                "firmware": self.firmware,
                "time": format_time(self.now()),
                "mac": "00-01-A9-01-00-01",
                **({"manufacturer": self.manufacturer} if self.manufacturer else {}),
            },
        }

    def _sendlog_frame(self, batch: list[LogRecord]) -> dict[str, Any]:
        records: list[dict[str, Any]] = []
        for record in batch:
            wire = record.to_wire()
            if self.quirks.string_enrollid:
                wire["enrollid"] = str(wire["enrollid"])
            records.append(wire)
        count_key, record_key = (
            ("count ", "record ") if self.quirks.padded_keys else ("count", "record")
        )
        frame: dict[str, Any] = {"sn": self.sn, count_key: len(records)}
        if not self.quirks.no_logindex:
            frame["logindex"] = self.logindex
        frame[record_key] = (
            records[0] if self.quirks.record_as_object and len(records) == 1 else records
        )
        return frame

    def _require_peer(self) -> Peer:
        if self.peer is None or self.peer.closed:
            raise WacClientError(f"virtual terminal {self.sn} is not connected")
        return self.peer


async def _setuserinfo(terminal: VirtualTerminal, frame: dict[str, Any]) -> dict[str, Any]:
    enrollid = as_int(frame.get("enrollid"))
    backupnum = as_int(frame.get("backupnum"))
    if enrollid is None or backupnum is None or frame.get("record") is None:
        return terminal.refusal("setuserinfo")
    user = terminal.users.setdefault(enrollid, VirtualUser(enrollid))
    if frame.get("name") is not None:
        user.name = str(frame["name"])
    user.admin = as_int(frame.get("admin")) or 0
    user.credentials[backupnum] = frame["record"]
    return terminal.reply("setuserinfo", enrollid=enrollid)


async def _deleteuser(terminal: VirtualTerminal, frame: dict[str, Any]) -> dict[str, Any]:
    enrollid = as_int(frame.get("enrollid"))
    backupnum = as_int(frame.get("backupnum"))
    user = terminal.users.get(enrollid) if enrollid is not None else None
    if user is None or backupnum is None:
        return terminal.refusal("deleteuser")
    if backupnum == BackupNum.ALL:
        del terminal.users[user.enrollid]
    elif backupnum == BackupNum.ALL_FINGERPRINTS:
        for slot in [b for b in user.credentials if 0 <= b <= 9]:
            del user.credentials[slot]
    elif backupnum in user.credentials:
        del user.credentials[backupnum]
    else:
        return terminal.refusal("deleteuser")
    return terminal.reply("deleteuser")


VirtualTerminal.handlers.update({"setuserinfo": _setuserinfo, "deleteuser": _deleteuser})


@dataclass(frozen=True, slots=True)
class FleetResult:
    terminals: int
    records: int
    frames: int
    registrations: int
    seconds: float

    @property
    def rate(self) -> float:
        """Acknowledged records per second."""
        return self.records / self.seconds if self.seconds else 0.0


async def run_fleet(
    url: str,
    terminals: int,
    logs_per_terminal: int,
    *,
    batch_size: int = 100,
    drop_rate: float = 0.0,
    seed: int = 0,
    prefix: str = "VT",
    start: datetime = datetime(2025, 8, 1, 8, 0, 0),
    quirks: Quirks = Quirks(),
    timeout: float = 300.0,
    progress: Callable[[int], None] | None = None,
    linger: Callable[[], Awaitable[object]] | None = None,
) -> FleetResult:
    """Run ``terminals`` virtual terminals that each push ``logs_per_terminal`` distinct records.

    Every terminal pushes until all its records are acknowledged, reconnecting after drops.
    With ``linger``, the fleet then stays connected (answering commands) until it returns.
    """
    loop = asyncio.get_running_loop()
    fleet = [
        VirtualTerminal(
            url,
            f"{prefix}{i:05d}",
            batch_size=batch_size,
            drop_rate=drop_rate,
            seed=seed * 100_003 + i,
            quirks=quirks,
        )
        for i in range(terminals)
    ]
    for t_index, terminal in enumerate(fleet):
        for k in range(logs_per_terminal):
            terminal.punch(
                1 + (k + t_index) % 50,
                start + timedelta(seconds=37 * k),
                mode=(0, 1, 2, 8)[k % 4],
                inout=k % 2,
            )
    began = loop.time()
    for terminal in fleet:
        terminal.start()
    try:
        pending = {asyncio.ensure_future(_flushed(t, timeout, progress)) for t in fleet}
        await asyncio.gather(*pending)
        seconds = loop.time() - began
        if linger is not None:
            await linger()
    finally:
        await asyncio.gather(*(t.stop() for t in fleet), return_exceptions=True)
    return FleetResult(
        terminals=terminals,
        records=sum(t.acked for t in fleet),
        frames=sum(t.frames_sent for t in fleet),
        registrations=sum(t.registrations for t in fleet),
        seconds=seconds,
    )


async def _flushed(
    terminal: VirtualTerminal, timeout: float, progress: Callable[[int], None] | None
) -> None:
    await terminal.wait_flushed(timeout)
    if progress is not None:
        progress(terminal.acked)
