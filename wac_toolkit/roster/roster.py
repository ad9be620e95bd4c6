"""``session.roster``: people, not terminals.

The roster says who exists, with which credentials, on which terminals ("all", a group, one
terminal). Every change is written to the store together with the steps it makes necessary
for each terminal (one transaction, ``store.roster_write``), and the
:class:`~.worker.SyncWorker` delivers them when the terminal is online. Direct commands (``session.set_user_info`` ...) are untouched: they
still fail at once when a terminal is offline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ..errors import StoreError, WacError
from ..events import (
    TerminalConnected,
    TerminalDisconnected,
    TerminalHeld,
    TerminalStateChanged,
    UserPushed,
)
from ..protocol.models import BackupNum, UserCredential
from ..store.base import OUTCOME_COLUMNS, QUEUE_COLUMNS, RosterTx
from . import csvio, queue, status, tables
from .drift import record_drift
from .model import ALL, Person, Target, check_credential, check_enrollid
from .reconcile import ReconcileReport, read_credentials, read_slots
from .worker import SyncWorker, now_micros, reap

if TYPE_CHECKING:
    import pandas as pd

    from ..session import Session

__all__ = ["Roster", "UNCHANGED"]

log = logging.getLogger(__name__)
T = TypeVar("T")

BULK = 64
"""A change to more people than this re-plans whole terminals instead of person by person."""


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()
"""Default of :meth:`Roster.update_person` arguments: leave the field as it is."""


class Roster:
    """The people of a site and their durable sync to every terminal.

    Attached to every Session as ``session.roster`` (:mod:`wac_toolkit.layers`); it learns of
    terminals through the Session's events and of direct commands through its
    ``command_hooks``. Settings may be changed any time:

    Attributes:
        adopt_pushed: people enrolled on a terminal's keypad (``senduser``) join the roster.
        spread_to: where such a new person is assigned (``"all"``, ``"group:x"``); None keeps
            them on the terminal they enrolled on.
        validity_check: seconds between looks for validity windows that opened or closed
            (``valid_from``/``valid_until``, terminal-local time); a person outside their
            window is disabled on their terminals (``enableuser``) and enabled again inside it.
    """

    def __init__(
        self,
        session: Session,
        *,
        max_attempts: int = 5,
        retry_base: float = 2.0,
        retry_max: float = 300.0,
        poll: float = 30.0,
        adopt_pushed: bool = True,
        spread_to: str | None = None,
        validity_check: float = 60.0,
    ) -> None:
        self.session = session
        self.store = session.store
        self.worker = SyncWorker(
            session,
            max_attempts=max_attempts,
            retry_base=retry_base,
            retry_max=retry_max,
            poll=poll,
        )
        self.adopt_pushed = adopt_pushed
        self.spread_to = spread_to
        self._validity_check = validity_check
        self._sweeper: asyncio.Task[None] | None = None
        self._swept_until: str | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.supported = hasattr(self.store, "roster_read") and hasattr(self.store, "roster_write")
        """False for a store without the roster's tables: then every roster call raises
        StoreError."""
        if not self.supported:
            return
        self._unsubscribe = session.subscribe(
            self._on_event, TerminalConnected, TerminalDisconnected, TerminalHeld,
            TerminalStateChanged, UserPushed,
        )  # fmt: skip
        session.command_hooks.append(self._after_command)

    def __repr__(self) -> str:
        return f"<Roster of {self.store!r}>"

    @property
    def max_attempts(self) -> int:
        return self.worker.max_attempts

    @max_attempts.setter
    def max_attempts(self, value: int) -> None:
        self.worker.max_attempts = int(value)

    @property
    def profile_form(self) -> bool:
        """Disable and enable with the v2.9 profile ``setuserinfo`` (``enable``) as well as
        ``enableuser``: some AI firmware's ``enableuser`` only blocks the face, while card and
        fingerprint still open (PROTOCOL.md 9.20). Off by default: older firmware refuses it."""
        return self.worker.profile_form

    @profile_form.setter
    def profile_form(self, value: bool) -> None:
        self.worker.profile_form = bool(value)

    @property
    def validity_check(self) -> float:
        return self._validity_check

    @validity_check.setter
    def validity_check(self, seconds: float) -> None:
        self._validity_check = float(seconds)
        if self._sweeper is not None and not self._sweeper.done():  # restart with the new pace
            old = self._sweeper
            old.cancel()
            self._background.add(old)  # stop() awaits it
            old.add_done_callback(self._background.discard)
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
            self._sweeper.add_done_callback(reap)

    async def stop(self) -> None:
        """Stop sending (queued steps stay in the store for the next start)."""
        tasks = [*self._background, *([self._sweeper] if self._sweeper else [])]
        current = asyncio.current_task()
        tasks = [t for t in tasks if t is not current]
        for task in tasks:
            task.cancel()
        self._sweeper = None
        await asyncio.gather(*tasks, return_exceptions=True)  # failures: logged when they end
        await self.worker.stop()

    # -- people -------------------------------------------------------------------------------

    async def add_person(
        self,
        enrollid: int,
        name: str = "",
        *,
        admin: int = 0,
        enabled: bool = True,
        pin: str | int | None = None,
        card: str | int | None = None,
        credentials: Mapping[int, str | int] | None = None,
        assign: Iterable[str | Target] | str = (ALL,),
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> Person:
        """Add someone, with credentials, to the terminals of ``assign`` (default every one).

        Pass PINs and cards as text to keep leading zeros (``pin="0012"``).

        Raises:
            ValueError: bad input, or the enrollid is taken (use :meth:`update_person`).
        """
        person = _person(
            enrollid, name, admin, enabled, pin, card, credentials, valid_from, valid_until
        )
        targets = _targets(assign)

        def write(tx: RosterTx) -> Person:
            if tables.get_person(tx, person.enrollid) is not None:
                raise ValueError(f"enrollid {person.enrollid} is already in the roster")
            tables.upsert_person(tx, person, source="api")
            tables.set_assignments(tx, person.enrollid, targets)
            return replace(person, targets=targets)

        return await self._change([person.enrollid], write)

    async def update_person(
        self,
        enrollid: int,
        *,
        name: str = UNCHANGED,
        admin: int = UNCHANGED,
        enabled: bool = UNCHANGED,
        pin: str | int | None = UNCHANGED,
        card: str | int | None = UNCHANGED,
        valid_from: datetime | None = UNCHANGED,
        valid_until: datetime | None = UNCHANGED,
    ) -> Person:
        """Change some fields of a person (``pin=None`` removes the PIN); returns the new state."""
        enrollid = check_enrollid(enrollid)
        changes: dict[str, Any] = {
            k: v
            for k, v in dict(
                name=name, admin=admin, enabled=enabled, valid_from=valid_from,
                valid_until=valid_until,
            ).items()
            if v is not UNCHANGED
        }  # fmt: skip
        slots = {
            slot: value
            for slot, value in ((BackupNum.PASSWORD, pin), (BackupNum.CARD, card))
            if value is not UNCHANGED
        }
        if "admin" in changes:
            changes["admin"] = _admin(changes["admin"])
        if "name" in changes:
            changes["name"] = str(changes["name"] or "")
        if "enabled" in changes:
            changes["enabled"] = bool(changes["enabled"])
        checked = {
            slot: None if value is None else check_credential(slot, value)[1]
            for slot, value in slots.items()
        }

        def write(tx: RosterTx) -> Person:
            person = _existing(tx, enrollid)
            creds = dict(person.credentials)
            for slot, value in checked.items():
                if value is None:
                    creds.pop(int(slot), None)
                else:
                    creds[int(slot)] = value
            person = replace(person, credentials=creds, **changes)
            tables.upsert_person(tx, person)
            return person

        return await self._change([enrollid], write)

    async def disable_person(self, enrollid: int) -> Person:
        """Keep someone on their terminals but refuse them (``enableuser`` 0)."""
        return await self.update_person(enrollid, enabled=False)

    async def enable_person(self, enrollid: int) -> Person:
        return await self.update_person(enrollid, enabled=True)

    async def remove_person(self, enrollid: int) -> bool:
        """Remove someone from the roster and from every terminal that holds them."""
        enrollid = check_enrollid(enrollid)
        return await self._change([enrollid], lambda tx: tx.remove_person(enrollid))

    async def set_credential(self, enrollid: int, backupnum: int, record: str | int) -> Person:
        """Add or replace one credential: a PIN (10), card (11), template (0-9, 20-27) or photo (50)."""
        enrollid = check_enrollid(enrollid)
        slot, text = check_credential(backupnum, record)

        def write(tx: RosterTx) -> Person:
            _existing(tx, enrollid)
            tx.put_credential(enrollid, int(slot), text)
            return _existing(tx, enrollid)

        return await self._change([enrollid], write)

    async def remove_credential(self, enrollid: int, backupnum: int) -> bool:
        enrollid = check_enrollid(enrollid)

        def write(tx: RosterTx) -> bool:
            _existing(tx, enrollid)
            return tx.delete_credential(enrollid, int(backupnum))

        return await self._change([enrollid], write)

    async def assign(
        self, enrollid: int, *targets: str | Target, replace_all: bool = False
    ) -> Person:
        """Put someone on more terminals (or, with ``replace_all``, on exactly these)."""
        enrollid = check_enrollid(enrollid)
        new = _targets(targets)

        def write(tx: RosterTx) -> Person:
            person = _existing(tx, enrollid)
            keep = () if replace_all else person.targets
            tables.set_assignments(tx, enrollid, dict.fromkeys((*keep, *new)))
            return _existing(tx, enrollid)

        return await self._change([enrollid], write)

    async def unassign(self, enrollid: int, *targets: str | Target) -> Person:
        """Take someone off terminals; they are deleted from the ones no longer covered."""
        enrollid = check_enrollid(enrollid)
        gone = set(_targets(targets))

        def write(tx: RosterTx) -> Person:
            person = _existing(tx, enrollid)
            tables.set_assignments(tx, enrollid, [t for t in person.targets if t not in gone])
            return _existing(tx, enrollid)

        return await self._change([enrollid], write)

    async def set_group(self, name: str, sns: Iterable[str]) -> list[str]:
        """Define (or redefine) a named group of terminals, e.g. ``"front"``."""
        name = str(name).strip()
        if not name:
            raise ValueError("a group needs a name")
        members = sorted({str(sn).strip() for sn in sns if str(sn).strip()})
        now, local_now = now_micros(), self._local_now()

        def write(tx: RosterTx) -> set[str]:
            before = set(tx.group_members(name))
            tx.set_group(name, members)
            known = tx.known_ids()
            touched = before | set(members)
            for sn in touched:
                queue.replan(tx, sn, now, known=known, local_now=local_now)
            tx.bump()
            return touched

        for sn in await self._write(write):
            self.worker.kick(sn)
        return members

    # -- reading ------------------------------------------------------------------------------

    def person(self, enrollid: int) -> Person | None:
        return self._read(lambda tx: tables.get_person(tx, int(enrollid)))

    def people(self) -> pd.DataFrame:
        """One row per person: credentials shown as which slots exist, never their content."""
        import pandas as pd

        rows = [
            {
                **p.summary(),
                "fingerprints": sum(1 for s in p.credentials if 0 <= s <= 9),
                "face": any(20 <= s <= 27 or s == 50 for s in p.credentials),
                "valid_from": p.valid_from,
                "valid_until": p.valid_until,
                "assign": ";".join(str(t) for t in p.targets),
            }
            for p in self._read(tables.list_people)
        ]
        columns = ["enrollid", "name", "admin", "enabled", "pin", "card", "fingerprints",
                   "face", "valid_from", "valid_until", "assign"]  # fmt: skip
        frame = pd.DataFrame(rows, columns=columns)
        return frame.astype(
            {"enrollid": "int64", "name": "string", "admin": "int8", "enabled": "bool",
             "pin": "bool", "card": "bool", "fingerprints": "int8", "face": "bool",
             "assign": "string", "valid_from": "datetime64[us]", "valid_until": "datetime64[us]"}
        )  # fmt: skip

    def groups(self) -> dict[str, list[str]]:
        return self._read(lambda tx: tx.groups())

    def pending(self, sn: str | None = None) -> pd.DataFrame:
        """Queued steps (oldest first per terminal); ``attempts`` counts refusals so far."""
        return _frame(self._read(lambda tx: tx.pending_rows(sn)), QUEUE_COLUMNS)

    def outcomes(self, sn: str | None = None, limit: int | None = None) -> pd.DataFrame:
        """Settled steps, oldest first: ``ok`` and, for failures, the terminal's ``reason``."""
        rows = self._read(lambda tx: tx.outcome_rows(sn, limit))
        return _frame(rows, OUTCOME_COLUMNS)

    def conflicts(self) -> pd.DataFrame:
        """Keypad enrolments not applied because they would have changed a person enrolled
        elsewhere (or by the API): which terminal, who, which slot, when, how often. The
        credential itself is never shown; apply one deliberately with :meth:`set_credential`."""
        import pandas as pd

        rows = self._read(lambda tx: tx.conflicts())
        columns = ["id", "sn", "enrollid", "backupnum", "name", "first_at", "last_at", "count"]
        frame = pd.DataFrame(rows, columns=columns)
        for column in ("first_at", "last_at"):
            frame[column] = pd.to_datetime(frame[column].astype("int64"), unit="us", utc=True)
        return frame.astype(
            {"id": "int64", "sn": "string", "enrollid": "int64", "backupnum": "int16",
             "name": "string", "count": "int64"}
        )  # fmt: skip

    def pending_counts(self) -> dict[str, int]:
        """Queued steps per known terminal (0 included): what a "pending" sensor shows."""
        return self._read(lambda tx: tx.queue_counts(tx.terminals()))

    def queue_status(self) -> dict[str, status.QueueStatus]:
        """Per known terminal: how many steps wait, since when, retrying, the last failure."""
        return self._read(status.queue_status)

    def queued_for(self, enrollid: int) -> dict[str, list[dict[str, Any]]]:
        """One person's queued steps per terminal (cmd, backupnum, attempts, last_error)."""
        return self._read(lambda tx: status.queued_for(tx, enrollid))

    # -- sync ---------------------------------------------------------------------------------

    async def sync(self, sn: str | None = None, *, only_if_behind: bool = False) -> int:
        """Re-plan ``sn`` (or every terminal) against what it is known to hold; returns the
        number of queued steps. Failed steps are queued again.

        With ``only_if_behind`` a terminal already planned against the current roster is left
        as it is (what a reconnect does, so a reconnect storm costs no planning).
        """
        now, local_now = now_micros(), self._local_now()

        def write(tx: RosterTx) -> dict[str, int]:
            sns = [sn] if sn is not None else tx.terminals()
            if only_if_behind:
                sns = [s for s in sns if not tx.is_current(s)]
                if not sns:  # a reconnect of a terminal planned already: one lookup, no scan
                    return {}
            known = tx.known_ids()
            return {s: queue.replan(tx, s, now, known=known, local_now=local_now) for s in sns}

        planned = await self._write(write)
        for s in planned:
            self.worker.kick(s)
        return sum(planned.values())

    async def wait_synced(self, sn: str | None = None, timeout: float | None = 60.0) -> None:
        """Until no step is due on ``sn`` (or any online terminal); retries waiting to come
        back are not waited for."""
        sns = [sn] if sn is not None else [t.sn for t in self.session.terminals() if t.online]

        async def idle() -> None:
            for s in sns:
                await self.worker.wait_idle(s)

        async with asyncio.timeout(timeout):
            await idle()

    async def reconcile(
        self, sn: str, *, prune: bool = False, adopt: bool = False
    ) -> ReconcileReport:
        """Read what ``sn`` really holds, then queue the repairs both ways.

        Args:
            prune: also delete people the roster does not know.
            adopt: add people the roster does not know to it, assigned to ``sn``.

        Raises:
            TerminalOffline: ``sn`` is not connected.
        """
        async with self.worker.paused(sn):  # no step of ours changes it while we read
            slots = await read_slots(self.session, sn)
            known_now = await self._write(lambda tx: tx.known_ids())
            # records are read only where they matter: people the roster knows (to compare)
            # and, when adopting, the others; an unknown person's slots suffice to prune them
            wanted_slots = [s for s in slots if adopt or s.enrollid in known_now]
            credentials, unreadable = await read_credentials(self.session, sn, wanted_slots)
        credentials += [
            UserCredential(enrollid=s.enrollid, backupnum=BackupNum(s.backupnum), admin=s.admin)
            for s in slots
            if not (adopt or s.enrollid in known_now)
        ]
        admins = {s.enrollid: s.admin for s in slots}
        now, local_now = now_micros(), self._local_now()

        def write(tx: RosterTx) -> tuple[list[int], list[int], int]:
            tx.replace_held(sn, credentials)
            known = tx.known_ids()
            unknown = sorted({c.enrollid for c in credentials} - known)
            adopted: list[int] = []
            if adopt:
                for enrollid in unknown:
                    mine = [c for c in credentials if c.enrollid == enrollid]
                    creds = _adoptable(mine)
                    if not creds:
                        continue
                    person = Person(
                        enrollid=enrollid,
                        name=next((c.name for c in mine if c.name), "") or "",
                        admin=admins.get(enrollid, mine[0].admin),
                        credentials=creds,
                    )
                    tables.upsert_person(tx, person, source=f"reconcile:{sn}")
                    tables.set_assignments(tx, enrollid, [Target("terminal", sn)])
                    adopted.append(enrollid)
                known = known | set(adopted)
            queued = queue.replan(tx, sn, now, prune=prune, known=known, local_now=local_now)
            return unknown, adopted, queued

        unknown, adopted, queued = await self._write(write)
        self.worker.kick(sn)
        return ReconcileReport(
            sn=sn,
            held=len({s.enrollid for s in slots}),
            unknown=tuple(e for e in unknown if e not in adopted),
            adopted=tuple(adopted),
            queued=queued,
            unreadable=tuple(unreadable),
        )

    # -- CSV ----------------------------------------------------------------------------------

    async def import_csv(
        self, source: str | Path | IO[str], *, assign: Iterable[str | Target] | str = (ALL,)
    ) -> int:
        """Add or update people from CSV (see :mod:`.csvio`); new people without an ``assign``
        cell go to ``assign``. All rows apply in one transaction or none do."""
        if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
            source = Path(source).read_text(encoding="utf-8-sig")
        rows = csvio.read_people(source)
        default = _targets(assign)

        def write(tx: RosterTx) -> int:
            for row in rows:
                person = tables.get_person(tx, row.enrollid) or Person(enrollid=row.enrollid)
                creds = dict(person.credentials)
                if row.pin is not None:
                    creds[BackupNum.PASSWORD] = row.pin
                if row.card is not None:
                    creds[BackupNum.CARD] = row.card
                updated = replace(
                    person,
                    name=row.name if row.name is not None else person.name,
                    admin=row.admin if row.admin is not None else person.admin,
                    enabled=row.enabled if row.enabled is not None else person.enabled,
                    valid_from=row.valid_from or person.valid_from,
                    valid_until=row.valid_until or person.valid_until,
                    credentials=creds,
                )
                tables.upsert_person(tx, updated, source="csv")
                if row.assign is not None:
                    tables.set_assignments(tx, row.enrollid, row.assign)
                elif not person.targets:
                    tables.set_assignments(tx, row.enrollid, default)
            return len(rows)

        return await self._change([r.enrollid for r in rows], write)

    def export_csv(self, target: str | Path | IO[str]) -> int:
        """Write the roster as CSV; returns how many people were written."""
        people = self._read(tables.list_people)
        if isinstance(target, (str, Path)):
            with open(target, "w", encoding="utf-8", newline="") as handle:
                return csvio.write_people(people, handle)
        return csvio.write_people(people, target)

    # -- internals ----------------------------------------------------------------------------

    def _read(self, fn: Callable[[RosterTx], T]) -> T:
        self._check()
        result: T = self.store.roster_read(fn)
        return result

    async def _write(self, fn: Callable[[RosterTx], T]) -> T:
        self._check()
        result: T = await self.store.roster_write(fn)
        return result

    def _check(self) -> None:
        if not self.supported:
            raise StoreError(f"the roster needs a store with its tables, not {self.store!r}")

    async def _change(self, enrollids: list[int], fn: Callable[[RosterTx], T]) -> T:
        """Apply ``fn`` and re-plan every terminal these people were, are, or are queued on.

        One transaction; if ``fn`` raises (bad input, unknown person), only this change is
        undone, never the other writes sharing the store's transaction, and the error is
        raised here as it was (``Store.roster_write``).
        """
        now, local_now = now_micros(), self._local_now()
        ids = sorted(set(enrollids))

        def write(tx: RosterTx) -> tuple[T, set[str]]:
            if len(ids) > BULK:  # one full re-plan per terminal beats thousands of small ones
                everywhere = _everywhere(tx)
                result = fn(tx)
                known = tx.known_ids()
                touched = everywhere | _everywhere(tx)
                for sn in touched:
                    queue.replan(tx, sn, now, known=known, local_now=local_now)
            else:
                before = {e: _reach(tx, e) for e in ids}
                result = fn(tx)
                known = tx.known_ids()
                touched = set()
                for e in ids:
                    for sn in before[e] | _reach(tx, e):
                        queue.replan(tx, sn, now, [e], known=known, local_now=local_now)
                        touched.add(sn)
            tx.bump()
            return result, touched

        result, touched = await self._write(write)
        for sn in touched:
            self.worker.kick(sn)
        return result

    def _on_event(self, event: object) -> Any:
        if isinstance(event, TerminalConnected):
            return self._guard(self._connected(event.sn))
        if isinstance(event, (TerminalDisconnected, TerminalHeld)):
            self.worker.kick(event.sn)  # held: the lease is ours, deliver what is queued
        elif isinstance(event, TerminalStateChanged) and event.state != "adopted":
            return self._guard(self.sync(event.sn))  # blocked or forgotten: drop its steps
        elif isinstance(event, UserPushed) and self.adopt_pushed:
            return self._guard(self._adopt(event))
        return None

    async def _after_command(self, sn: str, cmd: str, fields: dict[str, Any]) -> None:
        """The Session's command hook: a ``deleteuser``/``cleanuser``/``initsys`` sent
        outside the roster is drift (:mod:`.drift`); awaited in the sender's task, so the
        roster's own steps are told apart by their context variable."""
        await record_drift(self, sn, cmd, fields)

    async def _guard(self, coro: Any) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._background.add(task)
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except WacError as exc:
            log.warning("roster: %s", exc)
        except Exception:
            log.exception("roster event handling failed")
        finally:
            if task is not None:
                self._background.discard(task)

    async def _connected(self, sn: str) -> None:
        """A terminal (re)connected: plan it if the roster changed since its last full plan (a
        new terminal, or changes made by another process), then deliver what it missed."""
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep(), name="wac-roster-validity")
            self._sweeper.add_done_callback(reap)
        await self.sync(sn, only_if_behind=True)
        self.worker.kick(sn)

    async def _sweep(self) -> None:
        """Re-plan the people whose validity window opened or closed since the last look."""
        if self._swept_until is None:
            self._swept_until = self._local_now()
        while True:
            await asyncio.sleep(self.validity_check)
            now = self._local_now()
            since = self._swept_until
            try:
                crossed = await self._write(_crossed(since, now))
                if crossed:  # re-plan just them, wherever they are
                    await self._change(crossed, lambda tx: None)
            except WacError as exc:
                log.warning("roster: validity check failed: %s", exc)
                continue
            self._swept_until = now

    def _local_now(self) -> str:
        return self.session.now_local().strftime("%Y-%m-%d %H:%M:%S")

    async def _adopt(self, event: UserPushed) -> None:
        """A keypad enrolment from an adopted terminal: a new person joins the roster; one
        that would change an existing person's credential is a conflict (recorded in
        :meth:`conflicts`, not applied, and the terminal is set back to the roster's view)
        unless the person was enrolled on that very terminal."""
        terminal = self.session.terminal(event.sn)
        if terminal is None or not terminal.adopted:
            log.info("roster: keypad enrolment from %s ignored: not adopted", event.sn)
            return
        credential = event.credential
        try:
            enrollid = check_enrollid(credential.enrollid)
            slot, text = check_credential(credential.backupnum, credential.record)
        except ValueError as exc:
            log.info("roster: not adopting a keypad enrolment from %s: %s", event.sn, exc)
            return
        spread = self.spread_to

        def write(tx: RosterTx) -> None:
            person = tables.get_person(tx, enrollid)
            if person is None and enrollid in tx.known_ids():
                # removed from the roster: a late re-send must not bring them back; the
                # re-plan below deletes them from this terminal again
                log.info("roster: %s pushed removed person %s; not adopted", event.sn, enrollid)
                return
            if person is None:
                person = Person(
                    enrollid=enrollid, name=credential.name or "", admin=credential.admin
                )
                tables.upsert_person(
                    tx, replace(person, credentials={int(slot): text}), source=f"keypad:{event.sn}"
                )
                target = Target.parse(spread) if spread else Target("terminal", event.sn)
                tables.set_assignments(tx, enrollid, [target])
            elif person.credentials.get(int(slot)) == text:
                return  # a re-send of what the roster already has
            elif _enrolled_on(tx, enrollid) == event.sn:
                tx.put_credential(enrollid, int(slot), text)
            else:
                log.warning(
                    "roster: keypad enrolment from %s would change %s of person %s, enrolled"
                    " elsewhere; recorded as a conflict, not applied (wac roster conflicts)",
                    event.sn, slot.label, enrollid,
                )  # fmt: skip
                tx.record_conflict(
                    event.sn, enrollid, int(slot), text, credential.name, now_micros()
                )

        await self._change([enrollid], write)


