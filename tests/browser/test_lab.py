"""A real browser: JupyterLab in headless Chromium renders the dashboard, a live event, and
the presence widget (who is inside), whose roll-call checkbox is ticked in the page.

Needs ``/usr/bin/chromium``, ``node`` with ``playwright-core`` installed here (``npm install``
in this directory) and JupyterLab in the venv; ``make test-browser`` installs all three.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.browser


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM}"
    if shutil.which("node") is None:
        return "no node"
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        return "playwright-core not installed (npm install in tests/browser)"
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        return "jupyterlab not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    """JupyterLab on 127.0.0.1 with no token, serving a copy of live.ipynb."""
    if reason := _missing():
        if os.environ.get("WAC_BROWSER_REQUIRED"):
            pytest.fail(reason)
        pytest.skip(reason)
    shutil.copy(HERE / "live.ipynb", tmp_path / "live.ipynb")
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"), "HOME": str(tmp_path)}
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.token=",
        "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={tmp_path}", "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "lab.log").read_text()
                assert time.monotonic() < deadline, "JupyterLab did not start"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_dashboard_and_presence_render_and_follow_a_live_punch(lab: str, tmp_path: Path) -> None:
    shot = Path(os.environ.get("WAC_BROWSER_SHOT", tmp_path / "dashboard.png"))
    done = subprocess.run(
        ["node", str(HERE / "drive.mjs"), lab, "live.ipynb", str(shot)],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "VT00000" in seen["terminals"]
    assert "1 of 1 terminal online" in seen["counts"] and "1 access event" in seen["counts"]
    assert "VT00000" in seen["feed"] and "2 Ben" in seen["feed"]
    assert seen["hours"] == 24  # punches per hour, last 24 h
    assert "2 Ben · in at VT00000" in seen["people"]
    assert seen["inside"] == "1 inside · 0 accounted for · 1 missing"
    assert seen["presence"] == "1 inside · 1 accounted for · 0 missing"  # ticked in the browser
    assert shot.stat().st_size > 10_000
