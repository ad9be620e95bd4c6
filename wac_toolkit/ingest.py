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
from collections.abc import Callable, Iterable
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
from .protocol.models import LogRecord, UserCredential
from .protocol.values import format_time, is_canonical_time
from .registry import TerminalState

if TYPE_CHECKING:
    from .net.peer import Peer
    from .session import AccessDecision, Session

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
        session = self.session
        records = tuple(records)
        if pending is None:
            terminal = session.registry.get(sn)
            pending = terminal is None or terminal.state != TerminalState.ADOPTED
        received_at = datetime.now(UTC)
        if pending:
            stored = await session.store.ingest_logs(
                sn, records, logindex=logindex, received_at=received_at, pending=True
            )
            return len(stored)
        new: list[int] = await self.committed(
            session.store.ingest_logs(sn, records, logindex=logindex, received_at=received_at),
            lambda new: self._publish_access(sn, records, new, received_at, source),
        )
        return len(new)

    def _publish_access(
        self,
        sn: str,
        records: tuple[LogRecord, ...],
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
            record = records[position]
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
        records, problem = bounds.check_records(sn, batch.records)
        unreadable = batch.unreadable
        if problem is not None:  # kept aside whole: refusing it would bring it back for ever
            unreadable = (*unreadable, Unreadable(f"sendlog: {problem}", raw_text(frame)))
        try:
            if records:
                await self.ingest(sn, records, logindex=batch.logindex, source="sendlog")
            if unreadable:
                await self.quarantine(peer, "sendlog", unreadable)
        except StoreError:
            return fail("sendlog", "store unavailable")
        decision: AccessDecision | None
        if session.access_policy:
            decision = session._decide(peer, "sendlog", frame)
        elif len(records) == 1 and session._server_mode(sn):
            decision = await roster_decision(session, sn, "sendlog", frame, records[0])
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
