"""``%wac`` on a real IPython shell, against a real gateway and real virtual terminals."""

from __future__ import annotations

import base64
import socket
import time
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from wac_toolkit import Session
from wac_toolkit.jupyter.commands import registry
from wac_toolkit.jupyter.runtime import Runtime
from wac_toolkit.protocol.models import BackupNum

from .conftest import cell, magics, usage_error


def wait_for(condition, timeout: float = 10.0) -> None:
    """Wait for something the gateway thread will make true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.01)


@pytest.fixture
def fleet(ip: InteractiveShell):
    """A started gateway with two simulated terminals (VT00000, VT00001), 3 people each."""
    cell(ip, "%wac start")
    cell(ip, "%wac simulate 2 --people 3")
    return magics(ip).fleet


# -- the extension ------------------------------------------------------------------------------


def test_load_is_quiet_and_overview_lists_every_subcommand(ip, capsys):
    ip.run_line_magic("unload_ext", "wac_toolkit")
    capsys.readouterr()
    ip.run_line_magic("load_ext", "wac_toolkit")
    assert capsys.readouterr().out == ""
    assert cell(ip, "%wac") is None
    out = capsys.readouterr().out
    for name in registry():
        assert f"  {name} " in out


def test_help_per_subcommand_prints_and_keeps_the_kernel(ip, capsys):
    for name in registry():
        assert cell(ip, f"%wac {name} --help") is None
        assert f"usage: %wac {name}" in capsys.readouterr().out


def test_usage_mistakes_are_one_line(ip):
    assert "did you mean 'setuser'" in usage_error(ip, "%wac setusr X 1 a")
    assert "unrecognized arguments: --bogus" in usage_error(ip, "%wac start --bogus")
    assert "invalid int value" in usage_error(ip, "%wac deleteuser VT1 seven")
    assert "No closing quotation" in usage_error(ip, "%wac setuser VT1 1 'Ann")
    assert "line magic" in usage_error(ip, "%%wac logs\n1,a\n")


@pytest.mark.parametrize(
    "line",
    [
        "%wac status",
        "%wac devices",
        "%wac logs",
        "%wac setuser VT00000 1 Ann --pin 1234",
        "%wac deleteuser VT00000 1",
        "%wac enableuser VT00000 1",
        "%wac opendoor VT00000",
        "%wac users VT00000",
        "%wac pull-logs VT00000",
        "%wac simulate 1",
        "%wac punch VT00000 1",
        "%wac dashboard",
        "%wac userform",
    ],
)
def test_every_command_needs_a_gateway(ip, line):
    assert usage_error(ip, line) == "no gateway running; start one with %wac start"


# -- start / stop / config -------------------------------------------------------------------


def test_start_uses_config_and_is_idempotent(ip, tmp_path, capsys):
    cell(ip, "gw = %wac start")
    gw = ip.user_ns["gw"]
    assert isinstance(gw, Runtime)
    assert gw.port > 0 and gw.options.db == str(tmp_path / "wac.sqlite")
    assert gw.options.command_timeout == 1.0 and str(gw.session.tz) == "Europe/Berlin"
    assert cell(ip, "%wac start") is gw
    assert "already running" in capsys.readouterr().out
    other = cell(ip, f"%wac start --db {tmp_path / 'other.sqlite'} --restart")
    assert other is not gw and not gw.alive and other.alive
    assert "1 of" not in repr(other) and "0 of 0 terminals online" in repr(other)
    page = other._repr_html_()
    assert other.url in page and "other.sqlite" in page and "Europe/Berlin" in page


def test_start_errors_are_one_line(ip):
    assert "unknown time zone" in usage_error(ip, "%wac start --tz Mars/Olympus")
    assert "the port must be 0..65535" in usage_error(ip, "%wac start --port 70000")
    assert "timeout must be positive" in usage_error(ip, "%wac start --timeout 0")
    cell(ip, "%config Wac.port = -1")
    assert "not -1" in usage_error(ip, "%wac start")
    cell(ip, "%config Wac.port = 0")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert "address" in usage_error(ip, f"%wac start --port {port}").lower()
    assert magics(ip).runtime is None


def test_stop_stops_fleet_and_gateway(ip, fleet):
    runtime = magics(ip).runtime
    url = runtime.url
    terminals = list(fleet.terminals.values())
    result = cell(ip, "%wac stop")
    assert repr(result).startswith(f"gateway stopped ({url}): 2 terminals disconnected")
    assert "2 simulated terminals stopped" in repr(result) and result.ok
    assert not runtime.alive and all(t.peer is None for t in terminals)
    again = cell(ip, "%wac stop")
    assert repr(again) == "no gateway was running" and not again.ok


def test_unload_stops_the_gateway(ip):
    runtime = cell(ip, "%wac start")
    ip.run_line_magic("unload_ext", "wac_toolkit")
    assert not runtime.alive
    ip.run_line_magic("load_ext", "wac_toolkit")


def test_short_errors_off_shows_the_real_exception(ip):
    cell(ip, "%config Wac.short_errors = False")
    try:
        cell(ip, "%wac start")
        result = ip.run_cell("%wac logs --since notadate")
        assert isinstance(result.error_in_exec, ValueError)
    finally:
        cell(ip, "%config Wac.short_errors = True")


# -- status, devices, logs -------------------------------------------------------------------


def test_status_and_devices(ip, fleet):
    assert "2 of 2 terminals online, 2 simulated" in repr(cell(ip, "%wac status"))
    devices = cell(ip, "%wac devices")
    assert list(devices["sn"]) == ["VT00000", "VT00001"]
    assert devices["sn"].dtype == "category" and devices["online"].all()
    assert list(devices["sn"].cat.categories) == ["VT00000", "VT00001"]
    assert str(devices["last_seen"].dtype) == "datetime64[us, Europe/Berlin]"  # as logs
    seen = devices["last_seen"].dropna()
    assert len(seen) and (seen == seen.dt.floor("s")).all()  # to the second
    ip.run_cell("%wac simulate --stop")
    wait_for(lambda: not any(t.online for t in magics(ip).runtime.session.terminals()))
    assert len(cell(ip, "%wac devices --online")) == 0
    assert len(cell(ip, "%wac devices")) == 2


def test_logs_assign_a_typed_frame_with_filters(ip):
    cell(ip, "%wac start")
    out = cell(ip, "%wac simulate 2 --people 4 --month 2025-08 --seed 3")
    assert "punches for 2025-08 stored" in repr(out)
    cell(ip, "df = %wac logs")
    every = ip.user_ns["df"]
    assert len(every) > 100
    assert str(every["time"].dtype) == "datetime64[us, Europe/Berlin]"
    assert every["enrollid"].dtype == "Int64" and every["sn"].dtype == "category"
    week = cell(ip, "%wac logs --since 2025-08-04 --until 2025-08-09 --sn VT00001 --enrollid 3")
    expected = every[
        (every["sn"] == "VT00001")
        & (every["enrollid"] == 3)
        & (every["time"] >= pd.Timestamp("2025-08-04", tz="Europe/Berlin"))
        & (every["time"] < pd.Timestamp("2025-08-09", tz="Europe/Berlin"))
    ]
    assert len(week) == len(expected) > 0
    assert len(cell(ip, "%wac logs --tail 3")) == 3
    assert "not a date" in usage_error(ip, "%wac logs --since yesterdayish")
    again = cell(ip, "%wac simulate 2 --people 4 --month 2025-08 --seed 3")
    assert "punches" in repr(again)
    assert len(cell(ip, "%wac logs")) == len(every)  # the replay is not stored twice


def test_punch_is_stored(ip, fleet):
    out = cell(ip, "%wac punch VT00001 2 --time '2025-08-05 07:59:00' --out")
    assert "VT00001: user 2 punched at 2025-08-05 07:59:00" == repr(out)
    logs = cell(ip, "%wac logs --sn VT00001")
    assert list(logs["direction"]) == ["out"] and list(logs["enrollid"]) == [2]
    assert "not a simulated terminal" in usage_error(ip, "%wac punch VT00042 1")


# -- users on terminals ----------------------------------------------------------------------


def test_setuser_puts_credentials_on_the_terminal(ip, fleet, tmp_path):
    template = tmp_path / "finger.tpl"
    template.write_text(base64.b64encode(b"minutiae" * 20).decode())
    photo = tmp_path / "face.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0jpeg bytes")
    out = cell(
        ip,
        f"%wac setuser VT00000 7 'Ann Lee' --pin 0042 --card 99 --fingerprint {template} "
        f"--finger 3 --photo {photo} --admin",
    )
    assert repr(out) == "VT00000: user 7 (Ann Lee) set: PIN, card, fingerprint, photo"
    assert "0042" not in repr(out) and len(out.replies) == 4
    user = fleet.terminals["VT00000"].users[7]
    assert user.name == "Ann Lee" and user.admin == 1
    assert set(user.credentials) == {10, 11, 3, 50}
    assert user.credentials[3] == template.read_text()
    assert base64.b64decode(user.credentials[50]) == photo.read_bytes()


def test_setuser_errors(ip, fleet, tmp_path):
    assert "nothing to set" in usage_error(ip, "%wac setuser VT00000 7 Ann")
    assert "1 to 8 digits" in usage_error(ip, "%wac setuser VT00000 7 Ann --pin 12ab")
    assert "digits only" in usage_error(ip, "%wac setuser VT00000 7 Ann --card 0x1F")
    assert "positive" in usage_error(ip, "%wac setuser VT00000 0 Ann --pin 1")
    assert "cannot read fingerprint" in usage_error(
        ip, f"%wac setuser VT00000 7 Ann --fingerprint {tmp_path / 'missing'}"
    )
    message = usage_error(ip, "%wac setuser VT0001 7 Ann --pin 1234")
    assert message == "unknown terminal 'VT0001'; did you mean VT00001? known: VT00000, VT00001"
    fleet.terminals["VT00001"].refuse.add("setuserinfo")
    assert usage_error(ip, "%wac setuser VT00001 7 Ann --pin 1234") == (
        "terminal VT00001 refused 'setuserinfo': 1"
        " (the terminal did not accept the credential (full, or a bad record))"
    )
    fleet.terminals["VT00001"].refuse.clear()
    fleet.terminals["VT00001"].ignore.add("setuserinfo")
    assert "did not answer 'setuserinfo' within 1 s" in usage_error(
        ip, "%wac setuser VT00001 7 Ann --pin 1234"
    )
    assert 7 not in fleet.terminals["VT00000"].users


def test_offline_terminal_is_one_line(ip, fleet):
    runtime = magics(ip).runtime
    runtime.run(fleet.terminals["VT00001"].stop())
    wait_for(lambda: not runtime.session.terminal("VT00001").online)
    message = usage_error(ip, "%wac setuser VT00001 7 Ann --pin 1234")
    assert message.startswith("terminal VT00001 is offline")
    assert usage_error(ip, "%wac deleteuser VT00001 1").startswith("terminal VT00001 is offline")


def test_deleteuser(ip, fleet):
    terminal = fleet.terminals["VT00000"]
    assert repr(cell(ip, "%wac deleteuser VT00000 2 --backupnum 11")) == (
        "VT00000: user 2 deleted (slot card)"
    )
    assert 11 not in terminal.users[2].credentials
    assert repr(cell(ip, "%wac deleteuser VT00000 3")) == "VT00000: user 3 deleted (whole user)"
    assert 3 not in terminal.users
    assert usage_error(ip, "%wac deleteuser VT00000 3 --all") == (
        "terminal VT00000 refused 'deleteuser': 1 (user not found (or that slot is empty))"
    )
    assert "not allowed with argument" in usage_error(
        ip, "%wac deleteuser VT00000 1 --all --backupnum 10"
    )


def test_setusers_cell_batch(ip, fleet, capsys):
    frame = cell(
        ip,
        "%%wac setusers VT00001\n"
        "enrollid,name,pin,card,admin\n"
        "# comment lines and blank lines are skipped\n"
        "\n"
        "20,Zed,1234,,\n"
        "21,Yan,12x4,,\n"
        "22,Xi,,5555,1\n"
        "23,Nobody,,,\n",
    )
    assert "VT00001: 2 users set, 2 failed" in capsys.readouterr().out
    assert list(frame["enrollid"]) == [20, 21, 22, 23]
    assert list(frame["set"]) == ["PIN", "", "card", ""]
    assert frame["error"].tolist()[1] == "a PIN is 1 to 8 digits"
    users = fleet.terminals["VT00001"].users
    assert users[20].credentials == {10: "1234"} or users[20].credentials == {10: 1234}
    assert users[22].admin == 1 and 21 not in users and 23 not in users
    assert "unknown CSV columns" in usage_error(ip, "%%wac setusers VT00001\nid,who\n1,a\n")
    assert "%%wac setusers" in usage_error(ip, "%wac setusers VT00001")


# -- commands from the catalogue (typed Session methods) -------------------------------------

needs_typed = pytest.mark.skipif(
    not hasattr(Session, "open_door"), reason="typed terminal commands not merged yet"
)


@needs_typed
def test_opendoor(ip, fleet):
    assert repr(cell(ip, "%wac opendoor VT00000")) == "VT00000: door opened"
    assert repr(cell(ip, "%wac opendoor VT00000 --door 2")) == "VT00000: door 2 opened"
    sent = [f for f in fleet.terminals["VT00000"].received if f["cmd"] == "opendoor"]
    assert len(sent) == 2 and sent[1].get("doornum") == 2
    assert "--door must be 1 to 4, not 9" in usage_error(ip, "%wac opendoor VT00000 --door 9")
    fleet.terminals["VT00000"].refuse.add("opendoor")
    assert "refused 'opendoor'" in usage_error(ip, "%wac opendoor VT00000")


@needs_typed
def test_enableuser(ip, fleet):
    terminal = fleet.terminals["VT00000"]
    assert repr(cell(ip, "%wac enableuser VT00000 2 --off")) == "VT00000: user 2 disabled"
    assert terminal.users[2].enabled is False
    assert repr(cell(ip, "%wac enableuser VT00000 2")) == "VT00000: user 2 enabled"
    assert terminal.users[2].enabled is True
    assert "refused 'enableuser'" in usage_error(ip, "%wac enableuser VT00000 404")


@needs_typed
def test_users_pages_from_the_terminal(ip, fleet, capsys):
    users = cell(ip, "%wac users VT00000")
    assert sorted(set(users["enrollid"])) == [1, 2, 3]
    assert "record" not in users.columns
    assert "VT00000 users:" in capsys.readouterr().err


@needs_typed
def test_pull_logs_into_the_store(ip, fleet):
    from datetime import datetime

    terminal = fleet.terminals["VT00000"]

    async def unpushed() -> None:  # on the terminal's loop: asyncio objects are not thread-safe
        for minute in range(5):  # records the gateway never got pushed
            terminal.punch(2, datetime(2025, 7, 1, 8, minute))
        terminal.acked = len(terminal.logs)

    magics(ip).runtime.run(unpushed())
    out = cell(ip, "%wac pull-logs VT00000 --all")
    assert repr(out) == "VT00000: pulled all logs, 5 new records stored"
    assert len(cell(ip, "%wac logs --sn VT00000 --until 2025-07-02")) == 5
    assert "need --all" in usage_error(ip, "%wac pull-logs VT00000 --since 2025-07-01")


# -- completion, widgets, loop modes ---------------------------------------------------------


def complete(ip: InteractiveShell, line: str) -> list[str]:
    from IPython.core.completer import provisionalcompleter

    with provisionalcompleter():
        return sorted({c.text for c in ip.Completer.completions(line, len(line))})


def test_tab_completion(ip, fleet):
    assert complete(ip, "%wac se") == ["setuser", "setusers"]
    assert complete(ip, "%wac setuser VT") == ["VT00000", "VT00001"]
    assert complete(ip, "%wac setuser VT00001") == ["VT00001"]
    assert complete(ip, "%wac logs --s") == ["--since", "--sn"]
    assert complete(ip, "%%wac setusers V") == ["VT00000", "VT00001"]
    assert "setuser" not in complete(ip, "x = se")


def test_panels_come_from_magics(ip, fleet):
    from wac_toolkit.jupyter.widgets import Dashboard, UserForm

    dash = cell(ip, "%wac dashboard --feed 5")
    form = cell(ip, "%wac userform")
    assert isinstance(dash, Dashboard) and isinstance(form, UserForm)
    assert "2 of 2 terminals online" in dash.counts.value
    assert form.terminal.options == ("VT00000", "VT00001")
    dash.close()
    form.close()


def test_kernel_loop_mode(ip):
    runtime = cell(ip, "%wac start --loop kernel")
    assert runtime.options.loop == "kernel" and "kernel loop" in repr(runtime)
    cell(ip, "%wac simulate 1 --people 2")
    assert repr(cell(ip, "%wac setuser VT00000 5 Eve --pin 55")).endswith("set: PIN")
    assert magics(ip).fleet.terminals["VT00000"].users[5].name == "Eve"
    cell(ip, "%wac stop")
    assert not runtime.alive


def test_fixture_data_is_real(tmp_path: Path):
    """The month generator is deterministic, so notebooks show the same numbers every run."""
    from datetime import date

    from wac_toolkit.jupyter.fleet import month_of_punches

    first = list(month_of_punches(date(2025, 8, 1), 5, seed=1))
    assert first == list(month_of_punches(date(2025, 8, 1), 5, seed=1))
    assert first != list(month_of_punches(date(2025, 8, 1), 5, seed=2))
    nights = [p for p in first if p.enrollid == 1 and p.inout == 1]
    assert nights and all(p.time.hour < 12 for p in nights)  # night shift ends next morning
    assert {p.time.weekday() for p in first if p.inout == 0} <= {0, 1, 2, 3, 4}
    assert BackupNum.PASSWORD == 10


SN_COMMANDS = [
    "setuser {sn} 7 Ann --pin 1234",
    "deleteuser {sn} 1",
    "enableuser {sn} 1 --off",
    "opendoor {sn}",
    "users {sn}",
    "pull-logs {sn}",
]


@needs_typed
def test_every_terminal_command_names_a_bad_serial_and_an_offline_terminal(ip, fleet):
    runtime = magics(ip).runtime
    runtime.run(fleet.terminals["VT00001"].stop())
    wait_for(lambda: not runtime.session.terminal("VT00001").online)
    for line in SN_COMMANDS:
        bad = usage_error(ip, "%wac " + line.format(sn="NOPE"))
        assert bad.startswith("unknown terminal 'NOPE'"), line
        offline = usage_error(ip, "%wac " + line.format(sn="VT00001"))
        assert offline.startswith("terminal VT00001 is offline"), line


@needs_typed
def test_paged_commands_time_out_in_one_line(ip, fleet):
    fleet.terminals["VT00000"].ignore.update({"getuserlist", "getnewlog"})
    assert "did not answer 'getuserlist' within 1 s" in usage_error(ip, "%wac users VT00000")
    assert "did not answer 'getnewlog' within 1 s" in usage_error(ip, "%wac pull-logs VT00000")


def test_bare_start_keeps_the_running_gateway_and_a_flag_restarts_it(ip, tmp_path):
    first = cell(ip, f"%wac start --db {tmp_path / 'a.sqlite'}")
    assert cell(ip, "%wac start") is first
    second = cell(ip, "%wac start --timeout 3 --restart")
    assert second is not first and not first.alive
    assert second.options.db == str(tmp_path / "a.sqlite") and second.options.command_timeout == 3


def test_the_gateway_serves_while_a_cell_is_busy(ip, fleet):
    """A punch arrives and is stored while the cell that waits for it is still running."""
    cell(
        ip,
        "import time\n"
        "from datetime import datetime\n"
        "_m = get_ipython().magics_manager.registry['WacMagics']\n"
        "_vt = _m.fleet.terminals['VT00000']\n"
        "_m.runtime.loop.call_soon_threadsafe(_vt.punch, 3, datetime(2025, 8, 1, 8, 0))\n"
        "_deadline = time.monotonic() + 10\n"
        "while len(_m.runtime.logs()) == 0 and time.monotonic() < _deadline:\n"
        "    time.sleep(0.01)  # a busy cell: it never yields to any event loop\n"
        "stored_during_cell = len(_m.runtime.logs())\n",
    )
    assert ip.user_ns["stored_during_cell"] == 1
