"""The Store contract, the same test against SQLite and PostgreSQL.

What a user relies on: an acknowledged write is readable by any other process at once, a
re-sent record is stored once (the same natural key in both), one bad frame in a group
commit fails alone, and rows, credentials and devices read back the same from either store.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from wac_toolkit.errors import StoreError
from wac_toolkit.protocol.models import BackupNum, DeviceInfo, LogRecord, UserCredential
from wac_toolkit.store import LogQuery
from wac_toolkit.store.migrations import latest

AT = datetime(2025, 8, 1, 6, 0, tzinfo=UTC)


def rec(enrollid, time="2025-08-01 08:00:00", **kw):
    return LogRecord.from_wire({"enrollid": enrollid, "time": time, "mode": 0, **kw})


async def test_ingest_reports_new_positions_and_drops_replays(store):
    assert await store.ingest_logs("A", [rec(1), rec(2)], logindex=1, received_at=AT) == [0, 1]
    assert await store.ingest_logs("A", [rec(1), rec(2)], logindex=1, received_at=AT) == []
    assert await store.ingest_logs("A", [rec(2), rec(3)], logindex=2, received_at=AT) == [1]
    assert await store.ingest_logs("B", [rec(1)], logindex=1, received_at=AT) == [0]
    assert store.count_logs() == 4
    [row] = store.fetch_logs(LogQuery(sn="B"))
    assert row[1] == "B" and row[12] == 1_754_028_000_000_000  # received_at, UTC microseconds


async def test_duplicate_key_is_sn_enrollid_time_mode_inout_event(store):
    base = {"enrollid": 1, "time": "2025-08-01 08:00:00", "mode": 0, "inout": 0, "event": 0}
    variants = [
        base, base | {"name": "other name", "temp": 36.6},  # not in the key: a replay
        base | {"mode": 1}, base | {"inout": 1}, base | {"event": 3},
        base | {"time": "2025-08-01 08:00:01"}, base | {"enrollid": 2},
        {k: v for k, v in base.items() if k != "inout"},  # NULL inout: its own key, once
        {k: v for k, v in base.items() if k != "inout"},
    ]  # fmt: skip
    records = [LogRecord.from_wire(v) for v in variants]
    new = await store.ingest_logs("A", records, logindex=1, received_at=AT)
    assert new == [0, 2, 3, 4, 5, 6, 7]
    assert await store.ingest_logs("B", records[:1], logindex=1, received_at=AT) == [0]
    assert store.count_logs() == 8


async def test_rows_read_back_the_same_types(store):
    record = rec(7, "2025-8-1 8:00", name="Ann", inout=1, event=2, temp=36.5, verifymode=3)
    await store.ingest_logs("A", [record], logindex=9, received_at=AT)
    [row] = store.fetch_logs(LogQuery())
    assert isinstance(row[0], int)
    assert row[1:] == (
        "A", 7, "Ann", "2025-08-01 08:00:00", "2025-8-1 8:00", 0, 1, 2, 36.5, 3, 9,
        1_754_028_000_000_000, 0,
    )  # fmt: skip


async def test_query_filters_and_order(store):
    records = [rec(i, f"2025-08-0{i} 08:00:00") for i in (5, 3, 1, 4, 2)]
    await store.ingest_logs("A", records, logindex=1, received_at=AT)
    await store.ingest_logs("B", [rec(9, "2025-08-03 09:00:00")], logindex=1, received_at=AT)
    assert [r[2] for r in store.fetch_logs(LogQuery())] == [1, 2, 3, 9, 4, 5]
    q = LogQuery(since=datetime(2025, 8, 2), until=datetime(2025, 8, 4))
    assert [r[2] for r in store.fetch_logs(q)] == [2, 3, 9]
    assert [r[2] for r in store.fetch_logs(LogQuery(enrollid=[1, 5]))] == [1, 5]
    assert [r[2] for r in store.fetch_logs(LogQuery(sn=["B"]))] == [9]
    assert [r[2] for r in store.fetch_logs(LogQuery(limit=2))] == [1, 2]


async def test_photos_live_outside_the_log_table(store):
    record = rec(1, image="data:image/jpeg;base64,/9j/4AAQ")
    await store.ingest_logs("A", [record, rec(2)], logindex=1, received_at=AT)
    rows = store.fetch_logs(LogQuery())
    assert [r[13] for r in rows] == [1, 0]
    assert store.log_image(rows[0][0]) == b"\xff\xd8\xff\xe0\x00\x10"
    assert store.log_image(rows[1][0]) is None


async def test_credentials_keep_their_wire_form(store):
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


async def test_devices_upsert(store):
    info = DeviceInfo.from_reg({"sn": "A", "devinfo": {"modelname": "M1", "usedlog": 3}})
    await store.save_device(info, "1.2.3.4:5", datetime.now(UTC))
    await store.save_device(
        DeviceInfo.from_reg({"sn": "A", "devinfo": {"modelname": "M2"}}), None, datetime.now(UTC)
    )
    [device] = store.devices()
    assert device["modelname"] == "M2" and device["first_seen"] <= device["last_seen"]
    assert device["devinfo"]["modelname"] == "M2"


async def test_latest_records_are_the_newest_oldest_first(store):
    records = [rec(i, f"2025-08-0{i} 08:00:00") for i in range(1, 6)]
    await store.ingest_logs("A", records, logindex=1, received_at=AT)
    assert [r.enrollid for r in store.latest_records("A", 3)] == [3, 4, 5]
    assert store.latest_records("B") == []


async def test_an_acknowledged_write_is_visible_to_another_process_at_once(open_db):
    gateway, reader = open_db(), open_db()
    assert await gateway.ingest_logs("A", [rec(1), rec(2)], logindex=1, received_at=AT)
    assert reader.count_logs() == 2  # no flush, no close: committed before the await returned


async def test_one_bad_frame_fails_alone_in_a_group_commit(store):
    """Frames of three terminals are written together; the middle one cannot be stored."""
    # The wire parser already drops such ids; a record made in code can still carry one.
    too_big = LogRecord(enrollid=2**70, time="2025-08-01 08:00:00")  # fits no 64-bit column
    results = await asyncio.gather(
        store.ingest_logs("A", [rec(1)], logindex=1, received_at=AT),
        store.ingest_logs("B", [rec(1), too_big], logindex=1, received_at=AT),
        store.ingest_logs("C", [rec(1)], logindex=1, received_at=AT),
        return_exceptions=True,
    )
    assert results[0] == [0] and results[2] == [0]
    assert isinstance(results[1], StoreError)
    assert sorted(r[1] for r in store.fetch_logs(LogQuery())) == ["A", "C"]  # nothing of B
    assert await store.ingest_logs("B", [rec(1)], logindex=2, received_at=AT) == [0]


async def test_two_gateways_storing_the_same_resent_records_store_them_once(open_db):
    first, second = open_db(), open_db()
    records = [rec(i, f"2025-08-01 08:{i:02d}:00") for i in range(60)]
    results = await asyncio.gather(
        *(gw.ingest_logs("A", records[k:k + 20], logindex=k, received_at=AT)
          for k in range(0, 60, 10) for gw in (first, second))
    )  # fmt: skip
    assert sum(len(r) for r in results) == 60
    assert first.count_logs() == second.count_logs() == 60


async def test_schema_is_at_the_latest_step_and_reopening_changes_nothing(open_db):
    store = open_db()
    await store.ingest_logs("A", [rec(1)], logindex=1, received_at=AT)
    store.close()
    again = open_db()
    assert again.schema_version() == latest()
    assert again.count_logs() == 1


async def test_writes_after_close_are_refused(store):
    store.close()
    with pytest.raises(StoreError):
        await store.ingest_logs("A", [rec(1)], logindex=1, received_at=AT)


async def test_a_nul_in_text_is_stored_not_refused(store):
    """PostgreSQL text cannot hold NUL; a terminal sending one must not be refused for ever
    (it would re-send the same frame and never get past it)."""
    odd = rec(1, name="Ann\x00", time="2025-08-01 08:00:00\x00")
    assert await store.ingest_logs("A", [odd], logindex=1, received_at=AT) == [0]
    assert await store.ingest_logs("A", [odd], logindex=1, received_at=AT) == []
    await store.save_credential(
        "A", UserCredential(enrollid=1, backupnum=BackupNum(11), record="12\x00", name="B\x00")
    )
    [row] = store.fetch_logs(LogQuery())
    assert row[3].startswith("Ann") and (row[5] or row[4]).startswith("2025-08-01 08:00:00")
    assert store.credentials("A")[0].record.startswith("12")


async def test_session_logs_are_the_same_typed_frame_from_either_store(backend, tmp_path):
    """Session.logs() on PostgreSQL reads columns through COPY and Arrow; the frame must be
    the one the row path builds from the same rows, value for value and dtype for dtype."""
    from wac_toolkit import Session
    from wac_toolkit.dataframe import logs_frame

    session = Session(backend, tz="Europe/Berlin")
    try:
        records = [
            rec(1, "2025-08-01 08:00:00", name="Ann", inout=1, temp=36.6),
            LogRecord(enrollid=2, time="2025-08-01 09:00:00", time_raw="2025-8-1 9:00", name=""),
            rec(3, "garbled time", event=2),
            rec(4, "2025-10-26 02:30:00", image="/9j/4AAQ"),  # the repeated autumn hour
        ]
        await session.store.ingest_logs("A", records, logindex=7, received_at=AT)
        frame = session.logs()
        rows = session.store.fetch_logs(LogQuery())
        expected = logs_frame(rows, "Europe/Berlin")
        assert list(frame.dtypes) == list(expected.dtypes)
        assert frame.equals(expected)
        assert frame["enrollid"].tolist() == [1, 2, 4, 3]
        assert frame["name"].tolist()[:2] == ["Ann", ""]  # empty text is not NULL
        assert session.logs(since="2025-08-01 08:30")["enrollid"].tolist() == [2, 4, 3]
        assert session.logs(sn="nobody").empty
    finally:
        session.store.close()


# -- terminal trust: states shared through the store ---------------------------------------


def reg(sn, **devinfo):
    return DeviceInfo.from_reg({"sn": sn, "cpusn": f"CPU-{sn}", "devinfo": devinfo})


async def test_a_new_terminal_is_pending_and_its_logs_kept_apart(store):
    await store.save_device(reg("P1"), "10.0.0.1:1", AT, state="pending")
    assert await store.ingest_logs("P1", [rec(1)], logindex=1, received_at=AT, pending=True)
    await store.ingest_logs("A1", [rec(2)], logindex=1, received_at=AT)
    assert [r[1] for r in store.fetch_logs(LogQuery())] == ["A1"]
    assert sorted(r[1] for r in store.fetch_logs(LogQuery(include_pending=True))) == ["A1", "P1"]
    [device] = store.devices()
    assert (device["sn"], device["state"], device["identity"]) == ("P1", "pending", None)
    assert store.device_states() == {"P1": ("pending", None)}


async def test_adopting_pins_identity_and_promotes_pending_logs(store):
    await store.save_device(reg("P1", modelname="AI806"), None, AT, state="pending")
    await store.ingest_logs("P1", [rec(1), rec(2)], logindex=1, received_at=AT, pending=True)
    pin = {"cpusn": "CPU-P1", "modelname": "AI806"}
    await store.set_device_state("P1", "adopted", pin)
    assert len(store.fetch_logs(LogQuery())) == 2
    assert store.device_states(["P1", "NEVER"]) == {"P1": ("adopted", pin)}
    [device] = store.devices()
    assert device["state"] == "adopted" and device["identity"] == pin
    assert device["first_seen"] == device["last_seen"]  # the state write kept them


async def test_a_serial_can_be_adopted_or_blocked_before_it_connects(store):
    await store.set_device_state("LATER", "adopted")
    await store.set_device_state("BAD", "blocked")
    assert store.device_states() == {"LATER": ("adopted", None), "BAD": ("blocked", None)}
    await store.save_device(reg("LATER"), "10.0.0.2:1", AT)  # its first reg keeps the state
    [later] = [d for d in store.devices() if d["sn"] == "LATER"]
    assert later["state"] == "adopted" and later["first_seen"] is not None


async def test_forget_drops_the_terminal_its_holdings_and_pending_logs(store):
    await store.save_device(reg("P1"), None, AT, state="adopted")
    await store.ingest_logs("P1", [rec(1)], logindex=1, received_at=AT)
    await store.set_device_state("P1", "pending")
    await store.ingest_logs("P1", [rec(2)], logindex=2, received_at=AT, pending=True)
    await store.save_credential(
        "P1", UserCredential(enrollid=7, backupnum=BackupNum.CARD, name="Ann", record="0042")
    )
    assert await store.forget_device("P1") is True
    assert await store.forget_device("P1") is False
    assert store.devices() == [] and store.credentials("P1") == []
    assert [r[2] for r in store.fetch_logs(LogQuery(include_pending=True))] == [1]


async def test_state_changes_are_seen_by_another_gateway_at_once(open_db):
    one, other = open_db(), open_db()
    await one.set_device_state("T1", "adopted", {"cpusn": "C1"})
    assert other.device_states() == {"T1": ("adopted", {"cpusn": "C1"})}
    await other.set_device_state("T1", "blocked", {"cpusn": "C1"})
    assert one.devices()[0]["state"] == "blocked"


# -- quarantine -------------------------------------------------------------------------------


async def test_quarantine_keeps_each_item_once_newest_first(store):
    items = [("no time", '{"enrollid": 1}'), ("not an object", "[1, 2]")]
    assert await store.quarantine_frame("A", "sendlog", items, AT) == 2
    assert await store.quarantine_frame("A", "sendlog", items, AT) == 0  # a re-sent frame
    assert await store.quarantine_frame("B", "senduser", items[:1]) == 1
    assert store.quarantine_count() == 3
    newest, *_ = store.quarantined()
    assert (newest["sn"], newest["cmd"], newest["reason"]) == ("B", "senduser", "no time")
    rows = store.quarantined(sn="A", limit=1)
    assert len(rows) == 1 and rows[0]["raw"] == "[1, 2]" and rows[0]["received_at"] == AT
    assert isinstance(rows[0]["id"], int)


async def test_an_oversized_item_is_quarantined(store):
    raw = '{"x": "' + "y" * 300_000 + '"}'  # beyond an index entry: the key holds a digest
    assert await store.quarantine_frame("A", "senduser", [("too big", raw)], AT) == 1
    assert await store.quarantine_frame("A", "senduser", [("too big", raw)], AT) == 0
    assert store.quarantined()[0]["raw"] == raw
