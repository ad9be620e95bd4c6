"""``%wac pull-logs SN``: fetch the terminal's records into the store (getnewlog / getalllog)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ...session import _as_datetime
from ..progress import run_with_progress
from ..results import Outcome
from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS"]


def configure(parser: CommandParser) -> None:
    parser.add_argument("sn", help="terminal serial number")
    parser.add_argument(
        "--all", action="store_true", help="every record (getalllog), not only new ones"
    )
    parser.add_argument("--since", help="with --all: from this date (YYYY-MM-DD)")
    parser.add_argument("--until", help="with --all: up to this date")


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Outcome:
    if (args.since or args.until) and not args.all:
        raise ValueError("--since/--until need --all (getnewlog has no date filter)")
    since, until = _as_datetime(args.since), _as_datetime(args.until)
    runtime, _ = magics.terminal(args.sn)
    stored = run_with_progress(
        runtime,
        lambda progress: runtime.session.pull_logs(
            args.sn, new_only=not args.all, since=since, until=until, progress=progress
        ),
        f"{args.sn} logs",
        widgets=magics.in_kernel,
    )
    which = "all" if args.all else "new"
    return Outcome(f"{args.sn}: pulled {which} logs, {stored} new records stored")


COMMANDS = (
    Subcommand(
        "pull-logs",
        "fetch a terminal's records into the store (new ones, or --all)",
        configure,
        run,
        takes_sn=True,
    ),
)
