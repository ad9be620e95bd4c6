"""``%wac users SN``: the terminal's user list, paged from the terminal, as a DataFrame."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, Any

from ..progress import run_with_progress
from . import Subcommand

if TYPE_CHECKING:
    import pandas as pd

    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["COMMANDS", "users_frame"]

_SECRET = {"record", "pwd", "password", "card", "template", "photo"}


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


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> pd.DataFrame:
    runtime, _ = magics.terminal(args.sn)
    items = run_with_progress(
        runtime,
        lambda progress: runtime.session.get_user_list(args.sn, progress=progress),
        f"{args.sn} users",
        widgets=magics.in_kernel,
    )
    return users_frame(items)


COMMANDS = (
    Subcommand(
        "users",
        "the users enrolled on a terminal (paged, with progress)",
        configure,
        run,
        takes_sn=True,
    ),
)
