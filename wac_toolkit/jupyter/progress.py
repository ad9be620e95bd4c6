"""Run a long, paged Session coroutine with a progress bar, updated from the notebook thread.

The Session calls ``progress(done, total)`` on its loop thread; that only records numbers.
The notebook thread polls the future and redraws the bar, so no widget or print is touched
from the loop thread (research/jupyter.md 3.3).
"""

from __future__ import annotations

import concurrent.futures
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from .runtime import Runtime

__all__ = ["Progress", "run_with_progress"]

T = TypeVar("T")
Progress = Callable[[int, int | None], None]


class _Bar:
    """An ``IntProgress`` widget in a kernel; a single rewritten text line elsewhere."""

    def __init__(self, label: str, widgets: bool) -> None:
        self.label = label
        self.widget: Any = None
        self.shown = ""
        if widgets:
            import ipywidgets  # type: ignore[import-untyped]  # ships no type hints
            from IPython.display import display

            self.widget = ipywidgets.IntProgress(value=0, max=1, description=label)
            self.text = ipywidgets.Label("")
            display(ipywidgets.HBox([self.widget, self.text]))  # type: ignore[no-untyped-call]

    def update(self, done: int, total: int | None, final: bool = False) -> None:
        line = f"{done}/{total}" if total else f"{done}"
        if self.widget is not None:
            self.widget.max = max(total or done or 1, 1)
            self.widget.value = min(done, self.widget.max)
            self.text.value = line
            if final:
                self.widget.bar_style = "success"
        elif line != self.shown or final:
            end = "\n" if final else ""
            print(f"\r{self.label}: {line}", end=end, file=sys.stderr, flush=True)
        self.shown = line


def run_with_progress(
    runtime: Runtime,
    make: Callable[[Progress], Coroutine[Any, Any, T]],
    label: str,
    *,
    widgets: bool = False,
    poll: float = 0.2,
) -> T:
    """Run ``make(progress)`` on the gateway's loop, drawing its progress until it ends."""
    lock = threading.Lock()
    state: list[Any] = [0, None]

    def progress(done: int, total: int | None) -> None:
        with lock:
            state[0], state[1] = done, total

    bar = _Bar(label, widgets)
    future = runtime.submit(make(progress))
    try:
        while True:
            try:
                result = future.result(timeout=poll)
                break
            except concurrent.futures.TimeoutError:
                if future.done():  # the coroutine itself timed out (CommandTimeout)
                    raise
                with lock:
                    done, total = state
                bar.update(done, total)
    except BaseException:
        future.cancel()
        raise
    with lock:
        done, total = state
    bar.update(done, total, final=True)
    return result
