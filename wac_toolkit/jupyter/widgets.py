"""ipywidgets panels: a live dashboard and a user form, over one :class:`Session`.

Thread safety (research/jupyter.md 3): events arrive on the Session's loop (the background
thread in a notebook). The subscriber only updates a small model under a lock and schedules
one flush; the flush, at most ``rate`` times a second, replaces widget *trait values* (HTML
strings, options) on the thread that made the widget: in a notebook the kernel's own loop
(its comm messages then leave from the kernel thread, in order), elsewhere directly. Nothing here uses ``with out:`` or prints from a callback, so output
never lands in the wrong cell. The form's buttons send the command to the Session's loop and
return at once; the answer is written into the status widget when it arrives.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import threading
from collections import Counter, deque
from collections.abc import Coroutine
from typing import Any

import ipywidgets as w  # type: ignore[import-untyped]  # ships no type hints

from ..errors import WacError
from ..events import AccessEvent, Event, TerminalConnected, TerminalDisconnected
from ..protocol.models import BackupNum, VerifyMode
from ..session import Session
from .commands.setuser import card_record, pin_record

__all__ = ["Dashboard", "UserForm", "session_of"]


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
    """Terminals with their online state, a feed of the latest access events, and counts.

    Args:
        source: a started Session (or SessionSync, or the ``%wac start`` runtime).
        feed_size: how many recent events the feed shows.
        rate: the most redraws per second, however fast events come.
    """

    def __init__(self, source: Any, *, feed_size: int = 15, rate: float = 4.0) -> None:
        self.session = session_of(source)
        self._ui = _UiThread()
        self.interval = 1.0 / rate
        self.title = w.HTML("<b>wac gateway</b>")
        self.terminals = w.HTML(layout=w.Layout(min_width="18em"))
        self.feed = w.HTML(layout=w.Layout(min_width="30em"))
        self.counts = w.HTML()
        self.widget = w.VBox(
            [self.title, self.counts, w.HBox([self.terminals, self.feed])],
        )
        self.widget.add_class("wac-dashboard")
        self._lock = threading.Lock()
        self._events: deque[AccessEvent] = deque(maxlen=feed_size)
        self._by_sn: Counter[str] = Counter()
        self.total = 0
        """Access events seen since the dashboard was made."""
        self.redraws = 0
        self._scheduled = False
        self._unsubscribe = self.session.subscribe(self._on_event)
        self.flush()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _on_event(self, event: Event) -> None:
        """On the Session's loop: record, and make sure one redraw is coming."""
        if isinstance(event, AccessEvent):
            with self._lock:
                self._events.appendleft(event)
                self._by_sn[event.sn] += 1
                self.total += 1
        elif not isinstance(event, TerminalConnected | TerminalDisconnected):
            return
        if not self._scheduled:
            self._scheduled = True
            _loop_of(self.session).call_later(self.interval, self._ui.call, self.flush)

    def flush(self) -> None:
        """Redraw from the model now (the throttle calls this; so may you)."""
        self._scheduled = False
        with self._lock:
            events = list(self._events)
            by_sn = dict(self._by_sn)
            total = self.total
        terminals = self.session.terminals()
        online = sum(t.online for t in terminals)
        rows = "".join(
            f"<tr><td>{_ONLINE if t.online else _OFFLINE}</td>"
            f'<td class="wac-sn">{html.escape(t.sn)}</td>'
            f"<td>{html.escape(t.modelname or '')}</td><td>{by_sn.get(t.sn, 0)}</td></tr>"
            for t in terminals
        )
        self.terminals.value = (
            '<table class="wac-terminals"><tr><th></th><th>terminal</th><th>model</th>'
            f"<th>events</th></tr>{rows}</table>"
        )
        self.feed.value = (
            '<div class="wac-feed">'
            + ("".join(_event_line(e) for e in events) or "<i>no access events yet</i>")
            + "</div>"
        )
        self.counts.value = (
            f'<span class="wac-counts">{online} of {len(terminals)} terminals online · '
            f"{total} access events</span>"
        )
        self.redraws += 1

    def close(self) -> None:
        """Stop listening and remove the widgets."""
        self._unsubscribe()
        self.widget.close()


_ONLINE = '<span class="wac-online" title="online" style="color:#1a7f37">●</span>'
_OFFLINE = '<span class="wac-offline" title="offline" style="color:#8c959f">○</span>'


def _event_line(event: AccessEvent) -> str:
    record = event.record
    who = f"{record.enrollid}" + (f" {record.name}" if record.name else "")
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
    in a test or a later cell).
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
        self.refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

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

    def _send(self, coro: Coroutine[Any, Any, str]) -> None:
        self.set_button.disabled = self.delete_button.disabled = True
        self.status.value = '<span class="wac-status">sending…</span>'
        self.pending = asyncio.run_coroutine_threadsafe(coro, _loop_of(self.session))
        self.pending.add_done_callback(self._done)

    def _done(self, future: concurrent.futures.Future[str]) -> None:
        self._ui.call(self._finish, future)

    def _finish(self, future: concurrent.futures.Future[str]) -> None:
        self.set_button.disabled = self.delete_button.disabled = False
        try:
            self._show(True, future.result())
        except (WacError, ValueError) as exc:
            self._show(False, str(exc))
        except concurrent.futures.CancelledError:
            self._show(False, "cancelled")

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
        self.widget.close()
