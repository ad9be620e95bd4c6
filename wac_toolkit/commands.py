"""The runtime under the typed command methods: one catalogue command, paging, and the few
commands that are more than one request.

The methods themselves (``await session.open_door(sn)``, ``client.open_door()``,
``sync.open_door(sn)`` ...) are real source, generated from the catalogue by
:mod:`wac_toolkit.codegen` into :mod:`wac_toolkit._generated`, one mixin per face, so that
editors, Jedi and mypy see their signatures. Every generated method calls
:func:`run_command` or one of the handwritten functions listed in :data:`HANDWRITTEN`; change
those or the catalogue, then run ``python -m wac_toolkit.codegen``.

A face gives the methods its transport by subclassing :class:`CommandTarget`:

* ``_terminal_request(sn, cmd, fields, timeout=, expect_reply=)``: send, return the reply;
* ``_store_pulled(sn, records, source)``: store pulled records, return how many were new;
* ``_reconnect_mark(sn)`` / ``_wait_reconnect(sn, mark, timeout)``: see :func:`reboot`;
* ``_local_now()``: the terminals' wall time for ``settime``.

:class:`BoundTarget` is that transport for a client bound to one terminal (``WacClient``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from typing import Any

from .errors import ConfirmationRequired, DeviceError, WacClientError
from .protocol.catalogue import COMMANDS, Command, build_fields, by_method, terminal_commands
from .protocol.models import LogRecord
from .protocol.paging import DEFAULT_MAX_PAGES, Page, Pager
from .protocol.results import Ack, Rebooted, UserSlot

__all__ = [
    "HANDWRITTEN",
    "LONG_CALL",
    "BoundTarget",
    "CommandTarget",
    "PagingError",
    "Progress",
    "Pulled",
    "command_methods",
    "is_long",
    "iter_logs",
    "iter_pages",
    "iter_user_list",
    "pull_logs",
    "reboot",
    "run_command",
    "set_time",
]

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], Any]
"""``progress(done, total)``: records so far, and the total when the terminal says it."""


class PagingError(WacClientError):
    """A paged sequence did not end within its page cap: the result would be incomplete."""

    def __init__(self, sn: str | None, cmd: str, pages: int) -> None:
        super().__init__(
            f"terminal {sn or '?'} did not end {cmd!r} after {pages} pages; "
            "raise max_pages if it really holds that much"
        )
        self.sn = sn
        self.cmd = cmd
        self.pages = pages


class CommandTarget:
    """The transport hooks every command needs; a face overrides what it can do.

    The defaults: no way to send (a subclass must provide ``_terminal_request``), pulled
    records are counted but not stored, a reboot cannot be watched, the clock is the host's.
    """

    async def _terminal_request(
        self,
        sn: str,
        cmd: str,
        fields: dict[str, Any],
        *,
        timeout: float | None = None,
        expect_reply: bool = True,
    ) -> dict[str, Any]:
        raise NotImplementedError

    async def _store_pulled(self, sn: str, records: tuple[LogRecord, ...], source: str) -> int:
        return len(records)

    async def _reconnect_mark(self, sn: str) -> int:
        raise WacClientError("waiting for a reconnect needs a gateway (Session or via_gateway)")

    async def _wait_reconnect(self, sn: str, mark: int, timeout: float) -> bool:
        raise NotImplementedError

    def _local_now(self) -> datetime:
        return datetime.now().replace(microsecond=0)


class BoundTarget(CommandTarget):
    """The transport of a client bound to one terminal: the methods take no ``sn``.

    The subclass provides ``sn`` and ``request(cmd, fields, timeout=, expect_reply=)``, and
    may set ``control`` (a :class:`~wac_toolkit.control.ControlClient`) so that pulled logs
    are stored by the gateway and reboots can be watched.
    """

    sn: str | None
    control: Any = None

    async def request(
        self,
        cmd: str,
        fields: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        expect_reply: bool = True,
    ) -> dict[str, Any]:
        """Send ``cmd`` to the terminal and return its reply (the subclass's transport)."""
        raise NotImplementedError

    def _bound_sn(self) -> str:
        if not self.sn:
            raise WacClientError("this client does not know its terminal's sn")
        return self.sn

    async def _terminal_request(
        self,
        sn: str,
        cmd: str,
        fields: dict[str, Any],
        *,
        timeout: float | None = None,
        expect_reply: bool = True,
    ) -> dict[str, Any]:
        return await self.request(cmd, fields, timeout=timeout, expect_reply=expect_reply)

    async def _store_pulled(self, sn: str, records: tuple[LogRecord, ...], source: str) -> int:
        if self.control is None:
            return len(records)
        return int(await self.control.ingest(sn, records, source))

    async def _reconnect_mark(self, sn: str) -> int:
        if self.control is None:
            raise WacClientError("waiting for a reconnect needs a gateway: use via_gateway")
        return int(await self.control.reconnect_mark(sn))

    async def _wait_reconnect(self, sn: str, mark: int, timeout: float) -> bool:
        return bool(await self.control.wait_reconnect(sn, mark, timeout))


def _spec(cmd: str) -> Command:
    spec = COMMANDS.get(cmd)
    if spec is None or not spec.paged:
        paged = sorted(c.name for c in terminal_commands() if c.paged)
        raise ValueError(f"{cmd!r} does not page; paged commands: {', '.join(paged)}")
    return spec


async def _pages(
    target: CommandTarget,
    sn: str,
    spec: Command,
    fields: dict[str, Any],
    *,
    max_pages: int,
    timeout: float | None,
    progress: Progress | None,
) -> AsyncIterator[Page]:
    """Follow ``stn`` until the pager says the sequence ended.

    One sequence at a time per terminal: firmware keeps one cursor, so two interleaved
    sequences would each get the other's pages.
    """
    async with _sequence_lock(target, sn):
        pager = Pager(spec.name, fields, max_pages=max_pages)
        request = pager.first()
        while True:
            try:
                reply = await target._terminal_request(
                    sn, spec.name, request, timeout=timeout, expect_reply=True
                )
            except DeviceError:
                if pager.pages == 0:
                    raise
                pager.failed()
                return
            page = pager.feed(reply)
            if pager.pages == 1 and not page.records:
                log.info(
                    "terminal %s: empty first %s page (no data, or unsupported)", sn, spec.name
                )
            if page.records:
                yield page
            if progress is not None:
                progress(pager.received, pager.total)
            if pager.done:
                return
            if pager.capped:
                raise PagingError(sn, spec.name, pager.pages)
            request = pager.next()


def _sequence_lock(target: CommandTarget, sn: str) -> asyncio.Lock:
    locks: dict[str, asyncio.Lock] = target.__dict__.setdefault("_page_sequences", {})
    return locks.setdefault(sn, asyncio.Lock())


async def _items(
    target: CommandTarget,
    sn: str,
    spec: Command,
    fields: dict[str, Any],
    *,
    max_pages: int,
    timeout: float | None,
    progress: Progress | None,
) -> AsyncIterator[Any]:
    assert spec.item is not None
    pages = _pages(
        target, sn, spec, fields, max_pages=max_pages, timeout=timeout, progress=progress
    )
    async for page in pages:
        for item in page.records:
            yield spec.item(item)


async def run_command(
    target: CommandTarget,
    method: str,
    sn: str,
    args: dict[str, Any],
    *,
    timeout: float | None = None,
    confirm: bool = False,
    progress: Progress | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Any:
    """Check, send and read one catalogue command: the body of every generated method.

    ``args`` are the Python arguments by :attr:`Field.param`; None means "left out".
    """
    spec = by_method(method)
    if spec.destructive and not confirm:
        raise ConfirmationRequired(spec.name)
    fields = build_fields(spec, args)
    timeout = spec.timeout if timeout is None else timeout
    if spec.paged:
        items = _items(
            target, sn, spec, fields, max_pages=max_pages, timeout=timeout, progress=progress
        )
        return [item async for item in items]
    if spec.batch:
        records = fields.pop("record")
        for at in range(0, len(records), spec.batch):
            chunk = records[at : at + spec.batch]
            frame = {**fields, "count": len(chunk), "record": chunk}
            await target._terminal_request(sn, spec.name, frame, timeout=timeout, expect_reply=True)
        return len(records)
    reply = await target._terminal_request(
        sn, spec.name, fields, timeout=timeout, expect_reply=spec.has_reply
    )
    return spec.result(_known(reply, sn, fields)) if spec.result is not None else reply


def _known(reply: dict[str, Any], sn: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The reply with what we already know filled in where firmware left it out: old firmware
    omits ``sn``, and most omit the ``enrollid``/``backupnum`` of the request (the connection
    state machine already checked that any it did echo match)."""
    missing: dict[str, Any] = {k: fields[k] for k in ("enrollid", "backupnum") if k in fields}
    if sn:
        missing["sn"] = sn
    if all(reply.get(k) is not None for k in missing):
        return reply
    return {**reply, **{k: v for k, v in missing.items() if reply.get(k) is None}}


def _log_fields(
    new_only: bool, since: date | str | None, until: date | str | None
) -> tuple[Command, dict[str, Any]]:
    if new_only:
        if since is not None or until is not None:
            raise ValueError("since/until filter getalllog: pass new_only=False with them")
        return COMMANDS["getnewlog"], {}
    spec = COMMANDS["getalllog"]
    return spec, build_fields(spec, {"since": since, "until": until})


# -- the handwritten commands: target first, then the method's own parameters -----------------


def iter_pages(
    target: CommandTarget,
    sn: str,
    cmd: str,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    timeout: float | None = None,
    progress: Progress | None = None,
    **fields: Any,
) -> AsyncIterator[Page]:
    """``async for page in ...``: the raw pages of a paged command (``getuserlist`` ...).

    Stops on every documented end condition (PROTOCOL.md 5.3); each page waits at most
    ``timeout`` seconds; raises :class:`~wac_toolkit.commands.PagingError` after
    ``max_pages`` pages.
    """
    spec = _spec(cmd)
    wire = build_fields(spec, fields)
    return _pages(target, sn, spec, wire, max_pages=max_pages, timeout=timeout, progress=progress)


def iter_user_list(
    target: CommandTarget,
    sn: str,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> AsyncIterator[UserSlot]:
    """``async for slot in ...``: :class:`UserSlot` by slot, page after page."""
    spec = COMMANDS["getuserlist"]
    return _items(target, sn, spec, {}, max_pages=max_pages, timeout=timeout, progress=progress)


def iter_logs(
    target: CommandTarget,
    sn: str,
    *,
    new_only: bool = True,
    since: date | str | None = None,
    until: date | str | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> AsyncIterator[LogRecord]:
    """``async for record in ...``: ``getnewlog``, or ``getalllog`` between two days."""
    spec, fields = _log_fields(new_only, since, until)
    return _items(target, sn, spec, fields, max_pages=max_pages, timeout=timeout, progress=progress)


async def pull_logs(
    target: CommandTarget,
    sn: str,
    *,
    new_only: bool = True,
    since: date | str | None = None,
    until: date | str | None = None,
    progress: Progress | None = None,
    timeout: float | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Pulled:
    """Page through the terminal's logs into the store; returns how many rows were new.

    Pages are stored as they arrive (duplicates of pushed records drop), so an
    interrupted pull keeps what it got. Records outside the requested days (firmware that
    ignores the filter) are stored too, they are real punches, and counted in ``outside``.
    """
    spec, fields = _log_fields(new_only, since, until)
    pages = _pages(
        target, sn, spec, fields, max_pages=max_pages, timeout=timeout, progress=progress
    )
    new = received = outside = 0
    first, last = fields.get("from"), fields.get("to")
    async for page in pages:
        records = tuple(LogRecord.from_wire(item) for item in page.records)
        received += len(records)
        if first is not None or last is not None:
            outside += sum(1 for r in records if not _within(r, first, last))
        new += await target._store_pulled(sn, records, spec.name)
    if outside:
        log.warning(
            "terminal %s returned %d of %d records outside %s..%s; stored anyway (they are"
            " real punches)", sn, outside, received, first or "", last or "",
        )  # fmt: skip
    return Pulled(new, received=received, outside=outside)


class Pulled(int):
    """What :func:`pull_logs` returns: the number of new rows (an int, as before), with
    ``received`` (records the terminal sent) and ``outside`` (records outside the requested
    days: firmware that ignores the filter; they are stored all the same)."""

    received: int
    outside: int

    def __new__(cls, new: int, *, received: int = 0, outside: int = 0) -> Pulled:
        value = super().__new__(cls, new)
        value.received = received
        value.outside = outside
        return value


def _within(record: LogRecord, first: str | None, last: str | None) -> bool:
    """Whether a record's day lies in ``first..last`` (``YYYY-MM-DD``, both inclusive)."""
    moment = record.datetime
    if moment is None:
        return True  # unreadable time: not counted as outside (it is kept as sent)
    day = moment.strftime("%Y-%m-%d")
    return (first is None or day >= first) and (last is None or day <= last)


async def reboot(
    target: CommandTarget, sn: str, *, wait_reconnect: float | None = None
) -> Rebooted:
    """Restart the terminal. No reply comes; with ``wait_reconnect`` (seconds) wait for its
    new ``reg`` and report whether it came."""
    mark = await target._reconnect_mark(sn) if wait_reconnect is not None else 0
    await run_command(target, "reboot", sn, {})
    if wait_reconnect is None:
        return Rebooted(sn)
    return Rebooted(sn, await target._wait_reconnect(sn, mark, wait_reconnect))


async def set_time(
    target: CommandTarget,
    sn: str,
    when: datetime | str | None = None,
    *,
    timeout: float | None = None,
) -> Ack:
    """Set the terminal's clock to ``when`` (default: now, in the terminals' zone)."""
    when = target._local_now() if when is None else when
    ack: Ack = await run_command(target, "set_time", sn, {"when": when}, timeout=timeout)
    return ack


HANDWRITTEN: dict[str, Callable[..., Any]] = {
    "iter_pages": iter_pages,
    "iter_user_list": iter_user_list,
    "iter_logs": iter_logs,
    "pull_logs": pull_logs,
    "reboot": reboot,
    "set_time": set_time,
}
"""The methods written here rather than derived from one catalogue entry; the generated
faces call them with the face as ``target``."""


def command_methods() -> list[str]:
    """Every public command method of a face, catalogue order, then the iterators."""
    names = [c.method for c in terminal_commands() if c.method]
    return [*names, *(n for n in HANDWRITTEN if n not in names)]


LONG_CALL = 24 * 3600.0
"""Overall limit of a blocking call that pages or waits for a person or a reboot; each reply
still has its own timeout, so a silent terminal fails long before this."""


def is_long(name: str) -> bool:
    """Whether the blocking twin of ``name`` may run for long (it gets :data:`LONG_CALL`)."""
    if name in ("pull_logs", "reboot"):
        return True
    spec = by_method(name)
    return spec.paged or spec.batch is not None or spec.timeout is not None
