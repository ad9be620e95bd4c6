"""Config flow: where to listen (tested by binding), reconfigure, and behaviour options."""

from __future__ import annotations

import errno
import re
import socket
import ssl
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers import selector
from homeassistant.util import dt as dt_util

from wac_toolkit import is_dsn, open_store

from .const import (
    CONF_ADOPT_NEW,
    CONF_ALLOW,
    CONF_BACKLOG_EVENTS,
    CONF_DATABASE,
    CONF_FRESH_MINUTES,
    CONF_PATH_SECRET,
    CONF_TIME_ZONE,
    CONF_TLS_CERT,
    CONF_TLS_KEY,
    CONF_UNBLOCK,
    DEFAULT_FRESH_MINUTES,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DOMAIN,
)
from .hub import discovery_unique_id

__all__ = ["WacConfigFlow", "WacOptionsFlow", "check_database", "check_tls", "probe_bind"]


def probe_bind(host: str, port: int) -> str | None:
    """Bind and release ``host:port`` once; the error key, or None when it is free."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return "invalid_host"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as err:
            return "port_in_use" if err.errno == errno.EADDRINUSE else "invalid_host"
    return None


def _listen_schema(host: str, port: int) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=host): selector.TextSelector(),
            vol.Required(CONF_PORT, default=port): selector.NumberSelector(
                selector.NumberSelectorConfig(
                    min=1, max=65535, mode=selector.NumberSelectorMode.BOX
                )
            ),
        }
    )


class WacConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one listener that terminals dial."""

    VERSION = 1
    _terminal: dict[str, str]

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> WacOptionsFlow:
        return WacOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        host, port = DEFAULT_HOST, DEFAULT_PORT
        if user_input is not None:
            host, port = user_input[CONF_HOST].strip(), int(user_input[CONF_PORT])
            await self.async_set_unique_id(f"{host}:{port}")
            self._abort_if_unique_id_configured()
            error = await self.hass.async_add_executor_job(probe_bind, host, port)
            if error is None:
                return self.async_create_entry(
                    title=f"Terminals on port {port}",
                    data={CONF_HOST: host, CONF_PORT: port},
                    options={CONF_ALLOW: [], CONF_FRESH_MINUTES: DEFAULT_FRESH_MINUTES},
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="user", data_schema=_listen_schema(host, port), errors=errors
        )

    async def async_step_integration_discovery(
        self, discovery_info: dict[str, Any]
    ) -> ConfigFlowResult:
        """A terminal the entry's listener does not trust yet (pending adoption).

        Shown under *Discovered* as "New terminal MODEL SN at ADDR"; *Adopt* trusts it,
        *Ignore* stops asking (it stays pending: no commands, no credentials, its records
        kept apart).
        """
        entry_id, sn = str(discovery_info["entry_id"]), str(discovery_info["sn"])
        await self.async_set_unique_id(discovery_unique_id(entry_id, sn))
        self._abort_if_unique_id_configured()
        self._terminal = {
            "entry_id": entry_id,
            "sn": sn,
            "model": str(discovery_info.get("model") or "Terminal"),
            "host": str(discovery_info.get("host") or "?"),
        }
        if (reason := self._not_pending()) is not None:
            return self.async_abort(reason=reason)
        self.context["title_placeholders"] = {k: self._terminal[k] for k in ("model", "sn", "host")}
        return await self.async_step_adopt()

    async def async_step_adopt(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        placeholders = {k: self._terminal[k] for k in ("model", "sn", "host")}
        if user_input is None:
            return self.async_show_form(
                step_id="adopt", data_schema=vol.Schema({}), description_placeholders=placeholders
            )
        if (reason := self._not_pending()) is not None:
            return self.async_abort(reason=reason)
        entry: ConfigEntry = self.hass.config_entries.async_get_entry(self._terminal["entry_id"])  # type: ignore[assignment]
        await entry.runtime_data.session.adopt(self._terminal["sn"])
        return self.async_abort(reason="adopted", description_placeholders=placeholders)

    def _not_pending(self) -> str | None:
        """Why the terminal cannot be adopted here (any more), or None."""
        entry = self.hass.config_entries.async_get_entry(self._terminal["entry_id"])
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return "listener_not_loaded"
        terminal = entry.runtime_data.session.terminal(self._terminal["sn"])
        if terminal is None or terminal.state != "pending":
            return "not_pending"
        return None

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        host, port = entry.data[CONF_HOST], entry.data[CONF_PORT]
        if user_input is not None:
            new_host, new_port = user_input[CONF_HOST].strip(), int(user_input[CONF_PORT])
            unique_id = f"{new_host}:{new_port}"
            if unique_id != entry.unique_id:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_configured()
                error = await self.hass.async_add_executor_job(probe_bind, new_host, new_port)
                if error is not None:
                    errors["base"] = error
            if not errors:
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=unique_id,
                    title=f"Terminals on port {new_port}",
                    data_updates={CONF_HOST: new_host, CONF_PORT: new_port},
                )
            host, port = new_host, new_port
        return self.async_show_form(
            step_id="reconfigure", data_schema=_listen_schema(host, port), errors=errors
        )


