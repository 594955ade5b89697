"""Shared helpers of the analysis package: units, figure creation, atomic PNG writing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.experiment.atomic import write_atomic
from sim.formatting import fmt_number
from sim.metrics import BPD, MILLION_BBL, metric

__all__ = [
    "MILLION",
    "OTHER_COLOUR",
    "STATUS_COLOURS",
    "THOUSAND",
    "WORLD_COLOURS",
    "WORLD_LABELS",
    "finite",
    "fmt_metric",
    "fmt_number",
    "metric_label",
    "metric_unit",
    "new_figure",
    "save_png",
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
