"""``wac roster ...``: manage people from the command line.

Changes are written to the store file itself (SQLite in WAL mode takes a second process), and
the steps they need are queued there. When ``wac serve`` runs on that file, its control
endpoint is told to deliver them now (``roster_sync``); otherwise they wait in the store and
go out when the gateway runs and each terminal is online. ``reconcile`` needs the terminals,
so on a SQLite file it only works through a running gateway.

On a PostgreSQL DSN the database is the channel: the queued steps wake the gateway holding
each terminal (NOTIFY), and ``reconcile`` reads the terminal through whichever gateway holds
it (commands routed through the database); no control socket is used.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from ..control import ControlClient
from ..control_endpoint import has_endpoint
from ..errors import WacClientError
from ..session import Session
from ..store import describe, is_dsn

__all__ = ["register"]

Action = Callable[[Session, argparse.Namespace], Awaitable[Any]]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``wac roster`` and its subcommands to ``wac``'s subparsers."""
    roster = sub.add_parser(
        "roster",
        help="people, their PINs and cards, and their sync to every terminal",
        description=(
            "Changes go to the store file and queue the steps each terminal needs. A running"
            " `wac serve` on that file is told to deliver them now; otherwise they go out"
            " when it runs and each terminal is online. `reconcile` needs a running gateway."
        ),
    )
    actions = roster.add_subparsers(dest="roster_command", metavar="ACTION", required=True)

    def action(
        name: str, help: str, fn: Action, *, changes: bool = True
    ) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help, description=help)
        parser.add_argument(
            "--db",
            default="wac.sqlite",
            help="SQLite file or postgresql:// DSN (default wac.sqlite)",
        )
        parser.set_defaults(run=_runner(fn, changes))
        return parser

    people = action(
        "people", "list the people (credentials shown as yes/no)", _people, changes=False
    )
    del people
    add = action("add", "add a person (to every terminal unless --assign says otherwise)", _add)
    add.add_argument("enrollid", help="user number")
    add.add_argument("name", help="display name (quote it if it has spaces)")
    _person_options(add)
    add.add_argument("--assign", nargs="+", default=["all"], metavar="TARGET",
                     help="all, group:NAME or a serial number (default all)")  # fmt: skip
    update = action("update", "change a person's name, PIN, card, level or state", _update)
    update.add_argument("enrollid", help="user number")
    update.add_argument("--name", help="new display name")
    _person_options(update)
    update.add_argument("--no-pin", action="store_true", help="remove the PIN")
    update.add_argument("--no-card", action="store_true", help="remove the card")
    update.add_argument("--enable", action="store_true", help="allow the person again")
    remove = action("remove", "remove a person from the roster and every terminal", _remove)
    remove.add_argument("enrollid", help="user number")
    assign = action("assign", "put a person on more terminals", _assign)
    assign.add_argument("enrollid", help="user number")
    assign.add_argument("targets", nargs="+", metavar="TARGET", help="all, group:NAME or an SN")
    assign.add_argument("--replace", action="store_true", help="on exactly these, no others")
    unassign = action("unassign", "take a person off terminals", _unassign)
    unassign.add_argument("enrollid", help="user number")
    unassign.add_argument("targets", nargs="+", metavar="TARGET", help="all, group:NAME or an SN")
    group = action("group", "define a named group of terminals", _group)
    group.add_argument("name", help="group name, used as group:NAME")
    group.add_argument("sns", nargs="*", metavar="SN", help="members (none: empty the group)")
    imp = action("import", "add or update people from a CSV file", _import)
    imp.add_argument("file", help="CSV with enrollid,name,admin,enabled,pin,card,...,assign")
    imp.add_argument("--assign", nargs="+", default=["all"], metavar="TARGET",
                     help="where new people without an assign cell go (default all)")  # fmt: skip
    exp = action(
        "export", "write the roster as CSV (no templates or photos)", _export, changes=False
    )
    exp.add_argument("file", nargs="?", default="-", help="file (default stdout)")
    pending = action("pending", "steps waiting for terminals", _pending, changes=False)
    pending.add_argument("--sn", help="only this terminal")
    outcomes = action("outcomes", "steps done or failed for good", _outcomes, changes=False)
    outcomes.add_argument("--sn", help="only this terminal")
    outcomes.add_argument("--failed", action="store_true", help="only failures")
    outcomes.add_argument("--limit", type=int, default=50, help="latest N (default 50)")
    action(
        "conflicts", "keypad enrolments not applied: they would change someone enrolled elsewhere",
        _conflicts, changes=False,
    )  # fmt: skip
    sync = action("sync", "re-plan terminals against the roster and deliver now", _sync)
    sync.add_argument("sn", nargs="?", help="only this terminal")
    reconcile = action(
        "reconcile", "read a terminal's own user list and repair drift (needs wac serve)",
        _reconcile, changes=False,
    )  # fmt: skip
    reconcile.add_argument("sn", help="terminal serial number")
    reconcile.add_argument("--prune", action="store_true", help="delete people the roster lacks")
    reconcile.add_argument("--adopt", action="store_true", help="add them to the roster instead")


