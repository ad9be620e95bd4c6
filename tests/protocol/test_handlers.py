from datetime import datetime

from hypothesis import given, settings, strategies as st

from wac_toolkit.protocol.handlers import (
    handle_reg,
    handle_sendlog,
    handle_senduser,
    parse_sendlog,
)

NOW = datetime(2024, 5, 1, 8, 3, 10)


def test_reg_reply_is_minimal_with_local_cloudtime():
    reply = handle_reg({"cmd": "reg", "sn": "ZX1", "devinfo": {}}, ("10.0.0.5", 1234), now=NOW)
    assert reply == {"ret": "reg", "result": True, "cloudtime": "2024-05-01 08:03:10"}


def test_reg_without_sn_is_refused_with_a_reason():
    reply = handle_reg({"cmd": "reg"}, None, now=NOW)
    assert reply["result"] is False and reply["reason"]


def test_sendlog_reply_echoes_count_and_logindex_exactly():
    payload = {"cmd": "sendlog", "count": 2, "logindex": 11,
               "record": [{"enrollid": 7, "time": "2024-05-01 08:03:10"}]}  # fmt: skip
    reply = handle_sendlog(payload, now=NOW)
    assert reply == {"ret": "sendlog", "result": True, "count": 2, "logindex": 11,
                     "cloudtime": "2024-05-01 08:03:10"}  # fmt: skip


def test_sendlog_without_logindex_replies_without_it():
    reply = handle_sendlog({"cmd": "sendlog", "count": 0, "record": []}, now=NOW)
    assert "logindex" not in reply and reply["result"] is True


def test_sendlog_record_as_single_object_and_log_alias():
    one = parse_sendlog({"record": {"enrollid": "7", "time": "2024-05-01 08:03:10"}})
    assert [r.enrollid for r in one.records] == [7]
    alias = parse_sendlog({"logs": [{"enrollid": 8, "time": "2024-05-01 08:03:10"}]})
    assert alias.records[0].enrollid == 8


def test_invalid_sendlog_and_senduser_get_the_failure_reply():
    assert handle_sendlog({"cmd": "sendlog"}, now=NOW) == {
        "ret": "sendlog",
        "result": False,
        "reason": 1,
    }
    assert handle_senduser({"cmd": "senduser", "enrollid": 1}, now=NOW)["result"] is False


def test_senduser_reply_carries_both_documented_forms():
    reply = handle_senduser(
        {"cmd": "senduser", "enrollid": 3, "backupnum": 11, "record": 123, "name": "A"}, now=NOW
    )
    assert reply["result"] is True and reply["cloudtime"] == "2024-05-01 08:03:10"
    assert reply["enrollid"] == 3 and reply["backupnum"] == 11


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["sn", "count", "logindex", "record", "enrollid",
                                        "backupnum", "name", "devinfo", "time"]) | st.text(max_size=6),
                       json_values, max_size=6))  # fmt: skip
def test_handlers_never_raise_on_any_payload(payload):
    for reply in (
        handle_reg(payload, None, now=NOW),
        handle_sendlog(payload, now=NOW),
        handle_senduser(payload, now=NOW),
    ):
        assert reply["result"] in (True, False)
        assert reply["result"] or "reason" in reply
