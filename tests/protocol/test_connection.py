"""The correlation rules of the connection state machine, without sockets: frames and clock
readings in, frames and events out."""

from __future__ import annotations

import json

import pytest

from wac_toolkit.protocol.connection import (
    CLOSE_BAD_FRAMES,
    Answered,
    BadFrame,
    Connection,
    ConnectionBusy,
    Dropped,
    Poisoned,
    Request,
    TimedOut,
    Unpoisoned,
)
from wac_toolkit.protocol.summary import WarningSummary


def text(frame: dict) -> str:
    return json.dumps(frame)


def card(enrollid: int) -> dict:
    return {"enrollid": enrollid, "name": "x", "backupnum": 11, "record": 1000 + enrollid}


def test_the_reply_to_the_command_in_flight_answers_it():
    conn = Connection()
    frame = conn.send_command("setuserinfo", card(1), now=0.0, timeout=5)
    assert frame == {"cmd": "setuserinfo", **card(1)}
    [event] = conn.receive_text(text({"ret": "setuserinfo", "result": True}), 1.0)
    assert event == Answered("setuserinfo", {"ret": "setuserinfo", "result": True})
    assert conn.inflight is None and conn.next_deadline() is None


def test_a_field_never_replaces_the_command():
    conn = Connection()
    frame = conn.send_command("getuserinfo", {"cmd": "cleanuser", "enrollid": 1}, now=0, timeout=5)
    assert frame == {"cmd": "getuserinfo", "enrollid": 1}


def test_requests_from_the_other_side_interleave_with_our_command():
    conn = Connection()
    conn.send_command("getuserlist", {"stn": True}, now=0.0, timeout=5)
    [push] = conn.receive_text(text({"cmd": "sendlog", "record": []}), 0.5)
    assert isinstance(push, Request)
    [answer] = conn.receive_text(text({"ret": "getuserlist", "result": True}), 0.6)
    assert isinstance(answer, Answered)


def test_one_command_in_flight():
    conn = Connection()
    conn.send_command("setuserinfo", card(1), now=0.0, timeout=5)
    with pytest.raises(ConnectionBusy):
        conn.send_command("deleteuser", {"enrollid": 1}, now=0.1, timeout=5)


def test_a_late_refusal_for_user_1_is_not_taken_as_the_answer_for_user_2():
    """The issue's first finding: the late reply of a timed-out command is swallowed."""
    conn = Connection(grace=30)
    conn.send_command("setuserinfo", card(1), now=0.0, timeout=2)
    events, _ = conn.tick(2.0)
    assert events == [TimedOut("setuserinfo", 2)]
    assert conn.poisoned_until("setuserinfo", 2.0) == 32.0
    assert conn.poisoned_until("opendoor", 2.0) is None  # other names go ahead
    with pytest.raises(Poisoned):
        conn.send_command("setuserinfo", card(2), now=2.1, timeout=2)
    late = {"ret": "setuserinfo", "result": False, "reason": 1}  # no echo at all
    dropped, unpoisoned = conn.receive_text(text(late), 3.0)
    assert isinstance(dropped, Dropped) and "late reply" in dropped.why
    assert unpoisoned == Unpoisoned("setuserinfo")
    conn.send_command("setuserinfo", card(2), now=3.1, timeout=2)
    [answer] = conn.receive_text(text({"ret": "setuserinfo", "result": True}), 3.2)
    assert isinstance(answer, Answered) and answer.frame["result"] is True


def test_the_grace_period_ends_the_poison_when_no_late_reply_comes():
    conn = Connection()  # grace: the command's own timeout
    conn.send_command("deleteuser", {"enrollid": 1, "backupnum": 13}, now=0.0, timeout=2)
    conn.tick(2.0)
    assert conn.next_deadline() == 4.0
    events, _ = conn.tick(4.0)
    assert events == [Unpoisoned("deleteuser")]
    conn.send_command("deleteuser", {"enrollid": 2, "backupnum": 13}, now=4.0, timeout=2)


def test_a_cancelled_command_is_poisoned_like_a_timed_out_one():
    conn = Connection(grace=10)
    conn.send_command("getuserinfo", {"enrollid": 1, "backupnum": 11}, now=0.0, timeout=5)
    assert conn.abandon(1.0) == "getuserinfo"
    assert conn.poisoned_until("getuserinfo", 1.0) == 11.0
    assert conn.abandon(1.0) is None


