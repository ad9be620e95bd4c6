"""The magics in a real ipykernel (through nbclient): both loop modes, widgets for progress."""

from __future__ import annotations

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook


def run_cells(*sources: str) -> list[list[dict]]:
    notebook = new_notebook()
    notebook.cells = [new_code_cell(source) for source in sources]
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    return [cell.outputs for cell in notebook.cells]


def text(outputs: list[dict]) -> str:
    parts = []
    for output in outputs:
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.parametrize("loop", ["thread", "kernel"])
def test_magics_in_a_real_kernel(loop):
    outputs = run_cells(
        "%load_ext wac_toolkit",
        f"%wac start --loop {loop} --port 0 --db :memory:",
        "%wac simulate 2 --people 2",
        "%wac setuser VT00001 9 Kim --pin 99",
        "users = %wac users VT00001\nsorted(users['enrollid'].tolist())",
        "%wac stop",
    )
    assert f"({loop} loop)" in text(outputs[1])
    assert "VT00001: user 9 (Kim) set: PIN" in text(outputs[3])
    assert "[1, 2, 9]" in text(outputs[4])
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs[4])
    assert "gateway stopped" in text(outputs[5])
