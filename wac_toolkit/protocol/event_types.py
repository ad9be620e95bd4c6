"""What a log record *is*: a granted punch, a refusal, a stranger, or a door event.

Records with ``enrollid`` 0 are not people: the terminal reports its door with them, the
``event`` code saying what happened (PROTOCOL.md 4.2: 0 door closed, 1 opened, 2 opened by the
exit button, 3 opened by software, 4 closed by software, 5 forced open, 6 device removed
(tamper), 7 alarm). ``enrollid`` 99999999 is a stranger (an unknown face or card), and a
person's record with a non-zero ``event`` was refused. Treating all of these as "access
denied" hides the exit button and the alarm behind the unknown face; this module names each,
so Home Assistant, the CLI and notebooks say the same thing about the same record.

Pure functions of the record: no clock, no I/O.
"""

from __future__ import annotations

from enum import StrEnum

from .models import STRANGER_ID, LogRecord

__all__ = ["DOOR_EVENTS", "DOOR_SENSOR", "EventType", "door_is_open", "event_type"]


class EventType(StrEnum):
    """The kind of a log record (values are stable identifiers, used as HA event types)."""

    ACCESS_GRANTED = "access_granted"
    ACCESS_DENIED = "access_denied"
    """A known person's record with a non-zero ``event`` (refused, out of schedule...)."""
    STRANGER = "stranger"
    """``enrollid`` 99999999: an unknown face or card."""
    DOOR_CLOSED = "door_closed"
    DOOR_OPENED = "door_opened"
    EXIT_BUTTON = "exit_button"
    REMOTE_OPEN = "remote_open"
    """Opened by software (an ``opendoor`` or ``lockctrl`` from a server)."""
    REMOTE_CLOSE = "remote_close"
    FORCED_OPEN = "forced_open"
    TAMPER = "tamper"
    """The device was removed from the wall."""
    ALARM = "alarm"
    DOOR_EVENT = "door_event"
    """An ``enrollid`` 0 record whose ``event`` code is not in the documented table."""

    @property
    def is_door(self) -> bool:
        return self in DOOR_EVENTS.values() or self is EventType.DOOR_EVENT


DOOR_EVENTS: dict[int, EventType] = {
    0: EventType.DOOR_CLOSED,
    1: EventType.DOOR_OPENED,
    2: EventType.EXIT_BUTTON,
    3: EventType.REMOTE_OPEN,
    4: EventType.REMOTE_CLOSE,
    5: EventType.FORCED_OPEN,
    6: EventType.TAMPER,
    7: EventType.ALARM,
}
"""``event`` code of an ``enrollid`` 0 record -> its type (PROTOCOL.md 4.2)."""

DOOR_SENSOR: dict[EventType, bool] = {
    EventType.DOOR_OPENED: True,
    EventType.FORCED_OPEN: True,
    EventType.DOOR_CLOSED: False,
}
"""The types a door sensor reports, and whether each means the door is open now."""


def event_type(record: LogRecord) -> EventType:
    """The kind of ``record`` (see :class:`EventType`)."""
    if record.enrollid == 0:
        return DOOR_EVENTS.get(record.event or 0, EventType.DOOR_EVENT)
    if record.enrollid == STRANGER_ID:
        return EventType.STRANGER
    if record.granted:
        return EventType.ACCESS_GRANTED
    return EventType.ACCESS_DENIED


def door_is_open(record: LogRecord) -> bool | None:
    """True/False when ``record`` is a door-sensor report (opened, forced open / closed),
    None otherwise.

    The exit button and a software open release the lock; only the sensor says whether the
    door actually moved, so those (and punches, tamper, alarm) say nothing about it.
    """
    if record.enrollid != 0:
        return None
    return DOOR_SENSOR.get(event_type(record))
