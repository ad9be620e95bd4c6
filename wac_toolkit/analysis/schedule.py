"""Who is expected when: shifts, the weekdays they run, half-days and holidays.

A :class:`Shift` is wall-clock times in the terminals' zone (08:00 stays 08:00 across a
clock change); an end at or before the start means the shift crosses midnight and ends on
the next calendar day (frappe/hrms "Shift Type" semantics). A :class:`Schedule` answers
one question, :meth:`Schedule.shifts_on`: which shifts does this person have on this
workday? Evaluating punches against it lives in :mod:`.punctuality`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .units import ClockLike, DurationLike, as_clock, as_duration

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BREAK_POLICIES", "MON_FRI", "BreakPolicy", "Schedule", "Shift", "as_date"]

BreakPolicy: TypeAlias = Literal["auto", "punched", "paid"]
"""How a shift's break counts (see :class:`Shift`)."""

BREAK_POLICIES: tuple[BreakPolicy, ...] = ("auto", "punched", "paid")

MON_FRI = frozenset(range(5))
"""Weekday numbers as Python counts them: Monday 0 ... Sunday 6."""

_DAY = timedelta(days=1)


def as_date(value: date | str | Any) -> date:
    """A ``datetime.date`` from a date, datetime, Timestamp or ``"2025-12-24"``.

    Raises:
        ValueError: the value is not a date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date such as '2025-12-24', not {value!r}")


@dataclass(frozen=True, slots=True)
class Shift:
    """One expected working period on a workday.

    Args:
        start: wall-clock start, ``"08:00"`` or a ``time``.
        end: wall-clock end; at or before ``start`` means it ends the next day.
        name: how timesheets label it; also the key for ``Schedule(assign=...)``.
        weekdays: the workdays it runs on, Monday 0; default Monday to Friday.
        grace: arriving up to this late (minutes or ``timedelta``) is on time; beyond it,
            lateness counts from ``start``.
        leave_grace: the same for leaving early; defaults to ``grace``.
        unpaid_break: the break that is not working time: subtracted from the shift's length
            to get the expected hours, and from the time at work (see ``break_policy``).
        break_policy: how the break is taken out of the time at work, so that a day worked
            exactly as scheduled gives no overtime:

            * ``"auto"`` (default, the usual HR rule): when the person punched out for a
              break, the break they actually took is not worked; when they did not, the
              ``unpaid_break`` is deducted automatically.
            * ``"punched"``: only breaks punched out and back in are deducted; someone who
              works through without punching is credited the whole presence.
            * ``"paid"``: the break is working time: nothing is deducted, and the expected
              hours are the whole shift.
    """

    start: time
    end: time
    name: str = ""
    weekdays: frozenset[int] = MON_FRI
    grace: timedelta = timedelta(0)
    leave_grace: timedelta | None = None
    unpaid_break: timedelta = timedelta(0)
    break_policy: BreakPolicy = "auto"

    def __init__(
        self,
        start: ClockLike,
        end: ClockLike,
        name: str = "",
        *,
        weekdays: Iterable[int] = MON_FRI,
        grace: DurationLike = 0,
        leave_grace: DurationLike | None = None,
        unpaid_break: DurationLike = 0,
        break_policy: BreakPolicy = "auto",
    ) -> None:
        days = frozenset(int(d) for d in weekdays)
        if not days <= frozenset(range(7)):
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), got {sorted(days)}")
        begin, finish = as_clock(start, "start"), as_clock(end, "end")
        pause = as_duration(unpaid_break, "unpaid_break")
        if break_policy not in BREAK_POLICIES:
            raise ValueError(f"break_policy is one of {BREAK_POLICIES}, not {break_policy!r}")
        set_ = object.__setattr__
        set_(self, "start", begin)
        set_(self, "end", finish)
        set_(self, "name", name or f"{begin:%H:%M}-{finish:%H:%M}")
        set_(self, "weekdays", days)
        set_(self, "grace", as_duration(grace, "grace"))
        set_(self, "leave_grace", None if leave_grace is None else as_duration(leave_grace))
        set_(self, "unpaid_break", pause)
        set_(self, "break_policy", break_policy)
        if pause >= self.length:
            raise ValueError(f"unpaid_break {pause} is not shorter than the shift {self.name}")

    @property
    def expected(self) -> timedelta:
        """Hours owed on a normal day: the length, less the break unless it is paid."""
        return self.length - (timedelta(0) if self.break_policy == "paid" else self.unpaid_break)

    @property
    def crosses_midnight(self) -> bool:
        """True when the shift ends on the calendar day after its workday."""
        return self.end <= self.start

    @property
    def length(self) -> timedelta:
        """Nominal wall-clock length (a DST night makes the real one an hour longer or shorter)."""
        begin = datetime.combine(date.min, self.start)
        finish = datetime.combine(
            date.min + (_DAY if self.crosses_midnight else timedelta()), self.end
        )
        return finish - begin

    def bounds(self, workday: date, tz: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Start and end on ``workday`` as tz-aware Timestamps, placed by wall clock.

        A start in the hour skipped by a spring-forward moves to the first valid minute; a
        time in the repeated autumn hour means its first (summer time) occurrence.
        """
        import pandas as pd

        end_day = workday + _DAY if self.crosses_midnight else workday
        wall = [datetime.combine(workday, self.start), datetime.combine(end_day, self.end)]
        stamps = [pd.Timestamp(w) for w in wall]
        if tz is None:
            return stamps[0], stamps[1]
        placed = [s.tz_localize(tz, ambiguous=True, nonexistent="shift_forward") for s in stamps]
        return placed[0], placed[1]


