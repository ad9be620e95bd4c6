"""The typed fast path reads a batch to exactly what the lenient reader reads, or declines."""

import json

from hypothesis import given, settings, strategies as st

from wac_toolkit.protocol import frames
from wac_toolkit.protocol.handlers import read_sendlog
from wac_toolkit.protocol.models import LogRecord, wire_values
from wac_toolkit.protocol.typed import all_canonical, decode_sendlog, fast_values, whole
from wac_toolkit.protocol.values import is_canonical_time

KEYS = ["enrollid", "time", "name", "mode", "inout", "event", "temp", "image", "verifymode",
        "pin", "attmode", "status"]  # fmt: skip
values = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True) | st.sampled_from(["7", "7.0", " 7", "", " A ", "Ann",
       "data:image/jpeg;base64,QUJD", "2025-08-01 08:00:00", "2025-02-30 08:00:00",
       "2025-08-01T08:00:00", "2025-8-1 8:00:00"])
)  # fmt: skip
records = st.dictionaries(st.sampled_from(KEYS), values, max_size=8).map(
    lambda d: {"time": "2025-08-01 08:00:00", **d} if len(d) % 2 else d
)


@settings(max_examples=400, deadline=None)
@given(st.lists(records, min_size=1, max_size=4))
def test_fast_path_agrees_with_the_lenient_reader(items):
    fast = fast_values(items)
    if fast is None:
        return  # declined: the lenient reader reads it
    assert [tuple(v) for v in fast] == [wire_values(item) for item in items]


def test_a_documented_batch_takes_the_fast_path_and_reads_the_same_records():
    items = [{"enrollid": 7, "time": "2025-08-01 08:00:00", "mode": 8, "inout": 1, "event": 0,
              "name": "Ann", "temp": 365, "verifymode": 2}]  # fmt: skip
    assert fast_values(items) is not None
    batch = read_sendlog({"cmd": "sendlog", "count": 1, "logindex": 3, "record": items})
    assert batch.records == (LogRecord.from_wire(items[0]),)
    assert batch.records[0].mode.label == "face" and batch.records[0].temp == 36.5


def test_odd_shapes_decline_and_are_still_read():
    for item in ({"pin": "7", "time": "2025-08-01 08:00:00"},
                 {"enrollid": "7", "time": "2025-08-01 08:00:00"},
                 {"enrollid": 7, "time": "2025/08/01 08:00:00"},
                 {"enrollid": 7, "time": "2025-08-01 08:00:00", "name": " Ann "}):  # fmt: skip
        assert fast_values([item]) is None
        assert read_sendlog({"record": [item]}).records[0].enrollid == 7


near = (
    st.none() | st.integers(min_value=-(2**64), max_value=2**64) | st.booleans()
    | st.floats(allow_nan=False) | st.sampled_from(["7", "", " A ", "Ann", "\u00e9\u0000"])
)  # fmt: skip
"""Odd values: a few of them, the rest in the documented shape."""


def mostly(good, odd=near):
    """``good`` seven times in eight, else ``odd``."""
    return st.integers(0, 7).flatmap(lambda k: odd if k == 0 else good)


number = mostly(st.integers(0, 60) | st.integers(-(2**63), 2**63 - 1))
documented = st.fixed_dictionaries(
    {"time": st.sampled_from(["2025-08-01 08:00:00"] * 3 + ["2025-02-30 08:00:00",
                                                          "2025-8-1 8:00:00"])},
    optional={
        "enrollid": number, "mode": number, "inout": number, "event": number,
        "verifymode": number, "name": mostly(st.sampled_from(["Ann", "", " Ann", "\u00e9"])),
        "temp": mostly(st.floats(0, 400) | st.integers(0, 4000)),
        "image": mostly(st.sampled_from(["data:image/jpeg;base64,QUJD", "QUJD", " "])),
    },
)  # fmt: skip
"""Records close to the documented shape: most batches of them take the typed path."""
frame_fields = st.fixed_dictionaries(
    {"cmd": mostly(st.just("sendlog"), st.sampled_from([" sendlog", "SENDLOG", "reg"]))},
    optional={
        "sn": mostly(st.sampled_from(["A1", None, " A1", ""]), st.integers(0, 9)),
        "count": number, "logindex": number,
    },
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    frame_fields,
    st.lists(mostly(documented, records), max_size=4),
    mostly(st.just("record"), st.sampled_from(["log", "record "])),
)
def test_a_frame_read_straight_from_text_agrees_with_decoding_it(fields, items, key):
    """What a gateway reads straight from the text is what decoding the frame and reading
    its batch gives, field for field; anything else is declined (and read the usual way)."""
    text = json.dumps({**fields, key: items})
    typed = decode_sendlog(text)
    if typed is None:
        return
    frame = frames.decode(text)
    batch, read = read_sendlog(typed), read_sendlog(frame)
    assert [tuple(v) for v in batch.values] == list(read.values) and not read.unreadable
    assert (batch.count, batch.logindex) == (read.count, read.logindex)
    assert typed == {k: v for k, v in frame.items() if k != "record"}
    assert typed.full() == whole(typed) == frame


def test_a_documented_frame_is_read_straight_from_its_text():
    text = (
        '{"cmd":"sendlog","sn":"A1","count":1,"logindex":3,"record":[{"enrollid":7,'
        '"time":"2025-08-01 08:00:00","mode":8,"inout":1,"event":0,"temp":365}]}'
    )
    typed = decode_sendlog(text)
    assert typed == {"cmd": "sendlog", "sn": "A1", "count": 1, "logindex": 3}
    assert read_sendlog(typed).records == read_sendlog(frames.decode(text)).records
    # a padded or unknown key, a record object instead of a list, a string id: read the usual way
    for odd in (
        '{"cmd":"sendlog","record ":[]}',
        '{"cmd":"sendlog","record":[],"userid":7}',
        '{"cmd":"sendlog","record":{"time":"x"}}',
        '{"cmd":"sendlog","record":[{"enrollid":"7","time":"2025-08-01 08:00:00"}]}',
    ):
        assert decode_sendlog(odd) is None  # fmt: skip


time_texts = st.sampled_from(
    ["2025-08-01 08:00:00", "2025-02-29 08:00:00", "2024-02-29 23:59:59", "0000-01-01 00:00:00",
     "2025-08-01T08:00:00", "2025-08-01 08:00", "2025-8-1 8:00:00", "2025-08-01 24:00:00",
     "2025-08-01 08:00:60", "2025-08-01 08:00:0\n", "\n2025-08-01 08:00:0", "２025-08-01 08:00:00",
     "2025-08-01 08:00:00 ", "2025-13-01 08:00:00", ""]
) | st.text(alphabet="0123456789-: T\n", min_size=17, max_size=21)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(time_texts, max_size=5))
def test_a_batch_of_times_is_canonical_exactly_when_each_is(times):
    assert all_canonical(times) == all(map(is_canonical_time, times))
