"""ipywidgets panels: a live dashboard, who is inside now, and a user form, over one Session.

Thread safety (research/jupyter.md 3): events arrive on the Session's loop (the background
thread in a notebook). The subscriber only updates a small model under a lock and schedules
one flush; the flush, at most ``rate`` times a second, replaces widget *trait values* (HTML
strings, options) on the thread that made the widget: in a notebook the kernel's own loop
(its comm messages then leave from the kernel thread, in order), elsewhere directly. Nothing here uses ``with out:`` or prints from a callback, so output
never lands in the wrong cell. The form's buttons send the command to the Session's loop and
return at once; the answer is written into the status widget *before* the form's ``pending``
future resolves, so code that waits on it reads the final status.

When the gateway stops (``%wac stop``, ``Runtime.close()``), :func:`session_stopped` tells
every live panel of that Session, which then shows its terminals offline.

Plain-text views (``Dashboard.summary``, ``UserForm.message``, ``Presence.summary``) are
what a cell should show as a value; the widgets' HTML stays inside the widgets.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import re
import threading
import weakref
from collections import Counter, deque
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

import ipywidgets as w  # type: ignore[import-untyped]  # ships no type hints

from ..errors import DeviceError, WacError
from ..events import AccessEvent, Event, TerminalConnected, TerminalDisconnected
from ..protocol.models import BackupNum, VerifyMode
from ..session import Session
from .commands.setuser import card_record, pin_record
from .people import roster_names
from .refusals import describe
from .results import count

__all__ = ["Dashboard", "Presence", "UserForm", "session_of", "session_stopped"]

_LIVE: weakref.WeakSet[Any] = weakref.WeakSet()
"""Panels that listen to a Session, so a stop can reach them."""


def session_stopped(session: Session) -> None:
    """Tell every live panel of ``session`` that its gateway stopped (shown offline)."""
    for panel in list(_LIVE):
        if panel.session is session:
            panel.gateway_stopped()


def _text(markup: str) -> str:
    """The words of a bit of our HTML, for plain-text views."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def _bundle(panel: Any, **kwargs: Any) -> Any:
    """The widget's view, with our one-line ``repr`` as its text (not the VBox's HTML)."""
    bundle = panel.widget._repr_mimebundle_(**kwargs)
    if isinstance(bundle, dict) and "text/plain" in bundle:
        bundle = {**bundle, "text/plain": repr(panel)}
    return bundle


_PERSON_IDS = (0, 99999999)
"""Door events and strangers: not people's punches."""


def session_of(source: Any) -> Session:
    """The :class:`Session` behind a Session, a SessionSync or a ``%wac start`` runtime."""
    session = source if isinstance(source, Session) else getattr(source, "session", None)
    if not isinstance(session, Session):
        raise TypeError(f"need a Session, SessionSync or %wac runtime, not {type(source).__name__}")
    if session.loop is None:
        raise ValueError("the session is not started")
    return session


class _UiThread:
    """Runs widget updates on the thread that created the widget, via its running loop (the
    kernel's in a notebook); directly when that thread has no loop (a plain script)."""

    def __init__(self) -> None:
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None
        self.thread = threading.get_ident()

    def call(self, fn: Any, *args: Any) -> None:
        loop = self.loop
        if loop is None or threading.get_ident() == self.thread or loop.is_closed():
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)


def _loop_of(session: Session) -> asyncio.AbstractEventLoop:
    assert session.loop is not None
    return session.loop