def _crossed(since: str, until: str) -> Callable[[RosterTx], list[int]]:
    return lambda tx: tx.window_crossed(since, until)


def _enrolled_on(tx: RosterTx, enrollid: int) -> str | None:
    """The terminal whose keypad created this person, if any (``source`` ``keypad:SN``)."""
    source = tx.person_source(enrollid)
    return source[len("keypad:") :] if source and source.startswith("keypad:") else None


def _everywhere(tx: RosterTx) -> set[str]:
    return set(tx.terminals()) | tx.queued_terminals()


def _reach(tx: RosterTx, enrollid: int) -> set[str]:
    return tx.terminals_for(enrollid) | tx.holders(enrollid) | tx.queued_terminals(enrollid)


def _existing(tx: RosterTx, enrollid: int) -> Person:
    person = tables.get_person(tx, enrollid)
    if person is None:
        raise ValueError(f"enrollid {enrollid} is not in the roster")
    return person


def _admin(value: Any) -> int:
    try:
        admin = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"admin must be 0, 1 or 2, not {value!r}") from None
    if admin not in (0, 1, 2):
        raise ValueError(f"admin must be 0, 1 or 2, not {value!r}")
    return admin


def _targets(assign: Iterable[str | Target] | str) -> tuple[Target, ...]:
    if isinstance(assign, (str, Target)):
        assign = [assign]
    return tuple(dict.fromkeys(Target.parse(t) for t in assign))


