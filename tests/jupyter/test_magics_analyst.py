"""What an HR analyst does with ``%wac`` (issue 13), on a real shell, gateway and fleet."""

from __future__ import annotations

from datetime import datetime, timedelta

import openpyxl
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from wac_toolkit.jupyter.dates import period

from .conftest import cell, magics, usage_error
from .test_magics import complete, wait_for


@pytest.fixture
def fleet(ip: InteractiveShell):
    """VT00000 and VT00001 with 4 people (Ada fingerprint, Ben card, Chloe PIN, Dev face)."""
    cell(ip, "%wac start")
    cell(ip, "%wac simulate 2 --people 4")
    return magics(ip).fleet


def online(ip: InteractiveShell) -> list[str]:
    return [t.sn for t in magics(ip).runtime.session.terminals() if t.online]


# -- nothing stops before the arguments are checked (item 5) ---------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%wac simulate 0", "simulate 1 to 1000 terminals, not 0"),
        ("%wac simulate 2 --month 2025-13", "month 13 does not exist"),
        ("%wac simulate 2 --month 2025-08-04", "--month is a month"),
        ("%wac simulate 2 --people -1", "--people is 0 to 10000"),
    ],
)
def test_bad_simulate_arguments_leave_the_fleet_running(ip, fleet, line, message):
    assert message in usage_error(ip, line)
    assert magics(ip).fleet is fleet and online(ip) == ["VT00000", "VT00001"]


def test_start_with_other_options_on_a_running_gateway_is_refused(ip, fleet):
    runtime = magics(ip).runtime
    message = usage_error(ip, "%wac start --tz UTC")
    assert (
        f"already running at {runtime.url}" in message and "tz 'Europe/Berlin' -> 'UTC'" in message
    )
    assert "--restart" in message
    assert magics(ip).runtime is runtime and runtime.alive
    assert online(ip) == ["VT00000", "VT00001"]  # the fleet was not dropped


# -- completion in the assignment form (item 6) ----------------------------------------------


def test_completion_in_assignments(ip, fleet):
    assert complete(ip, "df = %wac logs --s") == ["--since", "--sn"]
    assert complete(ip, "users = %wac users V") == ["VT00000", "VT00001"]
    assert complete(ip, "sheet = %wac time") == ["timesheet"]
    assert "presence" in complete(ip, "%wac pre")


# -- validation (item 7) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%wac logs --tail -2", "--tail must be 1 or more, not -2"),
        ("%wac logs --tail 0", "--tail must be 1 or more, not 0"),
        ("%wac deleteuser VT00000 1 --backupnum 99", "--backupnum must be one of"),
        ("%wac setuser VT00000 7 Ann --pin 1 --admin 9", "--admin must be one of: 0 user"),
        ("%wac setuser VT00000 7 Ann --pin 1 --finger 12", "--finger must be 0 to 9"),
        ("%wac logs --sn VT0042", "unknown terminal 'VT0042'"),
        ("%wac logs --since 2025-08-05 --until 2025-08-01", "is not before --until"),
        ("%wac logs --person Zed", "no person named 'Zed'"),
        ("%wac logs --since 0d", "0d is no days"),
        ("%wac timesheet 2025-08-04", "a timesheet is for one month"),
        ("%wac presence --window 0m", "--window is 1m to 168h"),
    ],
)
def test_ranges_and_empty_by_mistake_filters_are_one_line(ip, fleet, line, message):
    assert message in usage_error(ip, line)
    assert 1 in fleet.terminals["VT00000"].users  # nothing was sent


# -- users, one row per person (item 9) ------------------------------------------------------


def test_users_one_row_per_user_with_names_and_credentials(ip, fleet):
    cell(ip, "%wac setuser VT00000 7 'Ann Lee' --pin 0042 --card 99 --admin 2")
    cell(ip, "users = %wac users VT00000")
    users = ip.user_ns.pop("users")
    assert list(users.columns) == [
        "enrollid", "name", "admin", "pin", "card", "fingerprints", "face", "palm", "photo",
    ]  # fmt: skip
    rows = users.set_index("enrollid")
    assert list(rows.index) == [1, 2, 3, 4, 7]
    assert rows.loc[7, "name"] == "Ann Lee" and rows.loc[7, "admin"] == "super admin"
    assert rows.loc[7, "pin"] and rows.loc[7, "card"] and rows.loc[7, "fingerprints"] == 0
    assert rows.loc[1, "name"] == "Ada" and rows.loc[1, "fingerprints"] == 1
    assert not rows.loc[1, "pin"] and rows.loc[2, "card"] and rows.loc[3, "pin"]
    assert rows.loc[4, "face"] and rows.loc[1, "admin"] == "user"
    slots = cell(ip, "%wac users VT00000 --slots")
    assert len(slots) == 6 and "backupnum" in slots.columns