class Dashboard:
    """Terminals with their online history, punches per hour over 24 h, a feed with names.

    Args:
        source: a started Session (or SessionSync, or the ``%wac start`` runtime).
        feed_size: how many recent events the feed shows.
        rate: the most redraws per second, however fast events come.
        history: state changes kept per terminal for its online/offline strip.
    """

    def __init__(
        self, source: Any, *, feed_size: int = 15, rate: float = 4.0, history: int = 50
    ) -> None:
        self.session = session_of(source)
        self._ui = _UiThread()
        self.interval = 1.0 / rate
        self.title = w.HTML("<b>wac gateway</b>")
        self.terminals = w.HTML(layout=w.Layout(min_width="24em"))
        self.feed = w.HTML(layout=w.Layout(min_width="30em"))
        self.counts = w.HTML()
        self.hours = w.HTML()
        self.widget = w.VBox(
            [self.title, self.counts, self.hours, w.HBox([self.terminals, self.feed])],
        )
        self.widget.add_class("wac-dashboard")
        self._lock = threading.Lock()
        self._events: deque[AccessEvent] = deque(maxlen=feed_size)
        self._by_sn: Counter[str] = Counter()
        self._per_hour: Counter[datetime] = Counter()
        self._history: dict[str, deque[tuple[datetime, bool]]] = {}
        self._history_size = history
        self.started = self.session.now_local()
        for terminal in self.session.terminals():
            self._history[terminal.sn] = deque([(self.started, terminal.online)], maxlen=history)
        self.names = roster_names(self.session)
        """``{enrollid: name}`` from the roster, shown in the feed (refreshed on redraws)."""
        self._names_read = self.started
        self.stopped = False
        """The gateway stopped: everything shows offline."""
        self.total = 0
        """Access events seen since the dashboard was made."""
        self.redraws = 0
        self._scheduled = False
        self._load_last_day()
        self._unsubscribe = self.session.subscribe(self._on_event)
        _LIVE.add(self)
        self.flush()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return _bundle(self, **kwargs)

    def __repr__(self) -> str:
        return f"<Dashboard: {self.summary}>"

    @property
    def summary(self) -> str:
        """The counts line as plain text (what a cell should show, not the widget's HTML).

        Read from the model, not the widget: the widget is repainted on the kernel's thread,
        which a cell waiting in a loop keeps busy."""
        return self._counts_text(self.session.terminals())

    @property
    def feed_text(self) -> str:
        """The feed as plain text lines, newest first, read from the model like
        :attr:`summary` (``2025-08-01 08:00:05 · SN1 · 7 Ann · card in``)."""
        with self._lock:
            events = list(self._events)
        return "\n".join(_text(_event_line(e, self.names)) for e in events)

    def _counts_text(self, terminals: list[Any]) -> str:
        with self._lock:
            total = self.total
        online = 0 if self.stopped else sum(t.online for t in terminals)
        state = " · gateway stopped" if self.stopped else ""
        return (
            f"{online} of {count(len(terminals), 'terminal')} online · "
            f"{count(total, 'access event')}{state}"
        )

    def _load_last_day(self) -> None:
        """Punches per hour for the last 24 h from the store, so the chart starts full."""
        since = self._hour(self.started) - timedelta(hours=23)
        try:
            logs = self.session.logs(since=since)
        except Exception:  # a store that cannot be read now: the chart fills as events come
            return
        people = logs.loc[~logs["enrollid"].isin(_PERSON_IDS).fillna(True).astype(bool)]
        hours = people["time"].dt.tz_localize(None).dt.floor("h")
        for hour, n in hours.value_counts().items():
            self._per_hour[hour.to_pydatetime()] += int(n)

    @staticmethod
    def _hour(moment: datetime) -> datetime:
        return moment.replace(minute=0, second=0, microsecond=0)

    def _on_event(self, event: Event) -> None:
        """On the Session's loop: record, and make sure one redraw is coming."""
        if isinstance(event, AccessEvent):
            with self._lock:
                self._events.appendleft(event)
                self._by_sn[event.sn] += 1
                self.total += 1
                moment = _punch_time(event)
                if moment is not None and (event.record.enrollid or 0) not in _PERSON_IDS:
                    self._per_hour[self._hour(moment)] += 1
        elif isinstance(event, TerminalConnected | TerminalDisconnected):
            online = isinstance(event, TerminalConnected)
            with self._lock:
                changes = self._history.setdefault(event.sn, deque(maxlen=self._history_size))
                changes.append((self.session.now_local(), online))
        else:
            return
        if not self._scheduled and not self.stopped:
            self._scheduled = True
            _loop_of(self.session).call_later(self.interval, self._ui.call, self.flush)

    def gateway_stopped(self) -> None:
        """The gateway is gone: show every terminal offline and stop listening."""
        now = datetime.now(self.session.tz).replace(tzinfo=None, microsecond=0)
        with self._lock:
            for changes in self._history.values():
                if changes and changes[-1][1]:
                    changes.append((now, False))
        self.stopped = True
        self._unsubscribe()
        self.flush()

    def flush(self) -> None:
        """Redraw from the model now (the throttle calls this; so may you)."""
        self._scheduled = False
        now = datetime.now(self.session.tz).replace(tzinfo=None, microsecond=0)
        if not self.stopped and now - self._names_read > timedelta(seconds=30):
            self.names, self._names_read = roster_names(self.session), now
        with self._lock:
            events = list(self._events)
            by_sn = dict(self._by_sn)
            per_hour = dict(self._per_hour)
            history = {sn: list(changes) for sn, changes in self._history.items()}
        terminals = self.session.terminals()
        rows = []
        for t in terminals:
            up = t.online and not self.stopped
            changes = history.get(t.sn) or [(self.started, up)]
            rows.append(
                f"<tr><td>{_ONLINE if up else _OFFLINE}</td>"
                f'<td class="wac-sn">{html.escape(t.sn)}</td>'
                f"<td>{html.escape(t.modelname or '')}</td><td>{by_sn.get(t.sn, 0)}</td>"
                f"<td>{_strip(changes, up, now)}</td></tr>"
            )
        self.terminals.value = (
            '<table class="wac-terminals"><tr><th></th><th>terminal</th><th>model</th>'
            f"<th>events</th><th>online, last 24 h</th></tr>{''.join(rows)}</table>"
        )
        self.feed.value = (
            '<div class="wac-feed">'
            + ("".join(_event_line(e, self.names) for e in events) or "<i>no access events yet</i>")
            + "</div>"
        )
        self.hours.value = _hour_chart(per_hour, self._hour(now))
        counts = html.escape(self._counts_text(terminals))
        self.counts.value = f'<span class="wac-counts">{counts}</span>'
        self.redraws += 1

    def close(self) -> None:
        """Stop listening and remove the widgets."""
        self._unsubscribe()
        _LIVE.discard(self)
        self.widget.close()


