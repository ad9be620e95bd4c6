"""A real Home Assistant process, driven end to end as a user's browser and terminals would.

``make test-ha-e2e`` runs this with the toolkit's own venv and points ``WAC_HA_PYTHON`` at the
Home Assistant venv (``.venv-ha``, Python 3.13, HA 2025.4.4). It:

1. starts ``hass`` on a temporary config directory with ``custom_components/wac`` copied in;
2. onboards the owner through the REST API and takes an access token;
3. creates the wac entry through the config-flow API (the same calls the UI makes);
4. dials virtual terminals at it, adopts them through their discovery flows, and checks
   devices, states, events (websocket ``subscribe_events``) and actions
   (``?return_response``, errors through the websocket);
5. removes the entry and checks that its port is released, then stops ``hass`` and checks
   the log holds no error from the integration.

``hass_frontend`` (the UI's prebuilt files) is not installable here, and bootstrap always loads
``frontend``: without it Home Assistant falls into recovery mode. A stub directory given as
``frontend: development_repo:`` keeps it out of recovery mode; nothing here needs the UI.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from wac_toolkit import VirtualTerminal
from wac_toolkit.net.terminal_commands import state as terminal_state

ROOT = Path(__file__).parents[2]
HA_PYTHON = os.environ.get("WAC_HA_PYTHON")

pytestmark = pytest.mark.skipif(
    not HA_PYTHON, reason="set WAC_HA_PYTHON to a Home Assistant venv's python (make test-ha-e2e)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not a listener
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Hass:
    """A running ``hass`` and how to talk to it."""

    base: str
    config: Path
    log: Path
    process: subprocess.Popen[bytes]
    token: str = ""

    def request(self, method: str, path: str, body: Any = None, *, form: bool = False) -> Any:
        """One REST call (blocking); the decoded JSON answer, or HTTPError."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = None
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    async def call(self, method: str, path: str, body: Any = None, **how: Any) -> Any:
        return await asyncio.to_thread(self.request, method, path, body, **how)


