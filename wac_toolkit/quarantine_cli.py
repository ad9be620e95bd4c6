"""``wac quarantine``: what terminals sent that could not be stored, read from the store.

Reading needs no running gateway (SQLite in WAL mode takes a second reader; PostgreSQL any
number). The raw text of
a ``senduser`` item can hold a PIN or a card number, so the table view masks ``record``;
``--json`` gives the items exactly as kept, for an operator who needs them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from .store import is_dsn, open_store

__all__ = ["register"]

_RECORD = re.compile(r'("record"\s*:\s*)("(?:[^"\\]|\\.)*"|-?\d+)')


def register(sub: Any) -> None:
    """Add ``wac quarantine`` to ``wac``'s subparsers."""
    parser = sub.add_parser(
        "quarantine",
        help="list items terminals sent that could not be stored (acknowledged, kept aside)",
        description=(
            "Records and users that could not be read (no time, not an object, no backupnum)"
            " were kept here with the reason; the frames that carried them were acknowledged"
            " so the terminal's later logs keep flowing."
        ),
    )
    parser.add_argument(
        "--db", default="wac.sqlite", help="SQLite file or postgresql:// DSN (default wac.sqlite)"
    )
    parser.add_argument("--sn", help="only this terminal")
    parser.add_argument("--limit", type=int, default=100, help="newest N items (default 100)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line, unmasked")
    parser.set_defaults(run=_quarantine)


async def _quarantine(args: argparse.Namespace) -> int:
    if not is_dsn(args.db) and not Path(args.db).exists():
        raise ValueError(f"no store at {args.db}")
    store = open_store(args.db)
    try:
        rows = store.quarantined(args.sn, args.limit)
        total = store.quarantine_count()
    finally:
        store.close()
    if args.json:
        for row in rows:
            at = row["received_at"]
            print(json.dumps({**row, "received_at": at.isoformat() if at else None}))
        return 0
    if not rows:
        print("quarantine is empty" if not total else f"nothing for {args.sn} ({total} in all)")
        return 0
    for row in rows:
        at = row["received_at"].strftime("%Y-%m-%d %H:%M:%S") if row["received_at"] else "?"
        print(f"#{row['id']}  {at} UTC  {row['sn']}  {row['cmd']}: {row['reason']}")
        print(f"    {_masked(row['raw'])}")
    print(f"{len(rows)} shown, {total} in quarantine", file=sys.stderr)
    return 0


def _masked(raw: str, width: int = 160) -> str:
    text = _RECORD.sub(r'\1"***"', raw)
    return text if len(text) <= width else text[: width - 1] + "…"
