"""``%wac stop``: close every connection, flush the store, end the loop thread."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS"]


def configure(parser: CommandParser) -> None:
    pass


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> None:
    if magics.stop():
        print("gateway stopped")
    else:
        print("no gateway was running")


COMMANDS = (Subcommand("stop", "stop the gateway (and any simulated fleet)", configure, run),)
