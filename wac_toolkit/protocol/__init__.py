"""The protocol core, sans-I/O: models, frames, the catalogue and pure handlers."""

from .catalogue import COMMANDS, Command, Direction, Field, command
from .event_types import EventType, event_type
from .frames import decode, encode
from .handlers import (
    SendLog,
    ack,
    fail,
    handle_reg,
    handle_sendlog,
    handle_senduser,
    parse_sendlog,
    reg_reply,
    sendlog_reply,
    senduser_reply,
)
from .models import STRANGER_ID, BackupNum, DeviceInfo, LogRecord, UserCredential, VerifyMode
from .values import TIME_FORMAT, as_int, as_text, format_time, is_ok, parse_time, reason_of

__all__ = [
    "COMMANDS",
    "STRANGER_ID",
    "TIME_FORMAT",
    "BackupNum",
    "Command",
    "DeviceInfo",
    "Direction",
    "EventType",
    "Field",
    "LogRecord",
    "SendLog",
    "UserCredential",
    "VerifyMode",
    "ack",
    "as_int",
    "as_text",
    "command",
    "decode",
    "encode",
    "event_type",
    "fail",
    "format_time",
    "handle_reg",
    "handle_sendlog",
    "handle_senduser",
    "is_ok",
    "parse_sendlog",
    "parse_time",
    "reason_of",
    "reg_reply",
    "sendlog_reply",
    "senduser_reply",
]
