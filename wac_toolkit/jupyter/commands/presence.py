"""``%wac presence``: who is inside now, by terminal; a live roll call for an evacuation.

In a notebook it returns the :class:`~..widgets.Presence` widget, which follows punches as
they arrive and has a checkbox per person to tick at the assembly point. ``--table`` (and
any plain IPython) returns the list as a DataFrame instead.
"""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..people import roster_names
from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS", "parse_window"]

_WINDOW = re.compile(r"^(\d+)\s*([hm]?)$")


def parse_window(text: str) -> timedelta:
    """``16h``, ``90m`` or minutes; at least a minute, at most a week."""
    match = _WINDOW.match(text.strip().lower())
    if not match:
        raise ValueError(f"--window is hours or minutes such as 16h or 90m, not {text!r}")
    number, unit = int(match.group(1)), match.group(2)
    window = timedelta(hours=number) if unit == "h" else timedelta(minutes=number)
    if not timedelta(minutes=1) <= window <= timedelta(days=7):
        raise ValueError(f"--window is 1m to 168h, not {text!r}")
    return window


def configure(parser: CommandParser) -> None:
    parser.add_argument(
        "--window", default="16h", help="punches older than this say nothing (default 16h)"
    )
    parser.add_argument("--table", action="store_true", help="a DataFrame, not the widget")
    parser.add_argument("--rate", type=float, default=4.0, help="redraws per second at most")


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Any:
    window = parse_window(args.window)
    if args.rate <= 0:
        raise ValueError("--rate must be positive")
    runtime = magics.require()
    if args.table or not magics.in_kernel:
        from ...analysis.inside import who_is_inside

        session = runtime.session
        now = session.now_local()
        logs = session.logs(since=now - window)
        return who_is_inside(logs, now, window=window, names=roster_names(session))
    from ..widgets import Presence

    return Presence(runtime, window=window, rate=args.rate)


COMMANDS = (
    Subcommand(
        "presence",
        "who is inside now, by terminal: a live roll call (widget; --table for a DataFrame)",
        configure,
        run,
    ),
)
