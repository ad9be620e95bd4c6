"""``%wac timesheet MONTH [--xlsx FILE]``: the month HR signs off, from the stored logs.

``MONTH`` is ``2025-08``, ``this-month`` or ``last-month``. Without ``--shift`` everyone is
expected Monday to Friday; with it, lateness, early leaves and overtime are measured and
the break is handled by ``--policy`` (auto-deduct by default). Names come from the roster.
The result shows each person's totals (``H:MM``, hours to 2 decimals); ``.sheet`` is every
day, ``.totals`` the totals, both as DataFrames.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..dates import period
from ..people import match_person, roster_names
from ..results import count
from . import Subcommand

if TYPE_CHECKING:
    import pandas as pd

    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS", "Timesheet"]


@dataclass(frozen=True, slots=True)
class Timesheet:
    """What ``%wac timesheet`` returns: the month's days and totals, and files written."""

    month: str
    sheet: pd.DataFrame = field(repr=False)
    totals: pd.DataFrame = field(repr=False)
    written: tuple[str, ...] = ()

    def __repr__(self) -> str:
        from ...analysis.display import readable

        files = f"; wrote {', '.join(self.written)}" if self.written else ""
        people = count(len(self.totals), "person", "people")
        table = readable(self.totals).to_string(index=False)
        return f"timesheet {self.month}: {people}{files}\n{table}"

    def _repr_html_(self) -> str:
        import html

        from ...analysis.display import styled

        files = ""
        if self.written:
            files = "; wrote " + ", ".join(f"<code>{html.escape(p)}</code>" for p in self.written)
        people = count(len(self.totals), "person", "people")
        head = f"<p><b>timesheet {html.escape(self.month)}</b>: {people}{files}</p>"
        return head + styled(self.totals).to_html()


def configure(parser: CommandParser) -> None:
    parser.add_argument("month", help="2025-08, this-month or last-month")
    parser.add_argument("--xlsx", metavar="FILE", help="also write an XLSX, one sheet per person")
    parser.add_argument("--csv", metavar="FILE", help="also write every day as CSV")
    parser.add_argument("--shift", help="expected hours, e.g. 08:00-16:30 (default: none)")
    parser.add_argument("--break", dest="unpaid_break", default="0", help="unpaid break, minutes")
    parser.add_argument(
        "--policy", choices=("auto", "punched", "paid"), default="auto",
        help="how the break counts (default auto: deducted unless punched)",
    )  # fmt: skip
    parser.add_argument("--grace", default="0", help="minutes late that still count as on time")
    parser.add_argument("--day-start", default="04:00", help="when a workday begins (04:00)")
    parser.add_argument("--person", help="only this person: a name or a user number")


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Timesheet:
    from ...analysis import (
        Schedule,
        Shift,
        first_last,
        timesheet,
        timesheet_totals,
        to_csv,
        to_xlsx,
    )
    from ...analysis.units import as_clock, as_duration

    runtime = magics.require()
    session = runtime.session
    chosen = period(args.month, session.now_local())
    month = chosen.month
    if month is None:
        raise ValueError(f"a timesheet is for one month (2025-08, last-month), not {args.month!r}")
    schedule = None
    if args.shift:
        start, sep, end = args.shift.partition("-")
        if not sep:
            raise ValueError(f"--shift is START-END such as 08:00-16:30, not {args.shift!r}")
        schedule = Schedule(
            Shift(
                start, end, "shift", grace=as_duration(float(args.grace), "--grace"),
                unpaid_break=as_duration(float(args.unpaid_break), "--break"),
                break_policy=args.policy,
            )
        )  # fmt: skip
    for target in (args.xlsx, args.csv):
        if target and not Path(target).expanduser().parent.is_dir():
            raise ValueError(f"no folder for {target!r}")
    names = roster_names(session)
    begins = as_clock(args.day_start, "--day-start")
    offset = timedelta(hours=begins.hour, minutes=begins.minute, seconds=begins.second)
    # The month's last workday runs until the day start after it (a night shift's morning).
    logs = session.logs(since=chosen.start + offset, until=chosen.end + offset)
    people: Any = None
    if args.person:
        wanted = match_person(args.person, names, logs)
        logs = logs.loc[logs["enrollid"].isin(wanted).fillna(False).astype(bool)]
        people = {e: names.get(e) for e in wanted}
    days = first_last(logs, day_start=args.day_start)
    if people is None:
        ids = sorted({int(e) for e in days["enrollid"].dropna()} | set(names))
        people = {e: names.get(e) for e in ids}
    sheet = timesheet(days, month, people=people, schedule=schedule)
    if names:
        sheet["name"] = sheet["enrollid"].map(names).astype("string").fillna(sheet["name"])
    totals = timesheet_totals(sheet)
    written = []
    if args.xlsx:
        to_xlsx(sheet, Path(args.xlsx).expanduser(), by="enrollid")
        written.append(args.xlsx)
    if args.csv:
        to_csv(sheet, Path(args.csv).expanduser())
        written.append(args.csv)
    return Timesheet(month, sheet, totals, tuple(written))


COMMANDS = (
    Subcommand(
        "timesheet",
        "a month's timesheet per person from the stored logs (--xlsx FILE to export)",
        configure,
        run,
    ),
)