class WacOptionsFlow(OptionsFlow):
    """Who may register and how, their clocks' zone, what counts as fresh, and how to listen.

    Every field is explained in the form (``data_description``). The entry reloads when
    the options change, so the listener picks up TLS and the path secret at once.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"error": ""}
        options = dict(self.config_entry.options)
        if user_input is not None:
            zone = (user_input.get(CONF_TIME_ZONE) or "").strip()
            secret = (user_input.get(CONF_PATH_SECRET) or "").strip()
            cert = (user_input.get(CONF_TLS_CERT) or "").strip()
            key = (user_input.get(CONF_TLS_KEY) or "").strip()
            database = (user_input.get(CONF_DATABASE) or "").strip()
            if zone and await dt_util.async_get_time_zone(zone) is None:
                errors[CONF_TIME_ZONE] = "invalid_time_zone"
            if secret and not _SECRET.fullmatch(secret):
                errors[CONF_PATH_SECRET] = "invalid_path_secret"
            if key and not cert:
                errors[CONF_TLS_CERT] = "tls_key_without_certificate"
            elif cert:
                problem = await self.hass.async_add_executor_job(check_tls, cert, key)
                if problem is not None:
                    errors[CONF_TLS_CERT], placeholders["error"] = "tls_files", problem
            if database and database != options.get(CONF_DATABASE):
                problem = await self.hass.async_add_executor_job(check_database, database)
                if problem is not None:
                    errors[CONF_DATABASE], placeholders["error"] = "database", problem
            if not errors:
                if unblock := user_input.get(CONF_UNBLOCK):
                    # not an option: the terminals' state lives in the store
                    await self.config_entry.runtime_data.session.forget(*unblock)
                allow = sorted({sn.strip() for sn in user_input.get(CONF_ALLOW, []) if sn.strip()})
                data: dict[str, Any] = {
                    CONF_ALLOW: allow,
                    CONF_FRESH_MINUTES: int(user_input[CONF_FRESH_MINUTES]),
                    CONF_BACKLOG_EVENTS: bool(user_input.get(CONF_BACKLOG_EVENTS, False)),
                    CONF_ADOPT_NEW: bool(user_input.get(CONF_ADOPT_NEW, False)),
                }
                for name, value in (
                    (CONF_TIME_ZONE, zone),
                    (CONF_PATH_SECRET, secret),
                    (CONF_TLS_CERT, cert),
                    (CONF_TLS_KEY, key),
                    (CONF_DATABASE, database),
                ):
                    if value:
                        data[name] = value
                return self.async_create_entry(data=data)
            options = {**options, **user_input}
        blocked = self._blocked()
        unblock_field: dict[Any, Any] = {}
        if blocked:
            unblock_field[vol.Optional(CONF_UNBLOCK, default=[])] = selector.SelectSelector(
                selector.SelectSelectorConfig(options=blocked, multiple=True)
            )
        schema = vol.Schema(
            {
                **unblock_field,
                vol.Optional(CONF_ALLOW, default=options.get(CONF_ALLOW, [])): (
                    selector.TextSelector(selector.TextSelectorConfig(multiple=True))
                ),
                vol.Optional(
                    CONF_ADOPT_NEW, default=options.get(CONF_ADOPT_NEW, False)
                ): selector.BooleanSelector(),
                vol.Optional(
                    CONF_TIME_ZONE,
                    description={
                        "suggested_value": options.get(CONF_TIME_ZONE, self.hass.config.time_zone)
                    },
                ): selector.TextSelector(),
                vol.Required(
                    CONF_FRESH_MINUTES,
                    default=options.get(CONF_FRESH_MINUTES, DEFAULT_FRESH_MINUTES),
                ): selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=1,
                        max=1440,
                        unit_of_measurement="min",
                        mode=selector.NumberSelectorMode.BOX,
                    )
                ),
                vol.Optional(
                    CONF_BACKLOG_EVENTS, default=options.get(CONF_BACKLOG_EVENTS, False)
                ): selector.BooleanSelector(),
                **{
                    vol.Optional(name, description={"suggested_value": options.get(name)}): (
                        selector.TextSelector(selector.TextSelectorConfig(type=kind))
                    )
                    for name, kind in (
                        (CONF_PATH_SECRET, selector.TextSelectorType.PASSWORD),
                        (CONF_TLS_CERT, selector.TextSelectorType.TEXT),
                        (CONF_TLS_KEY, selector.TextSelectorType.TEXT),
                        (CONF_DATABASE, selector.TextSelectorType.PASSWORD),
                    )
                },
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    def _blocked(self) -> list[str]:
        """Serial numbers the entry's listener refuses (blocked), while it runs."""
        if self.config_entry.state is not ConfigEntryState.LOADED:
            return []
        terminals = self.config_entry.runtime_data.session.terminals()
        return sorted(t.sn for t in terminals if t.state == "blocked")


_SECRET = re.compile(r"[A-Za-z0-9_-]{1,128}")


def check_tls(cert: str, key: str) -> str | None:
    """Load the certificate and key once; the reason they cannot be used, or None."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key or None)
    except (OSError, ssl.SSLError) as err:
        return err.strerror or str(err)
    return None


def check_database(database: str) -> str | None:
    """Open the shared store once (its schema is brought up to date, as the entry would);
    why it cannot be used, or None. The DSN's password never appears in the reason."""
    if not is_dsn(database):
        return "expected postgresql://user:password@host:port/dbname"
    try:
        open_store(database).close()
    except Exception as err:  # a missing driver, a refused login, no such host: all told
        return str(err).splitlines()[0] if str(err) else type(err).__name__
    return None
