"""The ``wac`` command line: serve, simulate, demo, logs, terminals.

Each subcommand is a thin adapter over :class:`~wac_toolkit.session.Session` or the virtual
terminals. Errors print one line on stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .cli_commands import add_control_options, register as register_terminal_commands, serve_control
from .cli_output import progress_bar as _bar, table as _table
from .errors import WacError
from .net.terminal import VirtualTerminal, run_fleet
from .quarantine_cli import register as register_quarantine
from .roster.cli import register as register_roster
from .session import Session
from .store import describe, is_dsn
from .terminals_cli import register as register_terminals

__all__ = ["build_parser", "main"]

DEFAULT_PORT = 7788
DB_HELP = "SQLite file or postgresql://user@host:port/dbname (default wac.sqlite)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wac",
        description="Gateway and tools for WebSocket+JSON attendance and access terminals.",
    )
    parser.add_argument("--version", action="version", version=f"wac-toolkit {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser(
        "serve",
        help="run the gateway terminals dial into",
        description="Listen for terminals, store every log and user in SQLite, until Ctrl-C.",
    )
    _gateway_options(serve)
    serve.add_argument("--allow", metavar="SN", nargs="+", help="accept only these serial numbers")
    serve.add_argument(
        "--adopt-new", action="store_true",
        help="adopt every new serial at once (a lab); default: new terminals wait as pending"
        " until `wac terminals adopt SN`",
    )  # fmt: skip
    serve.add_argument(
        "--grant-all", action="store_true",
        help="open for every sendpin/sendqrcode (a lab); default: the roster decides",
    )  # fmt: skip
    serve.add_argument("--certfile", help="TLS certificate (PEM) to serve wss://")
    serve.add_argument("--keyfile", help="TLS private key (PEM) for --certfile")
    serve.add_argument("--path-secret", help="accept only URL paths containing this word")
    serve.add_argument(
        "--reg-timeout", type=float, default=15.0, metavar="S",
        help="seconds a new connection has to send reg before it is closed (default 15)",
    )  # fmt: skip
    serve.add_argument(
        "--max-size", type=float, default=16.0, metavar="MIB",
        help="largest frame in MiB; a bigger one closes the connection with 1009 (default 16)",
    )  # fmt: skip
    serve.add_argument(
        "--max-unregistered", type=int, default=1000, metavar="N",
        help="connections allowed to wait for their reg at once; more get 1013 (default 1000)",
    )  # fmt: skip
    serve.add_argument(
        "--presence-ttl", type=float, default=30.0, metavar="S",
        help="PostgreSQL store: seconds a dead gateway keeps its terminals (default 30)",
    )  # fmt: skip
    add_control_options(serve)
    serve.set_defaults(run=_serve)

    simulate = sub.add_parser(
        "simulate",
        help="run virtual terminals against a gateway",
        description="Start N virtual terminals that register and push logs to URL.",
    )
    simulate.add_argument("url", nargs="?", default=f"ws://127.0.0.1:{DEFAULT_PORT}/pub/chat")
    simulate.add_argument("-n", "--terminals", type=int, default=10, help="how many (default 10)")
    simulate.add_argument(
        "--logs", type=int, default=100, help="records per terminal (default 100)"
    )
    simulate.add_argument("--batch", type=int, default=50, help="records per sendlog (default 50)")
    simulate.add_argument("--drop-rate", type=float, default=0.0, help="chance of a drop per frame")
    simulate.add_argument("--prefix", default="VT", help="serial number prefix (default VT)")
    simulate.add_argument("--seed", type=int, default=0)
    simulate.add_argument(
        "--stay", action="store_true", help="stay connected after pushing, until Ctrl-C"
    )
    simulate.set_defaults(run=_simulate)

    demo = sub.add_parser(
        "demo",
        help="gateway + virtual fleet: see it all work in seconds",
        description=(
            "Start a gateway on a free port with a throwaway store, let a virtual fleet "
            "register and push logs, set and delete a user, print a summary, and exit."
        ),
    )
    demo.add_argument(
        "-n", "--terminals", type=int, default=20, help="virtual terminals (default 20)"
    )
    demo.add_argument("--logs", type=int, default=500, help="records per terminal (default 500)")
    demo.add_argument(
        "--db", help="keep the store in this file or postgresql:// DSN instead of a temporary one"
    )
    demo.set_defaults(run=_demo)

    logs = sub.add_parser(
        "logs",
        help="export stored logs as csv, json or parquet",
        description="Read logs from a store file and write them to stdout or a file.",
    )
    logs.add_argument("--db", default="wac.sqlite", help=DB_HELP)
    logs.add_argument("--since", help="from this terminal-local time (YYYY-MM-DD[ HH:MM:SS])")
    logs.add_argument("--until", help="before this terminal-local time")
    logs.add_argument("--sn", nargs="+", help="only these terminals")
    logs.add_argument("--enrollid", type=int, nargs="+", help="only these users")
    logs.add_argument("--tz", help="terminals' time zone (default: this host's)")
    logs.add_argument(
        "--include-pending", action="store_true",
        help="also records from terminals not adopted (kept apart until adopted)",
    )  # fmt: skip
    logs.add_argument("--format", choices=("csv", "json", "parquet"), default="csv")
    logs.add_argument("-o", "--output", help="file to write (default stdout; parquet needs one)")
    logs.set_defaults(run=_logs)
    migrate = sub.add_parser(
        "migrate",
        help="copy a SQLite store into PostgreSQL (idempotent)",
        description=(
            "Copy every log, photo, terminal (with its trust state), credential, quarantined "
            "item and the roster from a SQLite store into another store. Rows already there are left alone, so running it again "
            "(say, just before switching gateways over) copies only what is new."
        ),
    )
    migrate.add_argument("--from", dest="source", required=True, help="SQLite store file")
    migrate.add_argument("--to", dest="dest", required=True, help="postgresql://... or a file")
    migrate.set_defaults(run=_migrate)
    register_terminal_commands(sub)  # users, pull-logs, open-door, set-time, reboot, ...
    register_roster(sub)  # wac roster people|add|update|remove|assign|sync|...
    register_terminals(sub)  # wac terminals [adopt|block|forget SN...]
    register_quarantine(sub)  # wac quarantine
    return parser


def _gateway_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="0.0.0.0", help="bind address (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 7788)")
    parser.add_argument("--db", default="wac.sqlite", help=DB_HELP)
    parser.add_argument("--tz", help="terminals' time zone, e.g. Europe/Berlin (default: host's)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * args.verbose
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run: Callable[[argparse.Namespace], Any] = args.run
    try:
        return int(asyncio.run(run(args)) or 0)
    except KeyboardInterrupt:
        return 130
    except (WacError, OSError, ValueError, sqlite3.Error) as exc:
        print(f"wac {args.command}: {exc}", file=sys.stderr)
        return 1


async def _serve(args: argparse.Namespace) -> int:
    ssl_context = None
    if args.certfile:
        import ssl

        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(args.certfile, args.keyfile)
    session = Session(
        args.db,
        args.host,
        args.port,
        tz=args.tz,
        allow=args.allow,
        adopt_new=args.adopt_new,
        grant_all=args.grant_all,
        ssl=ssl_context,
        path_secret=args.path_secret,
        reg_timeout=args.reg_timeout,
        max_size=int(args.max_size * 2**20),
        max_unregistered=args.max_unregistered,
    )
    if session.presence is not None:
        session.presence.ttl = args.presence_ttl
    stop = _stop_on_signals()
    async with session:
        print(
            f"wac: listening on {session.url} (store {describe(args.db)}); Ctrl-C stops", flush=True
        )
        if args.adopt_new:
            print("wac: WARNING: --adopt-new: every new serial is trusted at once", flush=True)
        elif args.allow is None:
            print(
                "wac: new terminals wait as pending until adopted (wac terminals adopt SN)",
                flush=True,
            )
        async with serve_control(session, args):
            await stop.wait()
        print("wac: stopping", flush=True)
    return 0


def _stop_on_signals() -> asyncio.Event:
    """An event set by Ctrl-C or SIGTERM, so long-running commands stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    return stop


