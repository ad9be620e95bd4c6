"""An argparse parser that is safe inside a kernel: errors are one-line ``UsageError``s and
``--help`` prints instead of raising ``SystemExit`` (jupysql's ``CmdParser`` pattern)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn

from IPython.core.error import UsageError

__all__ = ["CommandParser", "HelpShown", "bounded_int", "one_of"]


class HelpShown(Exception):
    """``--help`` was printed; the magic returns without doing anything else."""


class CommandParser(argparse.ArgumentParser):
    """``%wac <subcommand>`` arguments."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("add_help", True)
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            print(message.rstrip())
        raise HelpShown


def bounded_int(low: int, high: int | None = None, what: str = "value") -> Callable[[str], int]:
    """An argparse ``type`` for an int in ``low..high``: out of range is a parse error, so
    the magic stops before it touches the gateway."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be a whole number, not {text!r}"
            ) from None
        if value < low or (high is not None and value > high):
            span = f"{low} or more" if high is None else f"{low} to {high}"
            raise argparse.ArgumentTypeError(f"{what} must be {span}, not {value}")
        return value

    parse.__name__ = what
    return parse


def one_of(values: dict[int, str], what: str) -> Callable[[str], int]:
    """An argparse ``type`` for an int from a fixed set, naming each allowed value."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = -(2**31)
        if value not in values:
            allowed = ", ".join(f"{k} {v}" for k, v in values.items())
            raise argparse.ArgumentTypeError(f"{what} must be one of: {allowed}; not {text!r}")
        return value

    parse.__name__ = what
    return parse
