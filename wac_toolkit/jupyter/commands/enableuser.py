"""``%wac enableuser SN ENROLLID [--off]``: let a user in again, or lock them out."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..results import Outcome
from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS"]


def configure(parser: CommandParser) -> None:
    parser.add_argument("sn", help="terminal serial number")
    parser.add_argument("enrollid", type=int, help="user number on the terminal")
    parser.add_argument("--off", action="store_true", help="disable instead of enable")


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Outcome:
    runtime, _ = magics.terminal(args.sn)
    runtime.run(runtime.session.enable_user(args.sn, args.enrollid, not args.off))
    state = "disabled" if args.off else "enabled"
    return Outcome(f"{args.sn}: user {args.enrollid} {state}")


COMMANDS = (
    Subcommand(
        "enableuser",
        "enable (or --off: disable) a user on a terminal",
        configure,
        run,
        takes_sn=True,
    ),
)
