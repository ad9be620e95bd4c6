"""Parts that live above the Session (the roster), attached to every Session it makes.

Why a registry: the roster uses the Session's public API (commands, events, the store, the
terminal list), so it sits above the Session. If ``session.py`` imported the roster to build
it, the two would import each other and the Session could not be loaded, read or tested
without the layer on top of it. Instead the Session knows only this module: at construction it
asks every registered factory for its part and sets it as an attribute of that name
(``session.roster``), and it stops them, newest first, before it stops itself. The wiring is
done by the package entry (``wac_toolkit/__init__.py`` registers the roster's factory, which
imports the roster only when the first Session is made), so ``import wac_toolkit.session``
loads no roster and ``session.roster`` works wherever a Session is made, however it was
imported. ``tests/test_layers.py`` checks the direction.

A layer reacts to the Session through its public hooks: events (``session.subscribe``) and
``session.command_hooks`` (awaited after a terminal accepted a command, in the caller's task).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Layer", "attach", "register"]


class Layer(Protocol):
    """What the Session needs of a part above it: to stop it."""

    async def stop(self) -> None: ...


_FACTORIES: dict[str, Callable[[Any], Layer]] = {}


def register(name: str, factory: Callable[[Any], Layer]) -> None:
    """Give every Session made from now on ``factory(session)`` as ``session.<name>``."""
    _FACTORIES[name] = factory


def attach(session: Any) -> dict[str, Layer]:
    """Make the registered parts for ``session``, in registration order."""
    return {name: factory(session) for name, factory in _FACTORIES.items()}
