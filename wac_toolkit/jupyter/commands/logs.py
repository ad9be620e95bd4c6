"""``%wac logs``: stored logs as the typed DataFrame, so ``df = %wac logs ...`` assigns."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from . import Subcommand

if TYPE_CHECKING:
    import pandas as pd

    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS"]


def configure(parser: CommandParser) -> None:
    parser.add_argument(
        "--since", help="terminal-local start, e.g. 2025-08-01 or '2025-08-01 08:00'"
    )
    parser.add_argument("--until", help="terminal-local end (exclusive)")
    parser.add_argument("--sn", action="append", help="only this terminal (repeatable)")
    parser.add_argument(
        "--enrollid", type=int, action="append", help="only this user number (repeatable)"
    )
    parser.add_argument("--tail", type=int, help="only the last N records")


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> pd.DataFrame:
    runtime = magics.require()
    frame = runtime.session.logs(
        since=args.since,
        until=args.until,
        sn=None if not args.sn else (args.sn[0] if len(args.sn) == 1 else args.sn),
        enrollid=None
        if not args.enrollid
        else (args.enrollid[0] if len(args.enrollid) == 1 else args.enrollid),
    )
    if args.tail is not None:
        frame = frame.tail(args.tail)
    return frame


COMMANDS = (Subcommand("logs", "stored logs as a DataFrame (reads the store)", configure, run),)
