"""An argparse parser that is safe inside a kernel: errors are one-line ``UsageError``s and
``--help`` prints instead of raising ``SystemExit`` (jupysql's ``CmdParser`` pattern)."""

from __future__ import annotations

import argparse
from typing import NoReturn

from IPython.core.error import UsageError

__all__ = ["CommandParser", "HelpShown"]


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
