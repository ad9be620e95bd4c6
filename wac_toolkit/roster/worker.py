"""The sync worker: drains each online terminal's queue, one step at a time, on the Session's loop.

A task per terminal with something queued sends its due steps in queue order through the
Session's own command methods (so the one-command-in-flight rule and the store's record of what a terminal
holds are the Session's, not ours). A refusal or a timeout counts as an attempt and the step
waits ``retry_base * 2**attempts`` seconds (at most ``retry_max``) before the next one, while
later steps go ahead; after ``max_attempts`` it fails for good. A dropped connection is not
the step's fault: the step stays queued and the task ends until the terminal is back. A
terminal with an empty queue has no task at all (an idle fleet of thousands costs nothing);
one poller looks for steps another process queued and wakes their terminals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import CommandTimeout, DeviceError, StoreError, WacClientError
from ..routing import Listener
from ..store.roster_sql import ROSTER_CHANNEL
from . import queue, tables
from .drift import ROSTER_STEP
from .events import SyncFailed, SyncSucceeded
from .model import OpKind, Person

if TYPE_CHECKING:
    from ..session import Session
    from ..store.base import RosterTx

__all__ = ["SyncWorker", "now_micros", "reap"]

log = logging.getLogger(__name__)


def now_micros() -> int:
    return int(time.time() * 1_000_000)


def reap(task: asyncio.Task[None]) -> None:
    """Done-callback of every task the roster starts: a task that failed says so when it
    ends, not when (or if) :meth:`SyncWorker.stop` gathers it. A terminal's task removes
    itself when it ends and a new one replaces it, so without this an unexpected error would
    only surface as "Task exception was never retrieved" at garbage collection."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("roster task %s failed", task.get_name(), exc_info=exc)


