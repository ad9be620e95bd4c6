"""A real IPython shell with ``%load_ext wac_toolkit``; the gateway it starts is real too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from wac_toolkit.jupyter.magics import WacMagics


def _shell() -> InteractiveShell:
    if InteractiveShell.initialized():
        return InteractiveShell.instance()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    return InteractiveShell.instance(config=config)


@pytest.fixture
def ip(tmp_path: Any) -> Iterator[InteractiveShell]:
    """The shell with the extension loaded, a scratch db and port 0; unloaded afterwards."""
    shell = _shell()
    shell.run_line_magic("load_ext", "wac_toolkit")
    shell.run_line_magic("config", "Wac.port = 0")
    shell.run_line_magic("config", f"Wac.db = {str(tmp_path / 'wac.sqlite')!r}")
    shell.run_line_magic("config", "Wac.tz = 'Europe/Berlin'")
    shell.run_line_magic("config", "Wac.command_timeout = 1.0")
    yield shell
    shell.run_line_magic("unload_ext", "wac_toolkit")
    shell.user_ns.pop("df", None)


def magics(shell: InteractiveShell) -> WacMagics:
    return shell.magics_manager.registry["WacMagics"]  # type: ignore[return-value]


def cell(shell: InteractiveShell, code: str) -> Any:
    """Run a cell that must succeed and return its value."""
    result = shell.run_cell(code)
    if result.error_in_exec is not None:
        raise result.error_in_exec
    if result.error_before_exec is not None:
        raise result.error_before_exec
    return result.result


def usage_error(shell: InteractiveShell, code: str) -> str:
    """Run a cell that must fail with a one-line UsageError; return its message."""
    result = shell.run_cell(code)
    assert not result.success
    error = result.error_in_exec or result.error_before_exec
    assert isinstance(error, UsageError), f"expected UsageError, got {error!r}"
    message = str(error)
    assert "\n" not in message
    return message
