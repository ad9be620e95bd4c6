"""When the store cannot write (disk full, read-only database), ``sendlog`` is refused, not
acknowledged: the terminal keeps its records, the gateway says why in its log, and ingest
resumes by itself when space or write access returns.

Disk full uses a small tmpfs; read-only runs ``wac serve`` without the capability that lets
root ignore file permissions. Both need root (skipped otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from tests.conftest import until
from tests.reliability.helpers import WacServe, free_port, stored_keys
from wac_toolkit import Session, VirtualTerminal
from wac_toolkit.protocol import frames

START = datetime(2025, 8, 1, 8, 0, 0)
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (mount, capabilities)")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the filesystem is full, down to the last byte."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


SENDLOG = frames.encode({"cmd": "sendlog", "sn": "RAW", "count": 1, "logindex": 1,
                         "record": [{"enrollid": 9, "time": "2025-08-01 09:00:00"}]})  # fmt: skip


@root_only
async def test_disk_full_refuses_sendlog_and_ingest_recovers_when_space_returns(small_disk, caplog):
    caplog.set_level(logging.WARNING)
    async with Session(small_disk / "wac.sqlite", "127.0.0.1", 0, adopt_new=True) as session:
        async with VirtualTerminal(session.url, "DISK", batch_size=10) as vt:
            for k in range(20):
                vt.punch(1 + k % 5, START + timedelta(minutes=k))
            await vt.wait_flushed(10)
            with session.store.reader() as db:  # an empty WAL: the next commit must grow it
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            filler = fill(small_disk)

            sent = vt.frames_sent
            for k in range(30):
                vt.punch(1 + k % 5, START + timedelta(minutes=100 + k))
            await until(lambda: vt.frames_sent >= sent + 3)  # refused, and re-sent, thrice
            assert vt.acked == 20 and len(vt.logs) == 50  # the terminal keeps its records
            async with connect(session.url, compression=None) as ws:
                await ws.send('{"cmd":"reg","sn":"RAW"}')
                await ws.recv()
                await ws.send(SENDLOG)
                reply = frames.decode(await ws.recv())
            assert reply == {"ret": "sendlog", "result": False, "reason": "store unavailable"}
            said = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
            assert any("full" in m and "nothing was acknowledged" in m for m in said), said
            assert len(said) <= 3, "a retrying terminal must not flood the log"
            terminal_says = [r.getMessage() for r in caplog.records if r.name.endswith("terminal")]
            assert terminal_says == [
                "terminal DISK: sendlog refused (store unavailable); keeping 30 unacknowledged"
                " records"
            ]

            filler.unlink()  # space returns; nobody restarts anything
            await vt.wait_flushed(20)
            assert vt.acked == 50
    assert len(stored_keys(small_disk / "wac.sqlite")) == 50
    assert any("writable again" in r.getMessage() for r in caplog.records)


DROP_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def can_drop_dac() -> bool:
    if shutil.which("setpriv") is None:
        return False
    return subprocess.run([*DROP_DAC, "true"], capture_output=True).returncode == 0


@root_only
@pytest.mark.skipif(not can_drop_dac(), reason="needs setpriv and CAP_SETPCAP")
async def test_read_only_database_refuses_sendlog_and_recovers(tmp_path):
    db_path = tmp_path / "wac.sqlite"
    async with Session(db_path, "127.0.0.1", 0, adopt_new=True):
        pass  # create the store
    db_path.chmod(0o444)
    # root ignores file modes; without CAP_DAC_OVERRIDE it is held to them like anyone else
    server = WacServe(db_path, free_port(), prefix=DROP_DAC)
    url = server.start()
    try:
        async with VirtualTerminal(url, "RO1", batch_size=5) as vt:
            for k in range(12):
                vt.punch(1 + k, START + timedelta(minutes=k))
            await until(lambda: vt.frames_sent >= 3)
            assert vt.acked == 0 and len(vt.logs) == 12
            db_path.chmod(0o644)
            await vt.wait_flushed(20)
    finally:
        with contextlib.suppress(Exception):
            db_path.chmod(0o644)
        assert server.stop() == 0
    log = "".join(server.output)
    assert "readonly database" in log and "nothing was acknowledged" in log, log
    assert "writable again" in log
    assert log.count("nothing was acknowledged") <= 3, "a retrying terminal must not flood the log"
    assert len(stored_keys(db_path)) == 12
    await asyncio.sleep(0)
