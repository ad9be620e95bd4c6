"""Answers to a terminal asking the server whether to open: ``sendqrcode`` and ``sendpin``.

The Session's ``access_policy(sn, cmd, frame) -> AccessDecision`` decides (the same hook
answers ``sendlog`` from terminals in server-verification mode); without a policy every
request is granted. The terminal waits for this reply before it opens, so the policy must be
quick and must not block.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .net.peer import Peer
from .protocol.handlers import ack
from .protocol.values import as_text

if TYPE_CHECKING:
    from .session import AccessDecision, Session

__all__ = ["access_reply", "on_sendpin", "on_sendqrcode"]

log = logging.getLogger(__name__)


def access_reply(cmd: str, decision: AccessDecision) -> dict[str, Any]:
    """The reply a terminal needs: ``access`` 1/0 plus what to show and log (PROTOCOL.md 4.4)."""
    reply = ack(cmd, access=int(decision.access))
    if decision.enrollid is not None:
        reply["enrollid"] = decision.enrollid
    if decision.name is not None:
        reply["username" if cmd == "sendqrcode" else "name"] = decision.name
    if decision.message is not None:
        reply["message"] = decision.message[:125]
    return reply


def _decide(session: Session, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
    from .session import AccessDecision

    cmd = frame["cmd"]
    if session.access_policy is None:
        decision = AccessDecision(True)
    else:
        decision = session._decide(peer, cmd, frame)
    log.info("terminal %s %s: access %s", peer.sn, cmd, "granted" if decision.access else "refused")
    return access_reply(cmd, decision)


async def on_sendqrcode(session: Session, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
    """A scanned QR code (``record``); the code itself is never logged."""
    if as_text(frame.get("record")) is None:
        return {"ret": "sendqrcode", "result": False, "reason": 1}
    return _decide(session, peer, frame)


async def on_sendpin(session: Session, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
    """A PIN typed in server-keypad mode (``pin``); the PIN itself is never logged."""
    if as_text(frame.get("pin")) is None:
        return {"ret": "sendpin", "result": False, "reason": 1}
    return _decide(session, peer, frame)
