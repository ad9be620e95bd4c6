"""``%wac simulate N``: a virtual fleet on the gateway's loop, optionally with a month of punches."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from typing import TYPE_CHECKING

from ..dates import period
from ..fleet import SimulatedFleet
from ..results import Outcome, count
from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS"]


def configure(parser: CommandParser) -> None:
    parser.add_argument("count", type=int, nargs="?", default=3, help="terminals (default 3)")
    parser.add_argument("--people", type=int, default=5, help="users on each terminal (default 5)")
    parser.add_argument("--month", help="also push a month of punches, e.g. 2025-08")
    parser.add_argument("--seed", type=int, default=0, help="seed for --month (default 0)")
    parser.add_argument("--prefix", default="VT", help="serial number prefix (default VT)")
    parser.add_argument("--stop", action="store_true", help="stop the simulated fleet")


def _month(text: str, now: datetime) -> date:
    chosen = period(text, now)
    if chosen.month is None:
        raise ValueError(f"--month is a month such as 2025-08 or last-month, not {text!r}")
    return chosen.start.date()


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Outcome:
    runtime = magics.require()
    # Every argument is checked before the running fleet is touched.
    month = None
    if not args.stop:
        if not 1 <= args.count <= 1000:
            raise ValueError(f"simulate 1 to 1000 terminals, not {args.count}")
        if not 0 <= args.people <= 10_000:
            raise ValueError(f"--people is 0 to 10000, not {args.people}")
        month = _month(args.month, runtime.session.now_local()) if args.month else None
    if magics.fleet is not None:
        runtime.run(magics.fleet.stop())
        magics.fleet = None
    if args.stop:
        return Outcome("simulated fleet stopped")
    fleet = SimulatedFleet(runtime.url, args.count, people=args.people, prefix=args.prefix)

    async def go() -> int:
        # the fleet is ours: adopt its serials before they dial in (identity pinned then)
        await runtime.session.adopt(*fleet.terminals)
        await fleet.start()
        if month is None:
            return 0
        fleet.load_month(month, args.seed)
        return await fleet.flushed()

    try:
        pushed = runtime.run(go(), timeout=300)
    except BaseException:
        runtime.run(fleet.stop())
        raise
    magics.fleet = fleet
    serials = list(fleet.terminals)
    shown = ", ".join(serials[:5]) + (", ..." if len(serials) > 5 else "")
    punches = f"; {pushed} punches for {month:%Y-%m} stored" if month else ""
    return Outcome(f"{count(len(serials), 'simulated terminal')} online ({shown}){punches}")


COMMANDS = (
    Subcommand(
        "simulate",
        "start N virtual terminals with users (try things without hardware)",
        configure,
        run,
    ),
)
