"""``%wac person ACTION ENROLLID ...``: add, change or remove one person on all their terminals.

Changes go to the roster and are delivered by its durable queue: a terminal that is offline
gets them when it reconnects. ``%wac person show 7`` shows one person (no secrets).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..results import Outcome
from . import Subcommand

if TYPE_CHECKING:
    from ...roster import Person
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS"]

ACTIONS = ("show", "add", "update", "disable", "enable", "remove", "assign", "unassign")


def configure(parser: CommandParser) -> None:
    parser.add_argument("action", choices=ACTIONS, help=", ".join(ACTIONS))
    parser.add_argument("enrollid", type=int, help="user number")
    parser.add_argument("name", nargs="?", help="add: display name")
    parser.add_argument("--name", dest="new_name", help="update: new display name")
    parser.add_argument("--pin", help="PIN, 1 to 8 digits (leading zeros kept)")
    parser.add_argument("--card", help="card number (leading zeros kept)")
    parser.add_argument("--admin", type=int, choices=(0, 1, 2), help="0 user, 1 admin, 2 super")
    parser.add_argument(
        "--assign", "--to", nargs="+", dest="targets", metavar="TARGET",
        help="add/assign/unassign: all, group:NAME or serial numbers (add default: all)",
    )  # fmt: skip


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Outcome:
    runtime = magics.require()
    roster = runtime.session.roster
    action, enrollid = args.action, args.enrollid
    changes: dict[str, Any] = {
        k: v
        for k, v in (("pin", args.pin), ("card", args.card), ("admin", args.admin))
        if v is not None
    }
    if action == "show":
        person = roster.person(enrollid)
        if person is None:
            raise ValueError(f"enrollid {enrollid} is not in the roster")
        return Outcome(_describe(person))
    if action == "add":
        if not args.name:
            raise ValueError("add needs a NAME after the enrollid")
        person = runtime.run(
            roster.add_person(enrollid, args.name, assign=args.targets or ["all"], **changes)
        )
        return Outcome(f"added {_describe(person)}")
    if action == "update":
        if args.new_name is not None:
            changes["name"] = args.new_name
        if not changes:
            raise ValueError("nothing to change: give --name, --pin, --card or --admin")
        return Outcome(
            f"updated {_describe(runtime.run(roster.update_person(enrollid, **changes)))}"
        )
    if action in ("disable", "enable"):
        person = runtime.run(roster.update_person(enrollid, enabled=action == "enable"))
        return Outcome(f"{action}d {_describe(person)}")
    if action == "remove":
        if not runtime.run(roster.remove_person(enrollid)):
            raise ValueError(f"enrollid {enrollid} is not in the roster")
        return Outcome(f"removed {enrollid}; terminals holding them will delete them")
    if not args.targets:
        raise ValueError(f"{action} needs --to TARGET ...")
    method = roster.assign if action == "assign" else roster.unassign
    return Outcome(f"{_describe(runtime.run(method(enrollid, *args.targets)))}")


def _describe(person: Person) -> str:
    slots = [label for label, value in (("PIN", person.pin), ("card", person.card)) if value]
    others = len(person.credentials) - len(slots)
    if others:
        slots.append(f"{others} biometric")
    where = ", ".join(str(t) for t in person.targets) or "no terminal"
    state = "" if person.enabled else ", disabled"
    return f"{person.enrollid} {person.name} ({', '.join(slots) or 'no credentials'}{state}) on {where}"


COMMANDS = (
    Subcommand(
        "person",
        "add / update / disable / remove a person on all their terminals (durable queue)",
        configure,
        run,
    ),
)
