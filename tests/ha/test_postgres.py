"""Home Assistant as one gateway of several on a shared PostgreSQL database.

A real PostgreSQL server (Debian's binaries, started in a temporary directory as the
toolkit's own PostgreSQL tests do), the entry switched onto it through the options flow,
a terminal dialing Home Assistant, and a second gateway (a toolkit Session, as ``wac serve``
on another machine would be) holding a terminal of its own: its door opens from Home
Assistant's button, through the database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import pytest_socket
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.wac.const import CONF_ALLOW, CONF_DATABASE, CONF_FRESH_MINUTES
from tests.pg_cluster import PgCluster, find_bindir
from wac_toolkit import Session, VirtualTerminal
from wac_toolkit.net.terminal_commands import state as terminal_state

from .conftest import until

HERE = "HAPG0001"  # dials Home Assistant
THERE = "HAPG0002"  # dials the other gateway


@pytest.fixture(scope="module")
def pg() -> Iterator[PgCluster]:
    """One server for this module; skipped where PostgreSQL or psycopg is missing, unless
    ``WAC_PG_REQUIRED=1`` (``make test-ha`` sets it, so CI cannot skip it silently)."""
    missing = None
    if find_bindir() is None:
        missing = "PostgreSQL binaries not found (apt-get install postgresql)"
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            missing = "psycopg is not installed (wac-toolkit[postgres])"
    if missing:
        if os.environ.get("WAC_PG_REQUIRED") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    pytest_socket.enable_socket()  # the harness blocks sockets until each test's own setup
    try:
        cluster = PgCluster()  # picks a free port
    finally:
        pytest_socket.disable_socket(allow_unix_socket=True)
    with cluster:
        yield cluster


_databases = iter(range(1, 1000))


@pytest.fixture
def dsn(pg: PgCluster) -> str:
    return pg.create_database(f"wac_ha_{next(_databases)}")


async def _options(hass: HomeAssistant, entry: Any, **changes: Any) -> Any:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ALLOW: [], CONF_FRESH_MINUTES: 5, **changes}
    )


async def test_a_database_that_cannot_be_used_is_refused_with_the_reason(
    hass: HomeAssistant, entry: Any, hub: Any, pg: PgCluster
) -> None:
    unknown = pg.dsn("no_such_database").replace("postgres@", "postgres:hunter2@")
    result = await _options(hass, entry, **{CONF_DATABASE: unknown})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_DATABASE: "database"}
    reason = result["description_placeholders"]["error"]
    assert "no_such_database" in reason and "hunter2" not in reason
    result = await _options(hass, entry, **{CONF_DATABASE: "mysql://host/db"})
    assert result["errors"] == {CONF_DATABASE: "database"}
    assert "postgresql://" in result["description_placeholders"]["error"]
    assert CONF_DATABASE not in entry.options  # still on its own SQLite file


async def test_home_assistant_is_one_gateway_of_several_on_postgresql(
    hass: HomeAssistant, entry: Any, hub: Any, dsn: str
) -> None:
    async with Session(dsn, "127.0.0.1", 0) as other:  # another gateway on the same database
        await other.adopt(HERE, THERE)
        async with VirtualTerminal(other.url, THERE) as there:
            await there.wait_registered()
            result = await _options(hass, entry, **{CONF_DATABASE: dsn})
            assert result["type"] is FlowResultType.CREATE_ENTRY
            assert entry.options[CONF_DATABASE] == dsn
            await hass.async_block_till_done()
            assert entry.state is ConfigEntryState.LOADED
            hub = entry.runtime_data  # reloaded onto the shared database

            # a terminal dialing Home Assistant: its punch is stored in the shared database
            # (the other gateway reads it) and fires the entity as on SQLite
            async with VirtualTerminal(hub.session.url, HERE, clock=hub.session.now_local) as here:
                await until(hass, lambda: (s := hub.states.get(HERE)) is not None and s.online)
                here.punch(7, hub.session.now_local(), name="Ana")
                await here.wait_flushed()
                await until(hass, lambda: hub.states[HERE].last_user is not None)
                stored = await hass.async_add_executor_job(other.latest_records, HERE)
                assert [(r.enrollid, r.name) for r in stored] == [(7, "Ana")]

                # the terminal held by the other gateway is a device here; its door opens
                # from Home Assistant, through the database
                button = "button.ai806_hapg0002_open_door"
                await until(hass, lambda: hass.states.get(button) is not None)
                await hass.services.async_call(
                    "button", "press", {"entity_id": button}, blocking=True
                )
                assert terminal_state(there).opened == [None]
