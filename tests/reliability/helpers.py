"""Shared by the reliability tests: counts that grow with ``WAC_LONG=1``, store readers,
and ``wac serve`` as a child process (started, killed and restarted by its own pid)."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["LONG", "WacServe", "free_port", "scaled", "stored_keys"]

LONG = os.environ.get("WAC_LONG") == "1"
"""Larger counts for a nightly run; the default keeps the whole suite within minutes."""


def scaled(short: int, long: int) -> int:
    return long if LONG else short


def stored_keys(db_path: Path | str) -> list[tuple[str, int, str]]:
    """(sn, enrollid, time) of every stored row, duplicates kept, so a test can see them."""
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT sn, enrollid, time FROM logs").fetchall()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WacServe:
    """``wac serve`` in a child process, the way an operator runs it."""

    def __init__(self, db: Path, port: int, *extra: str, prefix: Sequence[str] = ()) -> None:
        self.db, self.port, self.extra, self.prefix = db, port, extra, tuple(prefix)
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.output: list[str] = []
        """Every line the server printed (stdout and stderr), read as it comes."""

    def start(self, timeout: float = 30.0) -> str:
        self.proc = subprocess.Popen(
            [*self.prefix, sys.executable, "-m", "wac_toolkit", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--db", str(self.db), *self.extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"wac serve exited with {self.proc.wait()}: {self.output}")
            self.output.append(line)
            found = re.search(r"listening on (\S+)", line)
            if found:
                self.url = found.group(1)
                threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
                return self.url
        raise AssertionError("wac serve did not start listening")

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        with proc.stdout:  # closed at the server's end (EOF)
            for line in proc.stdout:  # keeps the pipe from filling up and blocking the server
                self.output.append(line)

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, like a power cut of the process."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9
