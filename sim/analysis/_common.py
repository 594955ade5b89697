"""Shared helpers of the analysis package: units, figure creation, atomic PNG writing, the
date axis of every time chart and the value range of a chart's axis or colour scale."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.experiment.atomic import write_atomic
from sim.formatting import fmt_number
from sim.metrics import BPD, MILLION_BBL, metric

__all__ = [
    "MILLION",
    "MIN_SPAN_PP",
    "OTHER_COLOUR",
    "STATUS_COLOURS",
    "THOUSAND",
    "WORLD_COLOURS",
    "WORLD_LABELS",
    "date_axis",
    "date_range_text",
    "finite",
    "fmt_metric",
    "fmt_number",
    "metric_label",
    "metric_unit",
    "new_figure",
    "save_png",
    "value_limits",
]

# Colours of the two worlds and of the tanker statuses (colour-blind safe, Okabe-Ito).
WORLD_COLOURS = {"blockade": "#D55E00", "baseline": "#0072B2"}
WORLD_LABELS = {"blockade": "blockade", "baseline": "no-blockade baseline"}
STATUS_COLOURS = {
    "licensed": "#009E73",
    "sanctioned": "#CC3311",
    "unsanctioned": "#E69F00",
}
OTHER_COLOUR = "#777777"

MILLION = MILLION_BBL[1]
THOUSAND = BPD[1]


def new_figure(width: float = 10.0, height: float = 5.5, **kwargs: Any) -> Figure:
    """A Figure with an Agg canvas attached: no pyplot state involved."""
    fig = Figure(figsize=(width, height), layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Figure, path: str | os.PathLike[str], dpi: int = 110) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically (temp file in the same folder + rename)."""
    FigureCanvasAgg(fig)
    return write_atomic(Path(path), lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))


# --------------------------------------------------------------------------- units


def metric_unit(name: str) -> tuple[float, str]:
    """(divisor, unit label) used to show metric ``name`` (from :mod:`sim.metrics`)."""
    m = metric(name)
    return m.scale, m.unit


def metric_label(name: str) -> str:
    """A readable axis label for metric ``name`` with its unit."""
    return metric(name).heading


def fmt_metric(name: str, value: float | None) -> str:
    """``value`` of metric ``name`` in display units, without the unit ("–" if missing)."""
    return metric(name).fmt(value)


def finite(values: Any) -> np.ndarray:
    """The finite values of ``values`` as a float array."""
    arr = np.asarray(values, dtype=float)
    return arr[np.isfinite(arr)]


# --------------------------------------------------------------------------- time axis


def date_axis(axis: Axis) -> None:
    """Calendar ticks on ``axis`` (days, months) without matplotlib's offset text.

    ``ConciseDateFormatter`` would print the tick's year and month once more in a corner
    (a stray "2026-Mar"); the chart's label says the dates instead (:func:`date_range_text`).
    """
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    axis.set_major_locator(locator)
    axis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def date_range_text(start: Any, days: float) -> str:
    """``10 Dec 2025 – 9 Mar 2026``: the first and last calendar day of ``days`` days."""
    first = pd.Timestamp(start)
    last = first + pd.Timedelta(days=max(0.0, float(days) - 1.0))
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


# --------------------------------------------------------------------------- value ranges

#: The narrowest range (in percentage points) a chart of a percentage spreads over its axis
#: or colour scale: a 3 pp difference between policies must not look like the whole range.
MIN_SPAN_PP = 20.0


def value_limits(values: Any, unit: str) -> tuple[float, float] | None:
    """Axis or colour limits for ``values`` shown in ``unit`` (None if none is finite).

    A percentage (``%``, ``pp``) gets at least :data:`MIN_SPAN_PP` around the values' middle,
    kept within 0-100 when the values are; any other quantity that is never negative starts
    at its natural baseline, zero; the rest spans the values.
    """
    data = finite(values)
    if len(data) == 0:
        return None
    lo, hi = float(data.min()), float(data.max())
    if unit in ("%", "pp"):
        if hi - lo < MIN_SPAN_PP:
            mid = (lo + hi) / 2
            lo, hi = mid - MIN_SPAN_PP / 2, mid + MIN_SPAN_PP / 2
            if data.min() >= 0.0 and lo < 0.0:
                lo, hi = 0.0, MIN_SPAN_PP
            if data.max() <= 100.0 and hi > 100.0:
                lo, hi = 100.0 - MIN_SPAN_PP, 100.0
        return lo, hi
    if lo >= 0.0:
        lo = 0.0
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi
