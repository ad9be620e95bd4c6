"""Typed methods for every server-to-terminal command, derived from the catalogue.

:class:`TerminalCommands` is mixed into :class:`~wac_toolkit.session.Session`: each catalogue
entry with a ``method`` becomes ``await session.<method>(sn, ...)`` whose signature, checks,
wire fields and typed result all come from :mod:`~wac_toolkit.protocol.catalogue`. The few
commands that need more than one frame or a local side effect (paging, ``pull_logs``,
``reboot``, ``set_time``) are written here once, over the same transport hooks.

:class:`BoundCommands` gives a client that talks to one terminal (``WacClient``) the same
methods without the ``sn`` argument, by wrapping the very same functions. :func:`add_blocking`
gives the blocking facades their twins. A subclass provides the transport:

* ``_terminal_request(sn, cmd, fields, timeout=, expect_reply=)``: send, return the reply;
* ``_store_pulled(sn, records, source)``: store pulled records, return how many were new;
* ``_reconnect_mark(sn)`` / ``_wait_reconnect(sn, mark, timeout)``: see ``reboot``;
* ``_local_now()``: the terminals' wall time for ``settime``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import date, datetime
from typing import Any

from .errors import ConfirmationRequired, DeviceError, WacClientError
from .protocol.catalogue import (
    COMMANDS,
    NO_DEFAULT,
    Command,
    build_fields,
    by_method,
    terminal_commands,
)
from .protocol.models import LogRecord
from .protocol.paging import DEFAULT_MAX_PAGES, Page, Pager
from .protocol.results import Ack, Rebooted, UserSlot

__all__ = [
    "LONG_CALL",
    "BoundCommands",
    "PagingError",
    "Pulled",
    "Progress",
    "TerminalCommands",
    "add_blocking",
    "command_methods",
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


def _spec(cmd: str) -> Command:
    spec = COMMANDS.get(cmd)
    if spec is None or not spec.paged:
        paged = sorted(c.name for c in terminal_commands() if c.paged)
        raise ValueError(f"{cmd!r} does not page; paged commands: {', '.join(paged)}")
    return spec


async def _pages(
    target: Any,
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


def _sequence_lock(target: Any, sn: str) -> asyncio.Lock:
    locks: dict[str, asyncio.Lock] = target.__dict__.setdefault("_page_sequences", {})
    return locks.setdefault(sn, asyncio.Lock())


async def _items(
    target: Any, sn: str, spec: Command, fields: dict[str, Any], **options: Any
) -> AsyncIterator[Any]:
    assert spec.item is not None
    async for page in _pages(target, sn, spec, fields, **options):
        for item in page.records:
            yield spec.item(item)


async def _run(
    target: Any,
    spec: Command,
    sn: str,
    args: dict[str, Any],
    *,
    timeout: float | None = None,
    confirm: bool = False,
    progress: Progress | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Any:
    """Check, send and read one catalogue command: the body of every generated method."""
    if spec.destructive and not confirm:
        raise ConfirmationRequired(spec.name)
    fields = build_fields(spec, args)
    timeout = spec.timeout if timeout is None else timeout
    if spec.paged:
        options = {"max_pages": max_pages, "timeout": timeout, "progress": progress}
        return [item async for item in _items(target, sn, spec, fields, **options)]
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
    missing = {k: fields[k] for k in ("enrollid", "backupnum") if k in fields}
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


class TerminalCommands:
    """Every server-to-terminal command as a typed coroutine method taking ``sn`` first.

    Methods generated from the catalogue raise ``TypeError``/``ValueError`` for bad arguments
    before anything is sent, :class:`~wac_toolkit.errors.ConfirmationRequired` for a
    destructive command without ``confirm=True``, and otherwise what the transport raises
    (``TerminalOffline``, ``DeviceError``, ``CommandTimeout``).
    """

    # The transport hooks a subclass provides (see the module docstring):
    _terminal_request: Callable[..., Awaitable[dict[str, Any]]]

    async def _store_pulled(self, sn: str, records: tuple[LogRecord, ...], source: str) -> int:
        return len(records)

    async def _reconnect_mark(self, sn: str) -> int:
        raise WacClientError("waiting for a reconnect needs a gateway (Session or via_gateway)")

    async def _wait_reconnect(self, sn: str, mark: int, timeout: float) -> bool:
        raise NotImplementedError

    def _local_now(self) -> datetime:
        return datetime.now().replace(microsecond=0)

    # -- paging -------------------------------------------------------------------------------

    def iter_pages(
        self,
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
        ``timeout`` seconds; raises :class:`PagingError` after ``max_pages`` pages.
        """
        spec = _spec(cmd)
        options = {"max_pages": max_pages, "timeout": timeout, "progress": progress}
        return _pages(self, sn, spec, build_fields(spec, fields), **options)

    def iter_user_list(self, sn: str, **options: Any) -> AsyncIterator[UserSlot]:
        """``async for slot in ...``: :class:`UserSlot` by slot, page after page."""
        return _items(self, sn, COMMANDS["getuserlist"], {}, **_paging(options))

    def iter_logs(
        self,
        sn: str,
        *,
        new_only: bool = True,
        since: date | str | None = None,
        until: date | str | None = None,
        **options: Any,
    ) -> AsyncIterator[LogRecord]:
        """``async for record in ...``: ``getnewlog``, or ``getalllog`` between two days."""
        spec, fields = _log_fields(new_only, since, until)
        return _items(self, sn, spec, fields, **_paging(options))

    async def pull_logs(
        self,
        sn: str,
        *,
        new_only: bool = True,
        since: date | str | None = None,
        until: date | str | None = None,
        progress: Progress | None = None,
        timeout: float | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> int:
        """Page through the terminal's logs into the store; returns how many rows were new.

        Pages are stored as they arrive (duplicates of pushed records drop), so an
        interrupted pull keeps what it got.
        """
        spec, fields = _log_fields(new_only, since, until)
        options = {"max_pages": max_pages, "timeout": timeout, "progress": progress}
        new = received = outside = 0
        first, last = fields.get("from"), fields.get("to")
        async for page in _pages(self, sn, spec, fields, **options):
            records = tuple(LogRecord.from_wire(item) for item in page.records)
            received += len(records)
            if first is not None or last is not None:
                outside += sum(1 for r in records if not _within(r, first, last))
            new += await self._store_pulled(sn, records, spec.name)
        if outside:
            log.warning(
                "terminal %s returned %d of %d records outside %s..%s; stored anyway (they are"
                " real punches)", sn, outside, received, first or "", last or "",
            )  # fmt: skip
        return Pulled(new, received=received, outside=outside)

    # -- commands that are more than one request -----------------------------------------------

    async def reboot(self, sn: str, *, wait_reconnect: float | None = None) -> Rebooted:
        """Restart the terminal. No reply comes; with ``wait_reconnect`` (seconds) wait for
        its new ``reg`` and report whether it came."""
        mark = await self._reconnect_mark(sn) if wait_reconnect is not None else 0
        await _run(self, COMMANDS["reboot"], sn, {})
        if wait_reconnect is None:
            return Rebooted(sn)
        return Rebooted(sn, await self._wait_reconnect(sn, mark, wait_reconnect))

    async def set_time(
        self, sn: str, when: datetime | str | None = None, *, timeout: float | None = None
    ) -> Ack:
        """Set the terminal's clock to ``when`` (default: now, in the terminals' zone)."""
        when = self._local_now() if when is None else when
        return await _run(self, COMMANDS["settime"], sn, {"when": when}, timeout=timeout)  # type: ignore[no-any-return]


class Pulled(int):
    """What :meth:`TerminalCommands.pull_logs` returns: the number of new rows (an int, as
    before), with ``received`` (records the terminal sent) and ``outside`` (records outside
    the requested days: firmware that ignores the filter; they are stored all the same)."""

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


def _paging(options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - {"max_pages", "timeout", "progress"}
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(sorted(unknown))}")
    return {"max_pages": DEFAULT_MAX_PAGES, "timeout": None, "progress": None, **options}


_HANDWRITTEN = ("iter_pages", "iter_user_list", "iter_logs", "pull_logs", "reboot", "set_time")


def _result_name(spec: Command) -> str:
    if spec.paged:
        return f"list[{getattr(spec.item, '__self__', object).__name__}]"
    if spec.batch:
        return "int"
    owner = getattr(spec.result, "__self__", None)
    return owner.__name__ if owner is not None else "dict[str, Any]"


def _signature(spec: Command) -> inspect.Signature:
    P = inspect.Parameter
    params = [
        P("self", P.POSITIONAL_OR_KEYWORD),
        P("sn", P.POSITIONAL_OR_KEYWORD, annotation="str"),
    ]
    optional_seen = False
    for field in spec.fields:
        if spec.settings and not field.required:
            continue
        types = field.type if isinstance(field.type, tuple) else (field.type,)
        note = " | ".join(t.__name__ for t in types)
        if field.default is not NO_DEFAULT or not field.required:
            optional_seen = True
            default = None if field.default is NO_DEFAULT else field.default
            params.append(P(field.param, P.POSITIONAL_OR_KEYWORD, default=default, annotation=note))
        else:
            kind = P.KEYWORD_ONLY if optional_seen else P.POSITIONAL_OR_KEYWORD
            params.append(P(field.param, kind, annotation=note))
    if spec.destructive:
        params.append(P("confirm", P.KEYWORD_ONLY, default=False, annotation="bool"))
    if spec.paged:
        params.append(P("progress", P.KEYWORD_ONLY, default=None, annotation="Progress | None"))
        params.append(P("max_pages", P.KEYWORD_ONLY, default=DEFAULT_MAX_PAGES, annotation="int"))
    params.append(P("timeout", P.KEYWORD_ONLY, default=None, annotation="float | None"))
    if spec.settings:
        params.append(P("settings", P.VAR_KEYWORD, annotation="Any"))
    return inspect.Signature(params, return_annotation=_result_name(spec))


def _doc(spec: Command) -> str:
    lines = [f"``{spec.name}``: {spec.help}."]
    if spec.settings:
        names = ", ".join(f.param for f in spec.fields if not f.required)
        lines.append(f"\nSettings (keyword arguments): {names}.")
    if spec.destructive:
        lines.append("\nDestructive: raises ConfirmationRequired unless ``confirm=True``.")
    return "\n".join(lines)


def _generated(spec: Command) -> Callable[..., Any]:
    signature = _signature(spec)
    options = {"timeout", "confirm", "progress", "max_pages"}

    async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        arguments = dict(bound.arguments)
        del arguments["self"]
        sn = arguments.pop("sn")
        arguments.update(arguments.pop("settings", {}))
        extra = {k: arguments.pop(k) for k in options & set(arguments)}
        return await _run(self, spec, sn, arguments, **extra)

    method.__name__ = method.__qualname__ = spec.method or spec.name
    method.__doc__ = _doc(spec)
    method.__signature__ = signature  # type: ignore[attr-defined]
    return method


for _command in terminal_commands():
    if _command.method and _command.method not in _HANDWRITTEN:
        setattr(TerminalCommands, _command.method, _generated(_command))


def command_methods() -> list[str]:
    """Every public method :class:`TerminalCommands` offers, catalogue order, then iterators."""
    names = [c.method for c in terminal_commands() if c.method]
    return [*names, *(n for n in _HANDWRITTEN if n not in names)]


def _without_sn(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(self, sn, ...)`` as a method of a one-terminal client: ``method(self, ...)``."""
    signature = inspect.signature(fn)
    params = [p for p in signature.parameters.values() if p.name != "sn"]

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            return await fn(self, self._bound_sn(), *args, **kwargs)

    else:

        @functools.wraps(fn)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            return fn(self, self._bound_sn(), *args, **kwargs)

    method.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return method


class BoundCommands:
    """The :class:`TerminalCommands` methods for a client bound to one terminal (no ``sn``).

    The subclass provides ``sn`` and ``request(cmd, fields, timeout=, expect_reply=)``, and
    may set ``control`` (a :class:`~wac_toolkit.control.ControlClient`) so that pulled logs
    are stored by the gateway and reboots can be watched.
    """

    sn: str | None
    control: Any = None
    request: Callable[..., Awaitable[dict[str, Any]]]
    """``request(cmd, fields, timeout=, expect_reply=)``: the subclass's way to the terminal."""

    def _bound_sn(self) -> str:
        if not self.sn:
            raise WacClientError("this client does not know its terminal's sn")
        return self.sn

    async def _terminal_request(self, sn: str, cmd: str, fields: Any, **how: Any) -> Any:
        return await self.request(cmd, fields, **how)

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

    _local_now = TerminalCommands._local_now


for _name in command_methods():
    if _name not in BoundCommands.__dict__:
        setattr(BoundCommands, _name, _without_sn(getattr(TerminalCommands, _name)))


def add_blocking(cls: type, run: str, target: str, names: Iterable[str] | None = None) -> type:
    """Give a blocking facade ``cls`` a twin of every coroutine command method.

    ``getattr(self, run)(coro, timeout)`` runs a coroutine to completion (``timeout`` None:
    the facade's default) and ``getattr(self, target)``
    is the async object (a Session or a WacClient). Async iterators have no blocking twin;
    use the list-returning methods (``get_user_list``) instead. Existing names are kept.
    """
    for name in names if names is not None else command_methods():
        if name in cls.__dict__:
            continue
        source = getattr(TerminalCommands, name)
        if not inspect.iscoroutinefunction(source):
            continue
        setattr(cls, name, _blocking(name, run, target))
    return cls


LONG_CALL = 24 * 3600.0
"""Overall limit of a blocking call that pages or waits for a person or a reboot; each reply
still has its own timeout, so a silent terminal fails long before this."""


def _is_long(name: str) -> bool:
    if name in ("pull_logs", "reboot"):
        return True
    spec = by_method(name)
    return spec.paged or spec.batch is not None or spec.timeout is not None


def _blocking(name: str, run: str, target: str) -> Callable[..., Any]:
    limit = LONG_CALL if _is_long(name) else None

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, run)(getattr(getattr(self, target), name)(*args, **kwargs), limit)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"Blocking :meth:`{name}`."
    return method
