"""``%wac users SN``: who is enrolled on a terminal, one row per person, as a DataFrame.

``getuserlist`` pages list one entry per credential *slot* with raw codes (10 PIN, 11
card, 0-9 fingers...). An analyst wants one row per person: number, name, admin level, and
which credentials they have (never their values). Names come from the terminal
(``getusername``, one short command per user; ``--no-names`` skips it and uses the
roster's names), falling back to the roster's when the terminal has none.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, Any

from ...errors import DeviceError
from ..people import roster_names
from ..progress import run_with_progress
from . import Subcommand
from .setuser import ADMIN_LEVELS

if TYPE_CHECKING:
    import pandas as pd

    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COLUMNS", "COMMANDS", "per_user", "users_frame"]

_SECRET = {"record", "pwd", "password", "template", "photo_data"}

COLUMNS = ("enrollid", "name", "admin", "pin", "card", "fingerprints", "face", "palm", "photo")
"""Columns of ``%wac users``: credentials as yes/no (fingerprints and palms as counts)."""


def per_user(slots: Any, names: dict[int, str] | None = None) -> pd.DataFrame:
    """One row per user from ``getuserlist`` slots (dataclasses or dicts), see :data:`COLUMNS`."""
    import pandas as pd

    people: dict[int, dict[str, Any]] = {}
    for slot in slots or ():
        is_record = dataclasses.is_dataclass(slot) and not isinstance(slot, type)
        item = dataclasses.asdict(slot) if is_record else dict(slot)
        enrollid, backupnum = int(item.get("enrollid") or 0), int(item.get("backupnum") or 0)
        row = people.setdefault(
            enrollid,
            {"enrollid": enrollid, "admin": 0, "pin": False, "card": False, "fingerprints": 0,
             "face": False, "palm": 0, "photo": False},
        )  # fmt: skip
        row["admin"] = max(row["admin"], int(item.get("admin") or 0))
        if 0 <= backupnum <= 9:
            row["fingerprints"] += 1
        elif backupnum == 10:
            row["pin"] = True
        elif backupnum == 11:
            row["card"] = True
        elif 20 <= backupnum <= 27:
            row["face"] = True
        elif backupnum in (40, 41):
            row["palm"] += 1
        elif backupnum == 50:
            row["photo"] = True
    rows = [people[e] for e in sorted(people)]
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "name"])
    frame.insert(1, "name", [(names or {}).get(e) for e in frame["enrollid"]])
    levels = list(dict.fromkeys(ADMIN_LEVELS.values()))
    admin = frame["admin"].map(lambda a: ADMIN_LEVELS.get(int(a), f"level {a}"))
    extra = sorted(set(admin) - set(levels))
    return frame.astype(
        {"enrollid": "Int64", "name": "string", "pin": bool, "card": bool,
         "fingerprints": "int8", "face": bool, "palm": "int8", "photo": bool}
    ).assign(admin=pd.Categorical(admin, categories=levels + extra))  # fmt: skip


def users_frame(items: Any) -> pd.DataFrame:
    """Whatever the Session returned (frame, dataclasses or dicts) as a frame, secrets dropped."""
    import pandas as pd

    if isinstance(items, pd.DataFrame):
        frame = items
    else:
        rows = [
            dataclasses.asdict(i)
            if dataclasses.is_dataclass(i) and not isinstance(i, type)
            else dict(i)
            for i in items or ()
        ]
        frame = pd.DataFrame(rows)
    frame = frame.drop(columns=[c for c in frame.columns if c in _SECRET])
    if "enrollid" in frame.columns:
        frame["enrollid"] = frame["enrollid"].astype("Int64")
    return frame


def configure(parser: CommandParser) -> None:
    parser.add_argument("sn", help="terminal serial number")
    parser.add_argument(
        "--no-names", action="store_true", help="do not ask the terminal for names (roster's)"
    )
    parser.add_argument("--slots", action="store_true", help="one row per credential slot")


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> pd.DataFrame:
    runtime, _ = magics.terminal(args.sn)
    session = runtime.session
    slots = run_with_progress(
        runtime,
        lambda progress: session.get_user_list(args.sn, progress=progress),
        f"{args.sn} users",
        widgets=magics.in_kernel,
    )
    if args.slots:
        return users_frame(slots)
    names = roster_names(session)
    if not args.no_names:
        enrollids = sorted({int(s.enrollid) for s in slots})

        async def ask(progress: Any) -> dict[int, str]:
            found: dict[int, str] = {}
            for done, enrollid in enumerate(enrollids, start=1):
                try:
                    reply = await session.get_user_name(args.sn, enrollid)
                except DeviceError:
                    continue  # no name there: the roster's, if any
                if reply.name:
                    found[enrollid] = reply.name
                progress(done, len(enrollids))
            return found

        names.update(run_with_progress(runtime, ask, f"{args.sn} names", widgets=magics.in_kernel))
    return per_user(slots, names)


COMMANDS = (
    Subcommand(
        "users",
        "who is enrolled on a terminal: one row per user, credentials as yes/no",
        configure,
        run,
        takes_sn=True,
    ),
)
