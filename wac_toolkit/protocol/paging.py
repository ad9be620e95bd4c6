"""Paging (``stn``) as a pure state machine: feed it pages, it says whether to ask again.

Sources disagree on when a sequence ends (PROTOCOL.md 5.3), so :class:`Pager` stops on every
documented end condition: an empty ``record`` list, ``to >= count-1`` once ``count`` has shown
itself to be a total, and a page whose ``from``/``to`` does not advance. A failure reply after
the first page also ends the sequence (raising on the first is the caller's business). A cap on
pages makes a terminal that never ends its sequence an error instead of a loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .values import as_int

__all__ = ["DEFAULT_MAX_PAGES", "Page", "Pager"]

DEFAULT_MAX_PAGES = 5000
"""50 records a page: 250,000 logs. A terminal holds at most about 100,000."""


@dataclass(frozen=True, slots=True)
class Page:
    """One package of a paged reply.

    ``count`` is the page size on some firmware and the total on others; ``start``/``end`` are
    the reply's ``from``/``to`` indices (inclusive).
    """

    cmd: str
    number: int
    count: int | None
    start: int | None
    end: int | None
    records: tuple[Any, ...]
    reply: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)


class Pager:
    """Decide the next request of one paged sequence.

    Use: send :meth:`first`, then for each reply call :meth:`feed` (it returns the page, with
    repeated records dropped) and send :meth:`next` while :attr:`done` is false.
    """

    def __init__(
        self, cmd: str, fields: dict[str, Any] | None = None, *, max_pages: int = DEFAULT_MAX_PAGES
    ) -> None:
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self.cmd = cmd
        self.fields = dict(fields or {})
        self.max_pages = max_pages
        self.pages = 0
        self.received = 0
        self.done = False
        self.stop_reason: str | None = None
        self.count_is_total = False
        self.total: int | None = None
        self._last_end: int | None = None

    def first(self) -> dict[str, Any]:
        return {**self.fields, "stn": True}

    def next(self) -> dict[str, Any]:
        return {**self.fields, "stn": False}

    @property
    def capped(self) -> bool:
        """True when the page cap, not the terminal, would end the sequence."""
        return not self.done and self.pages >= self.max_pages

    def failed(self) -> None:
        """A ``result:false`` reply after the first page: some firmware ends that way."""
        self._stop("failure reply")

    def feed(self, reply: dict[str, Any]) -> Page:
        self.pages += 1
        raw = reply.get("record", reply.get("log", reply.get("logs")))
        records = tuple(raw if isinstance(raw, list) else ([raw] if isinstance(raw, dict) else []))
        count, start, end = (as_int(reply.get(k)) for k in ("count", "from", "to"))
        page = Page(self.cmd, self.pages, count, start, end, records, reply)
        if not records:
            self._stop("empty page")
            return page
        if end is not None and self._last_end is not None and end <= self._last_end:
            self._stop("page did not advance")
            return Page(self.cmd, self.pages, count, start, end, (), reply)
        self._last_end = end if end is not None else self._last_end
        self.received += len(records)
        if count is not None and (count > len(records) or (start or 0) > 0 and count > (end or 0)):
            self.count_is_total = True
        if self.count_is_total and count is not None:
            self.total = count
            if end is not None and end >= count - 1 or self.received >= count:
                self._stop("last page of the total")
        return page

    def _stop(self, reason: str) -> None:
        self.done = True
        self.stop_reason = reason
