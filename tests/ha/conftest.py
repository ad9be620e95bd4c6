"""Fixtures: a real wac entry on 127.0.0.1 and real virtual terminals dialing it.

``custom_components.wac`` is imported first, so that the harness's own ``custom_components``
package does not shadow ours. Tests that open sockets get ``socket_enabled``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.wac  # noqa: F401  (must precede the harness's custom_components)
from custom_components.wac.const import (
    CONF_ALLOW,
    CONF_FRESH_MINUTES,
    CONF_TIME_ZONE,
    DOMAIN,
)
from custom_components.wac.hub import WacHub
from wac_toolkit import VirtualTerminal

TZ = "Europe/Berlin"


@pytest.fixture(autouse=True)
def auto_enable(enable_custom_integrations: None, socket_enabled: None) -> None:
    """Load our integration and allow real loopback sockets in every test."""


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Any) -> None:
    """Keep each test's SQLite store in its own temporary config directory."""
    hass.config.config_dir = str(tmp_path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_entry(port: int | None = None, **options: Any) -> MockConfigEntry:
    port = port or free_port()
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Terminals on port {port}",
        unique_id=f"127.0.0.1:{port}",
        data={CONF_HOST: "127.0.0.1", CONF_PORT: port},
        options={CONF_ALLOW: [], CONF_FRESH_MINUTES: 5, CONF_TIME_ZONE: TZ, **options},
    )


@pytest.fixture
def entry() -> MockConfigEntry:
    return make_entry()


@pytest.fixture
async def hub(hass: HomeAssistant, entry: MockConfigEntry) -> AsyncIterator[WacHub]:
    """The entry, set up for real; unloaded afterwards (port released, store closed)."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    yield entry.runtime_data
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)


TerminalFactory = Callable[..., Awaitable[VirtualTerminal]]


@pytest.fixture
async def terminal(hass: HomeAssistant, hub: WacHub) -> AsyncIterator[TerminalFactory]:
    """``await terminal("SN1", **options)``: a virtual terminal registered with the hub."""
    started: list[VirtualTerminal] = []

    async def make(sn: str = "VT00001", **options: Any) -> VirtualTerminal:
        # its clock runs in the terminals' zone (the entry's option), as a real one is set
        options.setdefault("clock", hub.session.now_local)
        await hub.session.adopt(sn)  # new serials are pending until adopted
        vt = VirtualTerminal(hub.session.url, sn, **options)
        started.append(vt)
        vt.start()
        await vt.wait_registered()
        await until(hass, lambda: (s := hub.states.get(sn)) is not None and s.online)
        return vt

    yield make
    await asyncio.gather(*(vt.stop() for vt in started))
    await hass.async_block_till_done()


async def until(hass: HomeAssistant, condition: Callable[[], Any], timeout: float = 10.0) -> None:
    """Wait for something a real network exchange will make true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met within timeout")
        await asyncio.sleep(0.01)
    await hass.async_block_till_done()
