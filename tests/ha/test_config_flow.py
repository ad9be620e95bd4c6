"""Config flow: bind-tested listener address, reconfigure, and options."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.wac.const import (
    CONF_ADOPT_NEW,
    CONF_ALLOW,
    CONF_BACKLOG_EVENTS,
    CONF_FRESH_MINUTES,
    CONF_PATH_SECRET,
    CONF_TIME_ZONE,
    CONF_TLS_CERT,
    CONF_TLS_KEY,
    CONF_UNBLOCK,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DOMAIN,
)
from wac_toolkit import VirtualTerminal

from .conftest import free_port, make_entry, until


async def _user(hass: HomeAssistant, host: str, port: int):
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )


async def test_form_defaults(hass: HomeAssistant):
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    defaults = {str(key): key.default() for key in result["data_schema"].schema}
    assert defaults == {CONF_HOST: DEFAULT_HOST, CONF_PORT: DEFAULT_PORT}


async def test_create_entry_listens(hass: HomeAssistant):
    port = free_port()
    result = await _user(hass, "127.0.0.1", port)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_HOST: "127.0.0.1", CONF_PORT: port}
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.session.port == port
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_busy_port(hass: HomeAssistant):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = await _user(hass, "127.0.0.1", busy.getsockname()[1])
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "port_in_use"}


async def test_address_not_of_this_host(hass: HomeAssistant):
    result = await _user(hass, "192.0.2.1", free_port())  # TEST-NET-1, never local
    assert result["errors"] == {"base": "invalid_host"}


async def test_unresolvable_host(hass: HomeAssistant):
    result = await _user(hass, "x" * 64 + ".example", free_port())  # a label too long for DNS
    assert result["errors"] == {"base": "invalid_host"}


async def test_already_configured(hass: HomeAssistant):
    entry = make_entry()
    entry.add_to_hass(hass)
    result = await _user(hass, "127.0.0.1", entry.data[CONF_PORT])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_moves_the_listener(hass: HomeAssistant, entry, hub):
    new_port = free_port()
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: new_port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_PORT] == new_port
    assert entry.unique_id == f"127.0.0.1:{new_port}"
    hub = entry.runtime_data
    assert hub.session.port == new_port
    await hub.session.adopt("VT00002")
    async with VirtualTerminal(hub.session.url, "VT00002"):
        await until(hass, lambda: "VT00002" in hub.states and hub.states["VT00002"].online)


async def test_reconfigure_to_a_busy_port(hass: HomeAssistant, entry, hub):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: busy.getsockname()[1]}
        )
    assert result["errors"] == {"base": "port_in_use"}


async def test_reconfigure_unchanged_keeps_listening(hass: HomeAssistant, entry, hub):
    """Its own listener holds the port, so an unchanged address is not bind-tested."""
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: entry.data[CONF_PORT]}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_options(hass: HomeAssistant, entry, hub):
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_ALLOW: ["SN2", " SN1 ", ""], CONF_TIME_ZONE: "Asia/Tokyo", CONF_FRESH_MINUTES: 10},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(entry.options) == {
        CONF_ALLOW: ["SN1", "SN2"],
        CONF_TIME_ZONE: "Asia/Tokyo",
        CONF_FRESH_MINUTES: 10,
        CONF_BACKLOG_EVENTS: False,
        CONF_ADOPT_NEW: False,
    }
    await hass.async_block_till_done()
    session = entry.runtime_data.session  # reloaded with the new options
    assert session.allow == {"SN1", "SN2"}
    assert str(session.tz) == "Asia/Tokyo"
    assert session.fresh_window.total_seconds() == 600


async def test_options_unknown_time_zone(hass: HomeAssistant, entry, hub):
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ALLOW: [], CONF_TIME_ZONE: "Mars/Olympus", CONF_FRESH_MINUTES: 5}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TIME_ZONE: "invalid_time_zone"}


async def _options(hass: HomeAssistant, entry, **changes):
    result = await hass.config_entries.options.async_init(entry.entry_id)
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ALLOW: [], CONF_FRESH_MINUTES: 5, **changes}
    )


async def test_every_option_is_explained(hass: HomeAssistant, entry, hub):
    result = await hass.config_entries.options.async_init(entry.entry_id)
    fields = {str(key) for key in result["data_schema"].schema}
    strings = json.loads(
        (Path(__file__).parents[2] / "custom_components/wac/strings.json").read_text()
    )
    step = strings["options"]["step"]["init"]
    assert fields <= set(step["data"]) == set(step["data_description"])
    assert set(step["data"]) - fields == {CONF_UNBLOCK}  # shown while terminals are blocked
    assert {CONF_TLS_CERT, CONF_TLS_KEY, CONF_PATH_SECRET, CONF_ALLOW, CONF_ADOPT_NEW} <= fields


async def test_path_secret_keeps_out_terminals_without_it(hass: HomeAssistant, entry, hub):
    result = await _options(hass, entry, **{CONF_PATH_SECRET: "door-7f3a"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    hub = entry.runtime_data
    assert hub.session.url.endswith("/door-7f3a")
    await hub.session.adopt("VT00001")
    with pytest.raises(Exception, match="403"):  # the handshake is refused: HTTP 403
        await VirtualTerminal(hub.session.url.replace("door-7f3a", "pub/chat"), "VT00009").connect()
    async with VirtualTerminal(hub.session.url, "VT00001"):
        await until(hass, lambda: "VT00001" in hub.states and hub.states["VT00001"].online)


async def test_path_secret_must_fit_a_url(hass: HomeAssistant, entry, hub):
    result = await _options(hass, entry, **{CONF_PATH_SECRET: "a b/c"})
    assert result["errors"] == {CONF_PATH_SECRET: "invalid_path_secret"}


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command line."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_tls_certificate_serves_wss(
    hass: HomeAssistant, entry, hub, certificate, monkeypatch
):
    cert, key = certificate
    result = await _options(hass, entry, **{CONF_TLS_CERT: str(cert), CONF_TLS_KEY: str(key)})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    hub = entry.runtime_data
    assert hub.session.url.startswith("wss://127.0.0.1:")
    # A client that does not trust it is refused by TLS itself (tests/reliability/test_access);
    # not here: the harness runs the loop in debug mode, where asyncio reports every failed
    # handshake to the exception handler (outside debug mode it does not, so HA logs nothing).
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the terminal now trusts our certificate
    await hub.session.adopt("VT00001")
    async with VirtualTerminal(hub.session.url, "VT00001"):
        await until(hass, lambda: "VT00001" in hub.states and hub.states["VT00001"].online)


async def test_tls_files_are_checked(hass: HomeAssistant, entry, hub, tmp_path, certificate):
    cert, _ = certificate
    result = await _options(hass, entry, **{CONF_TLS_CERT: str(tmp_path / "missing.pem")})
    assert result["errors"] == {CONF_TLS_CERT: "tls_files"}
    result = await _options(hass, entry, **{CONF_TLS_CERT: str(cert)})  # no key: none inside
    assert result["errors"] == {CONF_TLS_CERT: "tls_files"}
    result = await _options(hass, entry, **{CONF_TLS_KEY: str(cert)})
    assert result["errors"] == {CONF_TLS_CERT: "tls_key_without_certificate"}
    assert entry.state is ConfigEntryState.LOADED
