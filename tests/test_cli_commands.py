"""``wac users|pull-logs|open-door|set-time|reboot|set-user|delete-user`` against a real
``wac serve`` process, with a virtual terminal connected to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gateway_process import running_gateway
from wac_toolkit.cli import main
from wac_toolkit.net import terminal_state
from wac_toolkit.protocol.models import LogRecord

SN = "CLI00001"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """A ``wac serve`` process and a virtual terminal connected to it."""
    with running_gateway(tmp_path_factory.mktemp("gw"), SN, page_size=3) as (db, vt):
        yield db, vt


def wac(db: Path, *args: str) -> int:
    return main([*args[:1], SN, *args[1:], "--db", str(db)])


def test_set_user_then_users_then_delete(gateway, capsys):
    db, vt = gateway
    assert wac(db, "set-user", "7", "--name", "Ana", "--card", "0012345") == 0
    assert wac(db, "set-user", "8", "--name", "Ben", "--password", "1234", "--admin", "1") == 0
    assert vt.users[7].credentials[11] == "0012345" and vt.users[8].credentials[10] == 1234
    assert wac(db, "set-user", "8", "--card", "99") == 0
    assert wac(db, "set-user", "9", "--record", "FPDATA", "--backupnum", "0") == 0
    capsys.readouterr()
    assert wac(db, "users") == 0
    out, err = capsys.readouterr()
    assert "3 users, 4 credentials" in out and "password, card" in out
    assert "4/4 slots" in err  # the progress bar
    assert wac(db, "delete-user", "7") == 0
    assert 7 not in vt.users


def test_pull_logs(gateway, capsys):
    db, vt = gateway
    for k in range(5):
        moment = f"2025-08-01 10:00:0{k}"
        vt.logs.append(LogRecord(enrollid=8, time=moment, time_raw=moment))
    assert wac(db, "pull-logs", "--all", "--since", "2025-08-01") == 0
    assert "5 new records" in capsys.readouterr().out
    assert wac(db, "pull-logs", "--all") == 0
    assert "0 new records" in capsys.readouterr().out


def test_open_door_set_time_reboot(gateway, capsys):
    db, vt = gateway
    assert wac(db, "open-door", "--door", "2") == 0
    assert terminal_state(vt).opened[-1] == 2
    assert wac(db, "set-time", "2031-05-06 07:08:09") == 0
    assert vt.received[-1]["cloudtime"] == "2031-05-06 07:08:09"
    assert wac(db, "reboot", "--wait", "20") == 0
    assert "back online" in capsys.readouterr().out


def test_errors_are_one_line(gateway, capsys, tmp_path):
    db, vt = gateway
    assert main(["open-door", "NOSUCH", "--db", str(db)]) == 1
    assert "NOSUCH is offline" in capsys.readouterr().err
    assert main(["users", SN, "--db", str(tmp_path / "other.sqlite")]) == 1
    assert "start `wac serve`" in capsys.readouterr().err
