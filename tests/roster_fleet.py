"""Helpers for the roster tests: read a virtual terminal the way a person reads the device."""

from __future__ import annotations

from wac_toolkit import VirtualTerminal

__all__ = ["held"]


def held(vt: VirtualTerminal) -> dict[int, tuple[str, int, bool, dict[int, str]]]:
    """enrollid -> (name, admin, enabled, {backupnum: record as text}) on the terminal."""
    return {
        u.enrollid: (u.name, u.admin, u.enabled, {b: str(r) for b, r in u.credentials.items()})
        for u in vt.users.values()
    }
