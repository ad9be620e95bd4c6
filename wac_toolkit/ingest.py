"""The ingest pipeline: what terminals push, from the decoded frame to the committed row.

One job per step, in this order, for ``sendlog`` (and ``senduser``):

1. **decode**: :func:`~wac_toolkit.protocol.handlers.read_sendlog`, the same pure reader the
   SDK's ``handle_sendlog`` uses, so the gateway and the SDK cannot disagree about a batch;
2. **bounds**: :func:`~wac_toolkit.bounds.check_records` drops oversized names and photos;
3. **store**: one write, group-committed by the store; records from a terminal not adopted are
   kept apart (``pending``);
4. **ack**: the reply is built only after the commit (an acknowledged row is durable);
5. **events**: published from what the store committed (new rows only), delivered after the
   reply is on the wire (:mod:`wac_toolkit.bus`).

What cannot be read is kept in quarantine and the frame is acknowledged (:mod:`.quarantine`):
refusing it would make the terminal send it again for ever. Only a store that cannot write
refuses, because then nothing was kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from . import bounds
from .access import roster_decision
from .errors import FrameError, StoreError
from .events import AccessEvent, UserPushed
from .protocol.handlers import (
    Unreadable,
    fail,
    raw_text,
    read_sendlog,
    sendlog_reply,
    senduser_reply,
)
from .protocol.models import LogRecord, UserCredential, record_from_values
from .protocol.typed import whole
from .protocol.values import format_time, is_canonical_time
from .registry import TerminalState

if TYPE_CHECKING:
    from .access import AccessDecision
    from .net.peer import Peer
    from .session import Session

__all__ = ["IngestPipeline"]

log = logging.getLogger(__name__)


class IngestPipeline:
    """Decode -> bounds -> store -> ack -> events for one :class:`~wac_toolkit.session.Session`.

    It reads the session's registry (is the sender adopted?), store, bus, clock and access
    settings; it owns the store writes whose events are still to be published
    (:attr:`writes`, awaited when the session stops).
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.writes: set[asyncio.Task[Any]] = set()
        """Store writes whose events are still to be published."""

    # -- storing ------------------------------------------------------------------------------

    async def ingest(
        self,
        sn: str,
        records: Iterable[LogRecord],
        *,
        logindex: int | None,
        source: str,
        pending: bool | None = None,
    ) -> int:
        """Store records from ``sn`` and publish an :class:`AccessEvent` for each new one
        (see :meth:`Session.ingest <wac_toolkit.session.Session.ingest>`)."""
        records = tuple(records)
        store = self.session.store
        return await self._store(
            sn,
            lambda **options: store.ingest_logs(sn, records, **options),
            records.__getitem__,
            logindex=logindex,
            source=source,
            pending=pending,
        )

    async def ingest_values(
        self,
        sn: str,
        values: Sequence[tuple[Any, ...]],
        *,
        logindex: int | None,
        source: str,
        pending: bool | None = None,
    ) -> int:
        """:meth:`ingest` for records as value tuples (``LOG_VALUES`` order), as
        :func:`~wac_toolkit.protocol.handlers.read_sendlog` reads them: the store builds its
        rows from the values, and a :class:`LogRecord` is made only for a new record that
        an :class:`AccessEvent` subscriber will see."""
        store = self.session.store
        write_values = getattr(store, "ingest_values", None)
        if write_values is None:  # a store without the value path: records it is
            return await self.ingest(
                sn, map(record_from_values, values), logindex=logindex, source=source,
                pending=pending,
            )  # fmt: skip
        return await self._store(
            sn,
            lambda **options: write_values(sn, values, **options),
            lambda position: record_from_values(values[position]),
            logindex=logindex,
            source=source,
            pending=pending,
        )

    async def _store(
        self,
        sn: str,
        write: Callable[..., Any],
        record_at: Callable[[int], LogRecord],
        *,
        logindex: int | None,
        source: str,
        pending: bool | None,
    ) -> int:
        session = self.session
        if pending is None:
            terminal = session.registry.get(sn)
            pending = terminal is None or terminal.state != TerminalState.ADOPTED
        received_at = datetime.now(UTC)
        if pending:
            stored = await write(logindex=logindex, received_at=received_at, pending=True)
            return len(stored)
        new: list[int] = await self.committed(
            write(logindex=logindex, received_at=received_at),
            lambda new: self._publish_access(sn, record_at, new, received_at, source),
        )
        return len(new)

    def _publish_access(
        self,
        sn: str,
        record_at: Callable[[int], LogRecord],
        new: list[int],
        received_at: datetime,
        source: str,
    ) -> None:
        session = self.session
        if not new or not session.bus.access_subscribers:
            return
        # Canonical times compare as text: no datetime per record on the ingest path.
        fresh_after = format_time(session.now_local() - session.fresh_window)
        publish = session.publish
        for position in new:
            record = record_at(position)
            text = record.time
            backlog = source != "sendlog" or text < fresh_after or not is_canonical_time(text)
            publish(AccessEvent(sn, record, received_at, backlog, source))

    async def committed(self, write: Any, then: Callable[[Any], None]) -> Any:
        """Await a store write and call ``then(result)`` once it committed, even if the
        caller is cancelled meanwhile (the write is a task the pipeline owns)."""
        task = asyncio.ensure_future(write)
        self.writes.add(task)
        task.add_done_callback(self.writes.discard)
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(lambda t: _after_commit(t, then))
            raise
        then(result)
        return result

    async def wait(self) -> None:
        """Wait for the writes still under way (their events are published after)."""
        if self.writes:
            await asyncio.wait(list(self.writes))

    # -- what terminals push ------------------------------------------------------------------

    async def on_sendlog(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
        session = self.session
        sn = peer.sn or ""
        batch = read_sendlog(frame)
        values, problem = bounds.check_values(sn, batch.values)
        unreadable = batch.unreadable
        if problem is not None:  # kept aside whole: refusing it would bring it back for ever
            unreadable = (*unreadable, Unreadable(f"sendlog: {problem}", raw_text(whole(frame))))
        try:
            if values:
                await self.ingest_values(sn, values, logindex=batch.logindex, source="sendlog")
            if unreadable:
                await self.quarantine(peer, "sendlog", unreadable)
        except StoreError:
            return fail("sendlog", "store unavailable")
        decision: AccessDecision | None
        if session.access_policy:  # the policy sees the frame as sent, records and all
            decision = session._decide(peer, "sendlog", whole(frame))
        elif len(values) == 1 and session._server_mode(sn):
            record = record_from_values(values[0])
            decision = await roster_decision(session, sn, "sendlog", whole(frame), record)
        else:
            decision = None
        return sendlog_reply(
            frame,
            session.now_local(),
            access=None if decision is None else int(decision.access),
            message=None if decision is None else decision.message,
        )

    async def on_senduser(self, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
        session = self.session
        sn = peer.sn or ""
        try:
            credential = UserCredential.from_wire(frame)
        except FrameError as exc:
            # A photo-only sync after cleanlog comes without backupnum; refusing it would make
            # the terminal re-send it for ever. Keep it for an operator and acknowledge.
            return await self._quarantine_senduser(peer, frame, f"senduser: {exc}")
        problem = bounds.check_credential(credential)
        if problem is not None:  # the same: kept aside, acknowledged, applied to nobody
            return await self._quarantine_senduser(peer, frame, f"senduser: {problem}")
        terminal = session.registry.get(sn)
        if terminal is None or terminal.state != TerminalState.ADOPTED:
            # answered (or it would send it again forever) but changes nobody
            log.info("keypad enrolment from terminal %s ignored: not adopted", peer.sn)
            return senduser_reply(frame, session.now_local())
        try:
            await self.committed(
                session.store.save_credential(sn, credential),
                lambda _: session.publish(UserPushed(sn, credential)),
            )
        except StoreError:
            return fail("senduser", "store unavailable")
        return senduser_reply(frame, session.now_local())

    async def _quarantine_senduser(
        self, peer: Peer, frame: dict[str, Any], reason: str
    ) -> dict[str, Any]:
        try:
            await self.quarantine(peer, "senduser", (Unreadable(reason, raw_text(frame)),))
        except StoreError:
            return fail("senduser", "store unavailable")
        return senduser_reply(frame, self.session.now_local())

    async def quarantine(self, peer: Peer, cmd: str, items: Iterable[Unreadable]) -> None:
        """Keep unreadable items durably, then log once per kind and window per connection."""
        items = tuple(items)
        new = await self.session.store.quarantine_frame(
            peer.sn or "", cmd, [(i.reason, i.raw) for i in items], datetime.now(UTC)
        )
        now = asyncio.get_running_loop().time()
        text = (
            f"{len(items)} unreadable item(s) in {cmd} quarantined ({new} new; first:"
            f" {items[0].reason}); the frame is acknowledged"
        )
        line = peer.machine.note(f"quarantine {cmd}", text, now)
        if line:
            log.warning("terminal %s: %s", peer.sn, line)


def _after_commit(task: asyncio.Task[Any], then: Callable[[Any], None]) -> None:
    """Publish for a write whose caller was cancelled, once the write committed."""
    if task.cancelled() or task.exception() is not None:
        return
    try:
        then(task.result())
    except Exception:
        log.exception("publishing after a commit failed")
