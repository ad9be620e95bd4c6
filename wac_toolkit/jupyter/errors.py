"""The edge where library errors become what a notebook user sees: one line, no traceback.

IPython prints a ``UsageError`` as a single line and marks the cell failed, so "Run all" and
nbmake stop there (research/jupyter.md 1.1). Library code never imports IPython; only this
module translates.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from IPython.core.error import UsageError

from ..errors import CommandTimeout, DeviceError, TerminalOffline, WacError
from .refusals import describe

__all__ = ["as_usage_error", "user_errors"]


def as_usage_error(exc: BaseException) -> UsageError:
    """A one-line ``UsageError`` saying what went wrong and, where it helps, what to do."""
    if isinstance(exc, TerminalOffline):
        return UsageError(f"{exc}; %wac devices lists the connected ones")
    if isinstance(exc, CommandTimeout):
        return UsageError(f"{exc}; is it busy or on a weak link? (%config Wac.command_timeout)")
    if isinstance(exc, DeviceError):
        return UsageError(describe(exc))
    if isinstance(exc, OSError) and not isinstance(exc, WacError):
        return UsageError(f"{type(exc).__name__}: {exc}")
    return UsageError(str(exc) or type(exc).__name__)


@contextlib.contextmanager
def user_errors(short: bool = True) -> Iterator[None]:
    """Turn toolkit errors, bad values and OS errors into ``UsageError`` (when ``short``)."""
    try:
        yield
    except UsageError:
        raise
    except (WacError, ValueError, OSError) as exc:
        if not short:
            raise
        raise as_usage_error(exc) from None
