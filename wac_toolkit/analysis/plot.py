"""When do people arrive? A weekday x hour heatmap of first punches.

Counts come from first-ins per person-day (not every punch), so a lunch break does not
look like a second morning. :func:`arrival_counts` gives the table, for tests and for
people who plot with something else; :func:`arrival_heatmap` draws it.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from .daily import first_last
from .filters import require_columns

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["WEEKDAYS", "arrival_counts", "arrival_heatmap", "inline_figure"]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def inline_figure(**options: Any) -> Figure:
    """A pyplot-free matplotlib Figure that shows itself as a PNG in Jupyter and IPython.

    ``options`` go to ``Figure(...)``. The class is made on first use so that importing
    the analysis package does not import matplotlib.
    """
    return _inline_class()(**options)


_INLINE: list[type] = []


def _inline_class() -> type[Figure]:
    if not _INLINE:
        from matplotlib.figure import Figure

        class InlineFigure(Figure):
            """A Figure whose ``_repr_png_`` renders it (what pyplot's inline hook would do)."""

            def _repr_png_(self) -> bytes:
                buffer = io.BytesIO()
                self.savefig(buffer, format="png", dpi=100)
                return buffer.getvalue()

        _INLINE.append(InlineFigure)
    return _INLINE[0]


def arrival_counts(frame: pd.DataFrame, **first_last_options: Any) -> pd.DataFrame:
    """Arrivals per weekday (rows Mon..Sun) and hour (columns 0..23), all cells present.

    Args:
        frame: a per-day frame (with ``first_in``) or a logs frame, which goes through
            :func:`first_last` first (``first_last_options`` are passed on).
    """
    import pandas as pd

    if "first_in" not in frame.columns:
        require_columns(frame, ("time", "enrollid", "event"), "arrival_counts")
        frame = first_last(frame, **first_last_options)
    arrivals = frame["first_in"].dropna()
    table = pd.crosstab(arrivals.dt.day_of_week, arrivals.dt.hour)
    table = table.reindex(index=range(7), columns=range(24), fill_value=0).astype("int64")
    table.index = pd.Index(WEEKDAYS, name="weekday")
    table.columns = pd.Index(range(24), name="hour")
    return table


def arrival_heatmap(
    frame: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str = "Arrivals by weekday and hour",
    **first_last_options: Any,
) -> Figure:
    """Draw :func:`arrival_counts` as a heatmap and return the Figure.

    Without ``ax`` a new Figure is made without pyplot, so nothing global changes and no
    window opens. Such a Figure has no display of its own in a fresh kernel (matplotlib's
    inline hook is only installed by pyplot), so it is an :func:`inline_figure`, which
    renders as a PNG as the cell's value, with or without ``%matplotlib inline``.
    """
    counts = arrival_counts(frame, **first_last_options)
    if ax is None:
        figure = inline_figure(figsize=(10, 3.6), layout="constrained")
        ax = figure.add_subplot()
    else:
        figure = ax.figure  # type: ignore[assignment]
    image = ax.imshow(counts.to_numpy(), aspect="auto", cmap="Blues", interpolation="nearest")
    ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)], fontsize=8)
    ax.set_yticks(range(7), list(WEEKDAYS))
    ax.set_xlabel("hour of first punch")
    ax.set_title(title)
    figure.colorbar(image, ax=ax, label="arrivals")
    return figure
