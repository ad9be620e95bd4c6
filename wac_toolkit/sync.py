"""Blocking facades: run a coroutine world on a private loop in a background thread.

This works the same in a plain script, a Jupyter kernel (whose loop is already running) and
the IPython terminal (which has no loop between prompts), with no patching of asyncio: the
gateway keeps serving terminals while a notebook cell is busy (research/jupyter.md 2.3).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import threading
import weakref
from collections.abc import Callable, Coroutine, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ._generated.session_sync import SessionSyncCommands
from .errors import WacClientError
from .events import Event

if TYPE_CHECKING:
    import pandas as pd

    from .quarantine import Quarantined
    from .roster.blocking import RosterSync
    from .session import Session, Terminal

__all__ = ["BackgroundLoop", "SessionSync"]

T = TypeVar("T")

_live_loops: weakref.WeakSet[BackgroundLoop] = weakref.WeakSet()


class BackgroundLoop:
    """An event loop running in a daemon thread, with blocking and awaitable entry points."""

    def __init__(self, name: str = "wac-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        _live_loops.add(self)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and block for its result.

        Raises:
            WacClientError: when called from the loop's own thread (it would deadlock), or
                when ``timeout`` passes.
        """
        if threading.current_thread() is self._thread:
            coro.close()
            raise WacClientError("blocking call from the session's own loop; await instead")
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            if future.done():  # the coroutine's own TimeoutError (CommandTimeout): pass it on
                raise
            future.cancel()
            raise WacClientError(f"no result within {timeout} s") from None

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` from another loop (a notebook cell's ``await``)."""
        if asyncio.get_running_loop() is self.loop:
            return await coro
        return await asyncio.wrap_future(self.submit(coro))

    def call(self, fn: Callable[..., T], *args: Any) -> None:
        """Schedule a plain call on the loop thread."""
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self, timeout: float = 10.0) -> None:
        if not self._thread.is_alive():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()


@atexit.register
def _stop_all() -> None:  # pragma: no cover - interpreter shutdown
    for background in list(_live_loops):
        background.stop(timeout=2)


class SessionSync(SessionSyncCommands):
    """A :class:`Session` running in the background, with blocking methods of the same names.

    ``SessionSync(db=..., port=...)`` takes the Session's arguments and starts at once. Event
    callbacks run on the background thread: keep them short and thread-safe.
    """

    def __init__(self, db: str | Path = "wac.sqlite", *args: Any, **kwargs: Any) -> None:
        self.background = BackgroundLoop()
        self._timeout = float(kwargs.get("command_timeout", 20.0)) + 10.0

        from .session import Session  # here: a WacClientSync needs this module, not the store

        async def create() -> Session:
            return await Session(db, *args, **kwargs).start()

        try:
            self.session = self.background.run(create(), timeout=60)
        except BaseException:
            self.background.stop()
            raise

    def __repr__(self) -> str:
        return f"<SessionSync {self.url}>"

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run any Session coroutine to completion from this thread."""
        return self.background.run(coro, self._timeout if timeout is None else timeout)

    @property
    def port(self) -> int:
        return self.session.port

    @property
    def url(self) -> str:
        return self.session.url

    def terminals(self) -> list[Terminal]:
        return self.session.terminals()

    def logs(
        self,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        sn: str | Iterable[str] | None = None,
        enrollid: int | Iterable[int] | None = None,
        include_pending: bool = False,
    ) -> pd.DataFrame:
        return self.session.logs(since, until, sn, enrollid, include_pending)

    def adopt(self, *sns: str) -> list[Terminal]:
        return self.run(self.session.adopt(*sns))

    def block(self, *sns: str) -> list[Terminal]:
        return self.run(self.session.block(*sns))

    def forget(self, *sns: str) -> list[str]:
        return self.run(self.session.forget(*sns))

    def quarantined(self, sn: str | None = None, limit: int | None = None) -> list[Quarantined]:
        return self.session.quarantined(sn, limit)

    def quarantine_count(self) -> int:
        return self.session.quarantine_count()

    def set_user_info(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.run(self.session.set_user_info(*args, **kwargs))

    def delete_user(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.run(self.session.delete_user(*args, **kwargs))

    def command(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.run(self.session.command(*args, **kwargs))

    def subscribe(self, callback: Callable[[Event], Any], *kinds: type) -> Callable[[], None]:
        """Call ``callback(event)`` on the background thread for every event."""
        return self.session.subscribe(callback, *kinds)

    @property
    def roster(self) -> RosterSync:
        """``session.roster`` with blocking methods (``s.roster.add_person(7, "Ana")``)."""
        from .roster.blocking import RosterSync

        return RosterSync(self.session.roster, self.run)

    def close(self) -> None:
        if self.background.running:
            try:
                self.background.run(self.session.stop(), timeout=30)
            finally:
                self.background.stop()

    def __enter__(self) -> SessionSync:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
