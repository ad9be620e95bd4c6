"""The diff planner: what a terminal should hold, what it is known to hold -> the steps.

Pure: no store, no clock, no I/O, so every rule below is tested by itself.

Rules:
- someone the roster knows but who should not be on this terminal (removed, or not assigned
  to it) is deleted whole (``deleteuser`` 13);
- someone the roster does not know at all is left alone unless ``prune`` is asked for;
- a missing or different credential is set (``setuserinfo``); one the roster no longer has is
  deleted slot by slot;
- a changed name or admin level is sent by setting the person's first credential again, since
  ``setuserinfo`` carries both and every firmware since v1.2 has it;
- a person whose enabled flag differs gets ``enableuser``;
- a person with no credentials cannot exist on a terminal: they are deleted if held.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .model import Held, Op, OpKind, Wanted

__all__ = ["plan"]

WHOLE_USER = 13


def plan(
    wanted: Mapping[int, Wanted],
    held: Mapping[int, Held],
    known: Collection[int],
    *,
    prune: bool = False,
) -> list[Op]:
    """The steps that make a terminal hold exactly ``wanted``.

    Args:
        wanted: enrollid -> what this terminal should hold.
        held: enrollid -> what it is known to hold.
        known: every enrollid the roster knows (people and removed people); others found in
            ``held`` belong to someone else and are only deleted when ``prune`` is true.
        prune: delete people the roster does not know.

    Returns:
        Whole-user deletions first, then each person's steps in enrollid order.
    """
    deletions: list[Op] = []
    updates: list[Op] = []
    for enrollid in sorted(held):
        if enrollid in wanted and wanted[enrollid].credentials:
            continue
        if enrollid in known or prune:
            deletions.append(Op(OpKind.DELETE, enrollid, WHOLE_USER))
    for enrollid in sorted(wanted):
        updates.extend(_person(wanted[enrollid], held.get(enrollid)))
    return deletions + updates


def _person(want: Wanted, have: Held | None) -> list[Op]:
    if not want.credentials:
        return []
    have_creds = have.credentials if have else {}
    steps: list[Op] = []
    for slot in sorted(have_creds):
        if slot not in want.credentials:
            steps.append(Op(OpKind.DELETE, want.enrollid, slot))
    to_set = [
        slot for slot in sorted(want.credentials) if have_creds.get(slot) != want.credentials[slot]
    ]
    if have is not None and have_creds and not to_set:
        if (have.name or "") != want.name or (have.admin or 0) != want.admin:
            to_set.append(min(want.credentials))
    steps.extend(Op(OpKind.SET, want.enrollid, slot) for slot in to_set)
    held_enabled = True if have is None or have.enabled is None else have.enabled
    if not have_creds:
        held_enabled = True  # a user created by setuserinfo starts enabled
    if held_enabled != want.enabled:
        steps.append(Op(OpKind.ENABLE, want.enrollid, None, want.enabled))
    return steps
