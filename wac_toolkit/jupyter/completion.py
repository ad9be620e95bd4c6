"""Tab completion for ``%wac``: subcommands, their flags, and known serial numbers.

Uses IPython's matcher API (v2, IPython 8.6+): the matcher reads the line up to the cursor
and suppresses other matchers only on ``%wac`` lines, including ``users = %wac users V``.
"""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING, Any

from IPython.core.completer import (
    CompletionContext,
    SimpleCompletion,
    SimpleMatcherResult,
    context_matcher,
)
from IPython.core.interactiveshell import InteractiveShell

if TYPE_CHECKING:
    from .magics import WacMagics

__all__ = ["complete", "install_completer", "remove_completer"]

_ATTR = "_wac_matcher"


_LINE = re.compile(r"""^\s*(?:[\w.\[\]'", ]+=\s*)?%%?wac\s(?P<rest>.*)$""", re.DOTALL)
"""``%wac ...``, ``%%wac ...`` and the assignment form the docs use: ``df = %wac logs ...``."""


def complete(magics: WacMagics, before_cursor: str) -> list[str] | None:
    """Candidates for the word at the end of ``before_cursor``; None off a ``%wac`` line."""
    match = _LINE.match(before_cursor)
    if match is None:
        return None
    rest = match.group("rest")
    try:
        words = shlex.split(rest)
    except ValueError:
        return []
    if rest.endswith(" ") or not rest:
        words.append("")
    word = words[-1]
    if len(words) == 1:
        return sorted(n for n in magics.commands if n.startswith(word))
    command = magics.commands.get(words[0])
    if command is None:
        return []
    if word.startswith("-"):
        parser = magics.parser(command)
        flags = {s for action in parser._actions for s in action.option_strings}
        return sorted(f for f in flags if f.startswith(word) and f.startswith("--"))
    positional = [w for w in words[1:-1] if not w.startswith("-")]
    if command.takes_sn and not positional:
        return [sn for sn in magics.serials() if sn.startswith(word)]
    return []


def install_completer(shell: InteractiveShell, magics: WacMagics) -> None:
    @context_matcher(identifier="wac")  # type: ignore[untyped-decorator]  # IPython: no hints
    def wac_matcher(context: CompletionContext) -> SimpleMatcherResult:
        found = complete(magics, context.text_until_cursor)
        if found is None:
            return {"completions": []}
        return {
            "completions": [SimpleCompletion(text=c, type="wac") for c in found],
            "suppress": True,
        }

    remove_completer(shell)
    shell.Completer.custom_matchers.append(wac_matcher)
    setattr(shell, _ATTR, wac_matcher)


def remove_completer(shell: InteractiveShell) -> None:
    matcher: Any = getattr(shell, _ATTR, None)
    if matcher is not None and matcher in shell.Completer.custom_matchers:
        shell.Completer.custom_matchers.remove(matcher)
    if hasattr(shell, _ATTR):
        delattr(shell, _ATTR)
