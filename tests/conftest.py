"""Shared fixtures: a real Session on 127.0.0.1 (OS-chosen port) with a real SQLite file,
and virtual terminals that dial it over real WebSockets. Nothing of ours is mocked."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from wac_toolkit import Session, VirtualTerminal

collect_ignore = ["ha"] if importlib.util.find_spec("homeassistant") is None else []
"""tests/ha runs in the Home Assistant venv (make test-ha); elsewhere ``pytest tests`` (say,
``-m postgres tests``) skips the folder instead of failing to import it."""


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "wac.sqlite"


@pytest.fixture
async def session(db_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Session]:
    """A started gateway with a short command timeout, in the terminals' zone Europe/Berlin.

    ``WAC_TEST_STORE=postgres`` puts it on a fresh PostgreSQL database instead of the SQLite
    file (to run a suite that only talks to the Session against the other store).
    """
    import os

    db: Path | str = db_path
    if os.environ.get("WAC_TEST_STORE") == "postgres":
        db = request.getfixturevalue("pg_dsn")
    async with Session(
        db, "127.0.0.1", 0, tz="Europe/Berlin", command_timeout=2.0, adopt_new=True
    ) as s:
        yield s


TerminalFactory = Callable[..., Awaitable[VirtualTerminal]]


@pytest.fixture
async def terminal(session: Session) -> AsyncIterator[TerminalFactory]:
    """``await terminal("SN1", **options)``: a registered virtual terminal, stopped afterwards."""
    started: list[VirtualTerminal] = []

    async def make(sn: str = "VT00001", **options: Any) -> VirtualTerminal:
        vt = VirtualTerminal(session.url, sn, **options)
        started.append(vt)
        vt.start()
        await vt.wait_registered()
        await until(lambda: (t := session.terminal(sn)) is not None and t.online)
        return vt

    yield make
    await asyncio.gather(*(vt.stop() for vt in started))


async def until(condition: Callable[[], Any], timeout: float = 10.0, step: float = 0.01) -> None:
    """Wait for a condition that a real network exchange will make true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met within timeout")
        await asyncio.sleep(step)


# -- PostgreSQL: one real server per test run, one fresh database per test ------------------


@pytest.fixture(scope="session")
def pg_cluster() -> Any:
    """A PostgreSQL server started from Debian's binaries in a temporary directory.

    Skips (with the reason) when the binaries or the driver are missing, unless
    ``WAC_PG_REQUIRED=1`` (``make test-pg``, CI): then a missing server is a failure.
    """
    import os

    from tests.pg_cluster import PgCluster, find_bindir

    required = os.environ.get("WAC_PG_REQUIRED") == "1"
    missing = None
    if find_bindir() is None:
        missing = "PostgreSQL binaries not found (apt-get install postgresql, or make test-pg)"
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            missing = "psycopg not installed (pip install -e '.[postgres]')"
    if missing:
        if required:
            pytest.fail(f"WAC_PG_REQUIRED=1 but {missing}")
        pytest.skip(missing)
    with PgCluster() as cluster:
        yield cluster


_databases = iter(range(1, 1_000_000))


@pytest.fixture
def pg_dsn(pg_cluster: Any) -> str:
    """The DSN of a fresh, empty database on the test run's server."""
    return pg_cluster.create_database(f"wac_test_{next(_databases)}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs PostgreSQL, so ``make test-pg`` and ``-m postgres`` find them
    (contract tests are parametrised: only their postgres half needs the server)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_pg = callspec is not None and callspec.params.get("backend") == "postgres"
        if on_pg or {"pg_cluster", "pg_dsn"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
