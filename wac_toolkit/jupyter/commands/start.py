"""``%wac start``: the gateway in the background; re-running the cell keeps the same one.

Returns the :class:`~..runtime.Runtime`, which shows itself as a small table (URL, store,
zone, terminals online). Different options for a running gateway need ``--restart``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser
    from ..runtime import Runtime

__all__ = ["COMMANDS"]


def configure(parser: CommandParser) -> None:
    parser.add_argument("--port", type=int, help="port terminals dial (0: any free port)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--db", help="SQLite file (':memory:' for a scratch store)")
    parser.add_argument("--tz", help="the terminals' time zone, e.g. Europe/Berlin")
    parser.add_argument("--timeout", type=float, help="seconds to wait for a terminal's answer")
    parser.add_argument(
        "--loop", choices=["thread", "kernel"], help="where the gateway runs (default thread)"
    )
    parser.add_argument(
        "--restart", action="store_true",
        help="replace a running gateway (new options; the simulated fleet stops)",
    )  # fmt: skip


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Runtime:
    if args.tz:
        from ...session import resolve_tz

        try:
            resolve_tz(args.tz)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"unknown time zone {args.tz!r}") from exc
    options = magics.options(
        port=args.port,
        host=args.host,
        db=args.db,
        tz=args.tz,
        command_timeout=args.timeout,
        loop=args.loop,
    )
    if not 0 <= options.port <= 65535:
        raise ValueError(f"the port must be 0..65535, not {options.port}")
    if options.command_timeout <= 0:
        raise ValueError("the command timeout must be positive")
    runtime, fresh = magics.start(options, restart=args.restart)
    if not fresh:
        print(f"gateway already running at {runtime.url}")
    return runtime


COMMANDS = (
    Subcommand(
        "start",
        "start the gateway in the background (terminals dial its URL)",
        configure,
        run,
    ),
)
