"""``wac users|pull-logs|open-door|set-time|reboot|set-user|delete-user`` against a running
``wac serve``, and the control options of ``wac serve`` itself.

Each subcommand is a few lines over :meth:`WacClient.via_gateway`, which finds the gateway
through the control directory next to its store (``--db``) or takes ``--control URL``
(TCP; the token from ``$WAC_CONTROL_TOKEN`` or ``--token-file``, never the command line).
With ``--db postgresql://...`` the database is the control channel: the command goes
through it to whichever gateway holds the terminal, on any host
(:mod:`~wac_toolkit.control_store`).
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .cli_output import progress_bar, table
from .client import WacClient
from .control_endpoint import TCP_ENV, TOKEN_ENV, open_control, read_token_file
from .protocol.models import BackupNum

if TYPE_CHECKING:
    from .session import Session

__all__ = ["add_control_options", "register", "serve_control"]


def add_control_options(parser: argparse.ArgumentParser) -> None:
    """``wac serve`` options for the control endpoint (no token option: argv is public)."""
    group = parser.add_argument_group("control endpoint (for wac users, pull-logs, roster ...)")
    group.add_argument(
        "--control-tcp", action="store_true",
        help=f"loopback TCP with a token instead of the Unix socket beside the store (also"
        f" ${TCP_ENV}=1; always on Windows); token from ${TOKEN_ENV}, --control-token-file,"
        " else a random one kept in the private control file",
    )  # fmt: skip
    group.add_argument("--control-host", default="127.0.0.1", help="TCP bind address (loopback)")
    group.add_argument("--control-port", type=int, default=0, help="TCP port (default: any free)")
    group.add_argument("--control-token-file", metavar="FILE", help="TCP token: first line")
    group.add_argument("--control-token", action=_NoSecretInArgv, help=argparse.SUPPRESS)
    group.add_argument("--no-control", action="store_true", help="do not start it")


class _NoSecretInArgv(argparse.Action):
    """The old ``--control-token`` / ``--token``: refused, without echoing the value.

    Declared so they are not taken as abbreviations of ``--control-token-file`` /
    ``--token-file`` (which would treat the secret as a file name and print it).
    """

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        parser.error(
            f"a token on the command line is visible to every local user (ps); put it in"
            f" ${TOKEN_ENV} or a file given with --control-token-file / --token-file"
        )


@contextlib.asynccontextmanager
async def serve_control(session: Session, args: argparse.Namespace) -> AsyncIterator[None]:
    """Run the control endpoint while the gateway runs (see :mod:`~wac_toolkit.control_endpoint`).

    The token is never printed: a client on this host reads it from the private control
    file, one elsewhere from its own ``$WAC_CONTROL_TOKEN`` or token file.
    """
    if getattr(args, "no_control", False):
        yield
        return
    tcp = args.control_tcp or os.environ.get(TCP_ENV, "") not in ("", "0")
    token = os.environ.get(TOKEN_ENV) or None
    if args.control_token_file:
        token = read_token_file(args.control_token_file)
    if tcp and not _loopback(args.control_host):
        print(f"wac: WARNING: control endpoint reachable beyond this host ({args.control_host})")
    options = {"host": args.control_host, "port": args.control_port, "token": token}
    async with open_control(session, args.db, tcp=tcp, **options) as (server, where):
        if server.unix:
            print(f"wac: control endpoint {where} (this user only)", flush=True)
        else:
            print(f"wac: control endpoint {server.url} (token in {where})", flush=True)
        yield


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
        except OSError:
            return False


def register(sub: Any) -> None:
    """Add the terminal subcommands to ``wac``'s subparsers."""
    _command(sub, "users", "list the users a terminal holds (paged)", _users)
    pull = _command(sub, "pull-logs", "page the terminal's logs into the gateway's store", _pull)
    pull.add_argument("--all", action="store_true", help="every record, not only new ones")
    pull.add_argument("--since", help="with --all: first day (YYYY-MM-DD)")
    pull.add_argument("--until", help="with --all: last day (YYYY-MM-DD)")
    door = _command(sub, "open-door", "open the door", _open_door)
    door.add_argument("--door", type=int, help="door 1..4 of a four-door controller")
    clock = _command(sub, "set-time", "set the terminal's clock", _set_time)
    clock.add_argument("time", nargs="?", help="YYYY-MM-DD HH:MM:SS (default: now)")
    clock.add_argument("--tz", help="zone for 'now', e.g. Europe/Berlin (default: this host's)")
    reboot = _command(sub, "reboot", "restart the terminal and wait for it to return", _reboot)
    reboot.add_argument("--wait", type=float, default=60.0, help="seconds (0: do not wait)")
    user = _command(sub, "set-user", "create or update a user's credential", _set_user)
    user.add_argument("enrollid", type=int)
    user.add_argument("--name", default="", help="display name")
    slot = user.add_mutually_exclusive_group(required=True)
    slot.add_argument("--card", help="card number")
    slot.add_argument("--password", help="PIN, up to 8 digits")
    slot.add_argument("--record", help="template or photo for --backupnum")
    user.add_argument("--backupnum", type=int, help="slot for --record (0-9 finger, 50 photo)")
    user.add_argument("--admin", type=int, default=0, choices=(0, 1, 2))
    delete = _command(sub, "delete-user", "delete a user or one credential", _delete_user)
    delete.add_argument("enrollid", type=int)
    delete.add_argument("--backupnum", type=int, default=13, help="slot (default 13: all)")


