"""``%wac opendoor SN``: open the door (or one door of a multi-door controller)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..parser import bounded_int
from ..results import Outcome
from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS"]


def configure(parser: CommandParser) -> None:
    parser.add_argument("sn", help="terminal serial number")
    parser.add_argument(
        "--door", type=bounded_int(1, 4, "--door"), help="door 1..4 on multi-door controllers"
    )


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Outcome:
    runtime, _ = magics.terminal(args.sn)
    reply = runtime.run(runtime.session.open_door(args.sn, args.door))
    door = f"door {args.door}" if args.door else "door"
    return Outcome(f"{args.sn}: {door} opened", (reply,) if isinstance(reply, dict) else ())


COMMANDS = (Subcommand("opendoor", "open a terminal's door", configure, run, takes_sn=True),)