def _person_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pin", help="PIN, 1 to 8 digits (leading zeros kept)")
    parser.add_argument("--card", help="card number (leading zeros kept)")
    parser.add_argument("--admin", type=int, choices=(0, 1, 2), help="0 user, 1 admin, 2 super")
    parser.add_argument("--disable", action="store_true", help="keep on terminals but refuse")


def _runner(fn: Action, changes: bool) -> Callable[[argparse.Namespace], Awaitable[int]]:
    async def run(args: argparse.Namespace) -> int:
        shared = is_dsn(args.db)
        # on a DSN: commands (reconcile) route through the database; this process serves none
        session = Session(args.db, "127.0.0.1", 0, listen=not shared)
        try:
            if shared:
                await session.start()
            result = await fn(session, args)
        finally:
            await session.stop()
        if changes and args.roster_command != "sync":
            await _notify_gateway(args.db, None)
        return int(result or 0)

    return run


async def _notify_gateway(db: str, sn: str | None) -> bool:
    """Ask a running gateway to deliver queued steps now; False when none runs."""
    if is_dsn(db):  # the steps' NOTIFY woke the gateways holding their terminals at commit
        print(f"queued in {describe(db)}; the gateway holding each terminal delivers them now")
        return True
    if not has_endpoint(db):
        shown = describe(db)  # a DSN without its password
        print(
            f"queued in {shown}; sent when `wac serve --db {shown}` runs and terminals are online"
        )
        return False
    try:
        async with ControlClient.from_db(db) as client:
            queued = await client.call("roster_sync", sn=sn)
    except WacClientError as exc:
        print(f"queued in {describe(db)}; the gateway did not answer ({exc})", file=sys.stderr)
        return False
    print(f"gateway notified: {queued} step(s) queued for delivery")
    return True


async def _people(session: Session, args: argparse.Namespace) -> None:
    frame = session.roster.people()
    if frame.empty:
        print("no people in the roster")
        return
    print(frame.drop(columns=["valid_from", "valid_until"]).to_string(index=False))


