"""``python -m bench [--quick] [--only NAME ...] [--json FILE]``: run and print the table.

Each figure is shown with its baseline from the same run and the ratio; the target column
says what the ratio (or absolute figure) should be and whether it was met.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict

from . import analysis, dataframe, fleet, imports, ingest, json_codec, postgres, roster
from .harness import Result, environment

__all__ = ["main"]


def _suites(quick: bool) -> dict[str, Callable[[], list[Result]]]:
    return {
        "ingest": lambda: ingest.run(per=1000 if quick else 4000),
        "fleet": lambda: fleet.run((500, 1000) if quick else (1000, 5000, 10000)),
        "dataframe": lambda: dataframe.run(100_000 if quick else 1_000_000),
        "json": json_codec.run,
        "analysis": lambda: analysis.run(200 if quick else 1000),
        "roster": lambda: roster.run(300 if quick else 1000),
        "postgres": lambda: postgres.run(
            10 if quick else 20, 200 if quick else 500, 50_000 if quick else 200_000
        ),
        "imports": lambda: imports.run(7 if quick else 15),
    }


def _fmt(value: float) -> str:
    if value != value:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def print_table(results: list[Result]) -> None:
    rows = [
        [r.name, f"{_fmt(r.ours)} {r.unit}", f"{_fmt(r.baseline)} {r.unit}", f"{r.ratio:.2f}x",
         r.target, {True: "yes", False: "NO", None: "-"}[r.met]]
        for r in results
    ]  # fmt: skip
    headers = ["benchmark", "ours", "baseline", "ratio", "target", "met"]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    notes = [f"- {r.name}: {r.note}" for r in results if r.note]
    if notes:
        print("\nBaselines and notes:\n" + "\n".join(notes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts (a smoke run)")
    parser.add_argument("--only", nargs="+", choices=tuple(_suites(False)))
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    env = environment()
    print("environment: " + ", ".join(f"{k} {v}" for k, v in env.items()), flush=True)
    results: list[Result] = []
    began = time.perf_counter()
    for name, suite in _suites(args.quick).items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results += suite()
    print(f"\n{len(results)} figures in {time.perf_counter() - began:.0f} s; "
          f"load after: {environment()['load']}\n")  # fmt: skip
    print_table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "results": [asdict(r) | {"ratio": r.ratio}
                                                        for r in results]}, f, indent=1)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
