"""``wac open-door SN --db postgresql://...`` and the other terminal commands go through the
database to the ``wac serve`` process holding the terminal, with no control socket anywhere.

The gateways here run with ``--no-control``: a command that arrives can only have come
through the database. The errors a user reads (offline, timeout, pending adoption) are the
very lines the SQLite path prints through its gateway's control socket.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import until
from tests.reliability.helpers import WacServe, free_port
from wac_toolkit import VirtualTerminal
from wac_toolkit.cli import main
from wac_toolkit.control_endpoint import control_dir

pytestmark = pytest.mark.postgres


async def wac(capsys: Any, *argv: str) -> tuple[int, str, str]:
    """Run the ``wac`` command line as a user would; (exit code, stdout, stderr)."""
    code = await asyncio.to_thread(main, list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def held(pg_cluster: Any, dsn: str) -> dict[str, str]:
    """Terminal -> gateway, from the presence table (read with psql)."""
    out = pg_cluster.psql("SELECT sn, gateway FROM presence", dsn.rsplit("/", 1)[1])
    return dict(line.split("|", 1) for line in out.splitlines() if line)


async def test_terminal_commands_on_a_dsn_reach_a_terminal_of_a_wac_serve_process(
    pg_cluster, pg_dsn, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # where a control socket would be
    gateway = WacServe(pg_dsn, free_port(), "--adopt-new", "--no-control")
    url = gateway.start()
    try:
        async with VirtualTerminal(url, "T1") as door:
            await until(lambda: "T1" in held(pg_cluster, pg_dsn))

            code, out, err = await wac(
                capsys, "set-user", "T1", "7", "--name", "Ann", "--card", "12345", "--db", pg_dsn
            )
            assert (code, err) == (0, "") and "T1: user 7 card set" in out
            assert door.users[7].name == "Ann" and 11 in door.users[7].credentials
            # the stored copy of the terminal's credentials follows, as through a gateway
            rows = pg_cluster.psql(
                "SELECT enrollid, backupnum FROM credentials WHERE sn = 'T1'",
                pg_dsn.rsplit("/", 1)[1],
            )
            assert rows == "7|11"

            code, out, _ = await wac(capsys, "users", "T1", "--db", pg_dsn)
            assert code == 0 and "1 users, 1 credentials on T1" in out

            code, out, _ = await wac(capsys, "open-door", "T1", "--db", pg_dsn)
            assert code == 0 and "T1: door all opened" in out

            for minute in range(3):
                door.punch(7, datetime(2025, 8, 1, 8, minute))
            await door.wait_flushed()
            dbname = pg_dsn.rsplit("/", 1)[1]
            pg_cluster.psql("DELETE FROM logs", dbname)  # lost: the terminal still has them
            code, out, _ = await wac(capsys, "pull-logs", "T1", "--all", "--db", pg_dsn)
            assert code == 0 and "3 new records from T1 stored" in out
            assert pg_cluster.psql("SELECT count(*) FROM logs WHERE sn = 'T1'", dbname) == "3"

            code, out, _ = await wac(capsys, "reboot", "T1", "--wait", "60", "--db", pg_dsn)
            assert code == 0 and "T1: back online" in out
            assert door.registrations == 2

            await until(lambda: "T1" in held(pg_cluster, pg_dsn))
            code, out, _ = await wac(capsys, "delete-user", "T1", "7", "--db", pg_dsn)
            assert code == 0 and 7 not in door.users
    finally:
        assert gateway.stop() == 0
    assert not control_dir(pg_dsn).exists()  # nothing went through a socket


async def _errors_through(
    db: str, extra: tuple[str, ...], capsys: Any, online: Any
) -> dict[str, tuple[int, str]]:
    """Offline, timeout and pending-adoption errors of ``wac open-door`` against a ``wac
    serve`` on ``db``: {case: (exit code, stderr)}."""
    gateway = WacServe(db, free_port(), *extra)
    url = gateway.start()
    seen: dict[str, tuple[int, str]] = {}
    try:
        if "--no-control" not in extra:  # adopt through it, so the running gateway knows
            await until(lambda: any("control endpoint" in line for line in gateway.output))
        code, _, _ = await wac(capsys, "terminals", "--db", db, "adopt", "ON", "MUTE")
        assert code == 0
        on = VirtualTerminal(url, "ON")
        mute = VirtualTerminal(url, "MUTE", ignore={"opendoor"})
        new = VirtualTerminal(url, "NEW")
        async with on, mute, new:
            for _ in range(600):  # until the gateway says all three are online
                if await online({"ON", "MUTE", "NEW"}):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"terminals not online at {db}")
            cases = {
                "ok": ("open-door", "ON"),
                "offline": ("open-door", "GONE"),
                "timeout": ("open-door", "MUTE", "--timeout", "0.5"),
                "pending": ("open-door", "NEW"),
            }
            for case, argv in cases.items():
                code, out, err = await wac(capsys, *argv, "--db", db)
                seen[case] = (code, err.strip() if code else out.strip())
    finally:
        assert gateway.stop() == 0
    return seen


async def test_offline_timeout_and_pending_read_as_on_the_sqlite_path(
    pg_cluster, pg_dsn, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    sqlite = str(tmp_path / "wac.sqlite")

    async def online_sqlite(sns: set[str]) -> bool:
        code, out, _ = await wac(capsys, "terminals", "--db", sqlite, "--json")
        return code == 0 and {t["sn"] for t in json.loads(out) if t["online"]} >= sns

    async def online_pg(sns: set[str]) -> bool:
        return sns <= set(held(pg_cluster, pg_dsn))

    through_socket = await _errors_through(sqlite, (), capsys, online_sqlite)
    through_database = await _errors_through(pg_dsn, ("--no-control",), capsys, online_pg)

    assert (
        through_database
        == through_socket
        == {
            "ok": (0, "ON: door all opened"),
            "offline": (1, "wac open-door: terminal GONE is offline"),
            "timeout": (1, "wac open-door: terminal MUTE did not answer 'opendoor' within 0.5 s"),
            "pending": (1, "wac open-door: terminal NEW is pending adoption"),
        }
    )
    assert not control_dir(pg_dsn).exists()


SCRIPT = """
import asyncio, sys
from wac_toolkit import Session

async def main(dsn, listen):
    options = dict(listen=False) if listen == "no" else dict(host="127.0.0.1", port=0)
    async with Session(dsn, **options) as session:
        await session.set_user_info("T2", 3, "Bo", 11, "0099")
        slots = await session.get_user_list("T2")
        print("users", sorted({s.enrollid for s in slots}))
        await session.delete_user("T2", 3)
        print("deleted")

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.parametrize("listen", ["yes", "no"], ids=["another-gateway", "no-gateway"])
async def test_a_session_in_another_process_commands_a_terminal_another_gateway_holds(
    pg_cluster, pg_dsn, listen
):
    gateway = WacServe(pg_dsn, free_port(), "--adopt-new", "--no-control")
    url = gateway.start()
    try:
        async with VirtualTerminal(url, "T2") as door:
            await until(lambda: "T2" in held(pg_cluster, pg_dsn))
            done = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-c", SCRIPT, pg_dsn, listen],
                capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert done.stdout.split("\n")[:2] == ["users [3]", "deleted"]
            assert 3 not in door.users and any(
                f.get("cmd") == "setuserinfo" and f.get("enrollid") == 3 for f in door.received
            )
    finally:
        assert gateway.stop() == 0
