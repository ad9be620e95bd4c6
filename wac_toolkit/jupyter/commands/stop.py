"""``%wac stop``: close every connection, flush the store, end the loop thread."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..results import Outcome, count
from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS"]


def configure(parser: CommandParser) -> None:
    pass


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Outcome:
    runtime = magics.runtime
    url = runtime.url if runtime is not None and runtime.alive else None
    online = sum(t.online for t in runtime.session.terminals()) if url and runtime else 0
    simulated = len(magics.fleet.terminals) if magics.fleet is not None else 0
    if not magics.stop():
        return Outcome("no gateway was running", ok=False)
    fleet = f", {count(simulated, 'simulated terminal')} stopped" if simulated else ""
    return Outcome(
        f"gateway stopped ({url}): {count(online, 'terminal')} disconnected{fleet}; the store"
        " is flushed"
    )


COMMANDS = (Subcommand("stop", "stop the gateway (and any simulated fleet)", configure, run),)
