"""The database goes away mid-ingest and comes back: the PostgreSQL store's storage guarantee.

While the server is down, ``sendlog`` is refused (``result:false``), so terminals keep their
records; nothing is acknowledged that was not committed; when the server is back, ingest
resumes by itself (a new connection), and every punch is stored exactly once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import until
from tests.pg_cluster import PgCluster, find_bindir
from wac_toolkit import Session, VirtualTerminal

pytestmark = pytest.mark.postgres

START = datetime(2025, 8, 1, 8, 0, 0)


@pytest.fixture
def own_cluster(pg_cluster):  # noqa: ARG001 - skips or fails like every PostgreSQL test
    """A server of its own: this test stops and starts it."""
    with PgCluster(find_bindir()) as cluster:
        yield cluster


def stored(cluster: PgCluster) -> list[str]:
    out = cluster.psql("SELECT sn || '/' || enrollid || '/' || time FROM logs", "outage")
    return out.splitlines()


async def test_a_database_outage_refuses_then_resumes_and_loses_nothing(own_cluster, caplog):
    dsn = own_cluster.create_database("outage")
    async with Session(dsn, "127.0.0.1", 0, adopt_new=True) as session:
        vt = VirtualTerminal(session.url, "OUT1", batch_size=10, reconnect_delay=0.05)
        async with vt:
            for i in range(30):
                vt.punch(1 + i % 4, START + timedelta(seconds=i))
            await vt.wait_flushed(30)
            own_cluster.stop_server()  # immediate: in-flight transactions are lost, not acked
            for i in range(30, 60):
                vt.punch(1 + i % 4, START + timedelta(seconds=i))
            # What the operator sees: the refusal is logged, and the terminal keeps its records.
            await until(lambda: "nothing was acknowledged" in caplog.text, timeout=30)
            assert vt.acked < 60
            own_cluster.start_server()
            await vt.wait_flushed(60)
            assert vt.acked == 60
    rows = stored(own_cluster)
    assert len(rows) == len(set(rows)) == 60
