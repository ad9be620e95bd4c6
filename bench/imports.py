"""Import time of the SDK against ``websockets``, the one library it cannot do without.

``python -m bench.imports [RUNS]``. Each figure is the median of RUNS fresh interpreters
(default 15), each timing its own import statement with ``perf_counter`` (interpreter start-up
is the same for both and left out); runs alternate between ours and the baseline so load
drifts hit both. Two pairs: the bare imports, and what a script that talks to a terminal
imports (the SDK's client against the websockets client it uses).
"""

from __future__ import annotations

import statistics
import subprocess
import sys

from .harness import Result

__all__ = ["PAIRS", "import_seconds", "run"]

PAIRS = (
    ("import wac_ws_sdk", "import websockets", 3.0),
    (
        "from wac_ws_sdk import WacClient",
        "from websockets.asyncio.client import connect",
        3.0,
    ),
)
"""(ours, baseline, target ratio): the issue asks for at most 3x ``import websockets``."""


def import_seconds(statement: str) -> float:
    """Seconds ``statement`` takes in a fresh interpreter (start-up not counted)."""
    code = f"import time\n_t = time.perf_counter()\n{statement}\nprint(time.perf_counter() - _t)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return float(out.stdout.split()[-1])


def run(runs: int = 15) -> list[Result]:
    results = []
    for ours, baseline, target in PAIRS:
        times: dict[str, list[float]] = {ours: [], baseline: []}
        for _ in range(runs):
            for statement in (ours, baseline):
                times[statement].append(import_seconds(statement))
        a, b = statistics.median(times[ours]) * 1e3, statistics.median(times[baseline]) * 1e3
        results.append(
            Result(
                f"`{ours}`",
                a,
                b,
                "ms",
                f"<= {target:g}x",
                a / b <= target,
                f"baseline `{baseline}`; median of {runs} fresh interpreters each",
            )
        )
    return results


if __name__ == "__main__":
    for result in run(int(sys.argv[1]) if len(sys.argv) > 1 else 15):
        print(
            f"{result.name}: {result.ours:.2f} ms vs {result.baseline:.2f} ms "
            f"({result.note}): ratio {result.ratio:.2f}x, target {result.target}, "
            f"{'met' if result.met else 'NOT met'}"
        )
