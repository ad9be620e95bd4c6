"""Chaos: a fleet of virtual terminals that answer late, refuse, fall silent and stop reading,
while they push records. Every command's reported outcome must match what the terminal did
to its own tables, and no command may outlive its timeout by more than a second.

Each command carries a ``tag`` field (terminals ignore fields they do not know) so the test
can tell, from the terminal's own record, what became of it; the gateway only sees ``ret``
and the echoed ``enrollid``/``backupnum``, as with real firmware. Counts are bounded, the run
stops by itself, and everything random comes from one seed.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.reliability.helpers import scaled
from wac_toolkit import CommandTimeout, DeviceError, Session, VirtualTerminal, WacClientError

TIMEOUT = 0.5
GRACE = 6.0
"""How long a timed-out command's name stays poisoned. The late replies below come within it
even when they queue up behind each other and behind a stall (about 3 s at worst here);
README "Guarantees": a reply later than timeout + grace can be misattributed when the
request echoes nothing that tells it apart (the chaos test found that with 3 s)."""
LATE = TIMEOUT + 0.5
"""The latest a terminal answers (it then answers what queued meanwhile, later still)."""
TERMINALS = scaled(6, 20)
COMMANDS = scaled(20, 60)
PUNCHES = scaled(10, 50)


@dataclass
class Chaos:
    """One terminal's misbehaviour, and its own record of what it did with each tag."""

    rng: random.Random
    did: dict[int, str] = field(default_factory=dict)
    """tag -> "applied" / "refused" / "applied, silent" / "ignored"."""
    replied_at: dict[int, float] = field(default_factory=dict)

    def wrap(self, vt: VirtualTerminal) -> None:
        plain = VirtualTerminal.handlers

        async def chaotic(vt: VirtualTerminal, frame: dict[str, Any]) -> dict[str, Any] | None:
            tag = frame.get("tag")
            if tag is None:
                return await plain[frame["cmd"]](vt, frame)
            roll = self.rng.random()
            if roll < 0.55:  # prompt
                await asyncio.sleep(self.rng.uniform(0, 0.05))
            elif roll < 0.75:  # late: after the caller's timeout, within the grace period
                await asyncio.sleep(self.rng.uniform(TIMEOUT * 1.2, LATE))
            elif roll < 0.9:  # refuses, without echoing anything
                self.did[tag] = "refused"
                return vt.refusal(frame["cmd"])
            elif roll < 0.95:  # does it and never says so
                await plain[frame["cmd"]](vt, frame)
                self.did[tag] = "applied, silent"
                return None
            else:  # drops it on the floor
                self.did[tag] = "ignored"
                return None
            reply = await plain[frame["cmd"]](vt, frame)
            self.did[tag] = "applied" if reply and reply.get("result") in (True, 1) else "refused"
            self.replied_at[tag] = asyncio.get_running_loop().time()
            return reply

        vt.handlers = {**plain, "setuserinfo": chaotic, "deleteuser": chaotic}


@dataclass(frozen=True)
class Outcome:
    sn: str
    tag: int
    cmd: str
    result: str
    elapsed: float
    ended_at: float


async def drive(
    session: Session, vt: VirtualTerminal, rng: random.Random, tags: Any
) -> list[Outcome]:
    """One caller per terminal, one command at a time (the timeout counts from its turn)."""
    loop = asyncio.get_running_loop()
    outcomes = []
    for _ in range(COMMANDS):
        tag = next(tags)
        enrollid = rng.randint(1, 4)
        if rng.random() < 0.7:
            cmd, fields = "setuserinfo", {"enrollid": enrollid, "name": f"P{enrollid}",
                                          "backupnum": 11, "record": tag, "admin": 0}  # fmt: skip
        else:
            cmd, fields = "deleteuser", {"enrollid": enrollid, "backupnum": 13}
        began = loop.time()
        try:
            await session.command(vt.sn, cmd, {**fields, "tag": tag}, timeout=TIMEOUT)
            result = "ok"
        except DeviceError:
            result = "refused"
        except CommandTimeout:
            result = "timeout"
        except WacClientError:
            result = "closed"
        outcomes.append(Outcome(vt.sn, tag, cmd, result, loop.time() - began, loop.time()))
        await asyncio.sleep(rng.uniform(0, 0.05))
    return outcomes


