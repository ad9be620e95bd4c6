"""The durable sync queue: planning a terminal's steps, and the worker's view of a step.

A queued row names a step (kind, enrollid, slot), never the secret it carries: the record is
read from the roster when the step is sent, so a photo is stored once however many terminals
need it, and a step always sends the roster's latest value. Rows leave the queue only when
the terminal confirmed the step or it failed for good, so a crash or restart loses nothing.
The rows themselves are the store's (:class:`~wac_toolkit.store.base.RosterTx`); this module
turns the planner's answer into queue changes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from ..store.base import OUTCOME_COLUMNS, QUEUE_COLUMNS, QueuedStep, RosterTx
from .model import Op, OpKind
from .planner import plan

__all__ = ["OUTCOME_COLUMNS", "QUEUE_COLUMNS", "Step", "next_due", "replan"]


@dataclass(frozen=True, slots=True)
class Step:
    """A queued step as the worker picks it up."""

    id: int
    sn: str
    op: Op
    attempts: int

    @classmethod
    def of(cls, row: QueuedStep) -> Step:
        op = Op(OpKind(row.kind), row.enrollid, row.backupnum, row.enabled)
        return cls(row.id, row.sn, op, row.attempts)

    def row(self) -> QueuedStep:
        """The store's row for this step (to settle it)."""
        op = self.op
        return QueuedStep(
            self.id, self.sn, op.kind.value, op.enrollid, op.backupnum, op.enabled, self.attempts
        )


def replan(
    tx: RosterTx,
    sn: str,
    now: int,
    enrollids: Collection[int] | None = None,
    *,
    prune: bool = False,
    known: Collection[int] | None = None,
    local_now: str | None = None,
) -> int:
    """Make the queue of ``sn`` (for ``enrollids``, or everyone) match the plan.

    ``known`` (every enrollid the roster knows) may be passed in when replanning many
    terminals in one transaction; ``local_now`` applies validity windows (see
    :meth:`~wac_toolkit.store.base.RosterTx.wanted`). Steps already queued and still needed
    keep their place and attempt count; steps no longer needed are dropped. A step in flight
    is left to its worker and never counts as queued: it carries the roster as it was when it
    was taken, so a step still needed is queued again behind it. Returns how many steps the
    plan has.
    """
    if not tx.is_adopted(sn):  # pending, blocked or never seen: nothing for it
        tx.forget_terminal(sn)  # and adopting it later plans it in full
        return 0
    if enrollids is None:
        tx.mark_planned(sn)
    wanted = tx.wanted(sn, enrollids, local_now)
    held = tx.held(sn, enrollids)
    if known is None:
        known = tx.known_ids()
    steps = plan(wanted, held, known, prune=prune)
    existing: dict[tuple[object, ...], list[int]] = {}
    for row in tx.queued_steps(sn, enrollids):
        existing.setdefault(_key(row.kind, row.enrollid, row.backupnum, row.enabled), []).append(
            row.id
        )
    keep = {_key(s.kind.value, s.enrollid, s.backupnum, s.enabled) for s in steps}
    tx.drop_steps(i for key, ids in existing.items() for i in (ids if key not in keep else ids[1:]))
    tx.queue_steps(
        sn,
        [
            (s.kind.value, s.enrollid, s.backupnum, s.enabled)
            for s in steps
            if _key(s.kind.value, s.enrollid, s.backupnum, s.enabled) not in existing
        ],
        now,
    )
    return len(steps)


def next_due(tx: RosterTx, sn: str, now: int, token: str) -> tuple[Step | None, int | None]:
    """Take the oldest due step of ``sn`` for the worker ``token``, or say when the next one is.

    The caller has nothing of ``sn`` in flight, so a step already marked taken was abandoned
    (its connection dropped, the store failed, the gateway restarted) and is taken again.
    """
    row, later = tx.take_step(sn, now, token)
    return (None if row is None else Step.of(row)), later


def counts(tx: RosterTx, sns: Iterable[str] = ()) -> dict[str, int]:
    """Queued steps per terminal (0 for the ``sns`` given and not queued)."""
    return tx.queue_counts(sns)


def _key(
    kind: str, enrollid: int, backupnum: int | None, enabled: bool | None
) -> tuple[object, ...]:
    return (kind, enrollid, backupnum, None if enabled is None else bool(enabled))
