"""``%wac setuser SN ENROLLID NAME``: put a PIN, card, fingerprint or photo on a terminal.

Each credential is one ``setuserinfo`` (one slot per command, PROTOCOL.md 5). The result
names the slots written, never their values.
"""

from __future__ import annotations

import argparse
import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...protocol.models import BackupNum
from ..parser import bounded_int, one_of
from ..results import Outcome
from . import Subcommand

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["ADMIN_LEVELS", "COMMANDS", "credentials_from", "pin_record", "card_record"]

ADMIN_LEVELS = {0: "user", 1: "admin", 2: "super admin"}
"""The ``admin`` values terminals know."""


def pin_record(pin: str) -> str:
    """A terminal PIN: 1 to 8 digits (PROTOCOL.md 3)."""
    if not (pin.isdigit() and 1 <= len(pin) <= 8):
        raise ValueError("a PIN is 1 to 8 digits")
    return pin


def card_record(card: str) -> int:
    """A card number as the terminal stores it (a number)."""
    if not card.isdigit():
        raise ValueError(f"a card number is digits only, not {card!r}")
    return int(card)


def file_record(path: str, what: str) -> str:
    """A template or photo file as the base64 text terminals carry."""
    try:
        data = Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {what} file {path!r}: {exc.strerror}") from None
    if not data:
        raise ValueError(f"{what} file {path!r} is empty")
    text = data.strip()
    try:
        base64.b64decode(text, validate=True)
        return text.decode("ascii")  # already base64 text (how templates are exported)
    except ValueError:
        return base64.b64encode(data).decode("ascii")


def credentials_from(args: argparse.Namespace) -> list[tuple[BackupNum, Any, str]]:
    """(slot, record, label) for every credential the flags give."""
    out: list[tuple[BackupNum, Any, str]] = []
    if args.pin is not None:
        out.append((BackupNum.PASSWORD, pin_record(args.pin), "PIN"))
    if args.card is not None:
        out.append((BackupNum.CARD, card_record(args.card), "card"))
    if args.fingerprint is not None:
        if not 0 <= args.finger <= 9:
            raise ValueError("--finger is 0..9")
        out.append(
            (BackupNum(args.finger), file_record(args.fingerprint, "fingerprint"), "fingerprint")
        )
    if args.photo is not None:
        out.append((BackupNum.PHOTO, file_record(args.photo, "photo"), "photo"))
    return out


def configure(parser: CommandParser) -> None:
    parser.add_argument("sn", help="terminal serial number")
    parser.add_argument("enrollid", type=int, help="user number on the terminal")
    parser.add_argument("name", help="display name (quote it if it has spaces)")
    parser.add_argument("--pin", help="PIN, 1 to 8 digits")
    parser.add_argument("--card", help="card number")
    parser.add_argument("--fingerprint", metavar="FILE", help="fingerprint template file")
    parser.add_argument(
        "--finger", type=bounded_int(0, 9, "--finger"), default=0,
        help="finger slot 0..9 (default 0)",
    )  # fmt: skip
    parser.add_argument("--photo", metavar="FILE", help="face photo file (JPEG)")
    parser.add_argument(
        "--admin", type=one_of(ADMIN_LEVELS, "--admin"), nargs="?", const=1, default=0,
        help="0 user, 1 admin, 2 super admin (flag alone: 1)",
    )  # fmt: skip


def run(magics: WacMagics, args: argparse.Namespace, cell: str | None) -> Outcome:
    if args.enrollid <= 0:
        raise ValueError(f"enrollid must be a positive number, not {args.enrollid}")
    credentials = credentials_from(args)
    if not credentials:
        raise ValueError("nothing to set: give --pin, --card, --fingerprint or --photo")
    runtime, _ = magics.terminal(args.sn)
    replies = []
    for backupnum, record, _label in credentials:
        replies.append(
            runtime.run(
                runtime.session.set_user_info(
                    args.sn, args.enrollid, args.name, int(backupnum), record, admin=args.admin
                )
            )
        )
    labels = ", ".join(label for _, _, label in credentials)
    return Outcome(f"{args.sn}: user {args.enrollid} ({args.name}) set: {labels}", tuple(replies))


COMMANDS = (
    Subcommand(
        "setuser",
        "create or update a user's PIN / card / fingerprint / photo on a terminal",
        configure,
        run,
        takes_sn=True,
    ),
)
