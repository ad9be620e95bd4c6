from datetime import datetime

import pytest

from wac_toolkit.protocol.values import (
    as_int,
    as_text,
    format_time,
    is_ok,
    parse_time,
    reason_of,
    strip_data_uri,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(7, 7), ("7", 7), (" 0042 ", 42), (7.0, 7), (999999999999, 999999999999), ("-3", -3),
     (7.5, None), ("7a", None), ("", None), (None, None), (True, None), ([], None)],
)  # fmt: skip
def test_as_int_accepts_what_firmware_sends(value, expected):
    assert as_int(value) == expected


def test_as_text_strips_and_stringifies_numbers():
    assert as_text("  ZX1 ") == "ZX1"
    assert as_text(12) == "12"
    assert as_text(None) is None and as_text({}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01 08:03:10", datetime(2024, 5, 1, 8, 3, 10)),
        ("2018-11-1", datetime(2018, 11, 1)),
        ("2024/05/01 8:03", datetime(2024, 5, 1, 8, 3)),
        ("2024-05-01T08:03:10Z", datetime(2024, 5, 1, 8, 3, 10)),
        ("2024-05-01T08:03:10.123+08:00", datetime(2024, 5, 1, 8, 3, 10)),
        ("2024-02-30 08:00:00", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_time_is_lenient_but_rejects_impossible_dates(text, expected):
    assert parse_time(text) == expected


def test_format_time_has_no_t_no_zone_no_microseconds():
    assert format_time(datetime(2024, 5, 1, 8, 0, 0, 123456)) == "2024-05-01 08:00:00"


@pytest.mark.parametrize(
    ("reply", "ok"),
    [({"result": True}, True), ({"result": 1}, True), ({"result": "true"}, True),
     ({"result": False}, False), ({"result": 0}, False), ({"result": "0"}, False),
     ({"ret": "gettime", "time": "x"}, True)],
)  # fmt: skip
def test_is_ok_reads_result_as_bool_int_or_text(reply, ok):
    assert is_ok(reply) is ok


def test_reason_prefers_reason_then_msg_then_generic():
    assert reason_of({"reason": 2}) == 2
    assert reason_of({"reason": "did not reg"}) == "did not reg"
    assert reason_of({"msg": "can not find the user"}) == "can not find the user"
    assert reason_of({}) == 1


def test_data_uri_prefix_is_stripped():
    assert strip_data_uri("data:image/jpeg;base64,/9j/AAA") == "/9j/AAA"
    assert strip_data_uri("/9j/AAA") == "/9j/AAA"
    assert strip_data_uri("") is None and strip_data_uri(None) is None
