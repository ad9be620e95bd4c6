"""The dashboard and the user form, driven through their values and ``click()``."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

import pytest

from wac_toolkit import Session, SessionSync, VirtualTerminal
from wac_toolkit.jupyter.widgets import Dashboard, Presence, UserForm

from ..conftest import until


async def settle(form: UserForm) -> None:
    assert form.pending is not None
    with contextlib.suppress(Exception):  # its error shows in the status
        await asyncio.wrap_future(form.pending)
    await until(lambda: not form.set_button.disabled)


async def test_dashboard_shows_terminals_events_and_counts(session, terminal):
    vt = await terminal("SN1")
    dash = Dashboard(session, feed_size=3)
    assert "SN1" in dash.terminals.value and "wac-online" in dash.terminals.value
    assert "1 of 1 terminal online · 0 access events" in dash.counts.value
    assert "no access events yet" in dash.feed.value
    vt.punch(7, datetime(2025, 8, 1, 8, 0, 5), mode=1, name="Ann")
    await until(lambda: "0 access events" not in dash.counts.value)
    assert "1 access event</span>" in dash.counts.value
    assert "2025-08-01 08:00:05" in dash.feed.value and "7 Ann" in dash.feed.value
    assert dash.feed_text.startswith("2025-08-01 08:00:05") and "7 Ann" in dash.feed_text
    assert "card in" in dash.feed.value
    await vt.stop()
    await until(lambda: "wac-offline" in dash.terminals.value)
    assert "0 of 1 terminal online" in dash.counts.value
    dash.close()


async def test_dashboard_redraws_are_throttled_and_the_feed_bounded(session, terminal):
    vt = await terminal("SN1", batch_size=100)
    dash = Dashboard(session, feed_size=5, rate=4)
    before = dash.redraws
    for k in range(60):  # one sendlog frame: 60 events in one loop turn
        vt.punch(1 + k % 4, datetime(2025, 8, 1, 9, 0, k % 60), inout=k % 2)
    await until(lambda: dash.total == 60)
    await until(lambda: "60 access events" in dash.counts.value)
    assert dash.redraws - before <= 2
    assert dash.feed.value.count('class="wac-event"') == 5
    assert "09:00:59" in dash.feed.value  # newest first
    dash.close()
    vt.punch(1, datetime(2025, 8, 1, 10, 0, 0))
    await vt.wait_flushed()
    assert dash.total == 60  # closed: no longer listening


async def test_dashboard_needs_a_started_session(tmp_path):
    with pytest.raises(ValueError, match="not started"):
        Dashboard(Session(tmp_path / "x.sqlite", port=0))
    with pytest.raises(TypeError, match="need a Session"):
        UserForm(object())


async def test_form_sets_and_deletes_a_user(session, terminal):
    vt = await terminal("SN1")
    await terminal("SN2")
    form = UserForm(session)
    assert form.terminal.options == ("SN1", "SN2") and form.terminal.value == "SN1"
    form.enrollid.value = 7
    form.name.value = "Ann Lee"
    form.pin.value = "0042"
    form.card.value = "991"
    form.admin.value = True
    form.set_button.click()
    await settle(form)
    assert "✓" in form.status.value and "SN1 set user 7 (Ann Lee): PIN, card" in form.status.value
    assert "0042" not in form.status.value and form.pin.value == ""
    user = vt.users[7]
    assert user.name == "Ann Lee" and user.admin == 1 and set(user.credentials) == {10, 11}
    form.slot.value = 11
    form.delete_button.click()
    await settle(form)
    assert "SN1 deleted user 7 (card)" in form.status.value and set(user.credentials) == {10}
    form.slot.value = 13
    form.delete_button.click()
    await settle(form)
    assert 7 not in vt.users
    form.close()


async def test_form_shows_the_terminals_refusal_and_bad_input(session, terminal):
    vt = await terminal("SN1", refuse={"setuserinfo"})
    form = UserForm(session)
    form.enrollid.value = 3
    form.set_button.click()
    assert "enter a PIN or a card number" in form.status.value and form.pending is None
    form.pin.value = "12ab"
    form.set_button.click()
    assert "a PIN is 1 to 8 digits" in form.status.value and form.pending is None
    assert not [f for f in vt.received if f["cmd"] == "setuserinfo"]
    form.pin.value = "1234"
    form.set_button.click()
    await settle(form)
    assert "✗" in form.status.value and "terminal SN1 refused &#x27;setuserinfo&#x27;" in (
        form.status.value
    )
    form.delete_button.click()  # user 3 does not exist there
    await settle(form)
    assert "refused &#x27;deleteuser&#x27;" in form.status.value
    form.close()


async def test_form_follows_terminals_coming_and_going(session, terminal):
    form = UserForm(session)
    assert form.terminal.options == ()
    form.pin.value = "1234"
    form.set_button.click()
    assert "no terminal online" in form.status.value
    vt = await terminal("SN9")
    await until(lambda: form.terminal.options == ("SN9",))
    await vt.stop()
    await until(lambda: form.terminal.options == ())
    form.close()


def test_dashboard_updates_from_the_gateway_thread(tmp_path):
    """As in a notebook: the Session runs on a background thread; traits still update."""
    import time

    with SessionSync(tmp_path / "wac.sqlite", "127.0.0.1", 0, tz="UTC", adopt_new=True) as gateway:
        dash = Dashboard(gateway)
        form = UserForm(gateway)
        vt = VirtualTerminal(gateway.url, "TH1")

        async def go() -> None:
            vt.start()
            await vt.wait_registered()
            vt.punch(5, datetime(2025, 8, 1, 8, 0, 0))
            await vt.wait_flushed()

        gateway.run(go())
        deadline = time.monotonic() + 10
        while "1 access event</span>" not in dash.counts.value or form.terminal.options != ("TH1",):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        form.pin.value = "4321"
        form.enrollid.value = 5
        form.set_button.click()
        assert form.pending is not None
        form.pending.result(10)
        assert vt.users[5].credentials[10] in ("4321", 4321)
        gateway.run(vt.stop())
        dash.close()
        form.close()


def test_form_status_is_final_when_its_future_resolves(tmp_path):
    """Issue 13: "sending…" was still shown after the future resolved in 14 of 30 tries."""
    with SessionSync(tmp_path / "wac.sqlite", "127.0.0.1", 0, tz="UTC", adopt_new=True) as gateway:
        vt = VirtualTerminal(gateway.url, "F1")

        async def up() -> None:
            vt.start()
            await vt.wait_registered()

        gateway.run(up())
        form = UserForm(gateway)
        import time

        deadline = time.monotonic() + 10
        while form.terminal.options != ("F1",):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        for attempt in range(30):
            form.enrollid.value = 100 + attempt
            form.pin.value = str(1000 + attempt)
            form.set_button.click()
            form.pending.result(10)
            assert form.message == f"✓ F1 set user {100 + attempt} (): PIN", form.status.value
            assert not form.set_button.disabled
        vt.refuse.add("deleteuser")
        form.delete_button.click()
        with pytest.raises(Exception, match="refused"):
            form.pending.result(10)
        assert form.message.startswith("✗ terminal F1 refused 'deleteuser': 1 (user not found")
        assert "<" not in form.message and "&#x27;" not in form.message
        gateway.run(vt.stop())
        form.close()


async def test_dashboard_names_from_the_roster_hours_and_history(session, terminal):
    await session.roster.add_person(7, "Zoe Roster", pin="1234", assign=["SN1"])
    vt = await terminal("SN1")
    dash = Dashboard(session, rate=20)
    assert "punches per hour, last 24 h (0)" in dash.hours.value
    now = session.now_local()
    vt.punch(7, now)  # the terminal sends no name
    vt.punch(0, now, event=1)  # a door event is not a person's punch
    await until(lambda: dash.total == 2)
    await until(lambda: "7 Zoe Roster" in dash.feed.value)
    assert "(1)" in dash.hours.value
    assert f'data-hour="{now:%H}" data-count="1"' in dash.hours.value
    assert dash.hours.value.count('class="wac-hour"') == 24
    assert "no drops" in dash.terminals.value
    await vt.stop()
    await until(lambda: "1 drop" in dash.terminals.value)
    assert "wac-offline" in dash.terminals.value
    assert dash.summary == "0 of 1 terminal online · 2 access events"
    dash.close()


async def test_dashboard_counts_the_last_day_from_the_store(session, terminal):
    vt = await terminal("SN1")
    now = session.now_local()
    for k in range(3):
        vt.punch(1 + k, now - timedelta(hours=2, minutes=k))
    vt.punch(4, now - timedelta(hours=30))  # older than the chart
    await vt.wait_flushed()
    dash = Dashboard(session)
    assert "punches per hour, last 24 h (3)" in dash.hours.value
    dash.close()


async def test_presence_follows_ins_and_outs_and_keeps_the_roll_call(session, terminal):
    vt = await terminal("SN1")
    now = session.now_local()
    vt.punch(1, now - timedelta(hours=1), name="Ada")  # in before the widget existed
    vt.punch(2, now - timedelta(hours=20), name="Old")  # outside the 16 h window
    await vt.wait_flushed()
    presence = Presence(session, rate=20)
    assert list(presence.inside) == [1] and presence.summary.startswith("1 inside")
    vt.punch(3, session.now_local(), name="Ben")
    await until(lambda: 3 in presence.inside)
    await until(lambda: len(presence.people.children) == 2)
    assert "3 Ben · in at SN1" in presence.people.children[1].description
    presence.people.children[0].value = True  # Ada ticked off at the assembly point
    assert presence.summary == "2 inside · 1 accounted for · 1 missing"
    presence.account(3)  # Ben too, from code
    assert presence.people.children[1].value is True
    assert presence.summary == "2 inside · 2 accounted for · 0 missing"
    presence.account(3, present=False)
    call = presence.roll_call()
    assert call[["enrollid", "accounted"]].values.tolist() == [[1, True], [3, False]]
    vt.punch(1, session.now_local(), inout=1)
    await until(lambda: 1 not in presence.inside)
    await until(lambda: presence.summary == "1 inside · 0 accounted for · 1 missing")
    presence.close()
