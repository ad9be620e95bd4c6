import pytest

from wac_toolkit.errors import FrameError
from wac_toolkit.protocol import frames


def test_padded_keys_and_command_names_are_stripped():
    frame = frames.decode('{"cmd":" SendLog ","count ":1,"record ":[{"enrollid ":1,"time":"t"}]}')
    assert frame == {"cmd": "sendlog", "count": 1, "record": [{"enrollid": 1, "time": "t"}]}


@pytest.mark.parametrize(
    "text",
    ["not json", "[1,2]", '"reg"', "{}", '{"sn":"x"}', '{"cmd":5}', b"\xff\xfe", "{" * 10000],
)
def test_frames_that_are_not_protocol_messages_are_refused(text):
    with pytest.raises(FrameError):
        frames.decode(text)


def test_encode_is_compact_utf8():
    text = frames.encode({"ret": "reg", "name": "张三"})
    assert text == '{"ret":"reg","name":"张三"}'
    assert frames.decode(text.encode())["name"] == "张三"


def test_kind_and_name():
    assert frames.kind({"cmd": "reg"}) == "request" and frames.kind({"ret": "x"}) == "reply"
    assert frames.name({"ret": "getuserlist"}) == "getuserlist"
