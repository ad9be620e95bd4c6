"""The one place a command is described.

Each :class:`Command` says who sends it, what fields it takes, whether the other side replies,
whether it pages, and whether it destroys data. Client and Session methods, the virtual
terminal, the CLI, the magics and Home Assistant look commands up here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = ["COMMANDS", "Command", "Direction", "Field", "command"]


class Direction(Enum):
    TO_TERMINAL = "server->terminal"
    TO_SERVER = "terminal->server"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: type | tuple[type, ...]
    required: bool = True
    help: str = ""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    direction: Direction
    fields: tuple[Field, ...] = ()
    reply_fields: tuple[str, ...] = ()
    has_reply: bool = True
    paged: bool = False
    destructive: bool = False
    help: str = ""
    extra: dict[str, object] = field(default_factory=dict)


_T = Direction.TO_TERMINAL
_S = Direction.TO_SERVER

COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("reg", _S, help="terminal registers; always first"),
        Command("sendlog", _S, help="terminal pushes attendance/access records"),
        Command("senduser", _S, help="terminal announces a keypad-enrolled credential"),
        Command(
            "setuserinfo",
            _T,
            (
                Field("enrollid", int),
                Field("name", str, False),
                Field("backupnum", int),
                Field("admin", int, False),
                Field("record", (int, str)),
            ),
            ("enrollid",),
            help="create or update one credential slot of a user",
        ),
        Command(
            "deleteuser",
            _T,
            (Field("enrollid", int), Field("backupnum", int)),
            help="delete a credential slot (12 all fingerprints, 13 the whole user)",
        ),
    )
}


def command(name: str) -> Command | None:
    """The catalogue entry for ``name``, or None for a command we do not describe."""
    return COMMANDS.get(name)
