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


def test_magics_show_html_objects_and_plain_text_never_raw_html():
    outputs = run_cells(
        "%load_ext wac_toolkit",
        "%wac start --port 0 --db :memory: --tz Europe/Berlin",
        "%wac simulate 1 --people 3",
        "dash = %wac dashboard\nform = %wac userform\npresence = %wac presence\ndash",
        "%wac punch VT00000 2\nimport time\n"
        "for _ in range(200):\n"
        "    if '1 access event' in dash.summary and 2 in presence.inside:\n"
        "        break\n"
        "    time.sleep(0.05)\n"
        "dash.summary",
        "form.terminal.value = 'VT00000'\nform.enrollid.value = 9\nform.pin.value = '99'\n"
        "form.set_button.click()\nform.pending.result(10)\nform.message",
        "presence.summary",
        "%wac stop",
        "dash.summary",
    )
    start = outputs[1][0]["data"]
    assert "text/html" in start and "wac-gateway" in start["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in outputs[3][0]["data"]
    assert outputs[4][0]["data"]["text/plain"] == "'1 of 1 terminal online · 1 access event'"
    assert outputs[5][0]["data"]["text/plain"] == "'✓ VT00000 set user 9 (): PIN'"
    assert outputs[6][0]["data"]["text/plain"] == "'1 inside · 0 accounted for · 1 missing'"
    assert "gateway stopped" in outputs[7][0]["data"]["text/plain"]
    assert "gateway stopped" in outputs[8][0]["data"]["text/plain"]
    for cell_outputs in outputs:
        for output in cell_outputs:
            plain = output.get("data", {}).get("text/plain", "") + output.get("text", "")
            assert "<span" not in plain and "<div" not in plain, plain
