"""Checked by ``make types`` (mypy --strict), never run: both stores implement the one Store
Protocol (``wac_toolkit.store.base``), so a method added to one and not the other, or with
another signature, fails the type check."""

from __future__ import annotations

from wac_toolkit.store import SQLiteStore, Store
from wac_toolkit.store.postgres import PostgresStore


def sqlite_is_a_store(store: SQLiteStore) -> Store:
    return store


def postgres_is_a_store(store: PostgresStore) -> Store:
    return store