# -- frames read right (item 10) -------------------------------------------------------------


def test_logs_sn_categories_are_sorted_and_roster_next_at_is_nat(ip, fleet):
    cell(ip, "%wac punch VT00001 1 --time '2025-08-04 08:00:00'")
    cell(ip, "%wac punch VT00000 2 --time '2025-08-04 08:01:00'")
    logs = cell(ip, "%wac logs")
    assert list(logs["sn"].cat.categories) == ["VT00000", "VT00001"]
    assert logs["sn"].value_counts().index.tolist() == ["VT00000", "VT00001"]
    runtime = magics(ip).runtime
    runtime.run(fleet.terminals["VT00001"].stop())
    wait_for(lambda: not runtime.session.terminal("VT00001").online)
    cell(ip, "%wac person add 9 Ivy --pin 1234")
    pending = cell(ip, "%wac roster pending")
    assert len(pending) and pending["next_at"].isna().all()  # "none", not 1970-01-01


def test_simulated_people_punch_with_their_own_credential(ip):
    cell(ip, "%wac start")
    cell(ip, "%wac simulate 1 --people 4 --month 2025-08")
    logs = cell(ip, "%wac logs")
    modes = logs.groupby("enrollid")["mode_label"].agg(lambda s: sorted(set(s.dropna())))
    assert modes.to_dict() == {
        1: ["fingerprint"], 2: ["card"], 3: ["password"], 4: ["face"],
    }  # fmt: skip
    cell(ip, "%wac punch VT00000 3 --time '2025-09-01 08:00:00'")
    last = cell(ip, "%wac logs --tail 1").iloc[0]
    assert last["mode_label"] == "password"  # Chloe has a PIN only


# -- relative dates and --person ------------------------------------------------------------


def test_relative_dates_and_person_filter(ip, fleet):
    session = magics(ip).runtime.session
    now = session.now_local()
    today = now.replace(hour=8, minute=0, second=0)
    stamps = {
        "today": today,
        "yesterday": today - timedelta(days=1),
        "week": today - timedelta(days=5),
        "old": today - timedelta(days=70),
    }
    for enrollid, moment in zip((1, 2, 3, 4), stamps.values(), strict=True):
        cell(ip, f"%wac punch VT00000 {enrollid} --time '{moment:%Y-%m-%d %H:%M:%S}'")
    assert cell(ip, "%wac logs today")["enrollid"].tolist() == [1]
    assert cell(ip, "%wac logs yesterday")["enrollid"].tolist() == [2]
    assert sorted(cell(ip, "%wac logs --since 7d")["enrollid"]) == [1, 2, 3]
    assert sorted(cell(ip, "%wac logs --since 7d --until yesterday")["enrollid"]) == [2, 3]
    assert cell(ip, "%wac logs --person ada")["enrollid"].tolist() == [1]
    assert cell(ip, "%wac logs --person Ch")["enrollid"].tolist() == [3]
    assert cell(ip, "%wac logs --person 4")["enrollid"].tolist() == [4]
    month = cell(ip, "%wac logs this-month")
    expected = {
        e
        for e, m in zip((1, 2, 3, 4), stamps.values(), strict=True)
        if (m.year, m.month) == (now.year, now.month)
    }
    assert set(month["enrollid"]) == expected


def test_period_words_known_answers():
    now = datetime(2025, 3, 12, 15, 30)  # a Wednesday
    today = period("today", now)
    assert (today.start, today.end) == (datetime(2025, 3, 12), datetime(2025, 3, 13))
    assert period("yesterday", now).start == datetime(2025, 3, 11)
    assert (period("7d", now).start, period("7d", now).end) == (
        datetime(2025, 3, 6),
        datetime(2025, 3, 13),
    )
    assert (period("this-week", now).start, period("last-week", now).start) == (
        datetime(2025, 3, 10),
        datetime(2025, 3, 3),
    )
    last = period("last-month", now)
    assert (last.start, last.end, last.month) == (
        datetime(2025, 2, 1),
        datetime(2025, 3, 1),
        "2025-02",
    )
    dec = period("last-month", datetime(2025, 1, 5))
    assert (dec.start, dec.end) == (datetime(2024, 12, 1), datetime(2025, 1, 1))
    assert (
        period("2025-08", now).month == "2025-08" and period("this-month", now).month == "2025-03"
    )
    assert period("2025-08-04", now).end == datetime(2025, 8, 5)
    assert period("2025-08-04 08:30", now).start == datetime(2025, 8, 4, 8, 30)
    with pytest.raises(ValueError, match="month 13"):
        period("2025-13", now)


