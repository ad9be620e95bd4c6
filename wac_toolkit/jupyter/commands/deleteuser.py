"""``%wac deleteuser SN ENROLLID``: remove a whole user, or one credential slot."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ...protocol.models import BackupNum
from ..parser import one_of
from ..results import Outcome
from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS", "SLOTS"]

SLOTS = {
    **{i: f"finger {i}" for i in range(10)},
    10: "PIN", 11: "card", 12: "all fingers", 13: "whole user",
    **{20 + i: f"face {i}" for i in range(8)},
    40: "palm 0", 41: "palm 1", 50: "photo",
}  # fmt: skip
"""The slots ``deleteuser`` takes (PROTOCOL.md 5.1)."""


def configure(parser: CommandParser) -> None:
    parser.add_argument("sn", help="terminal serial number")
    parser.add_argument("enrollid", type=int, help="user number on the terminal")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--backupnum",
        type=one_of(SLOTS, "--backupnum"),
        help="only this slot: 0-9 finger, 10 PIN, 11 card, 12 all fingers, 13 all, 50 photo",
    )
    which.add_argument("--all", action="store_true", help="the whole user (the default)")


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Outcome:
    backupnum = BackupNum.ALL if args.backupnum is None else BackupNum(args.backupnum)
    runtime, _ = magics.terminal(args.sn)
    reply = runtime.run(runtime.session.delete_user(args.sn, args.enrollid, int(backupnum)))
    what = "whole user" if backupnum == BackupNum.ALL else f"slot {backupnum.name.lower()}"
    return Outcome(f"{args.sn}: user {args.enrollid} deleted ({what})", (reply,))


COMMANDS = (
    Subcommand(
        "deleteuser",
        "delete a user (or one credential slot) from a terminal",
        configure,
        run,
        takes_sn=True,
    ),
)
