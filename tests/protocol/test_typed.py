"""The typed fast path reads a batch to exactly what the lenient reader reads, or declines."""

from hypothesis import given, settings, strategies as st

from wac_toolkit.protocol.handlers import read_sendlog
from wac_toolkit.protocol.models import LogRecord, wire_values
from wac_toolkit.protocol.typed import fast_values

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