def _credential_changes(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if args.pin is not None:
        changes["pin"] = args.pin
    if args.card is not None:
        changes["card"] = args.card
    if args.admin is not None:
        changes["admin"] = args.admin
    return changes


async def _add(session: Session, args: argparse.Namespace) -> None:
    person = await session.roster.add_person(
        args.enrollid, args.name, enabled=not args.disable, assign=args.assign,
        **_credential_changes(args),
    )  # fmt: skip
    print(f"added {person.enrollid} {person.name} ({_slots(person)}) to {', '.join(args.assign)}")


async def _update(session: Session, args: argparse.Namespace) -> None:
    if args.enable and args.disable:
        raise ValueError("--enable and --disable contradict each other")
    changes = _credential_changes(args)
    if args.name is not None:
        changes["name"] = args.name
    if args.no_pin:
        changes["pin"] = None
    if args.no_card:
        changes["card"] = None
    if args.enable or args.disable:
        changes["enabled"] = bool(args.enable)
    if not changes:
        raise ValueError("nothing to change: give --name, --pin, --card, --admin, ...")
    person = await session.roster.update_person(args.enrollid, **changes)
    state = "enabled" if person.enabled else "disabled"
    print(f"updated {person.enrollid} {person.name} ({_slots(person)}, {state})")


async def _remove(session: Session, args: argparse.Namespace) -> None:
    if not await session.roster.remove_person(args.enrollid):
        raise ValueError(f"enrollid {args.enrollid} is not in the roster")
    print(f"removed {args.enrollid}; terminals holding them will delete them")


async def _assign(session: Session, args: argparse.Namespace) -> None:
    person = await session.roster.assign(args.enrollid, *args.targets, replace_all=args.replace)
    print(f"{person.enrollid} is on: {', '.join(str(t) for t in person.targets) or 'nothing'}")


async def _unassign(session: Session, args: argparse.Namespace) -> None:
    person = await session.roster.unassign(args.enrollid, *args.targets)
    print(f"{person.enrollid} is on: {', '.join(str(t) for t in person.targets) or 'nothing'}")


async def _group(session: Session, args: argparse.Namespace) -> None:
    members = await session.roster.set_group(args.name, args.sns)
    print(f"group:{args.name} = {', '.join(members) or '(empty)'}")


async def _import(session: Session, args: argparse.Namespace) -> None:
    count = await session.roster.import_csv(args.file, assign=args.assign)
    print(f"imported {count} people from {args.file}")


async def _export(session: Session, args: argparse.Namespace) -> None:
    if args.file == "-":
        session.roster.export_csv(sys.stdout)
        return
    count = session.roster.export_csv(args.file)
    print(f"exported {count} people to {args.file}")


async def _pending(session: Session, args: argparse.Namespace) -> None:
    frame = session.roster.pending(args.sn)
    if frame.empty:
        print("nothing pending")
        return
    print(frame.drop(columns=["id"]).to_string(index=False))


async def _outcomes(session: Session, args: argparse.Namespace) -> int:
    frame = session.roster.outcomes(args.sn, args.limit)
    if args.failed:
        frame = frame[~frame["ok"]]
    if frame.empty:
        print("no outcomes")
        return 0
    print(frame.drop(columns=["id"]).to_string(index=False))
    return 0


async def _conflicts(session: Session, args: argparse.Namespace) -> None:
    frame = session.roster.conflicts()
    if frame.empty:
        print("no conflicts")
        return
    print(frame.drop(columns=["id"]).to_string(index=False))
    print("\n(not applied; to accept one: wac roster update ENROLLID --card/--pin ...)")


async def _sync(session: Session, args: argparse.Namespace) -> None:
    queued = await session.roster.sync(args.sn)
    print(f"{queued} step(s) queued")
    await _notify_gateway(args.db, args.sn)


async def _reconcile(session: Session, args: argparse.Namespace) -> int:
    if is_dsn(args.db):  # the terminal is read through the gateway holding it
        found = await session.roster.reconcile(args.sn, prune=args.prune, adopt=args.adopt)
        _print_reconcile(args.sn, asdict(found))
        return 0
    if not has_endpoint(args.db):
        raise WacClientError(
            f"reconcile needs the terminal: no gateway is running on {describe(args.db)} (start wac serve)"
        )
    async with ControlClient.from_db(args.db) as client:
        report = await client.call(
            "roster_reconcile", wait=600, sn=args.sn, prune=args.prune, adopt=args.adopt
        )
    _print_reconcile(args.sn, report)
    return 0


def _print_reconcile(sn: str, report: dict[str, Any]) -> None:
    print(
        f"{sn}: holds {report['held']} people; {report['queued']} repair step(s) queued;"
        f" unknown to the roster: {report['unknown'] or 'none'};"
        f" adopted: {report['adopted'] or 'none'}"
    )


def _slots(person: Any) -> str:
    labels = [label for label, value in (("PIN", person.pin), ("card", person.card)) if value]
    return ", ".join(labels) or "no PIN or card"
