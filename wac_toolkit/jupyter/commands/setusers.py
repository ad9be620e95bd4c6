"""``%%wac setusers SN``: many users from CSV lines in the cell, one result row each.

The cell holds ``enrollid,name,pin,card,admin`` lines (a header line is optional; empty
fields are skipped). A refused row does not stop the others; the returned DataFrame says
which rows were set and why the others were not.
"""

from __future__ import annotations

import argparse
import csv
from typing import TYPE_CHECKING, Any

from ...errors import DeviceError, TerminalOffline, WacError
from ...protocol.models import BackupNum
from . import Subcommand
from .setuser import card_record, pin_record

if TYPE_CHECKING:
    import pandas as pd

    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS", "parse_rows"]

COLUMNS = ("enrollid", "name", "pin", "card", "admin")


def parse_rows(text: str) -> list[dict[str, str]]:
    """CSV lines as dicts keyed by :data:`COLUMNS` (or by the header's names)."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    rows = list(csv.reader(lines, skipinitialspace=True))
    if not rows:
        raise ValueError("the cell has no users: one 'enrollid,name,pin,card,admin' per line")
    header: tuple[str, ...] = COLUMNS
    if rows[0] and not rows[0][0].strip().isdigit():
        header = tuple(h.strip().lower() for h in rows[0])
        unknown = set(header) - set(COLUMNS)
        if unknown or "enrollid" not in header:
            raise ValueError(f"unknown CSV columns {sorted(unknown)}; use {','.join(COLUMNS)}")
        rows = rows[1:]
    out = []
    for number, row in enumerate(rows, 1):
        if len(row) > len(header):
            raise ValueError(f"line {number}: {len(row)} fields, expected at most {len(header)}")
        out.append({k: v.strip() for k, v in zip(header, row, strict=False)})
    return out


def _credentials(row: dict[str, str]) -> list[tuple[int, Any, str]]:
    out: list[tuple[int, Any, str]] = []
    if row.get("pin"):
        out.append((int(BackupNum.PASSWORD), pin_record(row["pin"]), "PIN"))
    if row.get("card"):
        out.append((int(BackupNum.CARD), card_record(row["card"]), "card"))
    return out


def configure(parser: CommandParser) -> None:
    parser.add_argument("sn", help="terminal serial number")


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> pd.DataFrame:
    import pandas as pd

    if cell is None:
        raise ValueError("setusers reads CSV lines from the cell: use %%wac setusers SN")
    rows = parse_rows(cell)
    runtime, terminal = magics.terminal(args.sn)
    if not terminal.online:
        raise TerminalOffline(args.sn)
    results = []
    for row in rows:
        result: dict[str, Any] = {
            "enrollid": None,
            "name": row.get("name", ""),
            "set": "",
            "error": "",
        }
        try:
            enrollid = int(row["enrollid"])
            result["enrollid"] = enrollid
            admin = int(row.get("admin") or 0)
            credentials = _credentials(row)
            if not credentials:
                raise ValueError("no pin or card")
            for backupnum, record, _label in credentials:
                runtime.run(
                    runtime.session.set_user_info(
                        args.sn, enrollid, row.get("name", ""), backupnum, record, admin=admin
                    )
                )
            result["set"] = ", ".join(label for _, _, label in credentials)
        except TerminalOffline:
            raise
        except (ValueError, DeviceError, WacError) as exc:
            result["error"] = str(exc)
        results.append(result)
    frame = pd.DataFrame(results, columns=["enrollid", "name", "set", "error"])
    frame["enrollid"] = frame["enrollid"].astype("Int64")
    failed = int((frame["error"] != "").sum())
    print(f"{args.sn}: {len(frame) - failed} users set, {failed} failed")
    return frame


COMMANDS = (
    Subcommand(
        "setusers",
        "(%%wac cell) users from CSV lines: enrollid,name,pin,card,admin",
        configure,
        run,
        cell=True,
        takes_sn=True,
    ),
)