async def stall_now_and_then(vt: VirtualTerminal, rng: random.Random, stop: asyncio.Event) -> int:
    """A reader that stalls: the terminal stops reading for a while, then catches up."""
    stalls = 0
    while not stop.is_set():
        await asyncio.sleep(rng.uniform(0.2, 1.0))
        peer = vt.peer
        if peer is None or peer.closed:
            continue
        transport = peer.connection.transport
        transport.pause_reading()
        stalls += 1
        await asyncio.sleep(rng.uniform(TIMEOUT, LATE))
        if not transport.is_closing():
            transport.resume_reading()
    return stalls


@pytest.mark.parametrize("seed", range(scaled(1, 5)))
async def test_every_reported_outcome_matches_what_the_terminal_did(db_path, seed):
    rng = random.Random(seed)
    async with Session(
        db_path, "127.0.0.1", 0, command_timeout=TIMEOUT, command_grace=GRACE, adopt_new=True
    ) as session:
        fleet = [VirtualTerminal(session.url, f"CH{i:03d}", seed=seed * 1000 + i)
                 for i in range(TERMINALS)]  # fmt: skip
        chaos = {vt.sn: Chaos(random.Random(rng.random())) for vt in fleet}
        start = datetime(2025, 8, 1, 8, 0, 0)
        for vt in fleet:
            chaos[vt.sn].wrap(vt)
            for k in range(PUNCHES):
                vt.punch(1 + k % 4, start + timedelta(minutes=k))
            vt.start()
        for vt in fleet:
            await vt.wait_registered()
        tags = iter(range(1, 10**9))
        stop = asyncio.Event()
        staller = asyncio.ensure_future(stall_now_and_then(fleet[0], random.Random(seed), stop))
        try:
            runs = await asyncio.gather(
                *(drive(session, vt, random.Random(rng.random()), tags) for vt in fleet)
            )
        finally:
            stop.set()
            stalls = await staller
        for vt in fleet:  # the pushes went through all of it
            if vt.peer is not None:
                vt.peer.connection.transport.resume_reading()
            await vt.wait_flushed(30)
        await asyncio.sleep(LATE * 2)  # the last late replies arrive and are swallowed
        await asyncio.gather(*(vt.stop() for vt in fleet))
        assert session.store.count_logs() == TERMINALS * PUNCHES

    outcomes = [o for run in runs for o in run]
    assert len(outcomes) == TERMINALS * COMMANDS
    counts = Counter(o.result for o in outcomes)
    wrong = []
    for o in outcomes:
        did = chaos[o.sn].did.get(o.tag)
        if o.result == "ok" and did != "applied":
            wrong.append((o, did))
        elif o.result == "refused" and did != "refused":
            wrong.append((o, did))
        elif o.result == "ok" and chaos[o.sn].replied_at[o.tag] > o.ended_at:
            wrong.append((o, "answered before the terminal replied"))
    assert not wrong, f"{len(wrong)} outcomes misreported, e.g. {wrong[:3]}"
    slowest = max(o.elapsed for o in outcomes)
    assert slowest <= TIMEOUT + 1.0, f"a command took {slowest:.2f} s (timeout {TIMEOUT} s)"
    late = sum(
        1
        for o in outcomes
        if o.result == "timeout" and chaos[o.sn].replied_at.get(o.tag, 0) > o.ended_at
    )
    # The chaos really happened: every kind of outcome, late replies that were swallowed,
    # and a terminal that stalled.
    assert counts["ok"] and counts["refused"] and counts["timeout"] and late and stalls, (
        counts,
        late,
        stalls,
    )
    print(f"seed {seed}: {dict(counts)}, late replies swallowed {late}, stalls {stalls},"
          f" slowest {slowest:.2f} s")  # fmt: skip