def _person(
    enrollid: Any,
    name: str,
    admin: Any,
    enabled: bool,
    pin: Any,
    card: Any,
    credentials: Mapping[int, Any] | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
) -> Person:
    creds: dict[int, str] = {}
    for slot, record in (credentials or {}).items():
        checked, text = check_credential(slot, record)
        creds[int(checked)] = text
    for slot, record in ((BackupNum.PASSWORD, pin), (BackupNum.CARD, card)):
        if record is not None:
            creds[int(slot)] = check_credential(slot, record)[1]
    if valid_from and valid_until and valid_until < valid_from:
        raise ValueError("valid_until is before valid_from")
    return Person(
        enrollid=check_enrollid(enrollid),
        name=str(name or ""),
        admin=_admin(admin),
        enabled=bool(enabled),
        valid_from=valid_from,
        valid_until=valid_until,
        credentials=dict(sorted(creds.items())),
    )


def _adoptable(credentials: Iterable[Any]) -> dict[int, str]:
    out: dict[int, str] = {}
    for c in credentials:
        try:
            slot, text = check_credential(c.backupnum, c.record)
        except ValueError:
            continue
        out[int(slot)] = text
    return out


def _frame(rows: list[tuple[Any, ...]], columns: tuple[str, ...]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(columns))
    for column in ("next_at", "created_at", "at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column].astype("int64"), unit="us", utc=True)
    if "next_at" in frame:  # 0 means "no wait": NaT, not 1970-01-01
        frame["next_at"] = frame["next_at"].where(frame["next_at"].dt.year > 1970)
    types = {"id": "int64", "sn": "string", "cmd": "string", "enrollid": "int64",
             "backupnum": "Int16", "enabled": "boolean", "attempts": "int16",
             "ok": "bool", "reason": "string", "last_error": "string"}  # fmt: skip
    return frame.astype({k: v for k, v in types.items() if k in frame})
