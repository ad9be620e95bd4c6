"""Write the typed command methods as source: ``python -m wac_toolkit.codegen [--check]``.

The catalogue (:mod:`wac_toolkit.protocol.catalogue`) describes every command once; this
script turns it, with the handwritten commands of :mod:`wac_toolkit.commands`, into one mixin
per face under ``wac_toolkit/_generated/``:

========================  ==================================  ==============================
module                    mixin                               mixed into
========================  ==================================  ==============================
``terminal.py``           ``TerminalCommands`` (async, sn)    ``Session``
``bound.py``              ``BoundCommands`` (async, no sn)    ``WacClient``
``session_sync.py``       ``SessionSyncCommands`` (blocking)  ``SessionSync``
``client_sync.py``        ``WacClientSyncCommands``           ``WacClientSync``
========================  ==================================  ==============================

Source rather than ``setattr`` at import time, so that what editors, Jedi, ``help()`` and
mypy read is what runs. ``--check`` writes nothing and exits 1 when a file is stale;
``tests/test_codegen.py`` runs the same comparison. The output goes through ``ruff`` (isort
and format) so it reads like the rest of the code.
"""

from __future__ import annotations

import argparse
import builtins
import inspect
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import commands
from .protocol import models, paging, results
from .protocol.catalogue import NO_DEFAULT, Command, Field, by_method

__all__ = ["FACES", "Face", "Method", "main", "methods", "render", "stale"]

OUT = Path(__file__).parent / "_generated"
"""Where the generated modules live."""

_OPTIONS = ("confirm", "progress", "max_pages", "timeout")
"""Keyword-only options :func:`~wac_toolkit.commands.run_command` takes besides the fields."""


@dataclass(frozen=True)
class Face:
    """One class that gets the command methods.

    Attributes:
        module: file name under ``_generated`` (without ``.py``).
        cls: the mixin's name.
        doc: the mixin's docstring.
        base: the transport base from :mod:`wac_toolkit.commands` (async faces).
        bound: the methods take no ``sn`` (the client knows its terminal).
        wraps: a blocking face: the async face whose methods it runs.
        target: a blocking face: ``(attribute, class, module)`` of the async object.
        runner: a blocking face: the attribute that runs a coroutine (``Runner``).
        skip: methods the class writes by hand, with different signatures (the SDK contract
            fixes ``WacClient.delete_user``; ``Session.set_user_info`` predates the catalogue).
    """

    module: str
    cls: str
    doc: str
    base: str = ""
    bound: bool = False
    wraps: str = ""
    target: tuple[str, str, str] = ("", "", "")
    runner: str = ""
    skip: frozenset[str] = field(default_factory=frozenset)


FACES = (
    Face(
        "terminal",
        "TerminalCommands",
        "Every server-to-terminal command as a coroutine method taking ``sn`` first.\n\n"
        "Mixed into ``Session`` (through ``SessionCommands``, its transport). Bad arguments\n"
        "raise ``TypeError``/``ValueError`` before anything is sent; a destructive command\n"
        "without ``confirm=True`` raises ``ConfirmationRequired``; otherwise what the\n"
        "transport raises (``TerminalOffline``, ``DeviceError``, ``CommandTimeout``).",
        base="CommandTarget",
        skip=frozenset({"set_user_info", "delete_user"}),
    ),
    Face(
        "bound",
        "BoundCommands",
        "The ``Session`` command methods for a client bound to one terminal: no ``sn``.\n\n"
        "Mixed into ``WacClient``; ``BoundTarget`` is its transport.",
        base="BoundTarget",
        bound=True,
        skip=frozenset({"delete_user"}),
    ),
    Face(
        "session_sync",
        "SessionSyncCommands",
        "Blocking twins of the ``Session`` command methods, for ``SessionSync``.\n\n"
        "Async iterators have no twin: use the list-returning methods (``get_user_list``).",
        wraps="terminal",
        target=("session", "Session", "session"),
        runner="run",
        skip=frozenset({"set_user_info", "delete_user"}),
    ),
    Face(
        "client_sync",
        "WacClientSyncCommands",
        "Blocking twins of the ``WacClient`` command methods, for ``WacClientSync``.\n\n"
        "Async iterators have no twin: use the list-returning methods (``get_user_list``).",
        wraps="bound",
        target=("_client", "WacClient", "client"),
        runner="_run",
        bound=True,
        skip=frozenset({"delete_user"}),
    ),
)


