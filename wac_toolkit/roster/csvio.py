"""CSV import and export of the roster: names, PINs, cards, levels and assignments.

Columns: ``enrollid, name, admin, enabled, pin, card, valid_from, valid_until, assign``;
only ``enrollid`` is required. PINs and cards are read and written as text, so ``0012``
stays ``0012``. An empty cell leaves that field as it is on import. ``assign`` lists targets
separated by ``;`` (``all``, ``group:front``, a serial number). Text a spreadsheet would run
as a formula is written with a leading quote (:mod:`wac_toolkit.safe_cells`) and read back
without it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from ..protocol.models import BackupNum
from ..protocol.values import parse_time
from ..safe_cells import safe_text, unsafe_text
from .model import Person, Target, check_credential, check_enrollid

__all__ = ["COLUMNS", "PersonRow", "read_people", "write_people"]

COLUMNS = (
    "enrollid", "name", "admin", "enabled", "pin", "card", "valid_from", "valid_until", "assign",
)  # fmt: skip

_TRUE = {"1", "true", "yes", "y", "on", "enabled"}
_FALSE = {"0", "false", "no", "n", "off", "disabled"}


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One CSV line; None means the cell was empty (leave the field unchanged)."""

    enrollid: int
    name: str | None = None
    admin: int | None = None
    enabled: bool | None = None
    pin: str | None = None
    card: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    assign: tuple[Target, ...] | None = None


def read_people(source: str | IO[str]) -> list[PersonRow]:
    """Parse CSV text or an open text file; raises ValueError naming the bad line."""
    handle = io.StringIO(source) if isinstance(source, str) else source
    reader = csv.DictReader(handle)
    if reader.fieldnames is None or "enrollid" not in [f.strip() for f in reader.fieldnames]:
        raise ValueError("the CSV needs a header line with an 'enrollid' column")
    unknown = {f.strip() for f in reader.fieldnames} - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown CSV columns: {', '.join(sorted(unknown))}")
    rows: list[PersonRow] = []
    for line, raw in enumerate(reader, start=2):
        cells = {k.strip(): unsafe_text((v or "").strip()) for k, v in raw.items() if k is not None}
        try:
            rows.append(_row(cells))
        except ValueError as exc:
            raise ValueError(f"line {line}: {exc}") from None
    return rows


def _row(cells: dict[str, str]) -> PersonRow:
    def get(key: str) -> str | None:
        return cells.get(key) or None

    enabled = get("enabled")
    if enabled is not None and enabled.lower() not in _TRUE | _FALSE:
        raise ValueError(f"enabled must be yes or no, not {enabled!r}")
    pin, card = get("pin"), get("card")
    if pin is not None:
        check_credential(BackupNum.PASSWORD, pin)
    if card is not None:
        check_credential(BackupNum.CARD, card)
    admin = get("admin")
    assign = get("assign")
    return PersonRow(
        enrollid=check_enrollid(get("enrollid")),
        name=get("name"),
        admin=None if admin is None else _admin(admin),
        enabled=None if enabled is None else enabled.lower() in _TRUE,
        pin=pin,
        card=card,
        valid_from=_time(get("valid_from")),
        valid_until=_time(get("valid_until")),
        assign=None
        if assign is None
        else tuple(Target.parse(t) for t in assign.split(";") if t.strip()),
    )


def _admin(text: str) -> int:
    if not text.isdigit() or int(text) > 2:
        raise ValueError(f"admin must be 0, 1 or 2, not {text!r}")
    return int(text)


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = parse_time(text)
    if moment is None:
        raise ValueError(f"not a date or time: {text!r}")
    return moment


def write_people(people: Iterable[Person], target: IO[str]) -> int:
    """Write people as CSV (templates and photos are not exported); returns the row count."""
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for p in people:
        cells = [
            p.enrollid, p.name, p.admin, "yes" if p.enabled else "no", p.pin or "",
            p.card or "", _fmt(p.valid_from), _fmt(p.valid_until),
            ";".join(str(t) for t in p.targets),
        ]  # fmt: skip
        writer.writerow([safe_text(c) if isinstance(c, str) else c for c in cells])
        count += 1
    return count


def _fmt(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")
