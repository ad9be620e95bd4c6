"""``SessionSync.roster``: the same roster from plain, blocking Python."""

from __future__ import annotations

import time
from pathlib import Path

from tests.roster_fleet import held
from wac_toolkit import SessionSync, VirtualTerminal


def test_blocking_roster_delivers_to_a_terminal(tmp_path: Path) -> None:
    with SessionSync(
        tmp_path / "site.sqlite", "127.0.0.1", 0, command_timeout=2.0, adopt_new=True
    ) as s:
        door = VirtualTerminal(s.url, "DOOR")

        async def start() -> None:
            door.start()
            await door.wait_registered()

        s.run(start())
        roster = s.roster
        person = roster.add_person(3, "Cleo", pin="0303")
        assert person.pin == "0303"
        deadline = time.monotonic() + 10
        while held(door).get(3) != ("Cleo", 0, True, {10: "0303"}):
            assert time.monotonic() < deadline, held(door)
            time.sleep(0.01)
        roster.wait_synced()
        assert roster.pending().empty and roster.outcomes()["ok"].all()
        assert "add_person" in dir(roster)
        s.run(door.stop())


def test_blocking_roster_forwards_setting_writes(tmp_path: Path) -> None:
    """``s.roster.max_attempts = 1`` used to set an attribute on the facade and do nothing."""
    import pytest

    with SessionSync(tmp_path / "site.sqlite", "127.0.0.1", 0) as s:
        s.roster.max_attempts = 1
        s.roster.validity_check = 0.5  # restarts a task: done on the session's loop
        assert s.session.roster.max_attempts == 1 and s.session.roster.worker.max_attempts == 1
        assert s.roster.validity_check == 0.5
        with pytest.raises(AttributeError):
            s.roster.max_attempt = 2  # a typo fails instead of doing nothing
