"""``%wac`` subcommands: one module each, registered in the one table :data:`MODULES`.

A module exports ``COMMANDS``, a tuple of :class:`Subcommand`. To add ``%wac roster``, write
``commands/roster.py`` and add ``"roster"`` to :data:`MODULES`; the magic, ``--help``, the
overview and tab completion pick it up.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..magics import WacMagics
    from ..parser import CommandParser

__all__ = ["MODULES", "Subcommand", "registry"]


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One ``%wac NAME ...``.

    Attributes:
        name: what the user types after ``%wac``.
        help: one line for the overview; the parser's description.
        configure: adds the arguments to the subcommand's parser.
        run: ``run(magics, args, cell)`` does the work and returns the cell's value.
        cell: accepts a ``%%wac`` cell body (``cell`` is None on the line form).
        takes_sn: the first positional is a serial number (for tab completion).
    """

    name: str
    help: str
    configure: Callable[[CommandParser], None]
    run: Callable[[WacMagics, argparse.Namespace, str | None], Any]
    cell: bool = False
    takes_sn: bool = False


MODULES: tuple[str, ...] = (
    "start",
    "stop",
    "status",
    "logs",
    "setuser",
    "deleteuser",
    "enableuser",
    "opendoor",
    "users",
    "pull_logs",
    "presence",
    "timesheet",
    "simulate",
    "punch",
    "setusers",
    "panels",
    "roster",
    "person",
)
"""Subcommand modules in this package, in the order the overview lists them."""


def registry() -> dict[str, Subcommand]:
    """Every subcommand by name."""
    table: dict[str, Subcommand] = {}
    for module_name in MODULES:
        module = importlib.import_module(f"{__name__}.{module_name}")
        for command in module.COMMANDS:
            table[command.name] = command
    return table