@dataclass(frozen=True, slots=True)
class Schedule:
    """Shifts, holidays, special days (half-days) and who works which shift.

    Args:
        shifts: the regular shifts; several may run on one day (morning, late, night).
        holidays: dates nobody is expected (``"2025-12-25"`` or ``date``).
        special: ``{date: [Shift, ...]}`` replacing the regular shifts on that date, e.g. a
            half-day ``{"2025-12-24": [Shift("08:00", "12:00", "half day")]}``; an empty
            list is a day off for everyone.
        assign: ``{enrollid: "night"}`` or ``{enrollid: ["early", "late"]}``: the shift names
            a person may work. Others may work any shift; when several fit a day, the one
            starting nearest their first punch is theirs.
    """

    shifts: tuple[Shift, ...] = ()
    holidays: frozenset[date] = field(default_factory=frozenset)
    special: Mapping[date, tuple[Shift, ...]] = field(default_factory=dict)
    assign: Mapping[int, frozenset[str]] = field(default_factory=dict)

    def __init__(
        self,
        shifts: Sequence[Shift] | Shift = (),
        *,
        holidays: Iterable[date | str] = (),
        special: Mapping[date | str, Sequence[Shift]] | None = None,
        assign: Mapping[int, str | Iterable[str]] | None = None,
    ) -> None:
        regular = (shifts,) if isinstance(shifts, Shift) else tuple(shifts)
        for shift in regular:
            if not isinstance(shift, Shift):
                raise TypeError(f"shifts must be Shift objects, got {shift!r}")
        names = {s.name for s in regular} | {
            s.name for day in (special or {}).values() for s in day
        }
        people: dict[int, frozenset[str]] = {}
        for enrollid, wanted in (assign or {}).items():
            chosen = frozenset([wanted] if isinstance(wanted, str) else wanted)
            unknown = chosen - names
            if unknown:
                raise ValueError(f"assign[{enrollid}] names unknown shift(s) {sorted(unknown)}")
            people[int(enrollid)] = chosen
        set_ = object.__setattr__
        set_(self, "shifts", regular)
        set_(self, "holidays", frozenset(as_date(d) for d in holidays))
        set_(self, "special", {as_date(d): tuple(s) for d, s in (special or {}).items()})
        set_(self, "assign", people)

    def shifts_on(
        self, workday: date | str | Any, enrollid: int | None = None
    ) -> tuple[Shift, ...]:
        """The shifts ``enrollid`` may work on ``workday``; empty on a holiday or day off."""
        day = as_date(workday)
        if day in self.holidays:
            return ()
        if day in self.special:
            options = self.special[day]
        else:
            options = tuple(s for s in self.shifts if day.weekday() in s.weekdays)
        names = self.assign.get(int(enrollid)) if enrollid is not None else None
        if names is not None:
            mine = tuple(s for s in options if s.name in names)
            # A special day's shift (a half-day) applies to everyone not on one of its shifts.
            options = mine if (mine or day not in self.special) else options
        return options

    def is_holiday(self, workday: date | str | Any) -> bool:
        """True when ``workday`` is on the holiday list."""
        return as_date(workday) in self.holidays