async def _simulate(args: argparse.Namespace) -> int:
    linger = None
    if args.stay:
        stop = _stop_on_signals()

        async def linger() -> None:
            print("\nterminals stay connected and answer commands; Ctrl-C stops", flush=True)
            await stop.wait()

    result = await run_fleet(
        args.url,
        args.terminals,
        args.logs,
        batch_size=args.batch,
        drop_rate=args.drop_rate,
        seed=args.seed,
        prefix=args.prefix,
        progress=_counter(args.terminals, "terminals flushed"),
        linger=linger,
    )
    print(
        f"\n{result.terminals} terminals pushed {result.records} records in {result.frames} frames"
        f" over {result.registrations} registrations: {result.rate:,.0f} records/s"
    )
    return 0


async def _demo(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="wac-demo-") as tmp:
        db = args.db or str(Path(tmp) / "demo.sqlite")
        # loopback only, and every terminal is ours: adopt them as they come
        async with Session(db, "127.0.0.1", 0, synchronous="NORMAL", adopt_new=True) as session:
            print(f"gateway listening on {session.url}, store {describe(db)}")
            began = time.perf_counter()
            result = await run_fleet(
                session.url,
                args.terminals,
                args.logs,
                batch_size=100,
                progress=_counter(args.terminals, "terminals flushed"),
            )
            print()
            async with VirtualTerminal(session.url, "DEMO-DOOR") as door:
                await session.set_user_info("DEMO-DOOR", 1001, "Alice", 11, "0012345678")
                held = door.users[1001].credentials
                print(f"set user 1001 Alice on DEMO-DOOR: terminal now holds card {held[11]}")
                await session.delete_user("DEMO-DOOR", 1001, 13)
                print(f"deleted user 1001: terminal holds {len(door.users)} users")
            frame = await session.logs_async()
            elapsed = time.perf_counter() - began
            print()
            _table(
                ["terminals", "records acked", "rows stored", "frames", "ingest rate", "wall time"],
                [
                    [
                        str(result.terminals),
                        f"{result.records:,}",
                        f"{len(frame):,}",
                        f"{result.frames:,}",
                        f"{result.rate:,.0f}/s",
                        f"{elapsed:.1f} s",
                    ]
                ],
            )
            print()
            per_mode = frame.groupby("mode_label", observed=True).size()
            _table(["verify mode", "punches"], [[str(k), f"{v:,}"] for k, v in per_mode.items()])
            ok = len(frame) == result.records == args.terminals * args.logs
            print("\ndemo", "ok" if ok else "FAILED: rows do not match")
            return 0 if ok else 1


