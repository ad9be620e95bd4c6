"""People, not terminals: a roster in the store, synced to every terminal through a durable queue.

Modules, one idea each: :mod:`.model` (what the roster is made of), :mod:`.tables` (the model
over the store's rows), :mod:`.planner` (pure diff: roster vs terminal -> steps), :mod:`.queue`
(planning a terminal's queue), :mod:`.worker` (delivers steps while terminals are online),
:mod:`.reconcile` (reads a terminal's own list), :mod:`.csvio` (CSV import and export),
:mod:`.events` (sync events), :mod:`.control_ops` (``roster_sync``/``roster_reconcile`` on the
control endpoint), :mod:`.cli` (``wac roster``) and :mod:`.roster` (the ``session.roster`` API).

The roster is a layer above the Session: it uses the Session's public API only, holds no SQL
(its tables are the store's, :class:`~wac_toolkit.store.base.RosterTx`), and is attached to
every Session by the package entry (:mod:`wac_toolkit.layers`), not built by the Session.
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
