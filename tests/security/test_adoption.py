"""Adoption as an operator uses it: ``wac terminals`` on a store file and through a running
gateway, and a store made before adoption existed."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.gateway_process import running_gateway
from tests.security.test_hostile import claim
from wac_toolkit import Session, TerminalState, WacClient
from wac_toolkit.cli import main

OLD_SCHEMA = """
CREATE TABLE devices (sn TEXT PRIMARY KEY, modelname TEXT, firmware TEXT, devinfo TEXT,
    remote TEXT, first_seen INTEGER, last_seen INTEGER);
CREATE TABLE logs (id INTEGER PRIMARY KEY, sn TEXT NOT NULL, enrollid INTEGER, name TEXT,
    time TEXT NOT NULL, time_raw TEXT, mode INTEGER, inout INTEGER, event INTEGER, temp REAL,
    verifymode INTEGER, logindex INTEGER, received_at INTEGER NOT NULL,
    has_image INTEGER NOT NULL DEFAULT 0);
INSERT INTO devices VALUES ('OLD1', 'AI806', 'v1',
    '{"cpusn": "CPU-OLD1", "mac": "AA:BB", "modelname": "AI806"}',
    '10.0.0.5:1234', 1, 2);
INSERT INTO logs (sn, enrollid, time, received_at) VALUES ('OLD1', 7, '2025-08-01 08:00:00', 3);
"""


async def test_a_store_from_before_adoption_keeps_its_terminals_adopted_and_pinned(
    db_path: Path,
) -> None:
    with sqlite3.connect(db_path) as db:
        db.executescript(OLD_SCHEMA)
    async with Session(db_path, "127.0.0.1", 0) as site:
        old = site.terminal("OLD1")
        assert old is not None and old.state == TerminalState.ADOPTED
        assert old.identity == {"cpusn": "CPU-OLD1", "mac": "aabb", "modelname": "AI806"}
        assert list(site.logs()["enrollid"]) == [7]  # its records stay in the log
        reply, code = await claim(site.url, "OLD1", cpusn="CPU-OTHER")
        assert (reply["reason"], code) == ("identity mismatch", 1008)
        reply, _ = await claim(
            site.url, "OLD1", cpusn="CPU-OLD1", devinfo={"mac": "aa-bb", "modelname": "AI806"}
        )
        assert reply["result"] is True  # the MAC's spelling does not matter
        reply, _ = await claim(site.url, "NEW1")
        assert site.terminal("NEW1").state == TerminalState.PENDING


def wac(*args: str) -> int:
    return main(list(args))


def test_wac_terminals_on_the_store_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    db = str(tmp_path / "site.sqlite")

    async def seen() -> None:  # two terminals dial in once, then the gateway stops
        async with Session(db, "127.0.0.1", 0) as site:
            await claim(site.url, "PEND1", cpusn="CPU1", devinfo={"modelname": "AI806"})
            await claim(site.url, "PEND2")
            async with WacClient(site.url, sn="PEND1", devinfo={"modelname": "AI806"}) as pend:
                await pend.request("reg", {"sn": "PEND1", "cpusn": "CPU1", "devinfo": pend.devinfo})
                await pend.send_logs([{"enrollid": 7, "time": "2025-08-01 08:00:00"}], 1, 1)

    asyncio.run(seen())
    assert wac("terminals", "--db", db) == 0
    out = capsys.readouterr().out
    assert "PEND1  pending" in out and "cpusn=CPU1 modelname=AI806" in out
    assert wac("logs", "--db", db) == 0 and "PEND1" not in capsys.readouterr().out
    assert wac("logs", "--db", db, "--include-pending") == 0
    assert "PEND1" in capsys.readouterr().out
    assert wac("terminals", "--db", db, "adopt", "PEND1", "LATER1") == 0
    assert wac("terminals", "--db", db, "block", "PEND2") == 0
    capsys.readouterr()
    assert wac("terminals", "--db", db, "--json") == 0
    rows = {r["sn"]: r for r in json.loads(capsys.readouterr().out)}
    assert {sn: r["state"] for sn, r in rows.items()} == {
        "PEND1": "adopted", "PEND2": "blocked", "LATER1": "adopted",
    }  # fmt: skip
    assert rows["PEND1"]["pinned"] and rows["PEND1"]["identity"]["cpusn"] == "CPU1"
    assert not rows["LATER1"]["pinned"]  # pinned when it first connects
    assert wac("logs", "--db", db) == 0 and "PEND1" in capsys.readouterr().out  # promoted
    assert wac("terminals", "--db", db, "forget", "PEND2", "NEVER") == 0
    out = capsys.readouterr().out
    assert "PEND2: forgotten" in out and "NEVER: was not known" in out
    assert wac("terminals", "--db", db, "adopt", "bad serial") == 1


def test_wac_terminals_through_a_running_gateway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_gateway(tmp_path, "LAB00001") as (db, vt):
        deadline = time.monotonic() + 20
        while vt.registrations < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert wac("terminals", "--db", str(db)) == 0
        out = capsys.readouterr().out
        assert "LAB00001  adopted" in out and "yes" in out  # --adopt-new, and online
        assert wac("terminals", "--db", str(db), "block", "LAB00001") == 0
        capsys.readouterr()
        assert wac("terminals", "--db", str(db), "--json") == 0
        [row] = json.loads(capsys.readouterr().out)
        assert (row["state"], row["online"]) == ("blocked", False)  # disconnected at once
