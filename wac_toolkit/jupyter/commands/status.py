"""``%wac status`` (one line about the gateway) and ``%wac devices`` (a DataFrame)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..results import Outcome, count
from . import Subcommand

if TYPE_CHECKING:
    import pandas as pd

    from ...session import Terminal
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS", "terminals_frame"]


def terminals_frame(terminals: list[Terminal], tz: Any = "UTC") -> pd.DataFrame:
    """One row per terminal: sn (category), online, model, firmware, users, logs, last_seen.

    ``last_seen`` is in ``tz`` (the terminals' zone, like the logs' ``time``) to the second.
    """
    import pandas as pd

    rows = [
        {
            "sn": t.sn,
            "online": t.online,
            "model": t.modelname,
            "firmware": t.firmware,
            "users": t.info.counters.get("useduser") if t.info else None,
            "logs": t.info.counters.get("usedlog") if t.info else None,
            "last_seen": t.last_seen,
            "remote": t.remote,
        }
        for t in terminals
    ]
    frame = pd.DataFrame(
        rows,
        columns=["sn", "online", "model", "firmware", "users", "logs", "last_seen", "remote"],
    )
    frame["sn"] = pd.Categorical(frame["sn"], categories=sorted(set(frame["sn"])))
    frame["online"] = frame["online"].astype(bool)
    for column in ("model", "firmware", "remote"):
        frame[column] = frame[column].astype("string")
    for column in ("users", "logs"):
        frame[column] = frame[column].astype("Int64")
    zone = str(tz)
    seen = pd.to_datetime(frame["last_seen"], utc=True).dt.floor("s").dt.tz_convert(zone)
    frame["last_seen"] = seen.astype(pd.DatetimeTZDtype("us", zone))
    return frame


def configure(parser: CommandParser) -> None:
    pass


def configure_devices(parser: CommandParser) -> None:
    parser.add_argument("--online", action="store_true", help="only connected terminals")


def run_status(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Outcome:
    runtime = magics.require()
    terminals = runtime.session.terminals()
    online = sum(t.online for t in terminals)
    fleet = f", {len(magics.fleet.terminals)} simulated" if magics.fleet is not None else ""
    return Outcome(
        f"gateway {runtime.url} ({runtime.options.loop} loop, db {runtime.options.db}): "
        f"{online} of {count(len(terminals), 'terminal')} online{fleet}"
    )


def run_devices(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> pd.DataFrame:
    terminals = magics.require().session.terminals()
    if args.online:
        terminals = [t for t in terminals if t.online]
    return terminals_frame(terminals, magics.require().session.tz)


COMMANDS = (
    Subcommand(
        "status", "one line: where the gateway listens, terminals online", configure, run_status
    ),
    Subcommand("devices", "the known terminals as a DataFrame", configure_devices, run_devices),
)
