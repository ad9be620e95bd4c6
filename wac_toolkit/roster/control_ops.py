"""The roster's ops on the gateway's control endpoint, for ``wac roster`` in another process.

``roster_sync`` (optional ``sn``): re-plan and deliver now what the CLI just wrote to the
store. ``roster_reconcile`` (``sn``, ``prune``, ``adopt``): read the terminal's own list and
queue the repairs; answers with the :class:`~.reconcile.ReconcileReport` as an object.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ..control import ControlServer

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["roster_reconcile", "roster_sync"]


async def roster_sync(session: Session, request: dict[str, Any]) -> int:
    sn = request.get("sn")
    if sn is not None and (not isinstance(sn, str) or not sn):
        raise ValueError("roster_sync: sn must be a serial number or absent")
    return int(await session.roster.sync(sn))


async def roster_reconcile(session: Session, request: dict[str, Any]) -> dict[str, Any]:
    sn = request.get("sn")
    if not isinstance(sn, str) or not sn:
        raise ValueError("roster_reconcile: sn required")
    report = await session.roster.reconcile(
        sn, prune=bool(request.get("prune")), adopt=bool(request.get("adopt"))
    )
    return asdict(report)


ControlServer.ops.update({"roster_sync": roster_sync, "roster_reconcile": roster_reconcile})
