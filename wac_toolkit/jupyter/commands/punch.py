"""``%wac punch SN ENROLLID``: a person punches at a simulated terminal (for trying things)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ...session import _as_datetime
from ..results import Outcome
from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS"]


def configure(parser: CommandParser) -> None:
    parser.add_argument("sn", help="a simulated terminal's serial number")
    parser.add_argument("enrollid", type=int, help="who punches")
    parser.add_argument("--time", help="terminal-local time (default now)")
    parser.add_argument(
        "--mode", type=int, help="verify mode code (default: the person's credential)"
    )
    parser.add_argument("--out", action="store_true", help="an 'out' punch")


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Outcome:
    runtime = magics.require()
    if magics.fleet is None:
        raise ValueError("no simulated terminals; %wac simulate first")
    magics.fleet.terminal(args.sn)
    moment = _as_datetime(args.time) or runtime.session.now_local()
    runtime.run(
        magics.fleet.punch(args.sn, args.enrollid, moment, mode=args.mode, inout=int(args.out))
    )
    return Outcome(f"{args.sn}: user {args.enrollid} punched at {moment:%Y-%m-%d %H:%M:%S}")


COMMANDS = (Subcommand("punch", "a punch at a simulated terminal", configure, run, takes_sn=True),)
