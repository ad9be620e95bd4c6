"""The distribution builds as a wheel with both import packages and the ``wac`` script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_both_packages_and_the_console_script(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    [wheel] = tmp_path.glob("wac_toolkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "wac_ws_sdk/__init__.py" in names and "wac_toolkit/py.typed" in names
    assert "wac_ws_sdk/py.typed" in names  # type checkers read both packages' hints
    assert "wac_toolkit/_generated/terminal.py" in names  # the generated command methods
    assert "wac_toolkit/protocol/catalogue.py" in names
    assert not any(n.startswith(("tests/", "custom_components/", "bench/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "wac = wac_toolkit.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
