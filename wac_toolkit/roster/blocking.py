"""``SessionSync.roster``: the roster with blocking methods, for scripts and plain Python.

Every coroutine method of :class:`~.roster.Roster` runs on the session's background loop and
its result is returned; the reads (``people()``, ``pending()`` ...) are plain calls already.
Same names, same arguments, so the async documentation applies word for word.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from .roster import Roster

__all__ = ["RosterSync"]


class RosterSync:
    """Blocking twin of a :class:`Roster`; ``run`` executes a coroutine to completion."""

    def __init__(self, roster: Roster, run: Callable[[Coroutine[Any, Any, Any]], Any]) -> None:
        object.__setattr__(self, "roster", roster)
        object.__setattr__(self, "_run", run)

    def __setattr__(self, name: str, value: Any) -> None:
        """``s.roster.max_attempts = 1`` sets it on the roster, on the session's loop (some
        settings restart a task there)."""
        if name.startswith("_") or name == "roster":
            object.__setattr__(self, name, value)
            return
        if not hasattr(self.roster, name):
            raise AttributeError(f"the roster has no setting {name!r}")

        async def assign() -> None:
            setattr(self.roster, name, value)

        self._run(assign())

    def __repr__(self) -> str:
        return f"<RosterSync {self.roster!r}>"

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *(n for n in dir(self.roster) if not n.startswith("_"))})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        attribute = getattr(self.roster, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        @functools.wraps(attribute)
        def blocking(*args: Any, **kwargs: Any) -> Any:
            return self._run(attribute(*args, **kwargs))

        return blocking
