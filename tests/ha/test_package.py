"""The shipped files agree: manifest, hacs.json, services.yaml, strings and translations."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from custom_components.wac import PLATFORMS
from custom_components.wac.const import DOMAIN

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "custom_components" / DOMAIN


def load(name: str) -> dict:
    return json.loads((PACKAGE / name).read_text(encoding="utf-8"))


def test_manifest_is_what_hassfest_and_hacs_ask_for():
    manifest = load("manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"] and keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == DOMAIN
    assert manifest["iot_class"] == "local_push"
    assert manifest["integration_type"] == "hub"
    assert manifest["config_flow"] is True
    assert any(r.startswith("wac-toolkit[postgres]==") for r in manifest["requirements"])
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert set(hacs) <= {"name", "homeassistant", "render_readme", "content_in_root"}


def test_translations_match_strings():
    assert load("strings.json") == load("translations/en.json")


def test_every_action_and_error_is_translated():
    strings = load("strings.json")
    services = yaml.safe_load((PACKAGE / "services.yaml").read_text(encoding="utf-8"))
    for service, spec in services.items():
        assert set(spec["fields"]) == set(strings["services"][service]["fields"])
    assert set(load("icons.json")["services"]) == set(services)
    raising = ("__init__.py", "errors.py", "services.py", "people.py", "trust.py")
    code = "".join((PACKAGE / name).read_text(encoding="utf-8") for name in raising)
    used = set(re.findall(r'translation_key="(\w+)"', code))
    used |= set(re.findall(r'key(?:, \w+\["\w+"\])? = "(\w+)"', code))
    assert len(used) >= 6
    assert used <= set(strings["exceptions"])


def test_every_entity_is_named():
    strings = load("strings.json")["entity"]
    assert {str(p) for p in PLATFORMS} == set(strings)


def test_only_the_public_api_of_the_toolkit():
    """No SQL and no store internals in the integration: the toolkit's public API only."""
    for path in PACKAGE.glob("*.py"):
        code = path.read_text(encoding="utf-8")
        for internal in (
            "SELECT ",
            "INSERT ",
            ".reader(",
            ".store",
            "SQLiteStore",
            "sqlite3",
            "_rows(",
        ):
            assert internal not in code, f"{path.name} uses {internal!r}"


def test_one_version_everywhere():
    """RELEASING.md step 2: the manifest installs exactly the toolkit version it was built with."""
    import tomllib

    import wac_toolkit

    manifest = load("manifest.json")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    version = project["version"]
    assert manifest["version"] == wac_toolkit.__version__ == version
    # with the driver of a shared PostgreSQL database (the entry's "database" option)
    assert manifest["requirements"] == [f"wac-toolkit[postgres]=={version}"]
