"""The ``wac`` command as a user runs it: real processes, real ports, real files."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from wac_toolkit.cli import main

WAC = [sys.executable, "-m", "wac_toolkit"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_runs_and_exits_zero_by_itself():
    out = subprocess.run(WAC + ["demo", "-n", "5", "--logs", "100"], capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "set user 1001 Alice on DEMO-DOOR" in out.stdout
    assert "demo ok" in out.stdout
    assert "500" in out.stdout  # rows stored


def test_serve_simulate_then_export_logs(tmp_path: Path):
    db = tmp_path / "site.sqlite"
    port = free_port()
    server = subprocess.Popen(
        WAC + ["serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db), "--tz", "UTC", "--adopt-new"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert f"listening on ws://127.0.0.1:{port}" in server.stdout.readline()
        sim = subprocess.run(
            WAC + ["simulate", f"ws://127.0.0.1:{port}/pub/chat", "-n", "4", "--logs", "25"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert sim.returncode == 0, sim.stderr
        assert "4 terminals pushed 100 records" in sim.stdout
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM logs").fetchone() == (100,)

    csv_file, parquet_file, json_file = (
        tmp_path / "l.csv",
        tmp_path / "l.parquet",
        tmp_path / "l.json",
    )
    assert main(["logs", "--db", str(db), "--tz", "UTC", "-o", str(csv_file)]) == 0
    assert len(pd.read_csv(csv_file)) == 100
    assert (
        main(
            [
                "logs",
                "--db",
                str(db),
                "--format",
                "parquet",
                "-o",
                str(parquet_file),
                "--sn",
                "VT00001",
            ]
        )
        == 0
    )
    assert pd.read_parquet(parquet_file)["sn"].unique().tolist() == ["VT00001"]
    assert (
        main(["logs", "--db", str(db), "--format", "json", "-o", str(json_file), "--enrollid", "1"])
        == 0
    )
    lines = [json.loads(line) for line in json_file.read_text().splitlines()]
    assert lines and {line["enrollid"] for line in lines} == {1}


def test_errors_are_one_line_and_non_zero(tmp_path, capsys):
    assert main(["logs", "--db", str(tmp_path / "missing.sqlite")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wac logs: no store at") and err.count("\n") == 1
    port = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        assert (
            main(
                [
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--db",
                    str(tmp_path / "x.sqlite"),
                ]
            )
            == 1
        )
    assert "address already in use" in capsys.readouterr().err.lower()


def test_help_reads_well():
    out = subprocess.run(WAC + ["--help"], capture_output=True, text=True)
    for sub in ("serve", "simulate", "demo", "logs"):
        assert sub in out.stdout
    with pytest.raises(SystemExit):
        main(["serve", "--help"])


def test_a_lingering_simulated_fleet_answers_cli_commands(tmp_path: Path):
    """The everyday try-out: serve, simulate --stay, then command a terminal from the shell."""
    db = tmp_path / "site.sqlite"
    port = free_port()
    server = subprocess.Popen(
        WAC + ["serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db), "--adopt-new"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    fleet = None
    try:
        assert "listening" in server.stdout.readline()
        fleet = subprocess.Popen(
            WAC + ["simulate", f"ws://127.0.0.1:{port}/pub/chat", "-n", "2", "--logs", "5", "--stay"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert "stay connected" in fleet.stdout.readline() + fleet.stdout.readline()
        ok = subprocess.run(
            WAC + ["set-user", "VT00001", "7", "--name", "Zoë", "--card", "0012345", "--db", str(db)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert ok.returncode == 0, ok.stderr
        users = subprocess.run(WAC + ["users", "VT00001", "--db", str(db)], capture_output=True,
                               text=True, timeout=60)  # fmt: skip
        assert users.returncode == 0 and "7" in users.stdout, users.stderr
        fleet.send_signal(signal.SIGINT)
        assert fleet.wait(timeout=20) == 0
        assert "2 terminals pushed 10 records" in fleet.stdout.read()
    finally:
        if fleet is not None and fleet.poll() is None:
            fleet.kill()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
