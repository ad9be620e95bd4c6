"""Import direction: modules that should not know each other do not import each other.

Function-level imports count too: a cycle hidden inside a function is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "wac_toolkit"


def imported(module: str) -> set[str]:
    """Every ``wac_toolkit`` module that ``module`` (dotted, under wac_toolkit) imports."""
    path = PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")
    package = module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("wac_toolkit")}


def test_cli_and_cli_commands_do_not_import_each_other():
    assert "wac_toolkit.cli_commands" in imported("wac_toolkit.cli")
    assert "wac_toolkit.cli" not in imported("wac_toolkit.cli_commands")
    assert "wac_toolkit.cli" not in imported("wac_toolkit.cli_output")


def test_the_generated_methods_import_nothing_above_the_command_runtime():
    for module in ("terminal", "bound", "session_sync", "client_sync"):
        names = imported(f"wac_toolkit._generated.{module}") - {"wac_toolkit"}  # from .. import
        assert names, module
        allowed = (
            "wac_toolkit.commands",
            "wac_toolkit.protocol",
            "wac_toolkit.session",
            "wac_toolkit.client",
        )  # fmt: skip  (the last two for annotations only)
        assert all(name.startswith(allowed) for name in names), (module, names)


def test_access_decisions_need_no_session():
    """``AccessDecision`` lives with the access answers; access imports the Session only for
    its annotations, so the two no longer import each other at run time."""
    import subprocess
    import sys

    code = "import sys, wac_toolkit.access; print('wac_toolkit.session' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    from wac_toolkit import AccessDecision, session

    assert session.AccessDecision is AccessDecision  # still importable from where it was


def test_the_session_does_not_import_the_roster_above_it():
    """The roster is a layer above the Session (DESIGN.md): the Session and its parts import
    nothing of it, not even for annotations; the package entry attaches it to every Session
    (``wac_toolkit.layers``), so ``session.roster`` works however the Session was imported."""
    import subprocess
    import sys

    session_parts = (
        "session", "session_commands", "trust", "registry", "ingest", "bus", "access", "layers",
        "presence", "routing", "transport",
    )  # fmt: skip
    for part in session_parts:
        names = imported(f"wac_toolkit.{part}")
        assert not {n for n in names if n.startswith("wac_toolkit.roster")}, (part, names)
        # nor reach it through the attribute: the roster hears of them by events
        tree = ast.parse((PACKAGE / f"{part}.py").read_text(encoding="utf-8"))
        reached = [
            node.lineno
            for node in ast.walk(tree)
            if (isinstance(node, ast.Attribute) and node.attr == "roster")
            or (isinstance(node, ast.Constant) and node.value == "roster")
        ]
        assert not reached, (part, reached)
    code = (
        "import sys, wac_toolkit.session;"
        " print(sorted(m for m in sys.modules if m.startswith('wac_toolkit.roster')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = (
        "from wac_toolkit.session import Session; s = Session(':memory:', port=0);"
        " print(type(s.roster).__module__, s.layers['roster'] is s.roster)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["wac_toolkit.roster.roster", "True"]


def test_the_roster_uses_only_the_sessions_public_api():
    """No ``session._x`` (nor ``self.session._x``, ``roster.session._x``) in the roster."""
    offenders = []
    for path in sorted((PACKAGE / "roster").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")):
                continue
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name in ("session", "store"):
                offenders.append(f"{path.name}:{node.lineno} {name}.{node.attr}")
    assert offenders == []


def test_no_sql_outside_the_store_modules():
    """The roster's tables are behind the Store interface (store/roster_sql.py): the roster
    and the access answers hold no SQL and no database connection."""
    import re

    sql = re.compile(
        r"\b(SELECT\s+\S|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+TABLE|SAVEPOINT)\b"
        r"|\.execute(many)?\(|\bsqlite3\b|\.reader\(\)|run_write"
    )
    files = [*sorted((PACKAGE / "roster").glob("*.py")), PACKAGE / "access.py"]
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if sql.search(line)
    ]
    assert found == []
