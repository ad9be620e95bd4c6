"""A simulated fleet for notebooks: virtual terminals with people on the gateway's own loop.

``%wac simulate`` uses it to try every command without hardware. Everything is seeded, so a
notebook that simulates "a month" gets the same punches on every run (and the store ignores
them when they arrive twice).
"""

from __future__ import annotations

import asyncio
import base64
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..net.terminal import VirtualTerminal, VirtualUser
from ..protocol.models import BackupNum, VerifyMode

__all__ = [
    "FIRST_NAMES", "PERSON_MODES", "Punch", "SimulatedFleet", "mode_of", "month_of_punches",
    "person_credentials", "person_mode",
]  # fmt: skip

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Eva", "Femi", "Gus", "Hana", "Ivo", "Jun",
    "Kai", "Lea", "Max", "Nia", "Omar", "Pia", "Quin", "Rosa", "Sam", "Tara",
)  # fmt: skip


PERSON_MODES = (VerifyMode.FP, VerifyMode.CARD, VerifyMode.PWD, VerifyMode.FACE)
"""How simulated people verify, in turn: Ada fingerprint, Ben card, Chloe PIN, Dev face..."""


def person_mode(enrollid: int) -> int:
    """The verify mode simulated person ``enrollid`` punches with (see :data:`PERSON_MODES`)."""
    return int(PERSON_MODES[(enrollid - 1) % len(PERSON_MODES)])


def person_credentials(enrollid: int) -> dict[int, str | int]:
    """The one credential a simulated person is enrolled with, matching :func:`person_mode`:
    a fingerprint template, a card (100000+id), a PIN (1000+id) or a face template."""
    mode = person_mode(enrollid)
    fake = base64.b64encode(f"simulated template {enrollid}".encode()).decode("ascii")
    if mode == VerifyMode.FP:
        return {int(BackupNum.FP0): fake}
    if mode == VerifyMode.CARD:
        return {int(BackupNum.CARD): 100_000 + enrollid}
    if mode == VerifyMode.PWD:
        return {int(BackupNum.PASSWORD): 1000 + enrollid}
    return {int(BackupNum.FACE0): fake}


def mode_of(credentials: dict[int, object]) -> int:
    """The verify mode a terminal would record for a user with these credential slots."""
    slots = set(credentials)
    if any(0 <= s <= 9 for s in slots):
        return int(VerifyMode.FP)
    if any(20 <= s <= 27 for s in slots) or int(BackupNum.PHOTO) in slots:
        return int(VerifyMode.FACE)
    if int(BackupNum.CARD) in slots:
        return int(VerifyMode.CARD)
    return int(VerifyMode.PWD)


@dataclass(frozen=True, slots=True)
class Punch:
    enrollid: int
    time: datetime
    inout: int
    mode: int


def month_of_punches(month: date, people: int, seed: int = 0) -> Iterator[Punch]:
    """Plausible punches for ``people`` users over the weekdays of ``month``.

    User 1 works nights (22:00 to 06:00, across midnight); the others work 08:00 to 16:30 with
    a few minutes of jitter, sometimes late, about one day in twenty absent, and now and then a
    double scan a few seconds after the first. Each punches with their own credential
    (:func:`person_mode`). Deterministic for a given seed.
    """
    rng = random.Random(seed)
    day = month.replace(day=1)
    while day.month == month.month:
        if day.weekday() < 5:
            for enrollid in range(1, people + 1):
                if rng.random() < 0.05:
                    continue
                night = enrollid == 1
                start = time(22, 0) if night else time(8, 0)
                hours = 8.0 if night else 8.5
                begin = datetime.combine(day, start) + timedelta(minutes=rng.gauss(0, 6))
                if rng.random() < 0.08:
                    begin += timedelta(minutes=rng.uniform(10, 40))  # late
                end = begin + timedelta(hours=hours, minutes=rng.gauss(0, 10))
                mode = person_mode(enrollid)
                yield Punch(enrollid, begin.replace(microsecond=0), 0, mode)
                if rng.random() < 0.05:
                    yield Punch(
                        enrollid, (begin + timedelta(seconds=8)).replace(microsecond=0), 0, mode
                    )
                yield Punch(enrollid, end.replace(microsecond=0), 1, mode)
        day += timedelta(days=1)


class SimulatedFleet:
    """``count`` virtual terminals sharing ``people`` users, running on the caller's loop.

    Args:
        url: the gateway URL.
        count: how many terminals (serials ``prefix00000``...).
        people: users enrolled on every terminal (names from :data:`FIRST_NAMES`, each with
            one credential: :func:`person_credentials`).
    """

    def __init__(self, url: str, count: int, *, people: int = 5, prefix: str = "VT") -> None:
        if count < 1:
            raise ValueError("a fleet needs at least one terminal")
        if people < 0:
            raise ValueError("people cannot be negative")
        self.url = url
        self.people = people
        self.terminals: dict[str, VirtualTerminal] = {}
        for i in range(count):
            terminal = VirtualTerminal(url, f"{prefix}{i:05d}")
            for enrollid in range(1, people + 1):
                name = FIRST_NAMES[(enrollid - 1) % len(FIRST_NAMES)]
                terminal.users[enrollid] = VirtualUser(
                    enrollid, name, credentials=person_credentials(enrollid)
                )
            self.terminals[terminal.sn] = terminal

    def __repr__(self) -> str:
        return f"<SimulatedFleet {len(self.terminals)} terminals, {self.people} people>"

    def terminal(self, sn: str) -> VirtualTerminal:
        try:
            return self.terminals[sn]
        except KeyError:
            known = ", ".join(self.terminals)
            raise ValueError(f"{sn!r} is not a simulated terminal; simulated: {known}") from None

    async def start(self, timeout: float = 30.0) -> None:
        """Start every terminal and wait until each has registered."""
        for terminal in self.terminals.values():
            terminal.start()
        await asyncio.gather(*(t.wait_registered(timeout) for t in self.terminals.values()))

    def load_month(self, month: date, seed: int = 0) -> int:
        """Queue a month of punches; person ``k`` punches at terminal ``k mod count``."""
        terminals = list(self.terminals.values())
        n = 0
        for punch in month_of_punches(month, self.people, seed):
            terminal = terminals[punch.enrollid % len(terminals)]
            terminal.punch(punch.enrollid, punch.time, mode=punch.mode, inout=punch.inout)
            n += 1
        return n

    async def punch(
        self, sn: str, enrollid: int, moment: datetime, *, mode: int | None = None, inout: int = 0
    ) -> None:
        """One punch at ``sn``, returned once the gateway has acknowledged it.

        Without ``mode`` the person punches with what they are enrolled with there (a PIN-only
        person with their PIN), as a real terminal would record it.
        """
        terminal = self.terminal(sn)
        if mode is None:
            user = terminal.users.get(enrollid)
            mode = mode_of(dict(user.credentials)) if user is not None else int(VerifyMode.FP)
        terminal.punch(enrollid, moment, mode=mode, inout=inout)
        await terminal.wait_flushed()

    async def flushed(self, timeout: float = 120.0) -> int:
        """Wait until every queued punch is acknowledged; returns how many were sent."""
        await asyncio.gather(*(t.wait_flushed(timeout) for t in self.terminals.values()))
        return sum(t.acked for t in self.terminals.values())

    async def stop(self) -> None:
        await asyncio.gather(*(t.stop() for t in self.terminals.values()))
