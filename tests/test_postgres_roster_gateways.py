"""The roster with several gateways on one PostgreSQL: a change made in any process reaches
every terminal, wherever it is connected, exactly once (only the lease holder delivers)."""

from __future__ import annotations

import pytest

from tests.conftest import until
from wac_toolkit import Session, VirtualTerminal

pytestmark = pytest.mark.postgres


def deliveries(vt: VirtualTerminal, enrollid: int) -> int:
    return sum(
        1 for f in vt.received if f["cmd"] == "setuserinfo" and f.get("enrollid") == enrollid
    )


async def test_a_roster_change_from_a_third_process_is_delivered_once_everywhere(pg_dsn):
    async with (
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as a,
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as b,
        Session(pg_dsn, "127.0.0.1", 0, adopt_new=True) as office,  # no terminals: a notebook, say
    ):
        for gw in (a, b):
            gw.roster.worker.poll = 0.1  # notice steps another process queued quickly
        async with (
            VirtualTerminal(a.url, "ONE") as one,
            VirtualTerminal(b.url, "TWO") as two,
        ):
            await until(lambda: set(office.store.holders()) == {"ONE", "TWO"})
            await office.roster.add_person(7, "Gus", pin="4321", card="0099")
            await until(lambda: 7 in one.users and 7 in two.users, timeout=30)
            await until(lambda: not len(office.roster.pending()), timeout=30)
            assert one.users[7].credentials == two.users[7].credentials == {10: 4321, 11: "0099"}
            assert deliveries(one, 7) == deliveries(two, 7) == 2  # one per slot, once each
            assert len(office.roster.outcomes()) == 4 and office.roster.outcomes()["ok"].all()
