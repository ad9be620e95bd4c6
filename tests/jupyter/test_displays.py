"""What a fresh kernel displays (through nbclient): the heatmap as a PNG, tables as H:MM,
no raw HTML strings as cell values."""

from __future__ import annotations

import base64
from pathlib import Path

from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]

LOGS = """
from tests.analysis_helpers import frame
logs = frame(
    (1, "2025-03-03 08:10:00"), (1, "2025-03-03 16:40:00"),
    (2, "2025-03-04 07:55:00"), (2, "2025-03-04 16:30:00"),
)
"""


def run_cells(*sources: str) -> list[list[dict]]:
    notebook = new_notebook()
    notebook.cells = [new_code_cell(source) for source in sources]
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    return [cell.outputs for cell in notebook.cells]


def test_heatmap_renders_as_png_in_a_fresh_kernel_without_pyplot():
    outputs = run_cells(
        LOGS,
        "import sys\nfrom wac_toolkit.analysis import arrival_heatmap\narrival_heatmap(logs)",
        "'matplotlib.pyplot' in sys.modules",
    )
    results = [o for o in outputs[1] if o["output_type"] == "execute_result"]
    assert len(results) == 1
    png = base64.b64decode(results[0]["data"]["image/png"])
    assert png.startswith(b"\x89PNG") and len(png) > 5_000
    assert outputs[2][0]["data"]["text/plain"] == "False"  # nothing global was touched


def test_heatmap_shows_once_with_matplotlib_inline_too():
    outputs = run_cells(
        LOGS,
        "%matplotlib inline\nfrom wac_toolkit.analysis import arrival_heatmap\n"
        "arrival_heatmap(logs)",
    )
    pngs = [o for o in outputs[1] if "image/png" in o.get("data", {})]
    assert len(pngs) == 1


def test_styled_timesheet_shows_hmm_in_the_notebook():
    outputs = run_cells(
        LOGS,
        "from wac_toolkit.analysis import first_last, styled, timesheet, timesheet_totals\n"
        "styled(timesheet_totals(timesheet(first_last(logs), '2025-03')))",
    )
    html = outputs[1][0]["data"]["text/html"]
    assert ">8:30<" in html and ">8.58<" in html and "0 days" not in html
