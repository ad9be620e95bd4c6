"""``%wac logs [PERIOD]``: stored logs as the typed DataFrame, so ``df = %wac logs ...`` assigns.

Dates may be relative (``today``, ``yesterday``, ``7d``, ``this-month``, ``last-month``:
:mod:`..dates`) and ``--person`` takes a name. A filter that can only give an empty frame
by mistake (an unknown terminal, ``--since`` after ``--until``) is a one-line error rather
than an empty table that looks like "nobody came".
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..dates import Period, period
from ..parser import bounded_int
from ..people import match_person, roster_names
from . import Subcommand

if TYPE_CHECKING:
    import pandas as pd

    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS", "add_filters", "filtered_logs"]


def add_filters(parser: CommandParser, *, positional: bool = True) -> None:
    """The date, terminal and person filters ``logs``, ``presence`` and others share."""
    if positional:
        parser.add_argument(
            "period", nargs="?",
            help="a day, month or relative period: today, yesterday, 7d, this-month, 2025-08",
        )  # fmt: skip
    parser.add_argument(
        "--since", help="start (terminal-local): 2025-08-01, '2025-08-01 08:00', 7d, yesterday"
    )
    parser.add_argument("--until", help="end, exclusive (a day means up to its end)")
    parser.add_argument("--sn", action="append", help="only this terminal (repeatable)")
    parser.add_argument(
        "--enrollid", type=int, action="append", help="only this user number (repeatable)"
    )
    parser.add_argument("--person", help="only this person: a name (Ada) or a user number")


def configure(parser: CommandParser) -> None:
    add_filters(parser)
    parser.add_argument(
        "--tail", type=bounded_int(1, what="--tail"), help="only the last N records"
    )


def bounds(magics: WacMagics, args: argparse.Namespace) -> tuple[Any, Any, Period | None]:
    """``since``, ``until`` (naive local datetimes or None) and the positional period."""
    now = magics.require().session.now_local()
    chosen = period(args.period, now) if getattr(args, "period", None) else None
    since = chosen.start if chosen else None
    until = chosen.end if chosen else None
    if args.since:
        since = period(args.since, now).start
    if args.until:
        until = period(args.until, now).end
    if since is not None and until is not None and since >= until:
        raise ValueError(
            f"--since {since:%Y-%m-%d %H:%M:%S} is not before --until {until:%Y-%m-%d %H:%M:%S};"
            " nothing can match"
        )
    return since, until, chosen


def filtered_logs(magics: WacMagics, args: argparse.Namespace) -> pd.DataFrame:
    """The logs the filters in ``args`` select (see :func:`add_filters`)."""
    runtime = magics.require()
    for sn in args.sn or ():
        magics.terminal(sn)  # unknown serial: one line naming the known ones
    since, until, _ = bounds(magics, args)
    enrollids = list(args.enrollid or ())
    frame = runtime.session.logs(
        since=since,
        until=until,
        sn=None if not args.sn else (args.sn[0] if len(args.sn) == 1 else args.sn),
        enrollid=None if not enrollids else (enrollids[0] if len(enrollids) == 1 else enrollids),
    )
    if args.person:
        people = match_person(args.person, roster_names(runtime.session), frame)
        frame = frame.loc[frame["enrollid"].isin(people).fillna(False).astype(bool)]
        frame = frame.reset_index(drop=True)
    return frame


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> pd.DataFrame:
    frame = filtered_logs(magics, args)
    if args.tail is not None:
        frame = frame.tail(args.tail)
    return frame


COMMANDS = (Subcommand("logs", "stored logs as a DataFrame (reads the store)", configure, run),)
