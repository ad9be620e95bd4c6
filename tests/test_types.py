"""The type check: ``mypy --strict`` passes on the packages and on the typed API as users call
it (``tests/typecheck/``), with the settings ``make types`` uses (pyproject ``[tool.mypy]``)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_strict_passes_on_the_packages_and_the_typed_api():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["strict"] is True
    assert {"wac_toolkit", "wac_ws_sdk", "tests/typecheck"} <= set(config["files"])
    assert "exclude" not in config  # nothing left out quietly
    out = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("Success: no issues found")
