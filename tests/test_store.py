"""The SQLite store: durable, duplicate-proof, photos kept out of the log table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wac_toolkit.errors import StoreError
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


async def test_a_frame_reads_back_the_same_whatever_values_it_lacks(tmp_path):
    """Columns missing from every record of a frame, from some, or from none: each record
    reads back as sent, and the frame sent again stores nothing."""
    at = datetime(2025, 8, 1, 6, 0, tzinfo=UTC)
    frames = [
        [rec(1, f"2025-08-01 08:0{i}:00") for i in range(3)],  # no name, temp, inout, event
        [rec(2, "2025-08-01 09:00:00", name="Ann", temp=36.5), rec(3, "2025-8-1 9:01")],
        [rec(4, "2025-08-01 10:00:00", name="Bo", inout=1, event=0, verifymode=3)] * 2,
    ]
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        for logindex, frame in enumerate(frames, 1):
            new = await store.ingest_logs("A", frame, logindex=logindex, received_at=at)
            assert new == list(range(len(set(frame))))
            assert await store.ingest_logs("A", frame, logindex=logindex, received_at=at) == []
        rows = store.fetch_logs(LogQuery())
    sent = [r for frame in frames for r in dict.fromkeys(frame)]
    assert [row[2:12] for row in rows] == [
        (r.enrollid, r.name, r.time, None if r.time_raw == r.time else r.time_raw, int(r.mode),
         r.inout, r.event, r.temp, r.verifymode, i)
        for i, frame in enumerate(frames, 1) for r in dict.fromkeys(frame)
    ]  # fmt: skip
    assert len(rows) == len(sent) == 6


async def test_a_write_that_fails_alone_leaves_nothing_and_the_store_writable(tmp_path):
    """A frame with nothing to share its transaction with takes no savepoint: when it
    cannot be stored the transaction is rolled back, its caller fails, nothing of it stays."""
    too_big = LogRecord(enrollid=2**70, time="2025-08-01 08:00:00")  # fits no 64-bit column
    at = datetime(2025, 8, 1, 6, 0, tzinfo=UTC)
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(StoreError):
            await store.ingest_logs("B", [rec(1), too_big], logindex=1, received_at=at)
        assert store.count_logs() == 0
        assert await store.ingest_logs("B", [rec(1)], logindex=2, received_at=at) == [0]
        assert store.count_logs() == 1


async def test_every_log_index_serves_a_query(tmp_path):
    """The log table's indexes, each justified by a query the store runs (its plan uses it):
    the duplicate key, led by (sn, time), serves per-terminal reads, forget and adopt;
    logs_time serves Session.logs() over all terminals (time order, time ranges)."""
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        records = [rec(i % 7, f"2025-08-01 08:{i:02d}:00") for i in range(60)]
        await store.ingest_logs("A", records, logindex=1, received_at=datetime.now(UTC))
        queries = [
            store.logs_sql(LogQuery()),
            store.logs_sql(LogQuery(since=datetime(2025, 8, 1), until=datetime(2025, 8, 2))),
            store.logs_sql(LogQuery(sn="A")),
            ("SELECT enrollid, name, time, time_raw, mode, inout, event FROM logs"
             " WHERE sn = ? ORDER BY time DESC, id DESC LIMIT ?", ["A", 200]),  # latest_records
            ("DELETE FROM logs WHERE sn = ? AND pending = 1", ["A"]),  # forget
            ("UPDATE logs SET pending = 0 WHERE sn = ? AND pending = 1", ["A"]),  # adopt
        ]  # fmt: skip
        with store.reader() as db:
            used = {
                word
                for sql, args in queries
                for row in db.execute("EXPLAIN QUERY PLAN " + sql, args)
                for word in row[-1].split()
                if word.startswith("logs_")
            }
            indexes = {
                name
                for (name,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'logs'"
                    " AND name NOT LIKE 'sqlite_autoindex%'"
                )
            }
    assert used == indexes == {"logs_natural_key", "logs_time"}