@dataclass(frozen=True)
class Method:
    """One command method, face-independent: parameters after ``self`` (``sn`` first)."""

    name: str
    params: tuple[inspect.Parameter, ...]
    returns: str
    doc: str
    is_async: bool
    handwritten: bool


# -- reading the catalogue and the handwritten commands ----------------------------------------

_GENERIC: dict[object, str] = {
    list: "list[Any]",
    Mapping: "Mapping[Any, Any]",
    Iterable: "Iterable[Any]",
}


def _annotation(spec_field: Field) -> str:
    if spec_field.annotation:
        return spec_field.annotation
    types = spec_field.type if isinstance(spec_field.type, tuple) else (spec_field.type,)
    return " | ".join(_GENERIC.get(t, t.__name__) for t in types)


def _returns(spec: Command) -> str:
    if spec.paged:
        return f"list[{_owner(spec.item)}]"
    if spec.batch:
        return "int"
    return _owner(spec.result) if spec.result is not None else "dict[str, Any]"


def _owner(reader: object) -> str:
    owner = getattr(reader, "__self__", None)
    if not isinstance(owner, type):
        raise TypeError(f"{reader!r}: results are read by a classmethod of the result type")
    return owner.__name__


def _help(spec_field: Field) -> str:
    text = spec_field.help or f"sent as ``{spec_field.name}``"
    return text if text.endswith(".") else text + "."


def _catalogue_method(spec: Command) -> Method:
    P = inspect.Parameter
    params = [P("sn", P.POSITIONAL_OR_KEYWORD, annotation="str")]
    args = ["sn: the terminal's serial number."]
    keyword_only = optional_seen = False
    for spec_field in spec.fields:
        note = _annotation(spec_field)
        optional = spec_field.default is not NO_DEFAULT or not spec_field.required
        # Settings are keyword-only; so is a required field after an optional one.
        keyword_only |= (spec.settings and not spec_field.required) or (
            optional_seen and not optional
        )
        kind = P.KEYWORD_ONLY if keyword_only else P.POSITIONAL_OR_KEYWORD
        if optional:
            default = None if spec_field.default is NO_DEFAULT else spec_field.default
            note = f"{note} | None" if default is None else note
            params.append(P(spec_field.param, kind, default=default, annotation=note))
            optional_seen = True
        else:
            params.append(P(spec_field.param, kind, annotation=note))
        args.append(f"{spec_field.param}: {_help(spec_field)}")
    if spec.destructive:
        params.append(P("confirm", P.KEYWORD_ONLY, default=False, annotation="bool"))
        args.append("confirm: must be True: the command destroys data on the terminal.")
    if spec.paged:
        params.append(P("progress", P.KEYWORD_ONLY, default=None, annotation="Progress | None"))
        params.append(P("max_pages", P.KEYWORD_ONLY, default=paging.DEFAULT_MAX_PAGES, annotation="int"))  # fmt: skip
        args.append("progress: ``progress(done, total)`` after every page.")
        args.append("max_pages: raise PagingError after this many pages.")
    params.append(P("timeout", P.KEYWORD_ONLY, default=None, annotation="float | None"))
    wait = f"{spec.timeout:g} s" if spec.timeout else "the transport's"
    args.append(f"timeout: seconds to wait for each reply (None: {wait}).")
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"{spec.method}: a field's argument clashes with an option: {names}")
    lines = [f"``{spec.name}``: {spec.help}.", "", "Args:"]
    lines += [f"    {a}" for a in args]
    if spec.settings:
        lines += ["", "Give at least one of the keyword-only settings; None leaves one out."]
    if spec.destructive:
        lines += ["", "Raises:", "    ConfirmationRequired: without ``confirm=True``."]
    assert spec.method is not None
    return Method(spec.method, tuple(params), _returns(spec), "\n".join(lines), True, False)


def _handwritten_method(name: str) -> Method:
    fn = commands.HANDWRITTEN[name]
    signature = inspect.signature(fn)
    params = tuple(signature.parameters.values())[1:]  # drop ``target``
    doc = inspect.cleandoc(fn.__doc__ or "")
    returns = str(signature.return_annotation)
    return Method(name, params, returns, doc, inspect.iscoroutinefunction(fn), True)


