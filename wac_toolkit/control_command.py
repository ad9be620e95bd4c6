"""The control endpoint's ``command`` op checked against the catalogue, like a typed method.

A client's typed method (``WacClient.via_gateway(sn).open_door(2)``) already checks its
arguments and sends wire fields; but anything that can reach the endpoint can also send a
hand-made request, so the gateway checks again rather than trust it: the ``cmd`` must be a
server-to-terminal command of the catalogue, every field must be one of that command's
(``cmd`` itself is not a field, so it cannot be replaced), the values go through the same
:func:`~wac_toolkit.protocol.catalogue.build_fields` checks as the Session's methods, the
frame sent is the one built from them, destructive commands need ``confirm: true``
(:class:`~wac_toolkit.errors.ConfirmationRequired` otherwise), whether to await a reply
comes from the catalogue, and timeouts are finite, positive and bounded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfirmationRequired
from .protocol.catalogue import _STN_SINGLE, Command, Field, build_fields, terminal_commands

__all__ = ["MAX_TIMEOUT", "CheckedCommand", "check_command", "check_timeout"]

MAX_TIMEOUT = 3600.0
"""Longest wait a control request may ask for, in seconds (``adduser`` needs 120)."""

_BY_NAME: dict[str, list[Command]] = {}
for _spec in terminal_commands():
    _BY_NAME.setdefault(_spec.name, []).append(_spec)


@dataclass(frozen=True)
class CheckedCommand:
    """What the gateway sends: built from the catalogue, not copied from the request."""

    cmd: str
    fields: dict[str, Any]
    timeout: float | None
    expect_reply: bool


def check_timeout(value: Any, name: str = "timeout", *, required: bool = False) -> float | None:
    """``value`` as seconds in (0, MAX_TIMEOUT]; None when absent and not ``required``."""
    if value is None and not required:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 < value <= MAX_TIMEOUT
    ):
        raise ValueError(
            f"{name} must be a number of seconds in (0, {MAX_TIMEOUT:g}], not {value!r}"
        )
    return float(value)


def check_command(request: Mapping[str, Any]) -> CheckedCommand:
    """The frame to send for a ``command`` request, or the error a typed method would raise.

    Raises:
        ValueError: not a terminal command, a bad timeout, fields not an object.
        TypeError: unknown, missing or mistyped fields (as ``build_fields`` says).
        ConfirmationRequired: a destructive command without ``confirm: true``.
    """
    cmd = request.get("cmd")
    specs = _BY_NAME.get(cmd) if isinstance(cmd, str) else None
    if not specs:
        raise ValueError(f"{cmd!r} is not a server-to-terminal command of the catalogue")
    fields = request.get("fields")
    fields = {} if fields is None else fields
    if not isinstance(fields, dict):
        raise ValueError("fields must be an object")
    if "cmd" in fields:
        raise ValueError("fields cannot carry 'cmd': the command is the request's cmd")
    timeout = check_timeout(request.get("timeout"))
    if any(spec.destructive for spec in specs) and request.get("confirm") is not True:
        raise ConfirmationRequired(str(cmd))
    failures: list[Exception] = []
    for spec in specs:  # setuserinfo has two forms: a credential slot, a profile
        try:
            wire = _wire(spec, fields)
        except (TypeError, ValueError) as exc:
            failures.append(exc)
            continue
        return CheckedCommand(spec.name, wire, timeout, spec.has_reply)
    raise failures[0]


def _wire(spec: Command, fields: dict[str, Any]) -> dict[str, Any]:
    """Rebuild ``fields`` through the catalogue; only the paging and batch fields added by
    the typed methods themselves (``stn``, ``count``) pass besides the command's own."""
    where = spec.method or spec.name
    by_wire = {f.name: f for f in spec.fields}
    protocol: dict[str, Any] = {}
    args: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "stn" and (spec.paged or spec.name in _STN_SINGLE):
            if not isinstance(value, bool):
                raise TypeError(f"{where}: stn must be true or false")
            protocol[name] = value
        elif name == "count" and spec.batch:
            protocol[name] = value
        elif name in by_wire:
            args[by_wire[name].param] = _argument(by_wire[name], value, where)
        else:
            allowed = ", ".join(sorted(by_wire)) or "none"
            raise TypeError(f"{where}: unknown field {name!r}; allowed: {allowed}")
    wire = build_fields(spec, args)
    if spec.batch:
        records = wire.get("record", [])
        count = protocol.get("count", len(records))
        if isinstance(count, bool) or count != len(records) or len(records) > spec.batch:
            raise ValueError(
                f"{where}: a frame carries at most {spec.batch} records and count says how many"
            )
        protocol["count"] = len(records)
    return {**wire, **protocol}


def _argument(field: Field, value: Any, where: str) -> Any:
    """The Python argument that the typed method turns into wire ``value``.

    Most wire values are valid arguments themselves (a time as text, a mode as its code);
    two are not: a flag the method takes as bool and sends as 0/1, and the names that
    ``set_user_names`` takes as a mapping and sends as a list.
    """
    types = field.type if isinstance(field.type, tuple) else (field.type,)
    if types == (bool,) and field.to_wire is int and value in (0, 1) and type(value) is int:
        return bool(value)
    if types == (Mapping,) and isinstance(value, list):
        names: dict[int, str] = {}
        for item in value:
            if not (
                isinstance(item, dict)
                and set(item) == {"enrollid", "name"}
                and type(item["enrollid"]) is int
                and isinstance(item["name"], str)
            ):
                raise TypeError(f"{where}: each record must be {{enrollid: int, name: str}}")
            names[item["enrollid"]] = item["name"]
        return names
    return value
