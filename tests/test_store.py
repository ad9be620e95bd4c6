"""The SQLite store: durable, duplicate-proof, photos kept out of the log table."""

from __future__ import annotations

from datetime import UTC, datetime

from wac_toolkit.protocol.models import BackupNum, DeviceInfo, LogRecord, UserCredential
from wac_toolkit.store import LogQuery, SQLiteStore


def rec(enrollid, time="2025-08-01 08:00:00", **kw):
    return LogRecord.from_wire({"enrollid": enrollid, "time": time, "mode": 0, **kw})


async def test_ingest_reports_new_positions_and_drops_replays(tmp_path):
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        at = datetime(2025, 8, 1, 6, 0, tzinfo=UTC)
        assert await store.ingest_logs("A", [rec(1), rec(2)], logindex=1, received_at=at) == [0, 1]
        assert await store.ingest_logs("A", [rec(1), rec(2)], logindex=1, received_at=at) == []
        assert await store.ingest_logs("A", [rec(2), rec(3)], logindex=2, received_at=at) == [1]
        assert await store.ingest_logs("B", [rec(1)], logindex=1, received_at=at) == [0]
        assert store.count_logs() == 4
        [row] = store.fetch_logs(LogQuery(sn="B"))
        assert row[1] == "B" and row[12] == 1_754_028_000_000_000  # received_at, UTC microseconds


async def test_time_kept_as_sent_and_normalised(tmp_path):
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        now = datetime.now(UTC)
        await store.ingest_logs("A", [rec(1, "2025-8-1 8:00")], logindex=None, received_at=now)
        [row] = store.fetch_logs(LogQuery())
        assert row[4] == "2025-08-01 08:00:00" and row[5] == "2025-8-1 8:00"


async def test_query_filters(tmp_path):
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        now = datetime.now(UTC)
        records = [rec(i, f"2025-08-0{i} 08:00:00") for i in range(1, 6)]
        await store.ingest_logs("A", records, logindex=1, received_at=now)
        q = LogQuery(since=datetime(2025, 8, 2), until=datetime(2025, 8, 4))
        assert [r[2] for r in store.fetch_logs(q)] == [2, 3]
        assert [r[2] for r in store.fetch_logs(LogQuery(enrollid=[1, 5]))] == [1, 5]


async def test_photos_live_outside_the_log_table(tmp_path):
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        record = rec(1, image="data:image/jpeg;base64,/9j/4AAQ")
        await store.ingest_logs("A", [record, rec(2)], logindex=1, received_at=datetime.now(UTC))
        rows = store.fetch_logs(LogQuery())
        assert [r[13] for r in rows] == [1, 0]
        assert store.log_image(rows[0][0]) == b"\xff\xd8\xff\xe0\x00\x10"
        assert store.log_image(rows[1][0]) is None


async def test_credentials_keep_their_wire_form(tmp_path):
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        for record, slot in (("0012", 11), (4294967297, 10), ("TEMPLATE", 0)):
            await store.save_credential(
                "A", UserCredential(enrollid=1, backupnum=BackupNum(slot), record=record, name="Al")
            )
        creds = {int(c.backupnum): c.record for c in store.credentials("A")}
        assert creds == {0: "TEMPLATE", 10: 4294967297, 11: "0012"}
        await store.delete_credential("A", 1, 12)
        assert {int(c.backupnum) for c in store.credentials("A")} == {10, 11}
        await store.delete_credential("A", 1, 13)
        assert store.credentials("A") == []


async def test_devices_upsert(tmp_path):
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        info = DeviceInfo.from_reg({"sn": "A", "devinfo": {"modelname": "M1", "usedlog": 3}})
        await store.save_device(info, "1.2.3.4:5", datetime.now(UTC))
        await store.save_device(DeviceInfo.from_reg({"sn": "A", "devinfo": {"modelname": "M2"}}),
                                None, datetime.now(UTC))  # fmt: skip
        [device] = store.devices()
        assert device["modelname"] == "M2" and device["first_seen"] <= device["last_seen"]


def test_memory_store_and_wal_on_files(tmp_path):
    with SQLiteStore(":memory:") as mem:
        assert mem.count_logs() == 0
    with SQLiteStore(tmp_path / "w.sqlite") as store, store.reader() as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_latest_records_are_the_newest_oldest_first(tmp_path):
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        records = [rec(i, f"2025-08-0{i} 08:00:00") for i in range(1, 6)]
        await store.ingest_logs("A", records, logindex=1, received_at=datetime.now(UTC))
        assert [r.enrollid for r in store.latest_records("A", 3)] == [3, 4, 5]
        assert store.latest_records("B") == []