# -- timesheet -------------------------------------------------------------------------------


def test_timesheet_month_with_xlsx_and_break_policy(ip, tmp_path):
    cell(ip, "%wac start")
    cell(ip, "%wac simulate 1 --people 2")
    cell(ip, "%wac person add 1 'Ada Roster' --pin 1111 --to VT00000")  # expected, never came
    for day in (4, 5):
        cell(ip, f"%wac punch VT00000 2 --time '2025-08-0{day} 08:00:00'")
        cell(ip, f"%wac punch VT00000 2 --time '2025-08-0{day} 16:30:00' --out")
    target = tmp_path / "aug.xlsx"
    cell(ip, f"ts = %wac timesheet 2025-08 --shift 08:00-16:30 --break 30 --xlsx {target}")
    result = ip.user_ns.pop("ts")
    totals = result.totals.set_index("enrollid")
    assert totals.loc[2, "name"] == "Ben"
    assert totals.loc[2, "worked"] == pd.Timedelta(hours=16)
    assert totals.loc[2, "overtime"] == pd.Timedelta(0) and totals.loc[2, "hours"] == 16.0
    assert totals.loc[1, "name"] == "Ada Roster"  # the roster's name
    assert totals.loc[1, "present"] == 0 and totals.loc[1, "absent"] == 21  # every weekday
    assert "16:00" in result._repr_html_() and "16.00" in result._repr_html_()
    assert "0 days" not in result._repr_html_() and "16:00" in repr(result)
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["1 Ada Roster", "2 Ben"]
    ben = book["2 Ben"]
    assert ben.freeze_panes == "A2" and ben.auto_filter.ref
    header = [c.value for c in ben[1]]
    total = {h: c.value for h, c in zip(header, ben[ben.max_row], strict=True)}
    assert total["name"] == "Total" and total["hours"] == 16.0
    only_ben = cell(ip, "%wac timesheet 2025-08 --person ben")
    assert only_ben.totals["enrollid"].tolist() == [2]


# -- presence --------------------------------------------------------------------------------


def test_presence_table_lists_who_is_inside_by_terminal(ip, fleet):
    now = magics(ip).runtime.session.now_local()
    early = now - timedelta(hours=2)
    cell(ip, f"%wac punch VT00000 1 --time '{early:%Y-%m-%d %H:%M:%S}'")
    cell(ip, f"%wac punch VT00001 2 --time '{early:%Y-%m-%d %H:%M:%S}'")
    cell(ip, f"%wac punch VT00001 2 --time '{now - timedelta(hours=1):%Y-%m-%d %H:%M:%S}' --out")
    cell(ip, f"%wac punch VT00001 3 --time '{now - timedelta(hours=20):%Y-%m-%d %H:%M:%S}'")
    inside = cell(ip, "%wac presence --table")
    assert inside["enrollid"].tolist() == [1]  # Ben went out; Chloe's punch is too old
    assert inside.iloc[0]["name"] == "Ada" and inside.iloc[0]["sn"] == "VT00000"
    wide = cell(ip, "%wac presence --table --window 24h")
    assert wide["enrollid"].tolist() == [3, 1]


def test_panels_show_offline_after_stop(ip, fleet):
    dash = cell(ip, "%wac dashboard")
    form = cell(ip, "%wac userform")
    assert dash.summary.startswith("2 of 2 terminals online")
    runtime = magics(ip).runtime
    cell(ip, "%wac stop")
    assert dash.summary == "0 of 2 terminals online · 0 access events · gateway stopped"
    assert "wac-online" not in dash.terminals.value and dash.stopped
    assert form.terminal.options == () and form.message == "✗ the gateway stopped"
    assert repr(runtime).endswith("(stopped)>") and "stopped" in runtime._repr_html_()