class SyncWorker:
    """Sends queued steps to terminals while they are online.

    Args:
        session: the Session whose terminals, commands and store are used.
        max_attempts: refusals or timeouts before a step fails for good.
        retry_base: seconds before the first retry; doubles with each attempt.
        retry_max: the longest wait between attempts.
        poll: how often the one poller looks for due steps of terminals with no task, which
            picks up steps another process (``wac roster`` on the same store) queued.
    """

    def __init__(
        self,
        session: Session,
        *,
        max_attempts: int = 5,
        retry_base: float = 2.0,
        retry_max: float = 300.0,
        poll: float = 30.0,
    ) -> None:
        self.session = session
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.poll = poll
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wakes: dict[str, asyncio.Event] = {}
        self._idle: dict[str, asyncio.Event] = {}
        self._stopping = False
        self._paused: dict[str, int] = {}
        self._poller: asyncio.Task[None] | None = None
        self.profile_form = False
        """Also send the v2.9 profile ``setuserinfo`` (``enable``) with every ``enableuser``."""
        self.token = secrets.token_hex(8)
        """Marks the steps this worker has in flight (``roster_queue.taken``)."""

    def kick(self, sn: str) -> None:
        """Look at ``sn``'s queue now (starts its task if the terminal is online)."""
        if self._stopping:
            return
        self._wakes.setdefault(sn, asyncio.Event()).set()
        self._idle.setdefault(sn, asyncio.Event()).clear()
        task = self._tasks.get(sn)
        if (task is None or task.done()) and self._online(sn):
            self._tasks[sn] = task = asyncio.create_task(self._run(sn), name=f"wac-roster-{sn}")
            task.add_done_callback(reap)
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll_others(), name="wac-roster-poll")
            self._poller.add_done_callback(reap)

    def busy(self, sn: str) -> bool:
        """True while the task of ``sn`` may still send something due now."""
        task = self._tasks.get(sn)
        return task is not None and not task.done() and not self._idle[sn].is_set()

    async def wait_idle(self, sn: str) -> None:
        """Until ``sn`` has nothing due (or went offline)."""
        while self.busy(sn):
            waiter = asyncio.ensure_future(self._idle[sn].wait())
            try:
                await asyncio.wait({waiter, self._tasks[sn]}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                await asyncio.gather(waiter, return_exceptions=True)

    @contextlib.asynccontextmanager
    async def paused(self, sn: str) -> AsyncIterator[None]:
        """Hold ``sn``'s steps (after the one in flight) while the caller reads the terminal,
        so what it reads is not changed underneath it; delivery resumes on exit."""
        self._paused[sn] = self._paused.get(sn, 0) + 1
        try:
            await self.wait_idle(sn)
            yield
        finally:
            self._paused[sn] -= 1
            if not self._paused[sn]:
                del self._paused[sn]
            self.kick(sn)

    async def stop(self) -> None:
        self._stopping = True
        tasks = list(self._tasks.values()) + ([self._poller] if self._poller else [])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # failures: logged by reap()
        self._tasks.clear()

    # -- the per-terminal task ----------------------------------------------------------------

    def _online(self, sn: str) -> bool:
        terminal = self.session.terminal(sn)
        if terminal is None or not terminal.online or not terminal.adopted:
            return False
        presence = getattr(self.session, "presence", None)  # several gateways, one store:
        return presence is None or presence.holds(sn)  # only the lease holder delivers

    async def _run(self, sn: str) -> None:
        wake = self._wakes[sn]
        idle = self._idle[sn]
        store = self.session.store
        done: _Done | None = None  # the last success, recorded with the next read
        try:
            while self._online(sn):
                wake.clear()
                if sn in self._paused:  # record what was done, then wait to be resumed
                    if done is not None:
                        try:
                            await store.roster_write(done.record)
                        except StoreError as exc:  # kept in ``done``: recorded on resume
                            log.warning("roster: cannot record a step done on %s: %s", sn, exc)
                        else:
                            self._succeeded(done)
                            done = None
                    idle.set()
                    await wake.wait()
                    idle.clear()
                    continue
                try:
                    step, later, person = await store.roster_write(_next(sn, done, self.token))
                    if done is not None:
                        self._succeeded(done)
                    done = None
                    if step is not None:
                        outcome = await self._send(step, person)
                        if outcome is False:
                            break
                        done = None if outcome is True else outcome
                        continue
                except StoreError as exc:  # keep ``done``; the step is taken again later
                    log.warning("roster queue of %s unusable: %s", sn, exc)
                    later = None
                if later is None and not wake.is_set():
                    break  # nothing queued: end; kick() or the poller starts a task again
                idle.set()
                wait = self.poll if later is None else (later - now_micros()) / 1e6
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, min(wait, self.poll))):
                        await wake.wait()
                idle.clear()
            if done is not None:
                try:
                    await store.roster_write(done.record)
                except StoreError as exc:  # the step stays queued; re-sending it is harmless
                    log.warning(
                        "roster: step done on %s not recorded (%s); it will be sent again", sn, exc
                    )
                else:
                    self._succeeded(done)
        finally:
            idle.set()
            if self._tasks.get(sn) is asyncio.current_task():
                del self._tasks[sn], self._wakes[sn], self._idle[sn]

    async def _poll_others(self) -> None:
        """Every ``poll`` seconds, wake terminals whose steps someone else queued or that are
        due again; a terminal with nothing queued has no task to notice them itself. On a
        shared store steps queued anywhere also arrive at once, by NOTIFY."""
        listener: Listener | None = None
        try:
            while not self._stopping:
                if listener is None or not listener.alive:  # at start, or again once lost
                    listener = await self._listen_for_steps()
                await asyncio.sleep(self.poll)
                await self._wake_due()
        finally:
            if listener is not None:
                await listener.close()

    async def _listen_for_steps(self) -> Listener | None:
        """A LISTEN on the roster's channel of a shared store (None on SQLite, or when the
        database cannot be reached now: polling still finds every step)."""
        store = self.session.store
        if not hasattr(store, "listen"):
            return None
        loop = asyncio.get_running_loop()
        listener = Listener(store, loop, {ROSTER_CHANNEL: self.kick}, "wac-roster")
        try:
            await loop.run_in_executor(None, listener.open)
        except Exception as exc:  # the driver's error, whatever the outage
            log.warning(
                "roster: no LISTEN for queued steps (%s); polling every %g s", exc, self.poll
            )
            return None
        return listener

    async def _wake_due(self) -> None:
        now = now_micros()
        try:
            due = await asyncio.get_running_loop().run_in_executor(
                None, self.session.store.roster_read, lambda tx: tx.due_terminals(now)
            )
        except StoreError as exc:  # tried again at the next poll
            log.warning("roster: cannot read the queue (%s); retrying in %g s", exc, self.poll)
            return
        for sn in due:
            if sn not in self._tasks:
                self.kick(sn)

    async def _send(self, step: queue.Step, person: Person | None) -> _Done | bool:
        """Send one step. Returns the success to record, True when already handled, or False
        when the terminal went away."""
        store = self.session.store
        attempts = step.attempts + 1
        marker = ROSTER_STEP.set(True)  # our own step: not drift (see roster/drift.py)
        try:
            await self._execute(step.sn, step, person)
        except (DeviceError, CommandTimeout) as exc:
            reason = str(exc.reason) if isinstance(exc, DeviceError) else "no reply"
            await self._refused(step, attempts, reason)
            return True
        except WacClientError:  # offline or connection dropped: not the step's fault
            await store.roster_write(lambda tx: tx.release_step(step.id))
            return False
        except _Dropped:
            await store.roster_write(lambda tx: tx.drop_steps([step.id]))
            return True
        finally:
            ROSTER_STEP.reset(marker)
        return _Done(step, person, attempts, now_micros())

    def _succeeded(self, done: _Done) -> None:
        op, sn = done.step.op, done.step.sn
        log.debug("roster: %s %s of %s on %s done", op.kind.value, op.backupnum, op.enrollid, sn)
        event = SyncSucceeded(sn, op.enrollid, op.kind.value, op.backupnum, done.attempts)
        self.session.publish(event)

    async def _execute(self, sn: str, step: queue.Step, person: Person | None) -> None:
        op, session = step.op, self.session
        if op.kind is OpKind.SET:
            record = None if person is None else person.credentials.get(op.backupnum or 0)
            if person is None or record is None or op.backupnum is None:
                raise _Dropped
            await session.set_user_info(
                sn, op.enrollid, person.name, op.backupnum, record, admin=person.admin
            )
        elif op.kind is OpKind.DELETE:
            backupnum = 13 if op.backupnum is None else op.backupnum
            await session.delete_user(sn, op.enrollid, backupnum)
        else:
            await session.enable_user(sn, op.enrollid, bool(op.enabled))
            if self.profile_form:  # firmware where enableuser only blocks the face
                await session.set_user_profile_info(sn, op.enrollid, enable=int(bool(op.enabled)))

    async def _refused(self, step: queue.Step, attempts: int, reason: str) -> None:
        op, sn = step.op, step.sn
        now = now_micros()
        if attempts >= self.max_attempts:
            await self.session.store.roster_write(
                lambda tx: tx.finish_step(
                    step.row(), ok=False, attempts=attempts, reason=reason, now=now
                )
            )
            log.warning(
                "roster: %s of %s (slot %s) on %s failed for good after %d attempts: %s",
                op.kind.value, op.enrollid, op.backupnum, sn, attempts, reason,
            )  # fmt: skip
            self.session.publish(
                SyncFailed(sn, op.enrollid, op.kind.value, op.backupnum, attempts, reason)
            )
            return
        delay = min(self.retry_max, self.retry_base * 2 ** (attempts - 1))
        next_at = now + int(delay * 1_000_000)
        await self.session.store.roster_write(
            lambda tx: tx.postpone_step(step.id, attempts=attempts, next_at=next_at, reason=reason)
        )


