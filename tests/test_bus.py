"""Events follow commits, the reply goes first, subscribing is safe from any thread, and a
write racing the store's close is answered. Real gateway, real sockets, real SQLite file."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from datetime import datetime

import pytest
from websockets.asyncio.client import connect

from tests.conftest import until
from wac_toolkit import AccessEvent, LogRecord, SessionSync, StoreError, TerminalConnected
from wac_toolkit.protocol import frames
from wac_toolkit.store.sqlite import SQLiteStore


def waiting_bytes(ws) -> bytes:
    """What the kernel already holds for the client socket, without reading it."""
    fd = os.dup(ws.transport.get_extra_info("socket").fileno())
    with socket.socket(fileno=fd) as sock:
        try:
            return sock.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return b""


async def test_the_terminal_has_its_ack_before_any_subscriber_runs(session):
    async with connect(session.url, compression=None) as ws:
        await ws.send(frames.encode({"cmd": "reg", "sn": "FIRST"}))
        await ws.recv()
        seen: list[bytes] = []
        session.subscribe(lambda e: seen.append(waiting_bytes(ws)), AccessEvent)
        batch = {"cmd": "sendlog", "count": 1, "logindex": 4,
                 "record": [{"enrollid": 1, "time": "2025-08-01 08:00:00"}]}  # fmt: skip
        await ws.send(frames.encode(batch))
        reply = frames.decode(await asyncio.wait_for(ws.recv(), 5))
        assert reply["result"] is True
        await until(lambda: seen)
        assert b'"ret":"sendlog"' in seen[0], "the subscriber ran before the ack was sent"


async def test_a_handler_cancelled_after_the_commit_still_publishes_its_events(session):
    await session.adopt("CUT")  # a pending terminal's records publish nothing
    events: list[AccessEvent] = []
    session.subscribe(events.append, AccessEvent)
    gate = threading.Event()
    blocker = asyncio.ensure_future(session.store.run_write(lambda db: gate.wait(10)))
    record = LogRecord(enrollid=7, time="2025-08-01 08:00:00", time_raw="2025-08-01 08:00:00")
    handler = asyncio.ensure_future(session.ingest("CUT", [record], logindex=1, source="sendlog"))
    await asyncio.sleep(0.05)  # the write is queued behind the blocker
    handler.cancel()  # the connection dropped while the rows were being committed
    with pytest.raises(asyncio.CancelledError):
        await handler
    gate.set()
    await blocker
    await until(lambda: events)
    assert [(e.sn, e.record.enrollid) for e in events] == [("CUT", 7)]
    assert session.store.count_logs() == 1
    # The terminal re-sends the batch it saw no ack for: deduplicated, no second event.
    assert await session.ingest("CUT", [record], logindex=1, source="sendlog") == 0
    await asyncio.sleep(0.05)
    assert len(events) == 1


async def test_a_write_submitted_while_the_store_closes_fails_instead_of_waiting(tmp_path):
    store = SQLiteStore(tmp_path / "closing.sqlite")
    gate = threading.Event()
    blocker = asyncio.ensure_future(store.run_write(lambda db: gate.wait(10)))
    queued = asyncio.ensure_future(store.run_write(lambda db: "kept"))
    await asyncio.sleep(0.05)
    closing = asyncio.get_running_loop().run_in_executor(None, store.close)
    await until(lambda: store._closed)
    with pytest.raises(StoreError):
        await asyncio.wait_for(store.run_write(lambda db: "late"), 5)
    gate.set()
    await asyncio.wait_for(closing, 10)
    assert await blocker and await queued == "kept"


def test_subscribe_from_many_threads_keeps_the_count_and_runs_callbacks_on_the_loop(db_path):
    with SessionSync(db_path, "127.0.0.1", 0) as s:
        bus = s.session.bus

        def churn() -> None:
            for _ in range(300):
                bus.subscribe(lambda e: None)()
                bus.subscribe(lambda e: None, TerminalConnected)()

        threads = [threading.Thread(target=churn) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert bus.access_subscribers == 0
        threads_seen: list[str] = []
        s.subscribe(lambda e: threads_seen.append(threading.current_thread().name))
        s.session.publish(AccessEvent("X", LogRecord(enrollid=1, time="t"), datetime.now()))
        s.run(until(lambda: threads_seen))
        assert threads_seen == ["wac-loop"]
        assert bus.access_subscribers == 1