def _punch_time(event: AccessEvent) -> datetime | None:
    try:
        return datetime.strptime(event.record.time or "", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _hour_chart(per_hour: dict[datetime, int], this_hour: datetime) -> str:
    """Punches per hour for the 24 hours ending with ``this_hour``, as an inline SVG."""
    hours = [this_hour - timedelta(hours=23 - i) for i in range(24)]
    values = [per_hour.get(h, 0) for h in hours]
    top = max(values) or 1
    width, height, bar = 480, 60, 20
    bars = []
    for i, (hour, n) in enumerate(zip(hours, values, strict=True)):
        h = round((height - 14) * n / top)
        bars.append(
            f'<rect class="wac-hour" x="{i * bar + 1}" y="{height - 12 - h}" width="{bar - 2}"'
            f' height="{h}" fill="#0969da" data-hour="{hour:%H}" data-count="{n}">'
            f"<title>{hour:%a %H}:00 {count(n, 'punch', 'punches')}</title></rect>"
        )
        if hour.hour % 3 == 0:
            bars.append(
                f'<text x="{i * bar + bar / 2}" y="{height - 1}" font-size="9"'
                f' text-anchor="middle">{hour:%H}</text>'
            )
    return (
        f'<div class="wac-hours"><small>punches per hour, last 24 h ({sum(values)})</small><br>'
        f'<svg width="{width}" height="{height}" role="img">{"".join(bars)}</svg></div>'
    )


def _strip(changes: list[tuple[datetime, bool]], online: bool, now: datetime) -> str:
    """The last 24 h of one terminal as an SVG strip: green online, grey offline, blank
    before the dashboard knew; the title lists the changes."""
    width, start = 120, now - timedelta(hours=24)
    before = [up for t, up in changes if t <= start]
    points = ([(start, before[-1])] if before else []) + [(t, u) for t, u in changes if t > start]
    if not points:
        points = [(start, online)]
    parts = [  # the whole day, outlined: the part before the dashboard knew stays blank
        f'<rect x="0.5" y="1.5" width="{width - 1}" height="9" fill="#f6f8fa" stroke="#d0d7de"/>'
    ]
    for (begin, up), (end, _) in zip(points, [*points[1:], (now, online)], strict=True):
        x = (begin - start) / timedelta(hours=24) * width
        span = max((end - begin) / timedelta(hours=24) * width, 2.0)
        colour = "#1a7f37" if up else "#d0d7de"
        parts.append(f'<rect x="{x:.1f}" y="2" width="{span:.1f}" height="8" fill="{colour}"/>')
    listed = ", ".join(f"{'on' if up else 'off'} {t:%H:%M:%S}" for t, up in changes[-6:])
    drops = sum(1 for _, up in changes if not up)
    label = f"{count(drops, 'drop')}" if drops else "no drops"
    return (
        f'<span class="wac-history" title="{html.escape(listed)}">'
        f'<svg width="{width}" height="12">{"".join(parts)}</svg> <small>{label}</small></span>'
    )


_ONLINE = '<span class="wac-online" title="online" style="color:#1a7f37">●</span>'
_OFFLINE = '<span class="wac-offline" title="offline" style="color:#8c959f">○</span>'


def _event_line(event: AccessEvent, names: dict[int, str] | None = None) -> str:
    record = event.record
    name = (names or {}).get(record.enrollid or -1) or record.name
    who = f"{record.enrollid}" + (f" {name}" if name else "")
    mode = VerifyMode(int(record.mode)).label if record.mode is not None else ""
    way = {0: "in", 1: "out"}.get(record.inout or 0, "")
    backlog = " (backlog)" if event.backlog else ""
    return (
        f'<div class="wac-event">{html.escape(record.time or "")} · '
        f"<b>{html.escape(event.sn)}</b> · {html.escape(who)} · {mode} {way}{backlog}</div>"
    )


_DELETE_SLOTS = [
    ("whole user", int(BackupNum.ALL)),
    ("PIN", int(BackupNum.PASSWORD)),
    ("card", int(BackupNum.CARD)),
    ("all fingerprints", int(BackupNum.ALL_FINGERPRINTS)),
    ("photo", int(BackupNum.PHOTO)),
]


class UserForm:
    """Set or delete a user on a chosen terminal; the terminal's answer shows in ``status``.

    ``pending`` is the future of the last command (``await asyncio.wrap_future(form.pending)``
    in a test, ``form.pending.result()`` in a later cell); it resolves only after the status
    shows the answer. ``form.message`` is the status as plain text.
    """

    def __init__(self, source: Any) -> None:
        self.session = session_of(source)
        self._ui = _UiThread()
        self.terminal = w.Dropdown(description="Terminal")
        self.enrollid = w.BoundedIntText(value=1, min=1, max=99_999_998, description="User no.")
        self.name = w.Text(description="Name")
        self.pin = w.Password(description="PIN")
        self.card = w.Text(description="Card")
        self.admin = w.Checkbox(description="Admin", indent=False)
        self.slot = w.Dropdown(options=_DELETE_SLOTS, value=13, description="Delete")
        self.set_button = w.Button(description="Set user", button_style="primary")
        self.delete_button = w.Button(description="Delete", button_style="danger")
        self.status = w.HTML()
        self._message = ""
        self.widget = w.VBox(
            [
                self.terminal,
                self.enrollid,
                self.name,
                self.pin,
                self.card,
                self.admin,
                w.HBox([self.set_button, self.slot, self.delete_button]),
                self.status,
            ]
        )
        self.widget.add_class("wac-userform")
        self.pending: concurrent.futures.Future[str] | None = None
        self.set_button.on_click(self._on_set)
        self.delete_button.on_click(self._on_delete)
        self._unsubscribe = self.session.subscribe(self._on_event)
        _LIVE.add(self)
        self.refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return _bundle(self, **kwargs)

    def __repr__(self) -> str:
        return f"<UserForm: {self.message or 'ready'}>"

    @property
    def message(self) -> str:
        """The status line as plain text: ``✓ VT1 set user 7 (Ann): PIN``."""
        return self._message

    def gateway_stopped(self) -> None:
        """No terminal can be reached any more: empty the choice and say why."""
        self._unsubscribe()
        self.terminal.options = []
        self.set_button.disabled = self.delete_button.disabled = True
        self._show(False, "the gateway stopped")

    def refresh(self) -> None:
        """Offer the terminals online now, keeping the choice when it is still there."""
        serials = [t.sn for t in self.session.terminals() if t.online]
        current = self.terminal.value
        self.terminal.options = serials
        if serials:
            self.terminal.value = current if current in serials else serials[0]

    def _on_event(self, event: Event) -> None:
        if isinstance(event, TerminalConnected | TerminalDisconnected):
            self._ui.call(self.refresh)

    def _show(self, ok: bool, text: str) -> None:
        mark = (
            '<span style="color:#1a7f37">✓</span>' if ok else '<span style="color:#cf222e">✗</span>'
        )
        self.status.value = f'<span class="wac-status">{mark} {html.escape(text)}</span>'
        self._message = f"{'✓' if ok else '✗'} {text}"

    def _send(self, coro: Coroutine[Any, Any, str]) -> None:
        self.set_button.disabled = self.delete_button.disabled = True
        self.status.value = '<span class="wac-status">sending…</span>'
        self._message = "sending…"
        self.pending = asyncio.run_coroutine_threadsafe(self._answer(coro), _loop_of(self.session))

    async def _answer(self, coro: Coroutine[Any, Any, str]) -> str:
        """Run the command and record its answer *before* resolving, so a caller waiting on
        ``pending`` reads the final :attr:`message` (a done-callback would run after the
        waiter wakes). The widgets are repainted on the thread that made them."""
        try:
            text = await coro
        except DeviceError as exc:
            self._finish(False, describe(exc))
            raise
        except (WacError, ValueError) as exc:
            self._finish(False, str(exc))
            raise
        except asyncio.CancelledError:
            self._finish(False, "cancelled")
            raise
        self._finish(True, text)
        return text

    def _finish(self, ok: bool, text: str) -> None:
        self._message = f"{'✓' if ok else '✗'} {text}"
        self._ui.call(self._repaint, ok, text)

    def _repaint(self, ok: bool, text: str) -> None:
        self.set_button.disabled = self.delete_button.disabled = False
        self._show(ok, text)

    def _chosen(self) -> str:
        if not self.terminal.value:
            raise ValueError("no terminal online to send to")
        return str(self.terminal.value)

    def _on_set(self, _button: Any = None) -> None:
        try:
            sn = self._chosen()
            slots: list[tuple[int, Any, str]] = []
            if self.pin.value:
                slots.append((int(BackupNum.PASSWORD), pin_record(self.pin.value), "PIN"))
            if self.card.value:
                slots.append((int(BackupNum.CARD), card_record(self.card.value.strip()), "card"))
            if not slots:
                raise ValueError("enter a PIN or a card number")
        except ValueError as exc:
            self._show(False, str(exc))
            return
        enrollid, name, admin = self.enrollid.value, self.name.value, int(self.admin.value)

        async def go() -> str:
            for backupnum, record, _ in slots:
                await self.session.set_user_info(sn, enrollid, name, backupnum, record, admin)
            labels = ", ".join(label for _, _, label in slots)
            return f"{sn} set user {enrollid} ({name}): {labels}"

        self.pin.value = ""
        self._send(go())

    def _on_delete(self, _button: Any = None) -> None:
        try:
            sn = self._chosen()
        except ValueError as exc:
            self._show(False, str(exc))
            return
        enrollid, slot = self.enrollid.value, int(self.slot.value)
        label = dict((v, k) for k, v in _DELETE_SLOTS)[slot]

        async def go() -> str:
            await self.session.delete_user(sn, enrollid, slot)
            return f"{sn} deleted user {enrollid} ({label})"

        self._send(go())

    def close(self) -> None:
        self._unsubscribe()
        _LIVE.discard(self)
        self.widget.close()


class Presence:
    """Who is inside now, live: the roll call for an evacuation.

    Starts from the store (:func:`~wac_toolkit.analysis.who_is_inside` over the last
    ``window``), then follows access events: an "in" punch adds the person (at that
    terminal), an "out" removes them. Each person inside has a checkbox; ticking it marks
    them accounted for at the assembly point, and the counts say who is still missing.
    ``roll_call()`` returns the list as a DataFrame (``accounted`` column) for the record.

    Args:
        source: a started Session (or SessionSync, or the ``%wac start`` runtime).
        window: how far back a punch still counts (minutes or a timedelta; default 16 h).
        rate: the most redraws per second.
    """

    def __init__(self, source: Any, *, window: Any = None, rate: float = 4.0) -> None:
        from ..analysis.inside import DEFAULT_WINDOW, who_is_inside
        from ..analysis.units import as_duration

        self.session = session_of(source)
        self._ui = _UiThread()
        self.interval = 1.0 / rate
        self.window = as_duration(DEFAULT_WINDOW if window is None else window, "window")
        self.title = w.HTML("<b>Inside now</b>")
        self.counts = w.HTML()
        self.people = w.VBox()
        self.people.add_class("wac-people")
        self.widget = w.VBox([self.title, self.counts, self.people])
        self.widget.add_class("wac-presence")
        self._lock = threading.Lock()
        self._boxes: dict[int, w.Checkbox] = {}
        self.accounted: set[int] = set()
        """Who was ticked off at the assembly point (a checkbox, or :meth:`account`)."""
        self.names = roster_names(self.session)
        import pandas as pd

        now = self.session.now_local()
        logs = self.session.logs(since=now - self.window)
        start = who_is_inside(logs, now, window=self.window, names=self.names)
        self.inside: dict[int, tuple[str, str, datetime]] = {
            int(enrollid): (name if isinstance(name, str) else "", str(sn), since)
            for enrollid, name, sn, since in zip(
                start["enrollid"].tolist(),
                start["name"].tolist(),
                start["sn"].tolist(),
                [pd.Timestamp(t).to_pydatetime().replace(tzinfo=None) for t in start["since"]],
                strict=True,
            )
        }
        """``{enrollid: (name, sn, since)}`` for everyone inside now."""
        self.stopped = False
        self.redraws = 0
        self._scheduled = False
        self._unsubscribe = self.session.subscribe(self._on_event, AccessEvent)
        _LIVE.add(self)
        self.flush()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return _bundle(self, **kwargs)

    def __repr__(self) -> str:
        return f"<Presence: {self.summary}>"

    @property
    def summary(self) -> str:
        """``3 inside · 1 accounted for · 2 missing`` as plain text (from the model, like
        :attr:`Dashboard.summary`)."""
        return self._counts_text()

    def _counts_text(self) -> str:
        with self._lock:
            inside = list(self.inside)
        accounted = len(self.accounted.intersection(inside))
        state = " · gateway stopped" if self.stopped else ""
        return f"{len(inside)} inside · {accounted} accounted for · {len(inside) - accounted} missing{state}"

    def _on_event(self, event: Event) -> None:
        if not isinstance(event, AccessEvent):
            return
        record = event.record
        enrollid = record.enrollid
        moment = _punch_time(event)
        if enrollid is None or enrollid in _PERSON_IDS or moment is None or record.event:
            return
        with self._lock:
            if (record.inout or 0) == 1:
                self.inside.pop(enrollid, None)
            else:
                name = self.names.get(enrollid) or record.name or ""
                self.inside[enrollid] = (name, event.sn, moment)
        if not self._scheduled and not self.stopped:
            self._scheduled = True
            _loop_of(self.session).call_later(self.interval, self._ui.call, self.flush)

    def account(self, *enrollids: int, present: bool = True) -> None:
        """Tick people off (or back on) the roll call, as their checkboxes do."""
        for enrollid in enrollids:
            self._mark(int(enrollid), present)
            box = self._boxes.get(int(enrollid))
            if box is not None and box.value != present:
                self._ui.call(setattr, box, "value", present)

    def _mark(self, enrollid: int, present: bool) -> None:
        if present:
            self.accounted.add(enrollid)
        else:
            self.accounted.discard(enrollid)
        self._ui.call(self._count)

    def _box(self, enrollid: int, label: str) -> w.Checkbox:
        box = self._boxes.get(enrollid)
        if box is None:
            box = w.Checkbox(
                value=enrollid in self.accounted, indent=False, layout=w.Layout(width="auto")
            )
            box.add_class("wac-person")
            box.observe(lambda change, e=enrollid: self._mark(e, bool(change["new"])), "value")
            self._boxes[enrollid] = box
        box.description = label
        return box

    def _count(self) -> None:
        counts = html.escape(self._counts_text())
        self.counts.value = f'<span class="wac-presence-counts">{counts}</span>'

    def flush(self) -> None:
        """Redraw the list and the counts now."""
        self._scheduled = False
        with self._lock:
            inside = sorted(self.inside.items(), key=lambda item: (item[1][2], item[0]))
        boxes = []
        for enrollid, (name, sn, since) in inside:
            label = f"{enrollid} {name}".strip() + f" · in at {sn} {since:%H:%M}"
            boxes.append(self._box(enrollid, label))
        self.people.children = tuple(boxes)
        self._count()
        self.redraws += 1

    def roll_call(self) -> Any:
        """Everyone inside as a DataFrame: enrollid, name, sn, since, accounted."""
        import pandas as pd

        with self._lock:
            inside = sorted(self.inside.items(), key=lambda item: (item[1][2], item[0]))
        rows = [
            {
                "enrollid": e,
                "name": name or None,
                "sn": sn,
                "since": since,
                "accounted": e in self.accounted,
            }
            for e, (name, sn, since) in inside
        ]
        frame = pd.DataFrame(rows, columns=["enrollid", "name", "sn", "since", "accounted"])
        return frame.astype(
            {"enrollid": "Int64", "name": "string", "sn": "string", "since": "datetime64[us]",
             "accounted": bool}
        )  # fmt: skip

    def gateway_stopped(self) -> None:
        """The gateway is gone: the list no longer updates; say so."""
        self.stopped = True
        self._unsubscribe()
        self._count()

    def close(self) -> None:
        self._unsubscribe()
        _LIVE.discard(self)
        self.widget.close()
