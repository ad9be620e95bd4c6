"""The control endpoint of gateways on a PostgreSQL DSN: a private directory per DSN (no file
to sit beside), one slot per gateway on this host, and a client that finds any live one."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest

from tests.reliability.helpers import WacServe, free_port
from wac_toolkit.cli import main
from wac_toolkit.control_endpoint import control_dir, dsn_base, locate

pytestmark = pytest.mark.postgres


def test_a_dsn_gets_a_private_directory_named_without_its_password(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    dsn = "postgresql://wac:s3cret@db.example:5433/att"
    assert dsn_base() == tmp_path / "wac"
    first, second = control_dir(dsn), control_dir(dsn, 1)
    assert first.parent == second.parent == tmp_path / "wac" and first != second
    assert "s3cret" not in str(first)
    assert control_dir("postgresql://wac:other@db.example:5433/att") == first  # same database
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert dsn_base().name == f"wac-{os.geteuid()}"


async def test_two_gateways_on_one_dsn_each_serve_control_and_a_client_finds_one(
    pg_dsn, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # the gateways inherit it
    first = WacServe(pg_dsn, free_port(), "--adopt-new")
    second = WacServe(pg_dsn, free_port(), "--adopt-new")
    first.start(), second.start()
    try:
        await asyncio.to_thread(lambda: None)
        assert stat.S_IMODE(os.stat(dsn_base()).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(control_dir(pg_dsn)).st_mode) == 0o700
        assert locate(pg_dsn).pid == first.proc.pid
        assert first.stop() == 0
        assert locate(pg_dsn).pid == second.proc.pid  # the next slot answers
        code = await asyncio.to_thread(main, ["terminals", "--db", pg_dsn, "adopt", "X1"])
        assert code == 0 and "gateway not answering" not in capsys.readouterr().err
        assert await asyncio.to_thread(main, ["terminals", "--db", pg_dsn, "--json"]) == 0
        assert [r["sn"] for r in json.loads(capsys.readouterr().out)] == ["X1"]
    finally:
        first.stop()
        assert second.stop() == 0
    assert not control_dir(pg_dsn).exists() and not control_dir(pg_dsn, 1).exists()
