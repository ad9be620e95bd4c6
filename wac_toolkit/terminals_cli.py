"""``wac terminals``: which terminals are pending, adopted or blocked, and changing that.

With a running ``wac serve`` on the store, the change goes through its control endpoint (so a
blocked terminal is disconnected at once and an adopted one gets the roster at once);
otherwise it is written to the store file and takes effect when the gateway next starts. On a
PostgreSQL DSN it is written to the database, whose NOTIFY reaches every gateway at once (no
control socket is used).
The control ops ``terminals_adopt`` / ``terminals_block`` / ``terminals_forget`` are
registered here, beside the roster's.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .control import ControlClient, ControlServer
from .control_endpoint import has_endpoint
from .errors import WacClientError

if TYPE_CHECKING:
    from .registry import Terminal
    from .session import Session

__all__ = ["register", "terminal_row"]


def terminal_row(t: Terminal) -> dict[str, Any]:
    """One terminal as JSON: what an operator decides adoption on."""
    return {
        "sn": t.sn,
        "state": str(t.state),
        "online": t.online,
        "identity": t.identity or _claimed(t),
        "pinned": bool(t.identity),
        "remote": t.remote,
        "first_seen": _when(t.first_seen),
        "last_seen": _when(t.last_seen),
    }


def _claimed(t: Terminal) -> dict[str, str]:
    from .registry import identity_of

    return identity_of(t.info)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


# -- control ops ----------------------------------------------------------------------------


def _sns(request: dict[str, Any]) -> list[str]:
    sns = request.get("sns")
    if not isinstance(sns, list) or not sns or not all(isinstance(s, str) for s in sns):
        raise ValueError(f"{request.get('op')}: sns must be a list of serial numbers")
    return sns


async def _list(session: Session, request: dict[str, Any]) -> Any:
    return [terminal_row(t) for t in session.terminals()]


async def _adopt(session: Session, request: dict[str, Any]) -> Any:
    return [terminal_row(t) for t in await session.adopt(*_sns(request))]


async def _block(session: Session, request: dict[str, Any]) -> Any:
    return [terminal_row(t) for t in await session.block(*_sns(request))]


async def _forget(session: Session, request: dict[str, Any]) -> Any:
    return await session.forget(*_sns(request))


ControlServer.ops.update(
    {
        "terminals_list": _list,
        "terminals_adopt": _adopt,
        "terminals_block": _block,
        "terminals_forget": _forget,
    }
)


# -- the command line -----------------------------------------------------------------------


def register(sub: Any) -> None:
    """Add ``wac terminals [adopt|block|forget SN...]``."""
    parser = sub.add_parser(
        "terminals",
        help="list terminals (pending, adopted, blocked); adopt, block or forget them",
        description=(
            "A serial seen for the first time is pending: answered, but it gets no credentials"
            " and changes nobody until adopted. Adoption pins its identity (cpusn, MAC, model)."
            " Works on the store file, or through a running `wac serve` on it."
        ),
    )
    parser.add_argument(
        "--db", default="wac.sqlite", help="SQLite file or postgresql:// DSN (default wac.sqlite)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "action", nargs="?", choices=("list", "adopt", "block", "forget"), default="list"
    )
    parser.add_argument("sns", nargs="*", metavar="SN", help="serial numbers")
    parser.set_defaults(run=_run)


async def _run(args: argparse.Namespace) -> int:
    if args.action != "list" and not args.sns:
        raise ValueError(f"wac terminals {args.action} needs at least one serial number")
    from .store import is_dsn

    result: Any = None
    if not is_dsn(args.db) and has_endpoint(args.db):  # a DSN: the database is the channel
        try:
            async with ControlClient.from_db(args.db) as client:
                if args.action == "list":
                    result = await client.call("terminals_list")
                else:
                    result = await client.call(f"terminals_{args.action}", sns=args.sns)
        except WacClientError as exc:
            print(f"gateway not answering ({exc}); using the store directly", file=sys.stderr)
    if result is None:
        result = await _offline(args)
    _print(args, result)
    return 0


async def _offline(args: argparse.Namespace) -> Any:
    from pathlib import Path

    from .session import Session
    from .store import is_dsn

    # On a DSN every gateway hears of a change made here (the store's NOTIFY) and applies it.
    missing = args.db != ":memory:" and not is_dsn(args.db) and not Path(args.db).exists()
    if args.action == "list" and missing:
        raise ValueError(f"no store at {args.db}")
    session = Session(args.db, "127.0.0.1", 0, listen=not is_dsn(args.db))
    try:
        await session.load()
        if args.action == "adopt":
            return [terminal_row(t) for t in await session.adopt(*args.sns)]
        if args.action == "block":
            return [terminal_row(t) for t in await session.block(*args.sns)]
        if args.action == "forget":
            return await session.forget(*args.sns)
        return [terminal_row(t) for t in session.terminals()]
    finally:
        await session.stop()


def _print(args: argparse.Namespace, result: Any) -> None:
    if args.json:
        print(json.dumps(result, indent=2))
        return
    if args.action == "forget":
        gone = set(result)
        for sn in args.sns:
            print(f"{sn}: forgotten" if sn in gone else f"{sn}: was not known")
        return
    if not result:
        print("no terminals known")
        return
    headers = ["sn", "state", "online", "identity", "address", "first seen", "last seen"]
    rows = [
        [
            r["sn"],
            r["state"] + ("" if r["pinned"] or r["state"] != "adopted" else " (pin at connect)"),
            "yes" if r["online"] else "no",
            " ".join(f"{k}={v}" for k, v in (r["identity"] or {}).items()) or "-",
            r["remote"] or "-",
            r["first_seen"] or "-",
            r["last_seen"] or "-",
        ]
        for r in result
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
