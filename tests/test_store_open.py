"""``--db`` and ``Session(db=...)``: a DSN selects PostgreSQL and is never a file name."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import until
from wac_toolkit import Session, VirtualTerminal
from wac_toolkit.cli import main
from wac_toolkit.control import control_file
from wac_toolkit.store import SQLiteStore, describe, is_dsn, open_store


def test_file_names_open_sqlite(tmp_path):
    with open_store(tmp_path / "a.sqlite") as store:
        assert isinstance(store, SQLiteStore)
    with open_store(str(tmp_path / "b.sqlite")) as store:
        assert isinstance(store, SQLiteStore)
    assert not is_dsn(tmp_path / "postgresql:")  # a Path is always a file


def test_a_url_no_store_speaks_is_refused_not_created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="unknown store URL"):
        open_store("mysql://db.example/wac")
    assert list(tmp_path.iterdir()) == []


def test_passwords_stay_out_of_banners_and_control_files():
    dsn = "postgresql://wac:s3cret@db.example:5433/att?sslmode=require"
    assert describe(dsn) == "postgresql://wac:***@db.example:5433/att?sslmode=require"
    assert describe("postgres://db.example/att") == "postgres://db.example/att"
    path = control_file(dsn)
    assert "s3cret" not in str(path) and "/" not in path.name
    assert control_file("postgres://wac:other@db.example:5433/att?sslmode=require") != path


def test_cli_never_makes_a_folder_from_a_dsn(tmp_path, monkeypatch, capsys):
    """Nothing listens on port 1: the command fails with one line, and leaves no files."""
    monkeypatch.chdir(tmp_path)
    code = main(["logs", "--db", "postgresql://nobody@127.0.0.1:1/wac"])
    assert code == 1
    err = capsys.readouterr().err
    assert "postgresql://nobody@127.0.0.1:1/wac" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


async def test_session_on_a_dsn_stores_in_postgresql(pg_dsn, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with Session(db=pg_dsn, host="127.0.0.1", port=0, adopt_new=True) as session:
        assert type(session.store).__name__ == "PostgresStore"
        async with VirtualTerminal(session.url, "PG1", batch_size=10) as vt:
            for i in range(25):
                vt.punch(1 + i % 5, datetime(2025, 8, 1, 8, 0, i))
            await vt.wait_flushed(30)
            await until(lambda: vt.acked == 25)
        frame = await session.logs_async()
    assert len(frame) == 25 and set(frame["sn"]) == {"PG1"}
    assert list(tmp_path.iterdir()) == []
    async with Session(
        db=pg_dsn, host="127.0.0.1", port=0, adopt_new=True
    ) as again:  # a restart sees it all
        assert [t.sn for t in again.terminals()] == ["PG1"]
        assert len(again.logs()) == 25


def test_without_the_driver_a_dsn_says_which_extra_to_install():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['psycopg'] = None\n"  # as if the extra were not installed
        "from wac_toolkit.store import open_store\n"
        "from wac_toolkit.errors import StoreError\n"
        "try:\n    open_store('postgresql://db.example/wac')\n"
        "except StoreError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'wac-toolkit[postgres]'" in out.stdout