@pytest.fixture
def hass(tmp_path: Path) -> Iterator[Hass]:
    """``hass`` on a fresh config directory, up and answering; stopped (SIGTERM) afterwards."""
    assert HA_PYTHON
    config = tmp_path / "config"
    shutil.copytree(
        ROOT / "custom_components" / "wac",
        config / "custom_components" / "wac",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    stub = tmp_path / "frontend-stub"  # see the module docstring: keeps HA out of recovery mode
    stub.mkdir()
    port = free_port()
    (config / "configuration.yaml").write_text(
        f"""
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
  development_repo: {stub}
api:
config:
onboarding:
repairs:
logger:
  default: warning
  logs:
    custom_components.wac: info
    wac_toolkit: info
""",
        encoding="utf-8",
    )
    log = tmp_path / "hass.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [HA_PYTHON, "-m", "homeassistant", "-c", str(config), "--skip-pip"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Hass(f"http://127.0.0.1:{port}", config, log, process)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, log.read_text(errors="replace")[-4000:]
            try:
                running.request("GET", "/api/onboarding")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "hass did not answer within 180 s"
                time.sleep(0.5)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def onboard(hass: Hass) -> None:
    """Create the owner through onboarding and exchange its auth code for a token."""
    client_id = hass.base + "/"
    user = await hass.call(
        "POST",
        "/api/onboarding/users",
        {
            "client_id": client_id,
            "name": "Owner",
            "username": "owner",
            "password": "a long test password",
            "language": "en",
        },
    )
    token = await hass.call(
        "POST",
        "/auth/token",
        {"grant_type": "authorization_code", "code": user["auth_code"], "client_id": client_id},
        form=True,
    )
    hass.token = token["access_token"]


@pytest.fixture
async def websocket(hass: Hass) -> AsyncIterator[ClientConnection]:
    """The websocket API, authenticated (after onboarding)."""
    await onboard(hass)
    async with connect(hass.base.replace("http", "ws") + "/api/websocket") as ws:
        assert json.loads(await ws.recv())["type"] == "auth_required"
        await ws.send(json.dumps({"type": "auth", "access_token": hass.token}))
        assert json.loads(await ws.recv())["type"] == "auth_ok"
        yield ws


class Messages:
    """Numbered websocket commands; results and events read as they come."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> int:
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, **message}))
        return self.next_id

    async def result(self, message: dict[str, Any]) -> dict[str, Any]:
        wanted = await self.send(message)
        while True:
            reply = await self.read()
            if reply.get("id") == wanted and reply["type"] == "result":
                return reply

    async def read(self) -> dict[str, Any]:
        reply = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
        if reply["type"] == "event":
            self.events.append(reply["event"])
        return reply

    async def event(self, **match: Any) -> dict[str, Any]:
        """The first event (seen or coming) whose data has ``match``."""
        while True:
            for event in self.events:
                if all(event.get("data", {}).get(k) == v for k, v in match.items()):
                    self.events.remove(event)
                    return event
            await self.read()


def our_errors(log: str) -> list[str]:
    """ERROR entries (with their traceback) that come from or pass through the integration or
    the toolkit; errors of parts this machine lacks (libturbojpeg for cameras) are not ours."""
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", log)
    return [
        entry
        for entry in entries
        if " ERROR (" in entry.split("\n", 1)[0]
        and ("custom_components" in entry or "wac_toolkit" in entry or "/wac/" in entry)
    ]


async def until(check: Any, timeout: float = 30.0) -> Any:
    """Poll ``check`` (a coroutine function) until it returns something true."""
    deadline = time.monotonic() + timeout
    while not (value := await check()):
        assert time.monotonic() < deadline, "condition not met within timeout"
        await asyncio.sleep(0.2)
    return value


async def test_home_assistant_end_to_end(hass: Hass, websocket: ClientConnection) -> None:
    started = time.monotonic()
    ws = Messages(websocket)

    # the entry, through the config-flow API the UI uses
    port = free_port()
    flow = await hass.call("POST", "/api/config/config_entries/flow", {"handler": "wac"})
    assert flow["type"] == "form" and flow["step_id"] == "user"
    created = await hass.call(
        "POST",
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"host": "127.0.0.1", "port": port},
    )
    assert created["type"] == "create_entry", created
    entry_id = created["result"]["entry_id"]
    assert not port_is_free(port)

    subscribed = await ws.result({"type": "subscribe_events", "event_type": "wac_access"})
    assert subscribed["success"]

    url = f"ws://127.0.0.1:{port}/pub/chat"
    front = VirtualTerminal(url, "E2E00001", manufacturer="Acme Access")
    back = VirtualTerminal(url, "E2E00002")
    for vt in (front, back):
        vt.start()
        await vt.wait_registered(30)

    # adoption: each new terminal waits under "Discovered"; adopt both through the flow API
    async def offers() -> list[dict[str, Any]]:
        listed = (await ws.result({"type": "config_entries/flow/progress"}))["result"]
        found = [f for f in listed if f["handler"] == "wac"]
        return found if len(found) == 2 else []

    for offer in await until(offers):
        assert offer["context"]["source"] == "integration_discovery"
        assert offer["context"]["title_placeholders"]["host"] == "127.0.0.1"
        done = await hass.call("POST", f"/api/config/config_entries/flow/{offer['flow_id']}", {})
        assert done["type"] == "abort" and done["reason"] == "adopted", done

    # devices
    async def devices() -> dict[str, dict[str, Any]]:
        listed = (await ws.result({"type": "config/device_registry/list"}))["result"]
        found = {sn: d for d in listed for domain, sn in d["identifiers"] if domain == "wac"}
        return found if {"E2E00001", "E2E00002"} <= set(found) else {}

    found = await until(devices)
    assert found["E2E00001"]["manufacturer"] == "Acme Access"
    assert found["E2E00001"]["model"] == "AI806"
    assert found["E2E00001"]["config_entries"] == [entry_id]

    # states
    async def states() -> dict[str, dict[str, Any]]:
        listed = await hass.call("GET", "/api/states")
        return {s["entity_id"]: s for s in listed}

    async def connected() -> bool:
        now = await states()
        return all(
            now.get(f"binary_sensor.ai806_{sn}_connected", {}).get("state") == "on"
            for sn in ("e2e00001", "e2e00002")
        )

    await until(connected)
    now = await states()
    for suffix in ("access", "last_user", "open_door", "door_mode", "pending_roster_commands"):
        matches = [e for e in now if e.endswith(f"ai806_e2e00001_{suffix}")]
        assert matches, f"no entity for {suffix}"

    # events: a fresh punch and the exit button, through the websocket subscription
    front.punch(7, name="Alice")
    front.punch(0, event=2)
    granted = await ws.event(sn="E2E00001", event_type="access_granted")
    assert granted["data"]["name"] == "Alice" and granted["data"]["backlog"] is False
    assert granted["data"]["device_id"] == found["E2E00001"]["id"]
    await ws.event(sn="E2E00001", event_type="exit_button")

    async def last_user() -> bool:
        return (await states())["sensor.ai806_e2e00001_last_user"]["state"] == "Alice"

    await until(last_user)

    # actions: a response per terminal, through REST with ?return_response
    answer = await hass.call(
        "POST",
        "/api/services/wac/open_door?return_response",
        {"device_id": [found["E2E00001"]["id"], found["E2E00002"]["id"]]},
    )
    response = answer["service_response"]
    assert response["E2E00001"]["success"] is True
    assert response["E2E00002"]["success"] is True
    assert terminal_state(front).opened == [None] and terminal_state(back).opened == [None]
    await hass.call(
        "POST", "/api/services/button/press", {"entity_id": "button.ai806_e2e00002_open_door"}
    )
    assert terminal_state(back).opened == [None, None]

    # an unreachable terminal: the translated error, through the websocket API
    await back.stop()

    async def back_offline() -> bool:
        return (await states())["binary_sensor.ai806_e2e00002_connected"]["state"] == "off"

    await until(back_offline)
    failed = await ws.result(
        {
            "type": "call_service",
            "domain": "wac",
            "service": "open_door",
            "service_data": {"device_id": found["E2E00002"]["id"]},
        }
    )
    assert not failed["success"]
    assert failed["error"]["message"] == (
        "Terminal E2E00002 is not connected, so opendoor was not sent"
    )
    assert failed["error"]["translation_key"] == "terminal_offline"

    # removing the entry releases the port and the terminals' connections
    removed = await hass.call("DELETE", f"/api/config/config_entries/entry/{entry_id}")
    assert removed["require_restart"] is False
    assert port_is_free(port)
    await front.stop()

    # HA logs every failed websocket action at ERROR; the one failure is the one asked for
    errors = our_errors(hass.log.read_text(errors="replace"))
    expected = [e for e in errors if "[homeassistant.components.websocket_api" in e]
    assert len(expected) == 1 and expected[0].endswith(failed["error"]["message"])
    assert [e for e in errors if e not in expected] == []
    log = hass.log.read_text(errors="replace")
    assert "terminal E2E00001 connected" in log
    elapsed = time.monotonic() - started
    print(f"scenario took {elapsed:.1f} s after start-up")
