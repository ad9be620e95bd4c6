"""The terminal registry: who may talk to us, and as whom.

The protocol has no authentication: a terminal is whoever says its serial number in ``reg``.
So a serial seen for the first time is *pending* (its frames are answered, its logs kept
apart, but it gets no credentials, no roster steps, and its pushes change nobody) until an
operator *adopts* it, as ZKTeco BioTime's authorised devices and UniFi's "adopt" do; a
*blocked* serial is refused at ``reg``. Adoption pins what the terminal said of itself
(cpusn, MAC, model), so a later connection claiming the serial with another identity is
refused instead of replacing the real terminal. A device that copies cpusn and MAC as well
is not stopped by this: only TLS, a path secret or a separate network stop it.

Pure bookkeeping, no I/O: the Session asks :meth:`Registry.admit` about each ``reg`` and
writes what it decides to the store.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .protocol.models import DeviceInfo

__all__ = [
    "IDENTITY_KEYS",
    "Admission",
    "Registry",
    "Terminal",
    "TerminalState",
    "identity_of",
    "identity_matches",
]

IDENTITY_KEYS = ("cpusn", "mac", "modelname")
"""What ``reg`` says that a terminal cannot change by itself; firmware is recorded, not
compared (an upgrade changes it)."""


class TerminalState(StrEnum):
    PENDING = "pending"
    """Seen, not trusted: answered, logs kept apart, nothing sent to it, its pushes ignored."""
    ADOPTED = "adopted"
    """Trusted by an operator (or by ``adopt_new`` in a lab): gets the roster and commands."""
    BLOCKED = "blocked"
    """Refused at ``reg`` (``result:false``, close 1008)."""


@dataclass(frozen=True, slots=True)
class Terminal:
    """What the session knows about one terminal."""

    sn: str
    online: bool
    info: DeviceInfo | None = None
    last_seen: datetime | None = None
    remote: str | None = None
    state: TerminalState = TerminalState.PENDING
    identity: dict[str, str] | None = field(default=None, compare=False)
    """The pinned identity (cpusn, mac, modelname as first adopted); None until adopted."""
    first_seen: datetime | None = None

    @property
    def modelname(self) -> str | None:
        return self.info.modelname if self.info else None

    @property
    def firmware(self) -> str | None:
        return self.info.firmware if self.info else None

    @property
    def adopted(self) -> bool:
        return self.state == TerminalState.ADOPTED


def identity_of(info: DeviceInfo | None) -> dict[str, str]:
    """The comparable identity a ``reg`` claims (normalised: a MAC's case and separators
    do not make a different terminal)."""
    if info is None:
        return {}
    out: dict[str, str] = {}
    for key in IDENTITY_KEYS:
        value = getattr(info, key, None)
        if value is None:
            continue
        text = str(value).strip()
        if key == "mac":
            text = "".join(c for c in text.lower() if c.isalnum())
        if text:
            out[key] = text
    return out


def identity_matches(pinned: dict[str, str] | None, claimed: dict[str, str]) -> bool:
    """Every pinned key must be claimed with the same value (a missing one does not match:
    leaving cpusn out must not be a way around the pin)."""
    if not pinned:
        return True
    return all(claimed.get(key) == value for key, value in pinned.items())


@dataclass(frozen=True, slots=True)
class Admission:
    """What to do with one ``reg``.

    ``reason`` is set when it is refused; then nothing else changed. ``evicted`` lists the
    pending serials forgotten to stay under the cap (the caller drops them from the store).
    """

    terminal: Terminal | None
    reason: str | None = None
    new: bool = False
    conflict: tuple[dict[str, str], dict[str, str]] | None = None
    first_conflict: bool = False
    evicted: tuple[str, ...] = ()


class Registry:
    """Every terminal the session knows, its state and pinned identity, and who is online.

    Args:
        max_pending: pending terminals kept; the one seen longest ago is forgotten to make
            room, so a device cycling through serials cannot grow memory or the store.
        max_conflicts: distinct (serial, claimed identity) pairs remembered so each conflict
            is logged and published once.
    """

    def __init__(self, *, max_pending: int = 1000, max_conflicts: int = 4096) -> None:
        self.max_pending = max_pending
        self.max_conflicts = max_conflicts
        self._terminals: dict[str, Terminal] = {}
        self._conflicts: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._terminals)

    def __contains__(self, sn: object) -> bool:
        return sn in self._terminals

    def get(self, sn: str) -> Terminal | None:
        return self._terminals.get(sn)

    def all(self) -> list[Terminal]:
        return list(self._terminals.values())

    def put(self, terminal: Terminal) -> Terminal:
        self._terminals[terminal.sn] = terminal
        return terminal

    def update(self, sn: str, **changes: Any) -> Terminal | None:
        terminal = self._terminals.get(sn)
        if terminal is None:
            return None
        terminal = replace(terminal, **changes)
        self._terminals[sn] = terminal
        return terminal

    def drop(self, sn: str) -> Terminal | None:
        return self._terminals.pop(sn, None)

    def load(self, row: dict[str, Any], info: DeviceInfo | None) -> Terminal:
        """A terminal as the store remembers it (offline until it connects)."""
        try:
            state = TerminalState(row.get("state") or TerminalState.PENDING)
        except ValueError:
            state = TerminalState.PENDING
        identity = row.get("identity")
        if state == TerminalState.ADOPTED and identity is None and info is not None:
            identity = identity_of(info) or None  # adopted before pinning existed
        return self.put(
            Terminal(
                row["sn"],
                False,
                info,
                row.get("last_seen"),
                row.get("remote"),
                state,
                identity,
                row.get("first_seen"),
            )
        )

    def pending_count(self) -> int:
        return sum(1 for t in self._terminals.values() if t.state == TerminalState.PENDING)

    def admit(
        self, info: DeviceInfo, remote: str | None, now: datetime, *, adopt_new: bool
    ) -> Admission:
        """Decide on a ``reg`` for ``info.sn`` and, when it is accepted, record it online."""
        sn = info.sn
        known = self._terminals.get(sn)
        claimed = identity_of(info)
        if known is not None and known.state == TerminalState.BLOCKED:
            return Admission(known, "terminal blocked")
        if (
            known is not None
            and known.state == TerminalState.ADOPTED
            and not identity_matches(known.identity, claimed)
        ):
            key = (sn, tuple(sorted(claimed.items())))
            first = key not in self._conflicts
            if first:
                self._conflicts[key] = None
                while len(self._conflicts) > self.max_conflicts:
                    self._conflicts.popitem(last=False)
            return Admission(
                known,
                "identity mismatch",
                conflict=(dict(known.identity or {}), claimed),
                first_conflict=first,
            )
        evicted: tuple[str, ...] = ()
        if known is None:
            state = TerminalState.ADOPTED if adopt_new else TerminalState.PENDING
            if state == TerminalState.PENDING:
                evicted = self._make_room()
            terminal = Terminal(
                sn,
                True,
                info,
                now,
                remote,
                state,
                claimed if state == TerminalState.ADOPTED else None,
                now,
            )
        else:
            identity = known.identity
            if known.state == TerminalState.ADOPTED and not identity:
                identity = claimed or None  # adopted before it ever connected: pin it now
            terminal = replace(
                known, online=True, info=info, last_seen=now, remote=remote, identity=identity
            )
            if terminal.first_seen is None:
                terminal = replace(terminal, first_seen=now)
        self.put(terminal)
        return Admission(terminal, new=known is None, evicted=evicted)

    def _make_room(self) -> tuple[str, ...]:
        """Forget the pending terminals seen longest ago (offline ones first) to stay under
        ``max_pending`` once the new one is added."""
        pending = [t for t in self._terminals.values() if t.state == TerminalState.PENDING]
        excess = len(pending) + 1 - self.max_pending
        if excess <= 0:
            return ()
        floor = datetime.min
        pending.sort(key=lambda t: (t.online, _naive(t.last_seen) or floor))
        gone = tuple(t.sn for t in pending[:excess])
        for sn in gone:
            del self._terminals[sn]
        return gone

    def set_state(
        self, sn: str, state: TerminalState, now: datetime, *, dry_run: bool = False
    ) -> tuple[Terminal, TerminalState | None]:
        """Set ``sn``'s state (creating an offline entry for a serial never seen: adopting it
        ahead of its first connection). Returns the terminal and its previous state; with
        ``dry_run`` nothing changes yet (the caller stores it first, then :meth:`put`)."""
        known = self._terminals.get(sn)
        before = known.state if known is not None else None
        if known is None:
            known = Terminal(sn, False, None, None, None, state, None, None)
        identity = known.identity
        if state == TerminalState.ADOPTED and not identity:
            identity = identity_of(known.info) or None
        if state != TerminalState.ADOPTED:
            identity = None if state == TerminalState.PENDING else identity
        terminal = replace(known, state=state, identity=identity)
        if not dry_run:
            self.put(terminal)
        return terminal, before


def _naive(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=None)
