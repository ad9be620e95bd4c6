"""The connection state machine: which reply answers which command, sans I/O.

Replies in this protocol carry no request id, only ``ret`` (the command name) and, in some
replies, the identifying fields of the request (PROTOCOL.md 2, "Concurrency"). That is enough
to correlate only if both sides keep to these rules, which live here and nowhere else:

* One command in flight. :meth:`Connection.send_command` refuses a second one
  (:class:`ConnectionBusy`); the driver queues.
* A reply is the answer only if its ``ret`` names the command in flight and every identifying
  field it echoes (``enrollid``, ``backupnum``) equals the request's. Anything else is dropped.
* A command that timed out (or whose caller gave up) is *poisoned*: its late reply may still
  come, and must not be taken as the answer to the next command of the same name. Until that
  late reply arrives (it is swallowed) or a grace period ends, the name cannot be sent again
  (:meth:`Connection.poisoned_until` tells the driver how long to wait). Commands of other
  names go ahead.
* Frames that are not protocol messages are counted over a time window, not only "in a row":
  ``max_bad_frames`` within ``bad_frame_window`` seconds closes the connection (1007), so a
  peer that mixes one good frame into its junk is still stopped.
* Warnings are summarised per connection (:class:`~.summary.WarningSummary`).

Frames and clock readings go in (:meth:`receive_text`, :meth:`tick`, ``now`` everywhere);
frames to send and events come out. Nothing here awaits, sleeps or reads a clock, so every
rule is tested without sockets (tests/protocol/test_connection.py). ``net/peer.py`` drives it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..errors import FrameError, WacError
from . import frames
from .handlers import fail
from .summary import WarningSummary
from .typed import decode_sendlog
from .values import as_int, as_text

__all__ = [
    "CLOSE_BAD_FRAMES",
    "ECHOED_FIELDS",
    "Answered",
    "BadFrame",
    "Connection",
    "ConnectionBusy",
    "Dropped",
    "Event",
    "Poisoned",
    "Request",
    "TimedOut",
    "Unpoisoned",
]

CLOSE_BAD_FRAMES = 1007
"""Close code once too many frames within the window were not protocol messages."""

ECHOED_FIELDS = ("enrollid", "backupnum")
"""Request fields that replies echo on some firmware; when echoed they must match."""


class ConnectionBusy(WacError, RuntimeError):
    """The driver tried to send a command while another is in flight (a bug in the driver)."""


class Poisoned(WacError, RuntimeError):
    """The driver tried to send a command whose late reply may still come (wait for it)."""


@dataclass(frozen=True, slots=True)
class Request:
    """The other side asks something: answer it."""

    frame: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Answered:
    """The reply to the command in flight."""

    cmd: str
    frame: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TimedOut:
    """The command in flight got no reply by its deadline; its name is poisoned now."""

    cmd: str
    timeout: float


@dataclass(frozen=True, slots=True)
class Unpoisoned:
    """``cmd`` may be sent again: its late reply came, or the grace period ended."""

    cmd: str


@dataclass(frozen=True, slots=True)
class Dropped:
    """A reply that answers nothing we wait for: late, not matching, or unasked.

    ``log`` is the line to log (None when the summariser counts it as a repeat).
    """

    frame: dict[str, Any]
    why: str
    log: str | None = None


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A frame that is not a protocol message.

    ``reply`` is what to send back (the connection stays usable) unless ``close`` is set:
    then close with :data:`CLOSE_BAD_FRAMES`. ``log`` as in :class:`Dropped`.
    """

    reason: str
    reply: dict[str, Any] | None
    close: bool = False
    log: str | None = None


Event = Request | Answered | TimedOut | Unpoisoned | Dropped | BadFrame


@dataclass(slots=True)
class _Inflight:
    cmd: str
    fields: dict[str, Any]
    deadline: float
    timeout: float


@dataclass(slots=True)
class _Poison:
    fields: dict[str, Any]
    until: float


