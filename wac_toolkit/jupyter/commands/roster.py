"""``%wac roster [ACTION]``: the people of the site and their sync to the terminals.

``%wac roster`` alone returns the people as a DataFrame (credentials as yes/no, never their
values); the actions show the queue, the outcomes, and re-plan or reconcile terminals. Each
is a short shim over ``session.roster`` (:mod:`wac_toolkit.roster`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..results import Outcome, count
from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS"]

ACTIONS = ("people", "pending", "outcomes", "sync", "reconcile", "group", "import", "export")


def configure(parser: CommandParser) -> None:
    parser.add_argument(
        "action", nargs="?", default="people", choices=ACTIONS,
        help="people (default), pending, outcomes, sync [SN], reconcile SN, group NAME SN...,"
        " import FILE, export FILE",
    )  # fmt: skip
    parser.add_argument("args", nargs="*", help="the action's arguments")
    parser.add_argument("--sn", help="pending/outcomes: only this terminal")
    parser.add_argument("--failed", action="store_true", help="outcomes: only failures")
    parser.add_argument("--prune", action="store_true", help="reconcile: delete unknown people")
    parser.add_argument("--adopt", action="store_true", help="reconcile: add them to the roster")
    parser.add_argument("--assign", nargs="+", default=["all"], help="import: default targets")


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Any:
    runtime = magics.require()
    roster = runtime.session.roster
    action, rest = args.action, args.args
    if action == "people":
        return roster.people()
    if action == "pending":
        return roster.pending(args.sn)
    if action == "outcomes":
        frame = roster.outcomes(args.sn)
        return frame[~frame["ok"]] if args.failed else frame
    if action == "sync":
        queued = runtime.run(roster.sync(_one(rest, "SN", optional=True)))
        return Outcome(f"{count(queued, 'step')} queued")
    if action == "reconcile":
        sn = _one(rest, "SN")
        report = runtime.run(roster.reconcile(sn, prune=args.prune, adopt=args.adopt))
        unknown = ", ".join(map(str, report.unknown)) or "none"
        return Outcome(
            f"{sn}: holds {count(report.held, 'person', 'people')},"
            f" {count(report.queued, 'repair step')} queued;"
            f" unknown to the roster: {unknown}; adopted: {len(report.adopted)}",
            ok=not report.unreadable,
        )
    if action == "group":
        if not rest:
            raise ValueError("group needs a NAME, then the serial numbers")
        members = runtime.run(roster.set_group(rest[0], rest[1:]))
        return Outcome(f"group:{rest[0]} = {', '.join(members) or '(empty)'}")
    path = _one(rest, "FILE")
    if action == "import":
        imported = runtime.run(roster.import_csv(path, assign=args.assign))
        return Outcome(f"imported {count(imported, 'person', 'people')} from {path}")
    exported = roster.export_csv(path)
    return Outcome(f"exported {count(exported, 'person', 'people')} to {path}")


def _one(rest: list[str], what: str, *, optional: bool = False) -> Any:
    if len(rest) > 1 or (not rest and not optional):
        raise ValueError(f"expected one {what}, got {len(rest)} arguments")
    return rest[0] if rest else None


COMMANDS = (
    Subcommand(
        "roster",
        "people and their sync to terminals: pending, outcomes, sync, reconcile, CSV",
        configure,
        run,
    ),
)
