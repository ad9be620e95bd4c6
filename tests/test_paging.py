"""Paging (PROTOCOL.md 5.3): both documented end conditions, every stop rule, and a terminal
that never ends its sequence."""

from __future__ import annotations

import asyncio

import pytest

from wac_toolkit import CommandTimeout
from wac_toolkit.commands import PagingError
from wac_toolkit.protocol.models import BackupNum
from wac_toolkit.protocol.paging import Pager

SN = "PAGE0001"


def _reply(count, start, end, n):
    return {"ret": "getuserlist", "result": True, "count": count, "from": start, "to": end,
            "record": [{"enrollid": i} for i in range(n)]}  # fmt: skip


def test_count_as_total_stops_on_the_last_index():
    pager = Pager("getuserlist")
    assert pager.first() == {"stn": True}
    pager.feed(_reply(90, 0, 39, 40))
    assert not pager.done and pager.next() == {"stn": False} and pager.total == 90
    pager.feed(_reply(90, 40, 79, 40))
    pager.feed(_reply(90, 80, 89, 10))
    assert pager.done and pager.stop_reason == "last page of the total" and pager.received == 90


def test_count_as_page_size_stops_on_the_empty_page():
    pager = Pager("getuserlist")
    pager.feed(_reply(40, 0, 39, 40))
    pager.feed(_reply(40, 40, 79, 40))
    assert not pager.done and pager.total is None
    pager.feed(_reply(0, 0, 0, 0))
    assert pager.done and pager.stop_reason == "empty page"


def test_a_page_that_does_not_advance_ends_it_without_its_records():
    pager = Pager("getuserlist")
    pager.feed(_reply(40, 0, 39, 40))
    page = pager.feed(_reply(40, 0, 39, 40))
    assert pager.done and pager.stop_reason == "page did not advance" and page.records == ()


def test_the_page_cap():
    pager = Pager("getuserlist", max_pages=2)
    pager.feed(_reply(40, 0, 39, 40))
    assert not pager.capped
    pager.feed(_reply(40, 40, 79, 40))
    assert pager.capped
    with pytest.raises(ValueError):
        Pager("getuserlist", max_pages=0)


async def _users(session, n):
    for i in range(1, n + 1):
        await session.set_user_info(SN, i, f"U{i}", BackupNum.CARD, i)


@pytest.mark.parametrize("paging", ["total", "page"])
async def test_both_end_conditions_over_sockets(session, terminal, paging):
    vt = await terminal(SN, paging=paging, page_size=4)
    await _users(session, 10)
    progress: list[tuple[int, int | None]] = []
    slots = await session.get_user_list(SN, progress=lambda d, t: progress.append((d, t)))
    assert [s.enrollid for s in slots] == list(range(1, 11))
    asked = [f["stn"] for f in vt.received if f["cmd"] == "getuserlist"]
    if paging == "total":  # count 10 is the total: the third page (8..9) is known to be last
        assert asked == [True, False, False]
        assert progress == [(4, 10), (8, 10), (10, 10)]
    else:  # count is the page size: only the empty page ends it
        assert asked == [True, False, False, False]
        assert progress[-1] == (10, None)


async def test_an_empty_terminal_answers_with_one_empty_page(session, terminal):
    vt = await terminal(SN)
    assert await session.get_user_list(SN) == []
    assert len([f for f in vt.received if f["cmd"] == "getuserlist"]) == 1


async def test_pages_are_raw_with_iter_pages(session, terminal):
    await terminal(SN, paging="page", page_size=3)
    await _users(session, 5)
    pages = [p async for p in session.iter_pages(SN, "getuserlist")]
    assert [(p.start, p.end, p.count, len(p.records)) for p in pages] == [
        (0, 2, 3, 3),
        (3, 4, 2, 2),
    ]
    with pytest.raises(ValueError, match="does not page"):
        session.iter_pages(SN, "opendoor")


async def test_a_terminal_that_never_ends_hits_the_cap(session, terminal):
    vt = await terminal(SN, paging="endless", page_size=2)
    await _users(session, 3)
    with pytest.raises(PagingError, match="after 5 pages"):
        await session.get_user_list(SN, max_pages=5)
    assert len([f for f in vt.received if f["cmd"] == "getuserlist"]) == 5


async def test_a_terminal_that_stops_answering_mid_sequence_times_out(session, terminal):
    vt = await terminal(SN, paging="page", page_size=2)
    await _users(session, 5)
    pages = session.iter_pages(SN, "getuserlist", timeout=0.3)
    first = await anext(pages)
    assert len(first.records) == 2
    vt.ignore.add("getuserlist")
    with pytest.raises(CommandTimeout):
        await anext(pages)


async def test_a_failure_after_the_first_page_ends_the_sequence(session, terminal):
    vt = await terminal(SN, paging="page", page_size=2)
    await _users(session, 5)
    pages = session.iter_pages(SN, "getuserlist")
    await anext(pages)
    vt.refuse.add("getuserlist")
    assert [p async for p in pages] == []


async def test_two_sequences_on_one_terminal_do_not_mix(session, terminal):
    await terminal(SN, paging="page", page_size=2)
    await _users(session, 7)
    first, second = await asyncio.gather(session.get_user_list(SN), session.get_user_list(SN))
    assert [s.enrollid for s in first] == [s.enrollid for s in second] == list(range(1, 8))
