"""The explorer's charts as PNG: the run charts' export fan and cumulative exports
(:mod:`sim.analysis.plots`), at the page's resolution."""

from __future__ import annotations

import io
from typing import Any

from matplotlib.figure import Figure

from sim.analysis.observed import default_observations
from sim.analysis.plots import cumulative_exports_chart, exports_fan_chart
from sim.calibration.observations import Observations
from sim.config import Config

__all__ = ["cumulative_png", "fan_png", "observations", "png"]

#: Resolution of the page's charts (a 10-inch figure is 800 pixels wide).
DPI = 80
#: zlib level of the page's PNGs: the fastest (the same pixels; bytes only cross localhost).
COMPRESS_LEVEL = 1
#: Configs whose observations this process keeps (a run's charts read them twice).
KEPT = 8
_observed: dict[str, Observations | None] = {}


def png(fig: Figure, dpi: int = DPI) -> bytes:
    """``fig`` as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": COMPRESS_LEVEL})
    return buffer.getvalue()


def observations(cfg: Config) -> Observations | None:
    """:func:`~sim.analysis.observed.default_observations` of ``cfg``, read once per config."""
    key = cfg.model_dump_json()
    if key not in _observed:
        if len(_observed) >= KEPT:
            _observed.clear()
        _observed[key] = default_observations(cfg)
    return _observed[key]


def fan_png(result: Any) -> bytes:
    """The run's export fan chart as PNG."""
    return png(exports_fan_chart(result, observations=observations(result.config)))


def cumulative_png(result: Any) -> bytes:
    """The run's cumulative exports chart as PNG."""
    return png(cumulative_exports_chart(result, observations=observations(result.config)))
