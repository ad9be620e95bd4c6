"""``%wac roster`` and ``%wac person`` in a real IPython shell, with a real gateway and a
simulated fleet."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from tests.jupyter.conftest import cell, magics, usage_error


def wait_for(condition: Callable[[], Any], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.01)


@pytest.fixture
def fleet(ip: InteractiveShell) -> Any:
    cell(ip, "%wac start")
    cell(ip, "%wac simulate 2 --people 0")
    return magics(ip).fleet


def test_person_reaches_every_terminal_and_roster_shows_it(
    ip: InteractiveShell, fleet: Any
) -> None:
    out = cell(ip, "%wac person add 501 'Ana Lima' --pin 0012 --card 0004567")
    assert repr(out) == "added 501 Ana Lima (PIN, card) on all"
    terminals = fleet.terminals.values()
    wait_for(lambda: all(501 in t.users for t in terminals))
    assert {t.users[501].credentials[10] for t in terminals} == {"0012"}

    cell(ip, "%wac person disable 501")
    wait_for(lambda: all(not t.users[501].enabled for t in terminals))
    people = cell(ip, "%wac roster")
    row = people.set_index("enrollid").loc[501]
    assert row["name"] == "Ana Lima" and row["pin"] and not row["enabled"]
    assert "0012" not in people.to_string()  # secrets never shown
    wait_for(lambda: cell(ip, "%wac roster pending").empty)
    assert cell(ip, "%wac roster outcomes")["ok"].all()

    cell(ip, "%wac person remove 501")
    wait_for(lambda: all(501 not in t.users for t in terminals))
    # The terminals deleted 501 before the gateway read their replies: wait for the roster
    # to record them, or the sync would plan the delete again.
    wait_for(lambda: cell(ip, "%wac roster pending").empty)
    assert "0 steps" in repr(cell(ip, "%wac roster sync"))


def test_reconcile_and_errors_are_one_line(ip: InteractiveShell, fleet: Any) -> None:
    sn = sorted(fleet.terminals)[0]
    terminal = fleet.terminals[sn]
    cell(ip, f"%wac person add 502 Ben --pin 77 --to {sn}")
    wait_for(lambda: 502 in terminal.users)
    terminal.users[502].credentials[10] = 1
    out = repr(cell(ip, f"%wac roster reconcile {sn}"))
    assert out.startswith(f"{sn}: holds 1 person, 1 repair step queued")
    wait_for(lambda: terminal.users[502].credentials[10] == 77)

    assert "already in the roster" in usage_error(ip, "%wac person add 502 Ben")
    assert "not in the roster" in usage_error(ip, "%wac person update 9 --pin 1")
    assert "PIN must be" in usage_error(ip, "%wac person add 9 Zed --pin 12ab")
    assert "invalid choice" in usage_error(ip, "%wac roster bogus")
