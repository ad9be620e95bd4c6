"""People, not terminals: a roster in the store, synced to every terminal through a durable queue.

Modules, one idea each: :mod:`.model` (what the roster is made of), :mod:`.tables` (its tables
and queries), :mod:`.planner` (pure diff: roster vs terminal -> steps), :mod:`.queue` (the
durable step queue and outcomes), :mod:`.worker` (delivers steps while terminals are online),
:mod:`.reconcile` (reads a terminal's own list), :mod:`.csvio` (CSV import and export),
:mod:`.events` (sync events), :mod:`.control_ops` (``roster_sync``/``roster_reconcile`` on the
control endpoint), :mod:`.cli` (``wac roster``) and :mod:`.roster` (the ``session.roster`` API).
"""

from . import control_ops  # noqa: F401  (registers the roster's control ops)
from .events import SyncFailed, SyncSucceeded
from .model import ALL, Op, OpKind, Person, Target
from .reconcile import ReconcileReport
from .roster import UNCHANGED, Roster

__all__ = [
    "ALL",
    "Op",
    "OpKind",
    "Person",
    "ReconcileReport",
    "Roster",
    "SyncFailed",
    "SyncSucceeded",
    "Target",
    "UNCHANGED",
]
