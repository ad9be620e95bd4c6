"""Who is who: names for enrollids (the roster first, then names terminals sent in logs),
and ``--person NAME`` resolved to enrollids.

Terminals often send no name with a punch; the roster knows people by name. Every ``%wac``
view that shows a person (logs filter, timesheet, presence, the dashboard's feed) uses
these, so a name means the same person everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from ..session import Session

__all__ = ["match_person", "roster_names"]


def roster_names(session: Session) -> dict[int, str]:
    """``{enrollid: name}`` for everyone in the roster with a name."""
    try:
        people = session.roster.people()
    except Exception:  # a store without roster tables (read-only, older file): no names
        return {}
    return {int(e): str(n) for e, n in zip(people["enrollid"], people["name"], strict=True) if n}


def match_person(name: str, roster: dict[int, str], logs: pd.DataFrame | None = None) -> list[int]:
    """The enrollids ``name`` means: a number is itself; otherwise names that equal it
    (case-insensitive), or, when none does, names that start with or contain it.

    Raises:
        ValueError: nobody matches; the message lists a few known names.
    """
    wanted = name.strip()
    if wanted.isdigit():
        return [int(wanted)]
    known: dict[int, set[str]] = {}
    for enrollid, person in roster.items():
        known.setdefault(enrollid, set()).add(person)
    if logs is not None and "name" in logs.columns and len(logs):
        pairs = logs.loc[logs["name"].notna() & (logs["name"] != ""), ["enrollid", "name"]]
        for enrollid, person in pairs.drop_duplicates().itertuples(index=False):
            known.setdefault(int(enrollid), set()).add(str(person))
    folded = wanted.casefold()
    for test in (
        lambda n: n.casefold() == folded,
        lambda n: n.casefold().startswith(folded),
        lambda n: folded in n.casefold(),
    ):
        found = sorted(e for e, names in known.items() if any(test(n) for n in names))
        if found:
            return found
    sample = sorted({n for names in known.values() for n in names})[:8]
    hint = f"; known: {', '.join(sample)}" if sample else "; no names known yet"
    raise ValueError(f"no person named {wanted!r}{hint}")
