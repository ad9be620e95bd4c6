"""``%wac`` and ``%%wac``: the gateway, terminals and logs from a notebook, one line each.

``%load_ext wac_toolkit`` registers them; ``%wac`` alone lists the subcommands and
``%wac <subcommand> --help`` explains one. Settings are traits: ``%config Wac.port = 7790``.
Each subcommand is a short shim over :class:`~wac_toolkit.session.Session` (no logic of its
own) that returns its result, so ``df = %wac logs --since 2025-08-01`` assigns a DataFrame.
Toolkit errors show as one line (``UsageError``), never a traceback.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import shlex
from collections.abc import Coroutine
from typing import Any, TypeVar

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, magics_class
from traitlets import Bool, Enum, Float, Int, Unicode
from traitlets.config import Configurable

from ..session import Terminal
from .commands import Subcommand, registry
from .completion import install_completer, remove_completer
from .errors import user_errors
from .parser import CommandParser, HelpShown
from .runtime import GatewayOptions, Runtime, start_runtime

__all__ = ["Wac", "WacMagics", "load_ipython_extension", "unload_ipython_extension"]

T = TypeVar("T")


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


class Wac(Configurable):
    """``%wac`` settings; the class name is the ``%config`` section: ``%config Wac.port = 0``."""

    host = Unicode("127.0.0.1", help="Address the gateway listens on.").tag(config=True)
    port = Int(
        _env_int("WAC_PORT", 7788), help="Port terminals dial (0: any free port; env WAC_PORT)."
    ).tag(config=True)
    db = Unicode(
        os.environ.get("WAC_DB", "wac.sqlite"), help="SQLite file (':memory:' for a scratch one)."
    ).tag(config=True)
    tz = Unicode("", help="The terminals' time zone, e.g. Europe/Berlin ('' = this host's).").tag(
        config=True
    )
    command_timeout = Float(20.0, help="Seconds to wait for a terminal's answer.").tag(config=True)
    loop = Enum(
        ["thread", "kernel"],
        "thread",
        help="'thread' serves terminals while cells run; 'kernel' uses the kernel's loop "
        "(applies nest_asyncio2; serving pauses during cells).",
    ).tag(config=True)
    short_errors = Bool(True, help="One-line errors; False shows full tracebacks.").tag(config=True)


@magics_class
class WacMagics(Magics, Wac):
    """The ``%wac`` magics (settings in :class:`Wac`)."""

    def __init__(self, shell: InteractiveShell) -> None:
        Configurable.__init__(self, config=shell.config)
        Magics.__init__(self, shell=shell)
        # IPython annotates ``configurables`` as a list of shells; it holds any Configurable.
        shell.configurables.append(self)  # type: ignore[arg-type]
        self.runtime: Runtime | None = None
        self.fleet: Any = None
        """The virtual fleet ``%wac simulate`` started (a :class:`~.fleet.SimulatedFleet`)."""
        self.commands: dict[str, Subcommand] = registry()

    # -- the magic ----------------------------------------------------------------------------

    @line_cell_magic
    def wac(self, line: str, cell: str | None = None) -> Any:
        """Run ``%wac <subcommand> [options]``; ``%wac`` alone lists the subcommands."""
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%wac: {exc}") from None
        if not argv or argv[0] in ("-h", "--help", "help"):
            print(self.overview())
            return None
        name, rest = argv[0], argv[1:]
        command = self.commands.get(name)
        if command is None:
            close = difflib.get_close_matches(name, self.commands, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"%wac: unknown subcommand {name!r}; {hint}try: {self.names()}")
        if cell is not None and not command.cell:
            raise UsageError(f"%wac {name} is a line magic; %%wac works with: {self.cell_names()}")
        parser = self.parser(command)
        try:
            args = parser.parse_args(rest)
        except HelpShown:
            return None
        with user_errors(self.short_errors):
            return command.run(self, args, cell)

    def parser(self, command: Subcommand) -> CommandParser:
        parser = CommandParser(prog=f"%wac {command.name}", description=command.help)
        command.configure(parser)
        return parser

    def names(self) -> str:
        return ", ".join(self.commands)

    def cell_names(self) -> str:
        return ", ".join(n for n, c in self.commands.items() if c.cell) or "none"

    def overview(self) -> str:
        width = max(map(len, self.commands))
        lines = ["%wac <subcommand> [options]   (%wac <subcommand> --help for details)", ""]
        lines += [f"  {name:<{width}}  {c.help}" for name, c in self.commands.items()]
        return "\n".join(lines)

    # -- what subcommands use -----------------------------------------------------------------

    def options(self, **overrides: Any) -> GatewayOptions:
        """Gateway options with ``%wac start`` flags applied to the running gateway's options
        (so a bare ``%wac start`` keeps it), or to the traits when none runs."""
        if self.runtime is not None and self.runtime.alive:
            current = self.runtime.options
            changed = {k: v for k, v in overrides.items() if v is not None}
            return dataclasses.replace(current, **changed)
        values: dict[str, Any] = {
            "db": self.db,
            "host": self.host,
            "port": self.port,
            "tz": self.tz or None,
            "command_timeout": self.command_timeout,
            "loop": self.loop,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return GatewayOptions(**values)

    def start(self, options: GatewayOptions, *, restart: bool = False) -> tuple[Runtime, bool]:
        """Start a gateway, or keep the running one when the options are the same.

        Returns the runtime and whether it was (re)started, so re-running a cell never hits
        "address already in use". Other options for a running gateway are refused unless
        ``restart``: a restart moves terminals to a new port and stops the simulated fleet,
        which nobody should get by changing a flag.
        """
        if self.runtime is not None and self.runtime.alive:
            if self.runtime.options == options and not restart:
                return self.runtime, False
            if not restart:
                current = self.runtime.options
                changed = [
                    f"{f.name} {getattr(current, f.name)!r} -> {getattr(options, f.name)!r}"
                    for f in dataclasses.fields(current)
                    if getattr(current, f.name) != getattr(options, f.name)
                ]
                raise UsageError(
                    f"a gateway is already running at {self.runtime.url} ({'; '.join(changed)});"
                    " add --restart to replace it (terminals reconnect, the simulated fleet"
                    " stops) or %wac stop first"
                )
            self.stop()
        self.runtime = start_runtime(options)
        return self.runtime, True

    def stop(self) -> bool:
        """Stop the fleet and the gateway; False when nothing was running."""
        runtime, self.runtime = self.runtime, None
        if self.fleet is not None and runtime is not None and runtime.alive:
            try:
                runtime.run(self.fleet.stop(), timeout=30)
            finally:
                self.fleet = None
        self.fleet = None
        if runtime is None or not runtime.alive:
            return False
        runtime.close()
        return True

    def require(self) -> Runtime:
        """The running gateway, or a one-line error saying how to start one."""
        if self.runtime is None or not self.runtime.alive:
            raise UsageError("no gateway running; start one with %wac start")
        return self.runtime

    def terminal(self, sn: str) -> tuple[Runtime, Terminal]:
        """The gateway and a known terminal, or a one-line error naming the known ones."""
        runtime = self.require()
        terminal = runtime.session.terminal(sn)
        if terminal is None:
            serials = [t.sn for t in runtime.session.terminals()]
            known = ", ".join(serials[:20]) + (", ..." if len(serials) > 20 else "")
            prefixed = [s for s in serials if s.startswith(sn)]
            close = prefixed if len(prefixed) == 1 else difflib.get_close_matches(sn, serials, 1)
            hint = f"did you mean {close[0]}? " if close and not len(prefixed) > 1 else ""
            raise UsageError(f"unknown terminal {sn!r}; {hint}known: {known or 'none yet'}")
        return runtime, terminal

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return self.require().run(coro, timeout)

    @property
    def in_kernel(self) -> bool:
        """True in a Jupyter kernel (widgets render); False in the terminal or a test shell."""
        return getattr(self.shell, "kernel", None) is not None

    def serials(self) -> list[str]:
        """Known serial numbers, connected ones first (for tab completion)."""
        if self.runtime is None or not self.runtime.alive:
            return []
        return [t.sn for t in self.runtime.session.terminals()]


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext wac_toolkit``: register the magics and completion; quiet, no network."""
    magics = WacMagics(ipython)
    ipython.register_magics(magics)
    install_completer(ipython, magics)
    _loaded[id(ipython)] = magics


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """``%unload_ext wac_toolkit``: stop the gateway and forget the magics."""
    magics = _loaded.pop(id(ipython), None)
    if magics is None:
        return
    magics.stop()
    remove_completer(ipython)
    if magics in ipython.configurables:  # type: ignore[comparison-overlap]  # see __init__
        ipython.configurables.remove(magics)  # type: ignore[arg-type]
    ipython.magics_manager.magics["line"].pop("wac", None)
    ipython.magics_manager.magics["cell"].pop("wac", None)


_loaded: dict[int, WacMagics] = {}
