"""A month of punches through the attendance analysis, against what people write by hand.

The baseline is the one-liner the research found in the wild: group by calendar date and
take min/max. It is wrong for night shifts and bounces, and the price of getting those
right (workday boundary, bounce removal, pair modes) should stay a small multiple of it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from .harness import Result, best_of

__all__ = ["month_of_punches", "run"]


def month_of_punches(people: int, seed: int = 1) -> Any:
    """March 2025 weekdays, five punches a day per person (one a bounce), as a logs frame."""
    from wac_toolkit.dataframe import logs_frame

    rng = random.Random(seed)
    rows, i = [], 0
    for d in range(31):
        day = datetime(2025, 3, 1) + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for person in range(1, people + 1):
            arrive = day + timedelta(hours=8, minutes=rng.randint(-20, 20))
            for offset in (0, 20, 4 * 3600, 4 * 3600 + 1800, 8 * 3600 + 2700):
                i += 1
                moment = (arrive + timedelta(seconds=offset)).strftime("%Y-%m-%d %H:%M:%S")
                rows.append((i, "SN1", person, "", moment, None, 0, 0, 0, None, None, 1, 0, 0))
    return logs_frame(rows, "Europe/Berlin")


def run(people: int = 1000) -> list[Result]:
    from wac_toolkit.analysis import Schedule, Shift, against_schedule, first_last, timesheet

    logs = month_of_punches(people)
    naive, _ = best_of(
        lambda: logs.groupby([logs["enrollid"], logs["time"].dt.date])["time"].agg(
            ["min", "max", "size"]
        )
    )
    ours, days = best_of(lambda: first_last(logs))
    pairs, _ = best_of(lambda: first_last(logs, mode="pairs"))
    schedule = Schedule(Shift("08:00", "16:30", grace=5, unpaid_break=30))
    checked, _ = best_of(lambda: against_schedule(days, schedule))
    sheet, _ = best_of(lambda: timesheet(days, "2025-03", schedule=schedule), 1)
    n = f"{len(logs):,} punches"
    note = "baseline: groupby(enrollid, calendar date).time.agg(min, max, size)"
    return [
        Result(f"{n} -> first_last (bounces, workday)", ours, naive, "s", "<= 10x",
               ours <= 10 * naive, note=note),
        Result(f"{n} -> first_last mode=pairs", pairs, naive, "s", "<= 10x", pairs <= 10 * naive),
        Result(f"{len(days):,} person-days -> against_schedule", checked, naive, "s", "<= 10x",
               checked <= 10 * naive),
        Result(f"{people:,} people -> monthly timesheet", sheet, naive, "s", "<= 1 s",
               sheet <= 1.0),
    ]  # fmt: skip


if __name__ == "__main__":
    import sys

    for r in run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000):
        print(f"{r.name}: {r.ours:.3f} vs {r.baseline:.3f} {r.unit} ratio {r.ratio:.2f} {r.met}")
