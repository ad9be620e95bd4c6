"""Two ``wac serve`` processes on one PostgreSQL database, one SIGKILLed mid-ingest.

Half the fleet dials each gateway. After the kill, with that gateway dead, the database must
hold every row any terminal saw acknowledged (a terminal never sends an acknowledged row
again, so a loss would be final). The dead gateway's terminals then dial the survivor (as a
load balancer in front would send them) and re-send what was not acknowledged; at the end
every punch is stored exactly once, whichever gateway stored it, and a command from a third
Session reaches a moved terminal through the survivor.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from tests.conftest import until
from tests.reliability.helpers import WacServe, free_port, scaled
from wac_toolkit import Session, VirtualTerminal

START = datetime(2025, 8, 1, 8, 0, 0)

pytestmark = pytest.mark.postgres


def stored(pg_cluster, dsn: str) -> list[tuple[str, int, str]]:
    """(sn, enrollid, time) of every stored row, duplicates kept, read with psql."""
    out = pg_cluster.psql("SELECT sn, enrollid, time FROM logs", dsn.rsplit("/", 1)[1])
    rows = [line.split("|") for line in out.splitlines() if line]
    return [(sn, int(enrollid), time) for sn, enrollid, time in rows]


def assert_acked_stored(keys: list[tuple[str, int, str]], fleet: list[VirtualTerminal]) -> None:
    have = set(keys)
    for vt in fleet:
        acked = {(vt.sn, r.enrollid, r.time) for r in vt.logs[: vt.acked]}
        missing = acked - have
        assert not missing, f"{vt.sn}: {len(missing)} acknowledged rows lost, e.g. {min(missing)}"


async def test_two_gateways_one_killed_mid_ingest_lose_nothing_store_nothing_twice(
    pg_cluster, pg_dsn
):
    doomed, survivor = (
        WacServe(pg_dsn, free_port(), "--adopt-new"),
        WacServe(pg_dsn, free_port(), "--adopt-new"),
    )
    doomed_url, survivor_url = doomed.start(), survivor.start()
    fleet = [
        VirtualTerminal(
            doomed_url if i % 2 else survivor_url, f"G{i:02d}", batch_size=20,
            reconnect_delay=0.05, reply_timeout=2,
        )
        for i in range(scaled(8, 40))
    ]  # fmt: skip
    punched = 0

    async def punch_forever() -> None:
        nonlocal punched
        while True:
            for vt in fleet:
                vt.punch(1 + punched % 40, START + timedelta(seconds=punched))
                punched += 1
            await asyncio.sleep(0.005)

    for vt in fleet:
        vt.start()
    puncher = asyncio.ensure_future(punch_forever())
    try:
        await until(lambda: all(vt.acked > 0 for vt in fleet), timeout=60)
        await asyncio.sleep(0.5)
        doomed.kill()
        acked_at_kill = {vt.sn: vt.acked for vt in fleet}
        assert_acked_stored(stored(pg_cluster, pg_dsn), fleet)
        for vt in fleet:
            vt.url = survivor_url  # what a load balancer in front does once a backend is gone
        await until(lambda: all(vt.acked > acked_at_kill[vt.sn] for vt in fleet), timeout=60)
        async with Session(
            pg_dsn, "127.0.0.1", 0, adopt_new=True
        ) as notebook:  # a third process, say
            moved = fleet[1]  # dialled the doomed gateway first, the survivor now
            stayed = fleet[0]  # on the survivor all along: its holder is the survivor
            await until(
                lambda: (h := notebook.store.holders()).get(moved.sn) == h.get(stayed.sn),
                timeout=60,
            )
            await notebook.set_user_info(moved.sn, 9, "Ida", 11, "0042")
            assert moved.users[9].credentials == {11: "0042"}
        puncher.cancel()
        await asyncio.gather(*(vt.wait_flushed(60) for vt in fleet))
    finally:
        puncher.cancel()
        await asyncio.gather(*(vt.stop() for vt in fleet))
        doomed.kill()
        assert survivor.stop() == 0
    keys = stored(pg_cluster, pg_dsn)
    assert_acked_stored(keys, fleet)
    assert len(keys) == len(set(keys)) == punched == sum(len(vt.logs) for vt in fleet)