def methods() -> list[Method]:
    """Every command method, in :func:`~wac_toolkit.commands.command_methods` order."""
    out = []
    for name in commands.command_methods():
        if name in commands.HANDWRITTEN:
            out.append(_handwritten_method(name))
        else:
            out.append(_catalogue_method(by_method(name)))
    return out


# -- rendering ---------------------------------------------------------------------------------


def _default(param: inspect.Parameter) -> str:
    if param.name == "max_pages" and param.default == paging.DEFAULT_MAX_PAGES:
        return "DEFAULT_MAX_PAGES"
    return repr(param.default)


def _params(params: Iterable[inspect.Parameter]) -> str:
    out = ["self"]
    star = False
    for p in params:
        if p.kind is p.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        text = f"{p.name}: {p.annotation}"
        if p.kind is p.VAR_KEYWORD:
            text = f"**{text}"
        elif p.default is not p.empty:
            text += f" = {_default(p)}"
        out.append(text)
    return ", ".join(out)


def _call(params: Iterable[inspect.Parameter]) -> str:
    return ", ".join(
        f"**{p.name}" if p.kind is p.VAR_KEYWORD else f"{p.name}={p.name}" for p in params
    )


def _docstring(text: str, indent: str = " " * 8) -> list[str]:
    lines = text.splitlines() or [""]
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    body = [f"{indent}{line}".rstrip() for line in lines[1:]]
    return [f'{indent}"""{lines[0]}', *body, f'{indent}"""']


def _async_method(face: Face, method: Method) -> list[str]:
    params = method.params[1:] if face.bound else method.params
    sn = "self._bound_sn()" if face.bound else "sn"
    doc = method.doc
    if face.bound:
        doc = re.sub(r"\n    sn: [^\n]*", "", doc)
    head = "async def" if method.is_async else "def"
    lines = [f"    {head} {method.name}({_params(params)}) -> {method.returns}:", *_docstring(doc)]
    if method.handwritten:
        call = f"_commands.{method.name}(self, {sn}, {_call(method.params[1:])})"
        lines.append(f"        return {'await ' if method.is_async else ''}{call}")
        return lines
    fields = [p for p in method.params[1:] if p.name not in _OPTIONS]
    options = [p for p in method.params[1:] if p.name in _OPTIONS]
    args = "{" + ", ".join(f'"{p.name}": {p.name}' for p in fields) + "}"
    call = f'_commands.run_command(self, "{method.name}", {sn}, {args}, {_call(options)})'
    lines.append(f"        result = await {call}")
    lines.append(f"        return cast({method.returns}, result)")
    return lines


def _blocking_method(face: Face, method: Method) -> list[str]:
    params = method.params[1:] if face.bound else method.params
    attribute, owner, _ = face.target
    doc = f"Blocking :meth:`{owner}.{method.name}`.\n\n{method.doc}"
    if face.bound:
        doc = re.sub(r"\n    sn: [^\n]*", "", doc)
    limit = "LONG_CALL" if commands.is_long(method.name) else "None"
    call = f"self.{attribute}.{method.name}({_call(params)})"
    return [
        f"    def {method.name}({_params(params)}) -> {method.returns}:",
        *_docstring(doc),
        f"        return self.{face.runner}({call}, {limit})",
    ]


def _sources() -> dict[str, str]:
    """Where each name an annotation or a body may use comes from (relative to _generated)."""
    table = {
        "Any": "typing",
        "TypeVar": "typing",
        "abstractmethod": "abc",
        "Coroutine": "collections.abc",
        "TYPE_CHECKING": "typing",
        "cast": "typing",
        "AsyncIterator": "collections.abc",
        "Iterable": "collections.abc",
        "Mapping": "collections.abc",
        "date": "datetime",
        "datetime": "datetime",
    }
    for module in (models, paging, results, commands):
        relative = ".." + module.__name__.removeprefix("wac_toolkit.")
        for name in module.__all__:
            table.setdefault(name, relative)
    return table


_IDENTIFIER = re.compile(r"(?<![.\w])[A-Za-z_]\w*")
"""A name, not an attribute (``_commands.reboot`` uses no name ``reboot``)."""


