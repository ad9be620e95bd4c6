"""CSV and XLSX export of analysis frames, and the arrivals heatmap."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from tests.analysis_helpers import frame  # noqa: E402
from wac_toolkit.analysis import (  # noqa: E402
    Schedule,
    Shift,
    arrival_counts,
    arrival_heatmap,
    first_last,
    timesheet,
    to_csv,
    to_xlsx,
)


def sheet() -> pd.DataFrame:
    days = first_last(
        frame(
            (1, "2025-03-03 08:10:00", {"name": "Ann"}),
            (1, "2025-03-03 17:40:00", {"name": "Ann"}),
            (2, "2025-03-04 07:55:00", {"name": "Bob"}),
            (2, "2025-03-04 16:00:00", {"name": "Bob"}),
        )
    )
    return timesheet(days, "2025-03", schedule=Schedule(Shift("08:00", "16:00", grace=5)))


def test_xlsx_one_sheet_per_person_with_real_times_and_durations(tmp_path: Path) -> None:
    path = tmp_path / "march.xlsx"
    to_xlsx(sheet(), path, by="enrollid")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["1 Ann", "2 Bob"]
    ws = book["1 Ann"]
    header = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(header, ws[4], strict=True)}  # 2025-03-03 is the third day
    assert row["workday"].value == datetime(2025, 3, 3)
    assert row["first_in"].value == datetime(2025, 3, 3, 8, 10)  # Berlin wall clock
    assert row["late"].number_format == "[h]:mm"  # read back as a duration
    assert abs(row["late"].value - timedelta(minutes=10)) < timedelta(seconds=1)
    assert abs(row["worked"].value - timedelta(hours=9.5)) < timedelta(seconds=1)
    assert row["status"].value == "present" and row["name"].value == "Ann"
    assert ws.max_row == 33  # header, 31 days, totals
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:P32"
    total = {h: c for h, c in zip(header, ws[33], strict=True)}
    assert total["name"].value == "Total" and total["name"].font.bold
    assert abs(total["worked"].value - timedelta(hours=9.5)) < timedelta(seconds=1)
    assert total["worked"].number_format == "[h]:mm"
    assert total["hours"].value == 9.5 and total["hours"].number_format == "0.00"
    assert total["punches"].value == 2


def test_xlsx_several_named_frames(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    data = sheet()
    to_xlsx({"days": data, "bad/name?": data.head(2)}, path)
    assert openpyxl.load_workbook(path).sheetnames == ["days", "bad_name_"]
    with pytest.raises(ValueError, match="not a column"):
        to_xlsx(data, path, by="person")
    with pytest.raises(TypeError, match="not a DataFrame"):
        to_xlsx({"x": [1]}, path)  # type: ignore[dict-item]


def test_csv_keeps_offsets_and_writes_durations_as_clock_text(tmp_path: Path) -> None:
    path = tmp_path / "march.csv"
    to_csv(sheet(), path)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ann = next(r for r in rows if r["enrollid"] == "1" and r["workday"] == "2025-03-03")
    assert ann["first_in"] == "2025-03-03 08:10:00+0100"
    assert ann["workday"] == "2025-03-03"  # a date, not 2025-03-03 00:00:00
    assert (ann["late"], ann["worked"], ann["overtime"]) == ("0:10", "9:30", "1:30")
    assert ann["hours"] == "9.5"
    assert len(rows) == 62
    with pytest.raises(TypeError, match="DataFrame"):
        to_csv([1], path)  # type: ignore[arg-type]


def test_arrival_counts_and_heatmap_figure() -> None:
    logs = frame(
        (1, "2025-03-03 08:10:00"),  # Monday 8h
        (1, "2025-03-03 12:10:00"),  # not an arrival: same workday
        (2, "2025-03-03 08:50:00"),  # Monday 8h
        (2, "2025-03-05 09:01:00"),  # Wednesday 9h
        (0, "2025-03-05 10:00:00"),  # door event: not an arrival
    )
    counts = arrival_counts(logs)
    assert counts.shape == (7, 24) and int(counts.to_numpy().sum()) == 3
    assert counts.loc["Mon", 8] == 2 and counts.loc["Wed", 9] == 1
    assert arrival_counts(first_last(logs)).equals(counts)
    figure = arrival_heatmap(logs)
    assert isinstance(figure, Figure)
    image = figure.axes[0].images[0].get_array()
    assert image[0, 8] == 2 and image[2, 9] == 1


def test_xlsx_single_timesheet_of_several_people_gets_a_totals_sheet(tmp_path: Path) -> None:
    path = tmp_path / "all.xlsx"
    to_xlsx(sheet(), path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Sheet1", "Totals"]
    totals = book["Totals"]
    header = [c.value for c in totals[1]]
    rows = [{h: c.value for h, c in zip(header, r, strict=True)} for r in totals.iter_rows(2)]
    assert [(r["enrollid"], r["name"], r["hours"]) for r in rows] == [
        (1, "Ann", 9.5),
        (2, "Bob", 8.08),
    ]
    assert book["Sheet1"].freeze_panes == "A2"


def test_hours_are_rounded_in_xlsx_but_durations_keep_their_seconds(tmp_path: Path) -> None:
    data = pd.DataFrame({"worked": [pd.Timedelta(hours=8, minutes=5)], "hours": [8 + 5 / 60]})
    path = tmp_path / "r.xlsx"
    to_xlsx(data, path)
    ws = openpyxl.load_workbook(path).active
    assert ws["B2"].value == 8.08 and ws["B2"].number_format == "0.00"