async def _logs(args: argparse.Namespace) -> int:
    if not is_dsn(args.db) and not Path(args.db).exists():
        raise ValueError(f"no store at {args.db}")
    session = Session(args.db, tz=args.tz)
    try:
        frame = session.logs(
            args.since, args.until, args.sn, args.enrollid, include_pending=args.include_pending
        )
    finally:
        session.store.close()
    if args.format == "parquet":
        if not args.output:
            raise ValueError("parquet needs --output FILE")
        frame.to_parquet(args.output, index=False)
    elif args.format == "json":
        text = frame.to_json(orient="records", date_format="iso", lines=True)
        _write(args.output, text)
    else:
        from .safe_cells import safe_frame

        _write(args.output, safe_frame(frame).to_csv(index=False))
    if args.output:
        print(f"wrote {len(frame):,} rows to {args.output}", file=sys.stderr)
    return 0


async def _migrate(args: argparse.Namespace) -> int:
    from .store import SQLiteStore, open_store
    from .store.copy import copy_store

    if is_dsn(args.source) or not Path(args.source).is_file():
        raise ValueError(f"no SQLite store at {args.source}")
    loop = asyncio.get_running_loop()
    source = SQLiteStore(args.source)
    try:
        dest = await loop.run_in_executor(None, open_store, args.dest)
        try:
            copied = await copy_store(
                source, dest, progress=lambda t, n: print(f"{t}: {n:,} new rows", flush=True)
            )
        finally:
            await loop.run_in_executor(None, dest.close)
    finally:
        source.close()
    total = sum(copied.values())
    print(f"copied {total:,} new rows from {args.source} to {describe(args.dest)}")
    return 0


def _write(path: str | None, text: str) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _counter(total: int, label: str) -> Callable[..., None]:
    """A progress callback that advances :func:`_bar` by one per call."""
    done = 0

    def advance(*_: object) -> None:
        nonlocal done
        done += 1
        _bar(done, total, label)

    return advance


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
