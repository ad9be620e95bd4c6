"""Repeated warnings, summarised: the first of a kind is logged, the rest are counted.

A terminal that sends junk in a loop (a firmware bug, or a hostile device) must not be able to
write a log line per frame: half a million lines in ten seconds fill disks and hide everything
else. Per connection, each *kind* of warning is logged once per window; the repeats are counted
and reported as one line when the window ends ("and 812 more like this in the last minute").

Time is passed in (``now``, seconds on any monotonic clock); nothing here reads a clock.
"""

from __future__ import annotations

__all__ = ["WarningSummary"]


class WarningSummary:
    """Rate-limits warnings by kind.

    Args:
        window: seconds during which repeats of a kind are only counted.
    """

    __slots__ = ("_open", "window")

    def __init__(self, window: float = 60.0) -> None:
        self.window = window
        self._open: dict[str, list[float | int | str]] = {}
        """kind -> [window start, repeats counted, first text]."""

    def note(self, kind: str, text: str, now: float) -> str | None:
        """Record one warning; returns the line to log now, or None when it is a counted repeat.

        When a kind comes back after its window ended, the line to log carries the count of
        the previous window, so no repeat goes unreported even without :meth:`flush`.
        """
        entry = self._open.get(kind)
        if entry is not None and now - float(entry[0]) < self.window:
            entry[1] = int(entry[1]) + 1
            return None
        line = text
        if entry is not None and entry[1]:
            line = f"{text} (before it: {self._more(int(entry[1]))})"
        self._open[kind] = [now, 0, text]
        return line

    def flush(self, now: float, *, everything: bool = False) -> list[str]:
        """Lines for the kinds whose window ended (all of them with ``everything``, at close)."""
        lines: list[str] = []
        for kind, (start, repeats, text) in list(self._open.items()):
            if everything or now - float(start) >= self.window:
                del self._open[kind]
                if repeats:
                    lines.append(f"{text}: {self._more(int(repeats))}")
        return lines

    def next_flush(self) -> float | None:
        """When :meth:`flush` will have a line to give; None while nothing was counted."""
        starts = [float(start) for start, repeats, _ in self._open.values() if repeats]
        return min(starts) + self.window if starts else None

    def _more(self, repeats: int) -> str:
        span = "minute" if self.window == 60 else f"{self.window:g} s"
        return f"and {repeats} more like this in the last {span}"
