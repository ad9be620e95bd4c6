import base64

import pytest

from wac_toolkit.errors import FrameError
from wac_toolkit.protocol.models import BackupNum, DeviceInfo, LogRecord, UserCredential, VerifyMode


def test_enums_stay_open_for_values_outside_the_tables():
    assert BackupNum(60) == 60 and not BackupNum(60).known
    assert BackupNum(60).name == "UNKNOWN_60"
    assert VerifyMode(15) == 15 and VerifyMode(15).label == "mode 15"
    assert BackupNum.PHOTO.label == "photo" and BackupNum(3).label == "fingerprint 4"
    assert VerifyMode(8) is VerifyMode.FACE


def test_devinfo_partial_and_unknown_keys_survive():
    info = DeviceInfo.from_reg(
        {"sn": " ZX1 ", "devinfo": {"modelname": "AI806", "usedlog": "12", "palmsize": 5, "x": 1}}
    )
    assert info.sn == "ZX1" and info.modelname == "AI806" and info.firmware is None
    assert info.counters == {"usedlog": 12, "palmsize": 5}
    assert info.extra == {"x": 1}
    assert DeviceInfo.from_reg({"sn": "A", "devinfo": None}).counters == {}
    with pytest.raises(FrameError):
        DeviceInfo.from_reg({"devinfo": {}})


def test_log_record_quirks():
    record = LogRecord.from_wire(
        {"enrollid": "123", "time": "2018-11-1 8:03:10", "attmode": 8, "inout": 0,
         "event": None, "temp": 365, "image": "data:image/jpeg;base64,/9j/AA=="}
    )  # fmt: skip
    assert record.enrollid == 123
    assert record.time == "2018-11-01 08:03:10" and record.time_raw == "2018-11-1 8:03:10"
    assert record.mode is VerifyMode.FACE
    assert record.event is None and record.temp == 36.5
    assert record.image == "/9j/AA==" and record.image_bytes() == base64.b64decode("/9j/AA==")
    assert record.granted


def test_log_record_big_enrollid_stranger_and_door_event():
    assert (
        LogRecord.from_wire({"enrollid": 999999999999, "time": "2024-01-01 00:00:00"}).enrollid
        == 999999999999
    )
    stranger = LogRecord.from_wire(
        {"enrollid": 99999999, "time": "2024-01-01 00:00:00", "event": 2}
    )
    door = LogRecord.from_wire({"enrollid": 0, "time": "2024-01-01 00:00:00", "event": 1})
    assert stranger.is_stranger and not stranger.granted
    assert door.is_door_event and not door.granted


def test_log_record_without_time_is_rejected():
    with pytest.raises(FrameError):
        LogRecord.from_wire({"enrollid": 1})
    with pytest.raises(FrameError):
        LogRecord.from_wire("not an object")


def test_credential_keeps_wire_form_of_pins_and_cards():
    as_text = UserCredential.from_wire({"enrollid": "5", "backupnum": 11, "record": "0012345"})
    assert as_text.record == "0012345" and as_text.record_for_wire() == "0012345"
    as_number = UserCredential.from_wire({"enrollid": 5, "backupnum": 11, "record": 4294967297})
    assert as_number.record_for_wire() == 4294967297  # beyond 32 bits, still a number
    digits_text = UserCredential.from_wire({"enrollid": 5, "backupnum": 10, "record": "1234"})
    assert digits_text.record_for_wire() == 1234  # documented form: a number
    assert digits_text.record_for_wire(numbers_as_text=True) == "1234"
    photo = UserCredential.from_wire(
        {"enrollid": 5, "backupnum": 50, "record": "data:image/jpeg;base64,/9j/"}
    )
    assert photo.record == "/9j/"


@pytest.mark.parametrize(
    "payload",
    [{"backupnum": 11, "record": 1}, {"enrollid": "x", "backupnum": 11},
     {"enrollid": 1}, {"enrollid": 1, "backupnum": 11, "record": [1]}],
)  # fmt: skip
def test_credential_rejects_unusable_payloads(payload):
    with pytest.raises(FrameError):
        UserCredential.from_wire(payload)
