"""Every public module declares __all__, and the package re-exports what it promises."""

from __future__ import annotations

import importlib
import pkgutil

import wac_toolkit


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
