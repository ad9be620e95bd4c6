"""Connections dropped at random around ``sendlog`` across a fleet: nothing lost, nothing twice.

``run_fleet(drop_rate=...)`` drops a terminal's connection before a frame is sent, or after it
is sent but before the ack is read (the nasty case: the gateway stored it, the terminal does
not know and sends it again). Terminals re-register and re-send every unacknowledged batch.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.reliability.helpers import scaled, stored_keys
from wac_toolkit import Session
from wac_toolkit.net.terminal import run_fleet

START = datetime(2025, 8, 1, 8, 0, 0)


def expected(terminals: int, per: int) -> Counter[tuple[str, int, str]]:
    """The rows ``run_fleet`` generates, each exactly once."""
    return Counter(
        (f"VT{t:05d}", 1 + (k + t) % 50, (START + timedelta(seconds=37 * k)).isoformat(" "))
        for t in range(terminals)
        for k in range(per)
    )


@pytest.mark.parametrize("seed", range(scaled(3, 10)))
async def test_random_drops_lose_and_duplicate_nothing(db_path, seed):
    terminals, per = scaled(20, 200), scaled(300, 2000)
    async with Session(db_path, "127.0.0.1", 0, synchronous="NORMAL", adopt_new=True) as session:
        result = await run_fleet(
            session.url, terminals, per, batch_size=50, drop_rate=0.2, seed=seed, timeout=120
        )
    assert result.records == terminals * per
    assert result.registrations > terminals, "the drops did not happen"
    stored = Counter(stored_keys(db_path))
    assert stored == expected(terminals, per)
    assert max(stored.values()) == 1
