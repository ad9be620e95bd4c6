"""Small result objects: what a command did, readable as text and as HTML.

A magic returns one of these so the cell shows a clear line and ``r = %wac setuser ...``
keeps the terminal's reply for inspection. Replies never carry templates or PINs here.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Outcome", "count"]


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 access event``, ``2 access events``, ``1 person``, ``3 people``."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One line saying what happened, plus the replies behind it."""

    message: str
    replies: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    ok: bool = True

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#cf222e"
        mark = "✓" if self.ok else "✗"
        return f'<span style="color:{colour}">{mark}</span> {html.escape(self.message)}'
