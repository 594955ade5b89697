"""The explorer's charts as PNG: the run charts' export fan and cumulative exports
(:mod:`sim.analysis.plots`), at the page's resolution."""

from __future__ import annotations

import io
from typing import Any

from matplotlib.figure import Figure

from sim.analysis.observed import default_observations
from sim.analysis.plots import cumulative_exports_chart, exports_fan_chart

__all__ = ["cumulative_png", "fan_png", "png"]

#: Resolution of the page's charts (a 10-inch figure is 800 pixels wide).
DPI = 80


def png(fig: Figure, dpi: int = DPI) -> bytes:
    """``fig`` as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def fan_png(result: Any) -> bytes:
    """The run's export fan chart as PNG."""
    return png(exports_fan_chart(result, observations=default_observations(result.config)))


def cumulative_png(result: Any) -> bytes:
    """The run's cumulative exports chart as PNG."""
    return png(cumulative_exports_chart(result, observations=default_observations(result.config)))
