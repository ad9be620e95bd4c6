"""What the ``wac`` subcommands print: a progress bar on stderr and a plain table on stdout.

Its own module so that ``cli`` (the parser) and ``cli_commands`` (the subcommands that talk to
a running gateway) both use it without importing each other.
"""

from __future__ import annotations

import sys

__all__ = ["progress_bar", "table"]


def progress_bar(done: int, total: int, label: str) -> None:
    """A one-line progress bar on stderr (tqdm-free, so the base install has no extra needs)."""
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}")
    sys.stderr.flush()


def table(headers: list[str], rows: list[list[str]]) -> None:
    """Columns padded to their widest cell: headers left-aligned, values right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