@dataclass(slots=True)
class Connection:
    """One connection's correlation state.

    Args:
        grace: seconds a timed-out command's name stays poisoned when its late reply does not
            come; None uses the command's own timeout (a reply later than twice the timeout
            is taken as lost).
        max_bad_frames: undecodable frames tolerated within ``bad_frame_window`` seconds.
        bad_frame_window: see above.
        summary_window: seconds during which repeated warnings of a kind are only counted.
        typed_sendlog: read a ``sendlog`` in the documented shape straight into values
            (:func:`~.typed.decode_sendlog`): its request frame is a
            :class:`~.typed.TypedSendlog` without the record dicts. For a handler that
            reads batches with :func:`~.handlers.read_sendlog` (the gateway's session).
    """

    grace: float | None = None
    max_bad_frames: int = 20
    bad_frame_window: float = 60.0
    summary_window: float = 60.0
    typed_sendlog: bool = False
    inflight: _Inflight | None = field(default=None, init=False)
    _poisoned: dict[str, _Poison] | None = field(default=None, init=False, repr=False)
    _bad: deque[float] | None = field(default=None, init=False, repr=False)
    _summary: WarningSummary | None = field(default=None, init=False, repr=False)

    # -- commands we send ---------------------------------------------------------------------

    def send_command(
        self,
        cmd: str,
        fields: dict[str, Any] | None,
        *,
        now: float,
        timeout: float,
        expect_reply: bool = True,
    ) -> dict[str, Any]:
        """The frame to send for ``cmd``; the driver must write it, then wait for an event.

        With ``expect_reply`` the command is in flight until :class:`Answered` or
        :class:`TimedOut` (``now + timeout``); :meth:`abandon` if the caller gives up.

        Raises:
            ConnectionBusy: a command is in flight already.
            Poisoned: ``cmd`` timed out earlier and its late reply may still come.
        """
        if self.inflight is not None:
            raise ConnectionBusy(f"{self.inflight.cmd!r} is in flight; one command at a time")
        if self.poisoned_until(cmd, now) is not None:
            raise Poisoned(f"{cmd!r} timed out earlier; its late reply may still come")
        fields = dict(fields or {})
        fields.pop("cmd", None)  # the command is ``cmd``; a field never replaces it
        if expect_reply:
            self.inflight = _Inflight(cmd, fields, now + timeout, timeout)
        return {"cmd": cmd, **fields}

    def abandon(self, now: float) -> str | None:
        """The caller stopped waiting (cancelled): poison the command as if it timed out."""
        inflight = self.inflight
        if inflight is None:
            return None
        self.inflight = None
        self._poison(inflight, now)
        return inflight.cmd

    def poisoned_until(self, cmd: str, now: float) -> float | None:
        """Until when ``cmd`` must not be sent (None: send it)."""
        poison = self._poisoned.get(cmd) if self._poisoned else None
        if poison is None or poison.until <= now:
            return None
        return poison.until

    def next_deadline(self) -> float | None:
        """When :meth:`tick` has something to do; None when nothing is pending (no timer)."""
        times = []
        if self.inflight is not None:
            times.append(self.inflight.deadline)
        if self._poisoned:
            times.extend(p.until for p in self._poisoned.values())
        if self._summary is not None:
            flush = self._summary.next_flush()
            if flush is not None:
                times.append(flush)
        return min(times) if times else None

    def tick(self, now: float) -> tuple[list[Event], list[str]]:
        """Let time pass: deadlines, grace periods and warning windows that ended.

        Returns:
            The events, and summary lines to log (counted repeats whose window ended).
        """
        events: list[Event] = []
        inflight = self.inflight
        if inflight is not None and now >= inflight.deadline:
            self.inflight = None
            self._poison(inflight, now)
            events.append(TimedOut(inflight.cmd, inflight.timeout))
        if self._poisoned:
            for cmd, poison in list(self._poisoned.items()):
                if poison.until <= now:
                    del self._poisoned[cmd]
                    events.append(Unpoisoned(cmd))
        lines = self._summary.flush(now) if self._summary is not None else []
        return events, lines

    def close(self) -> list[str]:
        """The connection ended: forget the command in flight; the last summary lines."""
        self.inflight = None
        self._poisoned = None
        return self._summary.flush(0.0, everything=True) if self._summary is not None else []

    # -- frames we receive --------------------------------------------------------------------

    def receive_text(self, data: str | bytes, now: float) -> list[Event]:
        """Decode one message and say what it is."""
        if self.typed_sendlog:
            typed = decode_sendlog(data)
            if typed is not None:
                return [Request(typed)]
        try:
            frame = frames.decode(data)
        except FrameError as exc:
            return [self._bad_frame(str(exc), now)]
        if "cmd" in frame:
            return [Request(frame)]
        return self._reply(frame, now)

    def note(self, kind: str, text: str, now: float) -> str | None:
        """Summarise a warning the driver (or the session) has about this connection."""
        if self._summary is None:
            self._summary = WarningSummary(self.summary_window)
        return self._summary.note(kind, text, now)

    # -- internals ----------------------------------------------------------------------------

    def _reply(self, frame: dict[str, Any], now: float) -> list[Event]:
        ret = frame["ret"]
        inflight = self.inflight
        if inflight is not None and inflight.cmd == ret:
            mismatch = _echo_mismatch(inflight.fields, frame)
            if mismatch is None:
                self.inflight = None
                return [Answered(ret, frame)]
            why = f"reply to {ret!r} echoes {mismatch}; not the answer to the request"
            return [Dropped(frame, why, self.note("mismatch", why, now))]
        poison = self._poisoned.get(ret) if self._poisoned else None
        if poison is not None and _echo_mismatch(poison.fields, frame) is None:
            del self._poisoned[ret]  # type: ignore[union-attr]
            why = f"late reply to {ret!r} (after its timeout) swallowed"
            return [Dropped(frame, why, self.note("late", why, now)), Unpoisoned(ret)]
        why = f"reply {ret!r} to no command in flight dropped"
        return [Dropped(frame, why, self.note("unexpected", why, now))]

    def _poison(self, inflight: _Inflight, now: float) -> None:
        grace = inflight.timeout if self.grace is None else self.grace
        if grace <= 0:
            return
        if self._poisoned is None:
            self._poisoned = {}
        self._poisoned[inflight.cmd] = _Poison(inflight.fields, now + grace)

    def _bad_frame(self, reason: str, now: float) -> BadFrame:
        if self._bad is None:
            self._bad = deque(maxlen=self.max_bad_frames)
        self._bad.append(now)
        window_full = len(self._bad) == self.max_bad_frames
        close = window_full and now - self._bad[0] <= self.bad_frame_window
        text = f"bad frame: {reason[:200]}"
        line = self.note("bad frame", text, now)
        if close:
            line = (
                f"{self.max_bad_frames} bad frames within {self.bad_frame_window:g} s"
                f" (last: {reason[:200]}); closing with {CLOSE_BAD_FRAMES}"
            )
            return BadFrame(reason, None, True, line)
        return BadFrame(reason, fail("error", reason[:120]), False, line)


def _echo_mismatch(request: dict[str, Any], reply: dict[str, Any]) -> str | None:
    """``"enrollid=2 (asked 1)"`` when an echoed identifying field differs; else None."""
    for key in ECHOED_FIELDS:
        if key not in request or reply.get(key) is None:
            continue
        asked, echoed = request[key], reply[key]
        same = (
            as_int(asked) == as_int(echoed)
            if as_int(asked) is not None
            else as_text(asked) == as_text(echoed)
        )
        if not same:
            return f"{key}={echoed!r} (asked {asked!r})"
    return None
