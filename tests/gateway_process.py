"""A real ``wac serve`` process with a virtual terminal connected to it, for CLI tests."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wac_toolkit import VirtualTerminal
from wac_toolkit.control import control_file
from wac_toolkit.sync import BackgroundLoop

__all__ = ["free_port", "running_gateway"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_gateway(
    directory: Path, sn: str, **terminal_options: Any
) -> Iterator[tuple[Path, VirtualTerminal]]:
    """``wac serve --db directory/site.sqlite`` plus terminal ``sn`` dialed in from a
    background loop; yields the store path and the terminal, and stops both cleanly."""
    db = directory / "site.sqlite"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "wac_toolkit", "serve", "--host", "127.0.0.1", "--port",
         str(port), "--db", str(db), "--tz", "UTC", "--adopt-new"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    background = BackgroundLoop(f"terminal-{sn}")
    vt = VirtualTerminal(f"ws://127.0.0.1:{port}/pub/chat", sn, **terminal_options)
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(3)]
        assert "control endpoint" in lines[-1], lines
        background.run(_start(vt), timeout=20)
        yield db, vt
    finally:
        background.run(vt.stop(), timeout=20)
        background.stop()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
    assert not control_file(db).exists()  # the gateway removes it on the way out


async def _start(vt: VirtualTerminal) -> None:
    vt.start()
    await vt.wait_registered()
