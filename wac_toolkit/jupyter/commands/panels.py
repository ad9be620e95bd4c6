"""``%wac dashboard`` and ``%wac userform``: the widgets for the running gateway."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..parser import bounded_int
from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser
    from ..widgets import Dashboard, UserForm

__all__ = ["COMMANDS"]


def configure_dashboard(parser: CommandParser) -> None:
    parser.add_argument(
        "--feed", type=bounded_int(1, 1000, "--feed"), default=15, help="events shown (15)"
    )
    parser.add_argument("--rate", type=float, default=4.0, help="redraws per second at most")


def run_dashboard(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Dashboard:
    from ..widgets import Dashboard

    if args.feed < 1 or args.rate <= 0:
        raise ValueError("--feed and --rate must be positive")
    return Dashboard(magics.require(), feed_size=args.feed, rate=args.rate)


def configure_form(parser: CommandParser) -> None:
    pass


def run_form(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> UserForm:
    from ..widgets import UserForm

    return UserForm(magics.require())


COMMANDS = (
    Subcommand(
        "dashboard",
        "live widget: terminals online (24 h history), punches per hour, a named feed",
        configure_dashboard,
        run_dashboard,
    ),
    Subcommand(
        "userform", "widget form: set or delete a user on a terminal", configure_form, run_form
    ),
)
