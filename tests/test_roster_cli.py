"""``wac roster ...``: on a store file alone, and against a real ``wac serve`` process with a
virtual terminal connected to it."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.gateway_process import running_gateway
from tests.roster_fleet import held
from wac_toolkit.cli import main

SN = "ROSTER01"


def roster(db: Path, *args: str) -> int:
    return main(["roster", args[0], "--db", str(db), *args[1:]])


def wait_for(condition: Callable[[], Any], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within timeout")
        time.sleep(0.02)


def test_store_only_changes_queue_for_later(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "site.sqlite"
    # adopted ahead of their first connection: a serial not adopted gets nothing
    assert main(["terminals", "--db", str(db), "adopt", "DOOR1", "DOOR2"]) == 0
    assert roster(db, "group", "front", "DOOR1", "DOOR2") == 0
    assert (
        roster(
            db,
            "add",
            "7",
            "Ana Lima",
            "--pin",
            "0012",
            "--card",
            "0004567",
            "--assign",
            "group:front",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "added 7 Ana Lima (PIN, card) to group:front" in out
    assert "sent when `wac serve" in out
    assert roster(db, "update", "7", "--disable") == 0
    assert roster(db, "pending") == 0
    out = capsys.readouterr().out
    assert out.count("DOOR1") == 3 and out.count("DOOR2") == 3  # PIN, card, disable
    assert "enableuser" in out

    people = tmp_path / "people.csv"
    people.write_text(
        "enrollid,name,pin,card,assign\n8,Ben,0099,,DOOR2\n7,,,0000001,\n", encoding="utf-8"
    )
    assert roster(db, "import", str(people)) == 0
    capsys.readouterr()
    assert roster(db, "export") == 0
    rows = {r["enrollid"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["7"]["pin"] == "0012" and rows["7"]["card"] == "0000001"
    assert rows["7"]["enabled"] == "no" and rows["7"]["assign"] == "group:front"
    assert rows["8"]["pin"] == "0099" and rows["8"]["assign"] == "DOOR2"
    assert roster(db, "people") == 0
    listing = capsys.readouterr().out
    assert "Ana Lima" in listing and "0012" not in listing  # which credentials, not their values
    assert roster(db, "sync", "DOOR2") == 0
    assert "4 step(s) queued" in capsys.readouterr().out  # Ana: PIN, card, disable; Ben: PIN


def test_bad_input_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "site.sqlite"
    assert roster(db, "add", "7", "Ana", "--pin", "12a4") == 1
    assert capsys.readouterr().err.strip() == "wac roster: a PIN must be 1 to 8 digits"
    bad = tmp_path / "bad.csv"
    bad.write_text("enrollid,name,card\n9,Zed,12-34\n", encoding="utf-8")
    assert roster(db, "import", str(bad)) == 1
    assert "line 2: a card number must be digits" in capsys.readouterr().err
    assert roster(db, "reconcile", "X") == 1
    assert "no gateway is running" in capsys.readouterr().err


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory):
    """A ``wac serve`` process and a virtual terminal connected to it."""
    with running_gateway(tmp_path_factory.mktemp("roster-gw"), SN) as (db, vt):
        yield db, vt


def test_changes_reach_a_running_gateway_at_once(
    gateway: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    db, vt = gateway
    assert roster(db, "add", "1", "Ana", "--pin", "0012", "--card", "0004567") == 0
    assert "gateway notified" in capsys.readouterr().out
    wait_for(lambda: held(vt).get(1) == ("Ana", 0, True, {10: "0012", 11: "0004567"}))
    assert roster(db, "update", "1", "--disable", "--no-card") == 0
    wait_for(lambda: held(vt).get(1) == ("Ana", 0, False, {10: "0012"}))

    # drift at the terminal, repaired by reading its own list
    vt.users[1].credentials[10] = 1111
    vt.users[1].enabled = True
    vt.users[2] = type(vt.users[1])(2, "Walk-in", credentials={11: 2222})
    capsys.readouterr()
    assert roster(db, "reconcile", SN) == 0
    assert "unknown to the roster: [2]" in capsys.readouterr().out
    wait_for(lambda: held(vt).get(1) == ("Ana", 0, False, {10: "0012"}))
    assert 2 in vt.users  # unknown people stay unless --prune
    assert roster(db, "reconcile", SN, "--prune") == 0
    wait_for(lambda: 2 not in vt.users)
    assert roster(db, "outcomes") == 0
    assert "deleteuser" in capsys.readouterr().out
