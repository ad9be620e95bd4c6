"""Answers to a terminal asking the server whether to open: ``sendqrcode`` and ``sendpin``.

The Session's ``access_policy(sn, cmd, frame) -> AccessDecision`` decides (the same hook
answers ``sendlog`` from terminals in server-verification mode). Without a policy the roster
decides (:func:`roster_decision`): only an enabled person assigned to that (adopted)
terminal, inside their validity window, whose PIN or card matches, is let in; everything else
is refused with a message. ``Session(grant_all=True)`` (``wac serve --grant-all``) grants
every request, for a lab. The terminal waits for this reply before it opens, so the policy
must be quick and must not block.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import StoreError
from .net.peer import Peer
from .protocol.handlers import ack
from .protocol.models import BackupNum, LogRecord
from .protocol.values import as_text

if TYPE_CHECKING:
    from .session import Session
    from .store.base import RosterTx

__all__ = [
    "AccessDecision",
    "AccessPolicy",
    "access_reply",
    "grant_all",
    "on_sendpin",
    "on_sendqrcode",
    "roster_decision",
]


@dataclass(frozen=True, slots=True)
class AccessDecision:
    """What a server-verification terminal should do: open (``access`` 1) or not, and say what."""

    access: bool
    message: str | None = None
    enrollid: int | None = None
    name: str | None = None


AccessPolicy = Callable[[str, str, dict[str, Any]], AccessDecision]
"""``policy(sn, cmd, frame)`` decides ``sendqrcode`` / ``sendpin`` / server-mode ``sendlog``."""

DENIED = "Access denied"
"""What a refused person sees (the same for an unknown code and a known person refused here,
so the message tells a guesser nothing)."""


def grant_all(sn: str, cmd: str, frame: dict[str, Any]) -> AccessDecision:
    """The lab policy: open for everyone (``wac serve --grant-all``)."""
    return AccessDecision(True)


async def roster_decision(
    session: Session,
    sn: str,
    cmd: str,
    frame: dict[str, Any],
    record: LogRecord | None = None,
) -> AccessDecision:
    """The default: grant only an enabled person assigned to the adopted terminal ``sn``,
    inside their validity window, whose PIN (``sendpin``), card (``sendqrcode``: the code is
    compared with cards) or enrollid (server-mode ``sendlog``: the terminal matched the face
    or finger itself) matches."""
    terminal = session.terminal(sn)
    if terminal is None or not terminal.adopted or not hasattr(session.store, "roster_read"):
        return AccessDecision(False, DENIED)
    local_now = session.now_local().strftime("%Y-%m-%d %H:%M:%S")
    if cmd == "sendpin":
        slot, code = BackupNum.PASSWORD, as_text(frame.get("pin"))
    elif cmd == "sendqrcode":
        slot, code = BackupNum.CARD, as_text(frame.get("record"))
    else:
        slot, code = None, None

    def read(tx: RosterTx) -> AccessDecision:
        if slot is None:
            candidates = [record.enrollid] if record and record.enrollid else []
        else:
            candidates = _holders(tx.credential_records(int(slot)), int(slot), code)
        if not candidates:
            return AccessDecision(False, DENIED)
        wanted = tx.wanted(sn, candidates, local_now)
        for enrollid in candidates:
            person = wanted.get(enrollid)
            if person is not None and person.enabled and person.credentials:
                return AccessDecision(True, None, enrollid=enrollid, name=person.name or None)
        return AccessDecision(False, DENIED)

    try:
        return await asyncio.get_running_loop().run_in_executor(
            None, session.store.roster_read, read
        )
    except StoreError:  # the store failed: the door stays shut
        log.exception("roster verification failed for %s from %s; refusing", cmd, sn)
        return AccessDecision(False, DENIED)


def _holders(rows: list[tuple[int, str]], slot: int, code: str | None) -> list[int]:
    """People whose PIN / card is ``code``: a PIN exactly ("0012" is not "12"), a card as a
    number when both are digits (readers and QR codes differ on leading zeros)."""
    if not code:
        return []
    code = code.strip()
    numeric = slot == BackupNum.CARD and code.isdigit()
    return [e for e, r in rows if r == code or (numeric and r.isdigit() and int(r) == int(code))]


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


async def _decide(session: Session, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
    cmd = frame["cmd"]
    if session.access_policy is None:
        decision = await roster_decision(session, peer.sn or "", cmd, frame)
    else:
        decision = session._decide(peer, cmd, frame)
    log.info("terminal %s %s: access %s", peer.sn, cmd, "granted" if decision.access else "refused")
    return access_reply(cmd, decision)


async def on_sendqrcode(session: Session, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
    """A scanned QR code (``record``); the code itself is never logged."""
    if as_text(frame.get("record")) is None:
        return {"ret": "sendqrcode", "result": False, "reason": 1}
    return await _decide(session, peer, frame)


async def on_sendpin(session: Session, peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
    """A PIN typed in server-keypad mode (``pin``); the PIN itself is never logged."""
    if as_text(frame.get("pin")) is None:
        return {"ret": "sendpin", "result": False, "reason": 1}
    return await _decide(session, peer, frame)