@dataclass(frozen=True, slots=True)
class _Done:
    """A step the terminal confirmed, to be recorded in the store."""

    step: queue.Step
    person: Person | None
    attempts: int
    at: int

    def record(self, tx: RosterTx) -> None:
        op, sn = self.step.op, self.step.sn
        tx.finish_step(self.step.row(), ok=True, attempts=self.attempts, reason=None, now=self.at)
        if op.kind is OpKind.SET and self.person is not None:
            tx.mark_held_user(sn, op.enrollid, self.person.name, self.person.admin)
        elif op.kind is OpKind.DELETE and op.backupnum == 13:
            tx.forget_held_user(sn, op.enrollid)
        elif op.kind is OpKind.ENABLE and op.enabled is not None:
            tx.mark_enabled(sn, op.enrollid, op.enabled)


def _next(
    sn: str, done: _Done | None, token: str
) -> Callable[[RosterTx], tuple[queue.Step | None, int | None, Person | None]]:
    """One transaction: record the last success, then pick the next due step and its person.

    Recording and reading together halves the store round trips per step; the success is
    durable before the next step is chosen, so it is never sent twice.
    """

    def run(tx: RosterTx) -> tuple[queue.Step | None, int | None, Person | None]:
        if done is not None:
            done.record(tx)
        step, later = queue.next_due(tx, sn, now_micros(), token)
        person = None if step is None else tables.get_person(tx, step.op.enrollid)
        return step, later, person

    return run


class _Dropped(Exception):
    """The step no longer has anything to send (the roster changed since it was queued)."""