def _imports(code: str, face: Face) -> list[str]:
    sources = _sources()
    # Strings and docstrings name things too; only look at code outside them.
    bare = re.sub(r'"""(?:.|\n)*?"""|"[^"\n]*"|def \w+', "", code)
    needed: dict[str, set[str]] = {}
    for name in set(_IDENTIFIER.findall(bare)):
        if name in sources:
            needed.setdefault(sources[name], set()).add(name)
    lines = ["from __future__ import annotations", ""]
    for module in sorted(needed):
        lines.append(f"from {module} import {', '.join(sorted(needed[module]))}")
    if "_commands." in bare:
        lines.append("from .. import commands as _commands")
    if face.wraps:
        _, owner, module = face.target
        lines.append("from typing import TYPE_CHECKING, TypeVar")
        lines += ["", "if TYPE_CHECKING:", f"    from ..{module} import {owner}"]
        lines += ["", '_T = TypeVar("_T")']
    return lines


def _check_names(code: str) -> None:
    """Every identifier in an annotation is imported or a builtin: fail here, not at import."""
    known = set(_sources()) | set(dir(builtins)) | {"self", "_commands", "result", "_T", "coro"}
    unknown = set()
    for line in code.splitlines():
        if line.lstrip().startswith(("def ", "async def ")):
            for name in _IDENTIFIER.findall(line.split("(", 1)[1]):
                if name not in known and not re.search(rf"\b{name}\s*[:=]", line):
                    unknown.add(name)
    if unknown:
        raise NameError(f"annotations use names the generator cannot import: {sorted(unknown)}")


def _module(face: Face, all_methods: list[Method]) -> str:
    chosen = [m for m in all_methods if m.name not in face.skip]
    body: list[str] = []
    if face.wraps:
        chosen = [m for m in chosen if m.is_async]
        attribute, owner, _ = face.target
        body += [
            f"    {attribute}: {owner}",
            "",
            "    @abstractmethod",
            f"    def {face.runner}(self, coro: Coroutine[Any, Any, _T], timeout: float | None = None) -> _T:",
            '        """Run ``coro`` to completion; ``timeout`` None: the facade\'s default."""',
            "",
        ]
        for method in chosen:
            body += _blocking_method(face, method) + [""]
    else:
        for method in chosen:
            body += _async_method(face, method) + [""]
    base = f"({face.base})" if face.base else ""
    code = "\n".join([f"class {face.cls}{base}:", *_docstring(face.doc, " " * 4), "", *body])
    _check_names(code)
    header = [
        "# Generated by `python -m wac_toolkit.codegen` from the catalogue: do not edit.",
        f'"""Generated, do not edit: the {face.cls} mixin (see :mod:`wac_toolkit.codegen`)."""',
        "",
        *_imports(code, face),
        "",
        f'__all__ = ["{face.cls}"]',
        "",
        "",
    ]
    return "\n".join(header) + code.rstrip() + "\n"


def _ruff(source: str, path: Path) -> str:
    """Sort imports and format as ``ruff`` would, so the files pass ``make style``."""
    steps = (
        ["check", "--quiet", "--select", "I", "--fix", "--exit-zero"],
        ["format", "--quiet"],
    )
    for step in steps:
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *step, "--stdin-filename", str(path), "-"],
            input=source, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"ruff {step[0]} failed on {path.name}: {done.stderr}")
        source = done.stdout
    return source


def render() -> dict[Path, str]:
    """Every generated file and its text."""
    all_methods = methods()
    files = {
        OUT / "__init__.py": _ruff(
            '# Generated by `python -m wac_toolkit.codegen`: do not edit.\n"""Generated, do not '
            'edit: the typed command methods of each face (:mod:`wac_toolkit.codegen`)."""\n',
            OUT / "__init__.py",
        )
    }
    for face in FACES:
        path = OUT / f"{face.module}.py"
        files[path] = _ruff(_module(face, all_methods), path)
    return files


def stale() -> list[Path]:
    """The generated files whose text differs from what :func:`render` makes now."""
    return [
        path
        for path, text in render().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wac_toolkit.codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    if args.check:
        old = stale()
        for path in old:
            print(f"stale: {path} (run python -m wac_toolkit.codegen)")
        return 1 if old else 0
    OUT.mkdir(exist_ok=True)
    for path, text in render().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
