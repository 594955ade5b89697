"""The explorer's charts as PNG: the run's export fan, and cumulative exports and seizures.

The fan is :func:`sim.analysis.plots.exports_fan_chart`. The cumulative chart is drawn here
until the run plots have one of their own: the mean of a cumulative sum is the cumulative
sum of the daily means (exact); the spread of the total at the horizon comes from the
replication rows (p05-p95 of ``exported_bbl``), because the stored daily quantiles are of
one day's flow, not of the running total. Seizures are a running count already, so their
daily p05-p95 band is the band of the cumulative.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis._common import MILLION, WORLD_COLOURS, WORLD_LABELS, new_figure
from sim.analysis.plots import exports_fan_chart
from sim.metrics import metric

__all__ = ["cumulative_chart", "cumulative_png", "fan_png", "png"]

#: Resolution of the page's charts (a 10-inch figure is 800 pixels wide).
DPI = 80


def png(fig: Figure, dpi: int = DPI) -> bytes:
    """``fig`` as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _worlds(ts: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The daily series of each world, sorted by day."""
    return {
        str(w): part.sort_values("day").reset_index(drop=True)
        for w, part in ts.groupby("world", sort=False)
    }


def _end_bar(ax: Any, result: Any, world: str, x: Any) -> None:
    """The p05-p95 range of one run's total at the horizon, as an error bar at ``x``."""
    column = "exported_bbl" if world == "blockade" else "baseline_exported_bbl"
    reps = result.replications
    if column not in reps.columns or not len(reps):
        return
    values = reps[column].to_numpy(dtype=float) / MILLION
    lo, mid, hi = np.nanquantile(values, [0.05, 0.5, 0.95])
    ax.errorbar(
        [x],
        [mid],
        yerr=[[mid - lo], [hi - mid]],
        fmt="o",
        color=WORLD_COLOURS[world],
        capsize=5,
        label=f"{WORLD_LABELS[world]}: one run's total, p05–p95",
    )


def cumulative_chart(result: Any) -> Figure:
    """Cumulative exports (million bbl; mean, and one run's p05-p95 at the horizon) and
    cumulative seizures (mean and p05-p95), blockade against the no-blockade baseline."""
    fig = new_figure(10, 6.0)
    top, bottom = fig.subplots(2, 1, sharex=True)
    worlds = _worlds(result.timeseries)
    for world, frame in worlds.items():
        x = pd.to_datetime(frame["date"]).to_numpy()
        colour, name = WORLD_COLOURS[world], WORLD_LABELS[world]
        total = np.cumsum(frame["exported_bbl_mean"].to_numpy(dtype=float)) / MILLION
        top.plot(x, total, color=colour, linewidth=2, label=f"{name}: mean")
        _end_bar(top, result, world, x[-1])
        if world == "blockade":
            bottom.fill_between(
                x,
                frame["seizures_cum_p05"],
                frame["seizures_cum_p95"],
                color=colour,
                alpha=0.22,
                linewidth=0,
                label=f"{name}: p05–p95",
            )
            bottom.plot(
                x, frame["seizures_cum_mean"], color=colour, linewidth=2, label=f"{name}: mean"
            )
    n = len(result.replications)
    fig.suptitle(
        f"Cumulative exports and seizures — {result.config.name} ({n} replications)", fontsize=11
    )
    top.set_ylabel(f"exports ({metric('exported_bbl').unit})")
    bottom.set_ylabel(f"seizures ({metric('seizures').unit})")
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    bottom.set_xlabel("date")
    for ax in (top, bottom):
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    return fig


def fan_png(result: Any) -> bytes:
    """The run's export fan chart as PNG."""
    return png(exports_fan_chart(result))


def cumulative_png(result: Any) -> bytes:
    """The cumulative chart as PNG."""
    return png(cumulative_chart(result))
