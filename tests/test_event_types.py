"""Records are told apart the way PROTOCOL.md 4.2 codes them: people, strangers, the door."""

from __future__ import annotations

import pytest

from wac_toolkit.protocol import LogRecord
from wac_toolkit.protocol.event_types import EventType, door_is_open, event_type


def record(enrollid: int, event: int | None = 0) -> LogRecord:
    return LogRecord(enrollid=enrollid, time="2026-11-30 08:00:00", event=event)


@pytest.mark.parametrize(
    ("enrollid", "event", "kind", "door_open"),
    [
        (7, 0, EventType.ACCESS_GRANTED, None),
        (7, None, EventType.ACCESS_GRANTED, None),
        (7, 2, EventType.ACCESS_DENIED, None),
        (99999999, 0, EventType.STRANGER, None),
        (0, 0, EventType.DOOR_CLOSED, False),
        (0, 1, EventType.DOOR_OPENED, True),
        (0, 2, EventType.EXIT_BUTTON, None),
        (0, 3, EventType.REMOTE_OPEN, None),
        (0, 4, EventType.REMOTE_CLOSE, None),
        (0, 5, EventType.FORCED_OPEN, True),
        (0, 6, EventType.TAMPER, None),
        (0, 7, EventType.ALARM, None),
        (0, 42, EventType.DOOR_EVENT, None),
    ],
)
def test_each_code_has_its_type(enrollid, event, kind, door_open):
    assert event_type(record(enrollid, event)) is kind
    assert door_is_open(record(enrollid, event)) is door_open
    assert kind.is_door is (enrollid == 0)


def test_an_exit_button_is_not_a_denied_person():
    exit_button = record(0, 2)
    assert not exit_button.granted
    assert event_type(exit_button) == "exit_button"  # a str: usable as an HA event type
