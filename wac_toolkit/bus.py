"""The event bus: who hears about what, from any thread, always on the session's loop.

Three promises, each the answer to a bug:

* **Subscribing is thread-safe.** Notebooks and scripts subscribe from their own thread while
  the loop publishes; the subscriber list is replaced under a lock (copy on write) and the
  count of subscribers that take access events is kept with it, so events cannot silently
  stop because two threads raced a counter.
* **Callbacks run on the loop**, in publication order, whichever thread published. A coroutine
  callback becomes a task the bus owns and awaits on :meth:`EventBus.close`.
* **Delivery comes after the publisher's step.** :meth:`EventBus.publish` only queues; the
  queue is delivered in a later loop step. Code that publishes and then writes a reply without
  awaiting in between (the ingest path: store, publish, reply) gets its reply on the wire
  before any subscriber runs, so a slow subscriber never delays a terminal's ack (DESIGN.md:
  reply first).

What is published is decided by the session from what the store committed (see
``Session.ingest``), not by the handler that waited for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from .events import AccessEvent

__all__ = ["EventBus"]

log = logging.getLogger(__name__)

Subscriber = tuple[Callable[[Any], Any], tuple[type, ...]]


class EventBus:
    """Fan events out to subscribers on one event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()
        self.access_subscribers = 0
        """Subscribers that take :class:`AccessEvent`; with none, ingest builds no events."""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._queue: list[Any] = []
        self._scheduled = False
        self._tasks: set[asyncio.Task[Any]] = set()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver on ``loop`` (call from that loop's thread, when the session starts)."""
        self.loop = loop
        self._thread = threading.get_ident()

    def subscribe(self, callback: Callable[[Any], Any], *kinds: type) -> Callable[[], None]:
        """Call ``callback(event)`` for every event (or those of ``kinds``); returns unsubscribe.

        Safe from any thread; the callback always runs on the session's loop.
        """
        entry: Subscriber = (callback, kinds)
        takes_access = not kinds or AccessEvent in kinds
        with self._lock:
            self._subscribers = (*self._subscribers, entry)
            self.access_subscribers += takes_access

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    subscribers = list(self._subscribers)
                    subscribers.remove(entry)
                    self._subscribers = tuple(subscribers)
                    self.access_subscribers -= takes_access

        return unsubscribe

    def publish(self, event: Any) -> None:
        """Queue ``event`` for delivery in a later loop step (from any thread)."""
        loop = self.loop
        if loop is None:  # not started: nobody is waiting on a loop yet, deliver now
            self._deliver_one(event)
            return
        if threading.get_ident() != self._thread:
            with contextlib.suppress(RuntimeError):  # loop closed: the session is gone
                loop.call_soon_threadsafe(self.publish, event)
            return
        self._queue.append(event)
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._deliver)

    def _deliver(self) -> None:
        self._scheduled = False
        queue, self._queue = self._queue, []
        for event in queue:
            self._deliver_one(event)

    def _deliver_one(self, event: Any) -> None:
        for callback, kinds in self._subscribers:
            if kinds and not isinstance(event, kinds):
                continue
            try:
                result = callback(event)
                if result is not None and asyncio.iscoroutine(result):
                    self._own(result)
            except Exception:
                log.exception("event subscriber %r failed", callback)

    def _own(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("event subscriber task failed", exc_info=task.exception())

    async def close(self) -> None:
        """Deliver what is queued, then wait for subscriber tasks (cancelled after 5 s)."""
        if self._queue:
            self._deliver()
        tasks = list(self._tasks)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=5.0)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
