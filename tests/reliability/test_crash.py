"""``wac serve`` killed with SIGKILL again and again while terminals push logs, then restarted.

After every kill, with the gateway dead, the store must hold every row any terminal saw
acknowledged (terminals never send an acknowledged row again, so a loss would be final) and
pass ``PRAGMA integrity_check``. At the end every record is stored exactly once.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections import Counter
from datetime import datetime, timedelta

from tests.conftest import until
from tests.reliability.helpers import WacServe, free_port, scaled, stored_keys
from wac_toolkit import VirtualTerminal

START = datetime(2025, 8, 1, 8, 0, 0)


def check_store(db_path, fleet: list[VirtualTerminal]) -> None:
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = set(stored_keys(db_path))
    for vt in fleet:
        acked = {(vt.sn, r.enrollid, r.time) for r in vt.logs[: vt.acked]}
        missing = acked - stored
        assert not missing, f"{vt.sn}: {len(missing)} acknowledged rows lost, e.g. {min(missing)}"


async def test_sigkill_mid_ingest_loses_no_acknowledged_row(tmp_path):
    db_path = tmp_path / "wac.sqlite"
    server = WacServe(db_path, free_port())
    url = server.start()
    rng = random.Random(6)
    fleet = [
        VirtualTerminal(url, f"K{i:02d}", batch_size=20, reconnect_delay=0.05, reply_timeout=2)
        for i in range(scaled(6, 30))
    ]
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
    acked_at_kill = []
    try:
        await until(lambda: sum(vt.acked for vt in fleet) > 0, timeout=30)
        for _ in range(scaled(4, 20)):
            await asyncio.sleep(rng.uniform(0.3, 0.8))
            server.kill()
            acked_at_kill.append(sum(vt.acked for vt in fleet))
            check_store(db_path, fleet)
            server.start()
        puncher.cancel()
        await asyncio.gather(*(vt.wait_flushed(60) for vt in fleet))
    finally:
        puncher.cancel()
        await asyncio.gather(*(vt.stop() for vt in fleet))
        assert server.stop() == 0
    assert acked_at_kill[-1] > acked_at_kill[0] > 0, "the kills did not hit a busy gateway"
    check_store(db_path, fleet)
    stored = Counter(stored_keys(db_path))
    assert sum(stored.values()) == punched == sum(len(vt.logs) for vt in fleet)
    assert max(stored.values()) == 1