def test_an_echo_that_does_not_match_the_request_is_not_the_answer():
    conn = Connection()
    conn.send_command("getuserinfo", {"enrollid": 2, "backupnum": 11}, now=0.0, timeout=5)
    other = {"ret": "getuserinfo", "result": True, "enrollid": 1, "backupnum": 11}
    [dropped] = conn.receive_text(text(other), 0.5)
    assert isinstance(dropped, Dropped) and "enrollid=1 (asked 2)" in dropped.why
    assert conn.inflight is not None, "still waiting for the real answer"
    slot = {"ret": "getuserinfo", "result": True, "enrollid": 2, "backupnum": 10}
    [dropped] = conn.receive_text(text(slot), 0.6)
    assert "backupnum" in dropped.why
    # Firmware that sends enrollid as a string ("2") is the same user.
    mine = {"ret": "getuserinfo", "result": True, "enrollid": "2", "backupnum": 11}
    [answer] = conn.receive_text(text(mine), 0.7)
    assert isinstance(answer, Answered)


def test_a_late_reply_with_another_users_echo_does_not_lift_the_poison():
    conn = Connection(grace=30)
    conn.send_command("setuserinfo", card(1), now=0.0, timeout=1)
    conn.tick(1.0)
    stray = {"ret": "setuserinfo", "result": True, "enrollid": 9}
    [dropped] = conn.receive_text(text(stray), 2.0)
    assert "no command" in dropped.why
    assert conn.poisoned_until("setuserinfo", 2.0) == 31.0


def test_a_reply_to_nothing_is_dropped():
    conn = Connection()
    [dropped] = conn.receive_text(text({"ret": "reboot", "result": True}), 0.0)
    assert isinstance(dropped, Dropped) and dropped.log


def test_a_command_without_reply_leaves_nothing_in_flight():
    conn = Connection()
    assert conn.send_command("reboot", None, now=0.0, timeout=5, expect_reply=False) == {
        "cmd": "reboot"
    }
    assert conn.inflight is None and conn.next_deadline() is None


def test_bad_frames_are_counted_over_a_window_not_only_in_a_row():
    """Issue 10: 19 bad frames and a good one, repeated, used to go on for ever."""
    conn = Connection(max_bad_frames=20, bad_frame_window=60)
    now = 0.0
    closed = None
    for round_ in range(3):
        for _ in range(19):
            now += 0.01
            [event] = conn.receive_text("junk", now)
            assert isinstance(event, BadFrame)
            if event.close:
                closed = round_
                break
        if closed is not None:
            break
        [good] = conn.receive_text(text({"cmd": "sendlog", "record": []}), now)
        assert isinstance(good, Request)
    assert closed == 1, "the 20th bad frame within the window closes, good frames or not"
    assert CLOSE_BAD_FRAMES == 1007


def test_bad_frames_spread_over_time_are_answered_not_closed():
    conn = Connection(max_bad_frames=3, bad_frame_window=10)
    events = [conn.receive_text("junk", t)[0] for t in (0.0, 6.0, 12.0, 18.0)]
    assert not any(e.close for e in events)
    assert all(e.reply == {"ret": "error", "result": False, "reason": e.reason} for e in events)


def test_repeated_warnings_are_summarised_per_connection():
    conn = Connection(summary_window=60)
    logged = [conn.receive_text("junk", 0.001 * i)[0].log for i in range(15)]
    assert logged[0] and logged[0].startswith("bad frame")
    assert logged[1:] == [None] * 14
    assert conn.next_deadline() == pytest.approx(60.0)
    _, lines = conn.tick(60.0)
    assert lines == [f"{logged[0]}: and 14 more like this in the last minute"]
    assert conn.next_deadline() is None


def test_the_summary_is_given_when_the_connection_closes():
    conn = Connection()
    for i in range(3):
        conn.receive_text(text({"ret": "gettime"}), float(i))
    assert conn.close() == ["reply 'gettime' to no command in flight dropped: and 2 more like"
                            " this in the last minute"]  # fmt: skip


def test_warning_summary_reports_the_previous_window_when_a_kind_returns():
    summary = WarningSummary(window=10)
    assert summary.note("x", "boom", 0.0) == "boom"
    assert summary.note("x", "boom", 1.0) is None
    assert (
        summary.note("x", "boom", 11.0) == "boom (before it: and 1 more like this in the last 10 s)"
    )
    assert summary.note("y", "other", 11.5) == "other"
    assert summary.flush(30.0) == []  # nothing counted since
