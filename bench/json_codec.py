"""Encode and decode one 100-record ``sendlog`` frame with orjson, msgspec and the stdlib.

The figure behind ``wac_toolkit.protocol.frames`` using orjson; msgspec is measured when
installed. Best of 5 runs of ``timeit``.
"""

from __future__ import annotations

import json
import timeit
from collections.abc import Callable
from typing import Any

from .harness import Result
from .ingest import _records

__all__ = ["frame_text", "run"]


def frame_text(n: int = 100) -> str:
    frame = {"cmd": "sendlog", "sn": "VT00000", "count": n, "logindex": 1,
             "record": [r.to_wire() | {"temp": 0, "image": "", "verifymode": 0}
                        for r in _records(0, n)]}  # fmt: skip
    return json.dumps(frame, separators=(",", ":"))


def _best(fn: Callable[[], Any], number: int = 500) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def run() -> list[Result]:
    text = frame_text()
    data = text.encode()
    obj = json.loads(text)
    codecs: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "json": (lambda: json.loads(text), lambda: json.dumps(obj, separators=(",", ":")))
    }
    import orjson

    codecs["orjson"] = (lambda: orjson.loads(data), lambda: orjson.dumps(obj))
    try:
        import msgspec

        decoder, encoder = msgspec.json.Decoder(), msgspec.json.Encoder()
        codecs["msgspec"] = (lambda: decoder.decode(data), lambda: encoder.encode(obj))
    except ImportError:
        pass
    times = {name: (_best(dec), _best(enc)) for name, (dec, enc) in codecs.items()}
    base_dec, base_enc = times["json"]
    out = []
    for name, (dec, enc) in times.items():
        if name == "json":
            continue
        out.append(
            Result(
                f"decode a 100-record frame ({len(data):,} B): {name}",
                dec,
                base_dec,
                "us",
                "(choice of codec)",
                None,
                note="baseline: stdlib json",
            )
        )
        out.append(
            Result(
                f"encode a 100-record frame: {name}",
                enc,
                base_enc,
                "us",
                "(choice of codec)",
                None,
                note="baseline: stdlib json",
            )
        )
    return out  # fmt: skip


if __name__ == "__main__":
    for r in run():
        print(f"{r.name}: {r.ours:.1f} vs {r.baseline:.1f} {r.unit} ratio {r.ratio:.2f}")
