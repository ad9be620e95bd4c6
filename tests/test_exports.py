"""Every public module declares __all__, the packages re-export what they promise (lazily),
and importing the SDK stays light."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import wac_toolkit
import wac_ws_sdk


def public_modules():
    for info in pkgutil.walk_packages(wac_toolkit.__path__, "wac_toolkit."):
        name = info.name
        if any(part.startswith("_") for part in name.split(".")) or ".jupyter" in name:
            continue
        yield importlib.import_module(name)


def test_every_module_declares_all_and_its_names_exist():
    for module in public_modules():
        assert hasattr(module, "__all__"), module.__name__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_top_level_names_resolve():
    for name in wac_toolkit.__all__:
        assert getattr(wac_toolkit, name) is not None


def test_the_lazy_tables_match_all_and_each_module_exports_its_names():
    for package in (wac_toolkit, wac_ws_sdk):
        eager = {n for n in package.__all__ if n not in package._LAZY}
        assert set(package._LAZY) <= set(package.__all__), package.__name__
        for name in eager:  # defined in the package itself, not lazily
            assert name in vars(package), f"{package.__name__}.{name}"
        assert sorted(dir(package)) == dir(package) and set(package.__all__) <= set(dir(package))
    for name, module in wac_toolkit._LAZY.items():
        assert name in importlib.import_module(module, "wac_toolkit").__all__, (name, module)
    for name in wac_ws_sdk._LAZY:  # a facade: the very same objects
        assert getattr(wac_ws_sdk, name) is getattr(wac_toolkit, name), name


def test_an_unknown_name_is_an_attribute_error():
    for package in (wac_toolkit, wac_ws_sdk):
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            package.nope  # noqa: B018


HEAVY = ("sqlite3", "pandas", "numpy", "pyarrow", "wac_toolkit.roster", "wac_toolkit.store",
         "wac_toolkit.session")  # fmt: skip


def _loaded(code: str) -> tuple[set[str], set[str]]:
    """Modules in ``sys.modules`` after ``code`` in a fresh interpreter, and what
    ``-X importtime`` lists (import statements only: not the lazy ``import_module`` itself,
    but everything the lazily loaded module imports)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"{code}\nimport sys\nprint(*sys.modules)"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    timed = {line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines() if "|" in line}
    return set(out.stdout.split()), timed


def _heavy(names: set[str]) -> list[str]:
    return sorted(n for n in names if n.startswith(HEAVY))


def test_import_wac_ws_sdk_loads_no_sqlite_roster_or_pandas():
    modules, timed = _loaded("import wac_ws_sdk")
    assert _heavy(modules) == [] and _heavy(timed) == []
    assert "wac_toolkit.client" not in modules  # nothing until a name is used


def test_the_sdk_client_loads_no_store_either():
    modules, timed = _loaded("from wac_ws_sdk import WacClient, WacClientSync, handle_sendlog")
    assert "wac_toolkit.client" in modules and "wac_toolkit.net.peer" in timed
    assert _heavy(modules) == [] and _heavy(timed) == []
    assert _heavy(_loaded("import wac_toolkit")[0]) == []
