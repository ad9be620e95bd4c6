"""Is a terminal's clock off? Read from what it says, against when we hear it.

Terminals stamp records with their own wall clock and no zone (PROTOCOL.md 3). A clock that
is off, or set in another zone, makes every live punch look old: the session flags it as
backlog, and whatever only acts on fresh punches (a door automation, an event entity) stays
silent without an error anywhere. :class:`ClockWatch` notices it from two signals:

* ``reg``: ``devinfo.time`` is the terminal's clock at the moment it registers. Its
  difference to the server's wall time (in the terminals' zone) *is* the offset; a terminal
  that registers with a good clock clears an earlier verdict.
* records: a record stamped in the future (beyond the threshold) cannot be backlog, so the
  clock is ahead. Records stamped in the past can be a flush after an outage, so they only
  count when :data:`FRAMES` frames in a row lag by the same amount (within ``agree``): a
  backlog's frames lag by ever different amounts, a slow clock by one. A frame with a record
  within the threshold clears a verdict taken from records.

Pure bookkeeping: callers pass the times (``now`` in the terminals' wall time, naive), so it
runs the same under a Session, in a notebook over stored logs, or in a test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .protocol.values import parse_time

__all__ = ["FRAMES", "THRESHOLD", "ClockSkew", "ClockWatch", "describe_offset"]

THRESHOLD = timedelta(minutes=5)
"""An offset at most this large is a good clock (it matches the session's fresh window)."""
AGREE = timedelta(minutes=1)
FRAMES = 3


@dataclass(frozen=True, slots=True)
class ClockSkew:
    """A terminal whose clock is off.

    Attributes:
        offset: terminal clock minus server clock (positive: the terminal is ahead).
        source: ``"reg"`` or ``"records"``, what showed it.
    """

    sn: str
    offset: timedelta
    source: str

    @property
    def looks_like_zone(self) -> bool:
        """An offset of whole half hours (within 2 min): a wrong zone rather than drift."""
        minutes = abs(self.offset.total_seconds()) / 60
        return minutes >= 29 and abs(minutes - 30 * round(minutes / 30)) <= 2

    def describe(self) -> str:
        return describe_offset(self.offset)


def describe_offset(offset: timedelta) -> str:
    """``"2 h 0 min ahead"`` / ``"7 min behind"``."""
    seconds = int(round(offset.total_seconds()))
    way = "ahead" if seconds > 0 else "behind"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{hours} h {minutes} min {way}" if hours else f"{minutes} min {way}"


class ClockWatch:
    """Per serial number, the current verdict on the terminal's clock."""

    def __init__(self, threshold: timedelta = THRESHOLD, agree: timedelta = AGREE) -> None:
        self.threshold = threshold
        self.agree = agree
        self._skews: dict[str, ClockSkew] = {}
        self._lags: dict[str, list[timedelta]] = {}

    def skew(self, sn: str) -> ClockSkew | None:
        """The terminal's skew, or None while its clock looks right."""
        return self._skews.get(sn)

    def skews(self) -> list[ClockSkew]:
        return [self._skews[sn] for sn in sorted(self._skews)]

    def reset(self, sn: str) -> None:
        """Forget what was seen of ``sn`` (after its clock was set, or it was forgotten)."""
        self._skews.pop(sn, None)
        self._lags.pop(sn, None)

    def observe_reg(
        self, sn: str, terminal_time: datetime | str | None, now: datetime
    ) -> ClockSkew | None:
        """A ``reg`` carrying the terminal's clock (``devinfo.time``); returns the verdict."""
        moment = parse_time(terminal_time) if isinstance(terminal_time, str) else terminal_time
        if moment is None:
            return self.skew(sn)
        offset = moment - now
        self._lags.pop(sn, None)
        if abs(offset) > self.threshold:
            self._skews[sn] = ClockSkew(sn, offset, "reg")
        else:
            self._skews.pop(sn, None)
        return self.skew(sn)

    def observe_records(
        self, sn: str, times: Iterable[datetime | None], now: datetime
    ) -> ClockSkew | None:
        """The record times of one frame (or one pull), received ``now``; returns the verdict."""
        newest = max((t for t in times if t is not None), default=None)
        if newest is None:
            return self.skew(sn)
        lag = newest - now
        current = self._skews.get(sn)
        if lag > self.threshold:
            self._lags.pop(sn, None)
            self._skews[sn] = ClockSkew(sn, lag, "records")
        elif lag >= -self.threshold:
            self._lags.pop(sn, None)
            if current is not None and current.source == "records":
                del self._skews[sn]
        else:
            lags = [*self._lags.get(sn, []), lag][-FRAMES:]
            self._lags[sn] = lags
            if len(lags) == FRAMES and max(lags) - min(lags) <= self.agree:
                if current is None or current.source == "records":
                    self._skews[sn] = ClockSkew(sn, sorted(lags)[FRAMES // 2], "records")
        return self.skew(sn)
