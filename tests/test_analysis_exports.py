"""The package exports exactly the union of its modules' public names, and they resolve."""

from __future__ import annotations

import importlib
import pkgutil

import wac_toolkit.analysis as analysis


def test_package_all_is_the_union_of_module_all() -> None:
    names: set[str] = set()
    for info in pkgutil.iter_modules(analysis.__path__):
        module = importlib.import_module(f"{analysis.__name__}.{info.name}")
        assert hasattr(module, "__all__"), info.name
        names.update(module.__all__)
    assert sorted(analysis.__all__) == sorted(names)
    for name in analysis.__all__:
        assert getattr(analysis, name) is not None
