"""Where logs, terminals and credentials are kept.

:func:`open_store` turns what a user typed after ``--db`` (or passed as ``Session(db=...)``)
into a store: a ``postgresql://`` or ``postgres://`` DSN selects the PostgreSQL store (several
gateways on one database), anything else is a SQLite file. A DSN is never taken for a file
name: before this, ``--db postgresql://host/db`` quietly created a folder named ``postgresql:``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .base import LOG_COLUMNS, LogQuery, Store
from .sqlite import SQLiteStore

__all__ = ["LOG_COLUMNS", "LogQuery", "SQLiteStore", "Store", "describe", "is_dsn", "open_store"]

PG_SCHEMES = ("postgresql", "postgres")


def _scheme(db: str | Path) -> str | None:
    if not isinstance(db, str) or "://" not in db:
        return None
    return db.split("://", 1)[0].lower()


def is_dsn(db: str | Path) -> bool:
    """True for a PostgreSQL connection URL (``postgresql://`` or ``postgres://``)."""
    return _scheme(db) in PG_SCHEMES


def describe(db: str | Path) -> str:
    """``db`` fit for a log line or a banner: a DSN loses its password, a path stays."""
    if not is_dsn(db):
        return str(db)
    parts = urlsplit(str(db))
    if parts.password is None:
        return str(db)
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def open_store(db: str | Path = "wac.sqlite", **options: Any) -> Store:
    """The store ``db`` names: PostgreSQL for a DSN, else a SQLite file (``":memory:"`` too).

    ``options`` go to the store's constructor; ``synchronous`` only means something to SQLite
    (PostgreSQL always commits with ``synchronous_commit = on``, so an ack survives a crash).

    Raises:
        ValueError: a URL with a scheme no store speaks (``mysql://...``), rather than a file
            with that odd name.
    """
    scheme = _scheme(db)
    if scheme in PG_SCHEMES:
        from .postgres import PostgresStore

        options.pop("synchronous", None)
        return PostgresStore(str(db), **options)
    if scheme is not None and scheme != "file":
        raise ValueError(
            f"unknown store URL {describe(db)!r}: use a SQLite file name or postgresql://..."
        )
    if scheme == "file":
        db = urlsplit(str(db)).path
    return SQLiteStore(db, **options)
