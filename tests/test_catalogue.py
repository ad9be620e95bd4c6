"""The catalogue is the one description of every command; everything else derives from it."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from wac_toolkit import Session, SessionSync, VirtualTerminal, WacClient, WacClientSync
from wac_toolkit.commands import command_methods
from wac_toolkit.protocol.catalogue import (
    COMMANDS,
    Direction,
    DoorMode,
    build_fields,
    by_method,
    command,
    markdown_table,
    terminal_commands,
)

README = Path(__file__).parent.parent / "README.md"

# Every server-to-terminal command of PROTOCOL.md 5 the issue names.
DOCUMENTED = {
    "getuserlist", "getuserinfo", "setuserinfo", "deleteuser", "getusername", "setusername",
    "enableuser", "cleanuser", "cleanadmin", "adduser", "setuserprofile", "getuserprofile",
    "getnewlog", "getalllog", "cleanlog", "initsys", "reboot", "settime", "gettime",
    "setdevinfo", "getdevinfo", "getdevcap", "disabledevice", "enabledevice", "opendoor",
    "lockctrl", "setdevlock", "getdevlock", "getuserlock", "setuserlock", "deleteuserlock",
    "cleanuserlock", "getholiday", "setholiday", "getquestionnaire", "setquestionnaire",
    "keypad",
}  # fmt: skip


def test_every_documented_command_is_in_the_catalogue():
    assert {c.name for c in terminal_commands()} == DOCUMENTED
    assert command("setuserinfo.profile").form == "profile"
    assert command("sendqrcode").direction is Direction.TO_SERVER
    assert command("nope") is None


def test_every_command_has_a_method_everywhere_and_a_virtual_handler():
    for spec in terminal_commands():
        assert spec.method and by_method(spec.method) is spec
        for face in (Session, WacClient, SessionSync, WacClientSync):
            assert hasattr(face, spec.method), (face.__name__, spec.method)
        assert spec.name in VirtualTerminal.handlers


def test_client_methods_are_the_session_methods_without_sn():
    for name in command_methods():
        session_params = list(inspect.signature(getattr(Session, name)).parameters)
        client_params = list(inspect.signature(getattr(WacClient, name)).parameters)
        if name in ("set_user_info", "delete_user"):
            continue  # the SDK contract fixes WacClient's own versions of these
        assert session_params[1] == "sn", name
        assert client_params == [session_params[0], *session_params[2:]], name


def test_destructive_commands_are_the_documented_ones():
    destructive = {c.name for c in COMMANDS.values() if c.destructive}
    assert destructive == {"initsys", "cleanuser", "cleanlog", "cleanadmin", "cleanuserlock"}
    assert "confirm" in inspect.signature(Session.clean_logs).parameters


def test_reboot_is_the_only_command_without_a_reply():
    assert [c.name for c in terminal_commands() if not c.has_reply] == ["reboot"]


def test_generated_methods_document_themselves():
    assert "door" in Session.open_door.__doc__
    volume = inspect.signature(Session.set_dev_info).parameters["volume"]
    assert volume.kind is volume.KEYWORD_ONLY and volume.default is None
    assert "volume" in Session.set_dev_info.__doc__


def test_build_fields_maps_python_arguments_to_the_wire():
    assert build_fields(by_method("enable_user"), {"enrollid": 3, "enabled": False}) == {
        "enrollid": 3,
        "enflag": 0,
    }
    assert build_fields(by_method("lock_control"), {"mode": DoorMode.CANCEL_ALARM}) == {"fuc": 6}
    assert build_fields(by_method("get_all_logs"), {"since": "2018-11-1"}) == {"from": "2018-11-01"}
    assert build_fields(by_method("delete_user"), {"enrollid": 1}) == {
        "enrollid": 1,
        "backupnum": 13,
    }
    assert build_fields(by_method("get_holidays"), {}) == {"stn": True}
    with pytest.raises(TypeError, match="unknown field"):
        build_fields(by_method("open_door"), {"door": 1})
    with pytest.raises(ValueError, match="not a date"):
        build_fields(by_method("get_all_logs"), {"since": "yesterday"})


def test_readme_table_matches_the_catalogue():
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- commands:start -->\n") + len("<!-- commands:start -->\n")
    end = text.index("<!-- commands:end -->")
    assert text[start:end] == markdown_table(), "regenerate the README table: markdown_table()"
