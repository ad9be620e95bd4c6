"""Where the notebook's gateway runs: a background thread (default) or the kernel's own loop.

The thread mode is :class:`~wac_toolkit.sync.SessionSync`: the gateway keeps serving while a
cell is busy and between prompts in the IPython terminal, with no patching of asyncio. The
opt-in ``"kernel"`` mode runs the Session on the kernel's loop and applies ``nest_asyncio2``
(falling back to ``nest_asyncio``) only when it is chosen; the gateway then stalls while a
cell runs (research/jupyter.md 2.4).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import logging
import sys
import warnings
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..errors import WacClientError, WacError
from ..session import Session
from ..sync import SessionSync
from .results import count

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GatewayOptions", "Runtime", "start_runtime"]

T = TypeVar("T")
LoopMode = Literal["thread", "kernel"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GatewayOptions:
    """Everything ``%wac start`` decides; equal options mean "the same gateway"."""

    db: str
    host: str
    port: int
    tz: str | None
    command_timeout: float
    loop: LoopMode = "thread"


class Runtime:
    """A started Session plus the way to run its coroutines from the notebook's thread."""

    def __init__(self, options: GatewayOptions) -> None:
        self.options = options
        self._sync: SessionSync | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        kwargs: dict[str, Any] = {"tz": options.tz, "command_timeout": options.command_timeout}
        if options.loop == "thread":
            self._sync = SessionSync(options.db, options.host, options.port, **kwargs)
            self.session: Session = self._sync.session
        else:
            self._loop = _kernel_loop()
            session = Session(options.db, options.host, options.port, **kwargs)
            self.session = self._loop.run_until_complete(session.start())
        self.timeout = options.command_timeout + 10.0

    def __repr__(self) -> str:
        if not self.alive:
            return f"<wac gateway {self.url} (stopped)>"
        terminals = self.session.terminals()
        online = sum(t.online for t in terminals)
        return (
            f"<wac gateway {self.url} ({self.options.loop} loop): "
            f"{online} of {count(len(terminals), 'terminal')} online>"
        )

    def _repr_html_(self) -> str:
        """The cell's view of ``%wac start``: where terminals dial, the store, the zone."""
        state = "running" if self.alive else "stopped"
        terminals = self.session.terminals() if self.alive else []
        online = sum(t.online for t in terminals)
        rows = [
            ("terminals dial", f"<code>{html.escape(self.url)}</code>"),
            ("state", f"{state} ({html.escape(self.options.loop)} loop)"),
            ("terminals", f"{online} of {count(len(terminals), 'terminal')} online"),
            ("store", f"<code>{html.escape(self.options.db)}</code>"),
            ("time zone", html.escape(str(self.session.tz))),
        ]
        body = "".join(
            f'<tr><th style="text-align:left">{k}</th><td style="text-align:left">{v}</td></tr>'
            for k, v in rows
        )
        return f'<table class="wac-gateway"><caption>wac gateway</caption>{body}</table>'

    @property
    def url(self) -> str:
        return self.session.url

    @property
    def port(self) -> int:
        return self.session.port

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the Session serves on."""
        assert self.session.loop is not None
        return self.session.loop

    @property
    def alive(self) -> bool:
        if self._sync is not None:
            return self._sync.background.running
        return self._loop is not None and not self._loop.is_closed()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a Session coroutine to completion from the notebook's thread."""
        timeout = self.timeout if timeout is None else timeout
        if self._sync is not None:
            return self._sync.run(coro, timeout)
        assert self._loop is not None
        try:
            return self._loop.run_until_complete(_within(coro, timeout))
        except TimeoutError as exc:
            if isinstance(exc, WacError):  # CommandTimeout from the terminal: keep it
                raise
            raise WacClientError(f"no result within {timeout} s") from None

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start a coroutine and return at once (thread mode; kernel mode runs it to the end)."""
        if self._sync is not None:
            return self._sync.background.submit(coro)
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        try:
            future.set_result(self.run(coro))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future

    def logs(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        return self.session.logs(*args, **kwargs)

    def close(self) -> None:
        """Stop the gateway, flush the store and end the loop thread.

        Widgets showing this Session (dashboard, presence) are told, so they show the
        terminals offline rather than the last state they saw.
        """
        widgets = sys.modules.get("wac_toolkit.jupyter.widgets")
        if widgets is not None:
            widgets.session_stopped(self.session)
        if self._sync is not None:
            self._sync.close()
        elif self._loop is not None and not self._loop.is_closed():
            self._loop.run_until_complete(self.session.stop())
            if not self._loop.is_running():
                self._loop.close()
            self._loop = None


def start_runtime(options: GatewayOptions) -> Runtime:
    return Runtime(options)


_patched = False


def _kernel_loop() -> asyncio.AbstractEventLoop:
    """The running loop (a kernel's), made re-entrant; or a private loop when none runs."""
    global _patched
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.new_event_loop()
    if not _patched:
        try:
            import nest_asyncio2 as nest  # type: ignore[import-untyped]  # ships no type hints
        except ImportError:  # pragma: no cover - older kernels
            import nest_asyncio as nest  # type: ignore[import-not-found, no-redef, unused-ignore]
        nest.apply(loop)
        _patched = True
        warnings.warn(
            "wac: the gateway now runs on the kernel's loop (nest_asyncio applied); it pauses "
            "while a cell runs. Use the default thread mode to keep serving.",
            stacklevel=3,
        )
    return loop


async def _within(coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
    async with asyncio.timeout(timeout):
        return await coro
