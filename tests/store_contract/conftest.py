"""Every contract test runs once per backend: a SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from wac_toolkit.store import open_store


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """Where the store lives: a file path, or the DSN of a fresh database."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_dsn"))
    return str(tmp_path / "wac.sqlite")


@pytest.fixture
def open_db(backend: str) -> Iterator[Callable[..., Any]]:
    """``open_db()``: a store on the test's database (call again for a second gateway's)."""
    opened: list[Any] = []

    def make(**options: Any) -> Any:
        store = open_store(backend, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(open_db: Callable[..., Any]) -> Any:
    return open_db()