Action = Callable[[WacClient, argparse.Namespace], Awaitable[int]]


def _command(sub: Any, name: str, help: str, action: Action) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help, description=help + ".")
    parser.add_argument("sn", help="the terminal's serial number")
    parser.add_argument(
        "--db", default="wac.sqlite",
        help="the gateway's SQLite file (finds its control socket), or postgresql://...: the"
        " command goes through the database to whichever gateway holds the terminal",
    )  # fmt: skip
    parser.add_argument("--control", metavar="URL", help="TCP control endpoint instead of --db")
    parser.add_argument(
        "--token-file", metavar="FILE", help=f"TCP token (default: ${TOKEN_ENV}, the control file)"
    )
    parser.add_argument("--token", action=_NoSecretInArgv, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per reply")

    async def run(args: argparse.Namespace) -> int:
        token = read_token_file(args.token_file) if args.token_file else None
        client = WacClient.via_gateway(
            args.sn, db=args.db, control_url=args.control, token=token, timeout=args.timeout
        )
        async with client:
            return await action(client, args)

    parser.set_defaults(run=run)
    return parser


def _progress(label: str) -> Callable[[int, int | None], None]:
    def show(done: int, total: int | None) -> None:
        if total:
            progress_bar(min(done, total), total, label)
        else:
            sys.stderr.write(f"\r{done} {label}")
            sys.stderr.flush()

    return show


async def _users(client: WacClient, args: argparse.Namespace) -> int:
    slots = await client.get_user_list(progress=_progress("slots"))
    sys.stderr.write("\n")
    by_user: dict[int, list[str]] = {}
    admins: dict[int, int] = {}
    for slot in slots:
        by_user.setdefault(slot.enrollid, []).append(slot.backupnum.label)
        admins[slot.enrollid] = slot.admin
    rows = [[str(e), str(admins[e]), ", ".join(kinds)] for e, kinds in sorted(by_user.items())]
    if rows:
        table(["enrollid", "admin", "credentials"], rows)
    print(f"{len(by_user)} users, {len(slots)} credentials on {args.sn}")
    return 0


async def _pull(client: WacClient, args: argparse.Namespace) -> int:
    new = await client.pull_logs(
        new_only=not args.all, since=args.since, until=args.until, progress=_progress("records")
    )
    sys.stderr.write("\n")
    print(f"{new} new records from {args.sn} stored")
    return 0


async def _open_door(client: WacClient, args: argparse.Namespace) -> int:
    await client.open_door(args.door)
    print(f"{args.sn}: door {args.door or 'all'} opened")
    return 0


async def _set_time(client: WacClient, args: argparse.Namespace) -> int:
    when: datetime | str
    if args.time:
        when = args.time
    else:
        from .session import resolve_tz

        when = datetime.now(resolve_tz(args.tz)).replace(tzinfo=None, microsecond=0)
    await client.set_time(when)
    print(f"{args.sn}: clock set to {when}")
    return 0


async def _reboot(client: WacClient, args: argparse.Namespace) -> int:
    result = await client.reboot(wait_reconnect=args.wait or None)
    if result.reconnected is None:
        print(f"{args.sn}: rebooting")
        return 0
    print(f"{args.sn}: " + ("back online" if result.reconnected else f"not back in {args.wait}s"))
    return 0 if result.reconnected else 1


async def _set_user(client: WacClient, args: argparse.Namespace) -> int:
    if args.record is not None:
        if args.backupnum is None:
            raise ValueError("--record needs --backupnum")
        backupnum, record = BackupNum(args.backupnum), args.record
    else:
        backupnum = BackupNum.CARD if args.card is not None else BackupNum.PASSWORD
        text = args.card if args.card is not None else args.password
        record = int(text) if text.isdigit() and not text.startswith("0") else text
    await client.set_user_info(args.enrollid, args.name, int(backupnum), record, args.admin)
    print(f"{args.sn}: user {args.enrollid} {backupnum.label} set")
    return 0


async def _delete_user(client: WacClient, args: argparse.Namespace) -> int:
    await client.delete_user(args.enrollid, args.backupnum)
    print(f"{args.sn}: user {args.enrollid} {BackupNum(args.backupnum).label} deleted")
    return 0
