"""The charts of one experiment (a result folder): time series, histograms, a timeline.

Every function returns a :class:`matplotlib.figure.Figure` built with the object API (no
pyplot state); :func:`write_run_plots` writes them as PNG into ``<run>/plots/``. The
timeline of one replication is drawn by :mod:`sim.analysis.gantt` from the replication
:mod:`sim.analysis.replay` simulates again.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.analysis._common import (
    MILLION,
    OTHER_COLOUR,
    THOUSAND,
    WORLD_COLOURS,
    WORLD_LABELS,
    finite,
    fmt_number,
    metric_unit,
    new_figure,
    save_png,
)
from sim.analysis.gantt import CHANGE_COLOUR, timeline_chart
from sim.analysis.replay import typical_replication
from sim.analysis.results import PathLike, as_result

#: Where a time chart's legend goes.
LegendLoc = Literal["upper right", "upper left"]

# File names of the run plots, in the order a report shows them.
RUN_PLOTS: tuple[str, ...] = (
    "exports_fan.png",
    "storage_shut_ins.png",
    "stranded_waiting.png",
    "distributions.png",
    "timeline.png",
)


# --------------------------------------------------------------------------- inputs


def _worlds(result: Any) -> dict[str, pd.DataFrame]:
    """The wide time series split by world ('blockade' first), each sorted by day."""
    ts = result.timeseries
    if ts is None or len(ts) == 0:
        return {}
    if "world" not in ts.columns:
        return {"blockade": ts.sort_values("day").reset_index(drop=True)}
    out = {}
    for world in ("blockade", "baseline"):
        part = ts[ts["world"] == world]
        if len(part):
            out[world] = part.sort_values("day").reset_index(drop=True)
    return out


def _x(frame: pd.DataFrame) -> tuple[np.ndarray, bool]:
    """The x values of a time series: dates when present, else days; and whether dates."""
    if "date" in frame.columns and frame["date"].notna().all():
        return pd.to_datetime(frame["date"]).to_numpy(), True
    return frame["day"].to_numpy(dtype=float), False


def _smooth(values: pd.Series | np.ndarray, window: int | None) -> np.ndarray:
    s = pd.Series(np.asarray(values, dtype=float))
    if window and window > 1:
        s = s.rolling(window, min_periods=1).mean()
    return s.to_numpy()


def _format_time_axis(ax: Axes, dates: bool, start: Any = None) -> None:
    if dates:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_xlabel("date")
    else:
        ax.set_xlabel("day of the simulation (days)")


def _mark_changes(ax: Axes, cfg: Any, dates: bool) -> None:
    """Dashed lines at the days of the config's scheduled timeline entries (a trigger's day
    differs between replications: it is marked on a single replication's timeline)."""
    entries = [e for e in getattr(cfg, "timeline", ()) if e.day is not None]
    for n, entry in enumerate(entries):
        # a date on a date axis (matplotlib's unit conversion), else a day number
        x: Any = pd.Timestamp(cfg.start_date) + pd.Timedelta(days=entry.day) if dates else entry.day
        label = entry.label or ", ".join(f"{k}={v}" for k, v in entry.changes.items())
        ax.axvline(
            x,
            color=CHANGE_COLOUR,
            linestyle="--",
            linewidth=1.0,
            label=f"day {entry.day:g}: {label}"
            if len(label) < 60
            else f"day {entry.day:g}: change",
        )
        if n > 5:
            break


def _finish_axes(ax: Axes, legend_loc: LegendLoc = "upper right") -> None:
    """The common finish of a time chart's panel: y from zero, light grid, small legend."""
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc=legend_loc, fontsize=8, framealpha=0.9)


def _has(frame: pd.DataFrame, col: str) -> bool:
    return all(f"{col}_{q}" in frame.columns for q in ("p05", "p50", "p95"))


def _band(
    ax: Axes,
    frame: pd.DataFrame,
    col: str,
    world: str,
    scale: float,
    window: int | None = None,
    band: bool = True,
    median_style: str = "-",
    mean: bool = False,
) -> None:
    """A p05-p95 band and the median line (and optionally the mean) of ``col``."""
    if not _has(frame, col):
        return
    x, _ = _x(frame)
    colour = WORLD_COLOURS.get(world, OTHER_COLOUR)
    label = WORLD_LABELS.get(world, world)
    lo = _smooth(frame[f"{col}_p05"], window) / scale
    mid = _smooth(frame[f"{col}_p50"], window) / scale
    hi = _smooth(frame[f"{col}_p95"], window) / scale
    if band:
        ax.fill_between(x, lo, hi, color=colour, alpha=0.22, linewidth=0, label=f"{label}: p05–p95")
    if mean and f"{col}_mean" in frame.columns:
        avg = _smooth(frame[f"{col}_mean"], window) / scale
        ax.plot(x, avg, "-", color=colour, linewidth=2.2, label=f"{label}: mean")
        ax.plot(x, mid, "--", color=colour, linewidth=1.1, label=f"{label}: median")
    else:
        ax.plot(x, mid, median_style, color=colour, linewidth=2, label=f"{label}: median")


def _n_reps(result: Any) -> int | None:
    reps = getattr(result, "replications", None)
    if reps is not None and len(reps):
        return len(reps)
    manifest = getattr(result, "manifest", None) or {}
    n = manifest.get("replications_done")
    return int(n) if n is not None else None


def _scenario(result: Any) -> str:
    cfg = getattr(result, "config", None)
    return getattr(cfg, "name", None) or "scenario"


def _reps_note(result: Any) -> str:
    n = _n_reps(result)
    return f"{n} replications" if n else "replications"


# --------------------------------------------------------------------------- (a) exports


def exports_fan_chart(result: Any, rolling: int | None = 7) -> Figure:
    """Daily exports (thousand bpd): p05-p95 band and median, blockade vs baseline.

    Cargoes make daily exports lumpy, so by default every daily quantile is smoothed with a
    trailing ``rolling``-day mean (``rolling=None`` or 1 shows raw days). The pre-blockade
    level is marked twice: the baseline's mean daily export over the horizon, and the
    configured export rate ``production.export_bpd``.
    """
    result = as_result(result)
    worlds = _worlds(result)
    fig = new_figure(10, 5.5)
    ax = fig.add_subplot()
    dates = False
    for world in ("baseline", "blockade"):
        if world in worlds:
            _band(ax, worlds[world], "exported_bbl", world, THOUSAND, rolling, mean=True)
            dates = _x(worlds[world])[1]
    base = worlds.get("baseline")
    if base is not None and "exported_bbl_mean" in base.columns:
        level = float(np.nanmean(base["exported_bbl_mean"])) / THOUSAND
        ax.axhline(
            level,
            color=WORLD_COLOURS["baseline"],
            linestyle=":",
            linewidth=1.5,
            label=f"no-blockade level (baseline mean over the horizon): {fmt_number(level)} k bpd",
        )
    cfg = getattr(result, "config", None)
    bpd = getattr(getattr(cfg, "production", None), "export_bpd", None)
    if bpd:
        ax.axhline(
            bpd / THOUSAND,
            color="black",
            linestyle="--",
            linewidth=1,
            label=(
                "pre-blockade export rate (production.export_bpd): "
                f"{fmt_number(bpd / THOUSAND)} k bpd"
            ),
        )
    smooth = f"{rolling}-day rolling mean of daily quantiles" if rolling and rolling > 1 else ""
    ax.set_title(
        f"Daily crude exports — {_scenario(result)}\n"
        + ", ".join(p for p in (smooth, _reps_note(result)) if p),
        fontsize=11,
    )
    ax.set_ylabel("exports (thousand bpd)")
    _format_time_axis(ax, dates)
    _mark_changes(ax, cfg, dates)
    _finish_axes(ax, "upper right")
    return fig


# --------------------------------------------------------------------------- (b) storage


def storage_chart(result: Any) -> Figure:
    """Onshore storage (million bbl, p05-p95 and median) and mean cumulative shut-ins,
    against the usable storage capacity."""
    result = as_result(result)
    worlds = _worlds(result)
    fig = new_figure(10, 5.5)
    ax = fig.add_subplot()
    dates = False
    for world, frame in worlds.items():
        dates = _x(frame)[1]
        if world == "blockade":
            _band(ax, frame, "storage_bbl", world, MILLION)
        else:
            _band(ax, frame, "storage_bbl", world, MILLION, band=False, median_style="--")
    for world, frame in worlds.items():
        if "shut_in_bbl_mean" not in frame.columns:
            continue
        x, _ = _x(frame)
        cum = np.nancumsum(frame["shut_in_bbl_mean"].to_numpy(dtype=float)) / MILLION
        ax.plot(
            x,
            cum,
            color="#444444" if world == "blockade" else "#999999",
            linestyle="-" if world == "blockade" else ":",
            linewidth=2,
            label=f"{WORLD_LABELS.get(world, world)}: cumulative shut-ins (mean)",
        )
    cfg = getattr(result, "config", None)
    cap = getattr(getattr(cfg, "terminal", None), "storage_capacity_bbl", None)
    if cap:
        ax.axhline(
            cap / MILLION,
            color="black",
            linestyle="--",
            linewidth=1.2,
            label=f"usable storage capacity: {fmt_number(cap / MILLION)} million bbl",
        )
    ax.set_title(
        f"Onshore storage and production shut-ins — {_scenario(result)}\n{_reps_note(result)}",
        fontsize=11,
    )
    ax.set_ylabel("crude (million bbl)")
    _format_time_axis(ax, dates)
    _mark_changes(ax, cfg, dates)
    _finish_axes(ax, "upper left")
    return fig


# --------------------------------------------------------------------------- (c) stranded


def stranded_chart(result: Any) -> Figure:
    """Loaded barrels stranded in port (million bbl) and loaded tankers waiting, over time."""
    result = as_result(result)
    worlds = _worlds(result)
    fig = new_figure(10, 6.5)
    top, bottom = fig.subplots(2, 1, sharex=True)
    dates = False
    for world, frame in worlds.items():
        dates = _x(frame)[1]
        full = world == "blockade"
        style = "-" if full else "--"
        _band(top, frame, "stranded_bbl", world, MILLION, band=full, median_style=style)
        _band(bottom, frame, "tankers_waiting", world, 1.0, band=full, median_style=style)
    fig.suptitle(f"Cargo stranded in port — {_scenario(result)}\n{_reps_note(result)}", fontsize=11)
    top.set_title("loaded barrels waiting in port", fontsize=10)
    top.set_ylabel("stranded crude (million bbl)")
    bottom.set_title("loaded tankers waiting to sail", fontsize=10)
    bottom.set_ylabel("tankers waiting (tankers)")
    for ax in (top, bottom):
        _mark_changes(ax, getattr(result, "config", None), dates)
        _finish_axes(ax)
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    _format_time_axis(bottom, dates)
    return fig


# --------------------------------------------------------------------------- (d) histograms


def _summary_row(result: Any, metric: str) -> dict[str, float]:
    """Mean and 95% CI of ``metric``: from the summary, else from the replications."""
    summary = getattr(result, "summary", None)
    if summary is not None and metric in summary.index:
        row = summary.loc[metric]
        return {k: float(row[k]) for k in ("mean", "ci_low", "ci_high") if k in row.index}
    values = finite(result.replications[metric])
    if len(values) == 0:
        return {}
    mean = float(values.mean())
    if len(values) < 2:
        return {"mean": mean}
    from scipy import stats  # lazy: only for results without a summary row

    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half}


def _histogram(ax: Axes, result: Any, metric: str, colour: str, integer: bool = False) -> None:
    scale, unit = metric_unit(metric)
    values = finite(result.replications[metric]) / scale
    stats = {k: v / scale for k, v in _summary_row(result, metric).items()}
    if len(values) == 0:
        ax.text(0.5, 0.5, "no finite values", transform=ax.transAxes, ha="center")
    else:
        lo, hi = float(values.min()), float(values.max())
        if integer and hi - lo <= 60:
            bins: Any = np.arange(math.floor(lo) - 0.5, math.ceil(hi) + 1.5, 1.0)
        else:
            bins = min(40, max(5, int(math.sqrt(len(values))) * 2)) if hi > lo else 5
        ax.hist(values, bins=bins, color=colour, alpha=0.75, edgecolor="white")
    u = f" {unit}" if unit and unit != "%" else unit
    if "ci_low" in stats and "ci_high" in stats and math.isfinite(stats["ci_low"]):
        ax.axvspan(
            stats["ci_low"],
            stats["ci_high"],
            facecolor=(0.0, 0.0, 0.0, 0.22),
            edgecolor="black",
            linestyle="--",
            linewidth=0.8,
            zorder=2.5,
            label=(
                f"95% CI of the mean: {fmt_number(stats['ci_low'])}–"
                f"{fmt_number(stats['ci_high'])}{u}"
            ),
        )
    if "mean" in stats and math.isfinite(stats["mean"]):
        ax.axvline(
            stats["mean"],
            color="black",
            linewidth=2,
            label=f"mean: {fmt_number(stats['mean'])}{u}",
        )
    ax.set_ylabel("replications (count)")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)


def distributions_chart(result: Any) -> Figure:
    """Histograms across replications of seizures and of export decline (or of exports when
    no baseline ran), with the mean and its 95% confidence interval marked."""
    result = as_result(result)
    reps = result.replications
    fig = new_figure(11, 4.8)
    left, right = fig.subplots(1, 2)
    _histogram(left, result, "seizures", WORLD_COLOURS["blockade"], integer=True)
    left.set_title("tankers seized per replication", fontsize=10)
    left.set_xlabel("seizures (tankers)")
    if "export_decline" in reps.columns and len(finite(reps["export_decline"])):
        _histogram(right, result, "export_decline", "#6A3D9A")
        right.set_title("export decline vs the paired no-blockade baseline", fontsize=10)
        right.set_xlabel("export decline (% of baseline exports)")
    else:
        _histogram(right, result, "exported_bbl", "#6A3D9A")
        right.set_title("exports over the horizon (no baseline ran)", fontsize=10)
        right.set_xlabel("exports (million bbl)")
    fig.suptitle(
        f"Outcomes across replications — {_scenario(result)} ({_reps_note(result)})",
        fontsize=11,
    )
    return fig


# --------------------------------------------------------------------------- (e) timeline


def run_timeline_chart(result: Any) -> Figure:
    """The timeline of the replication with median exports (re-simulated from its seed)."""
    result = as_result(result)
    index, rep = typical_replication(result)
    return timeline_chart(
        rep,
        result.config,
        title=(
            f"Timeline of replication {index} (median outcome) — {_scenario(result)}: "
            f"{int(rep.metrics['seizures'])} seized, {int(rep.metrics['escapes'])} escaped, "
            f"{fmt_number(rep.metrics['exported_bbl'] / MILLION)} million bbl exported"
        ),
    )


# --------------------------------------------------------------------------- writing


def _run_figures(result: Any) -> Iterable[tuple[str, Any]]:
    worlds = _worlds(result)
    if worlds:
        yield "exports_fan.png", exports_fan_chart
        yield "storage_shut_ins.png", storage_chart
        yield "stranded_waiting.png", stranded_chart
    reps = getattr(result, "replications", None)
    if reps is not None and len(reps) and "seizures" in reps.columns:
        yield "distributions.png", distributions_chart
        if getattr(result, "config", None) is not None:
            yield "timeline.png", run_timeline_chart


def write_run_plots(result_or_dir: Any, out: PathLike | None = None) -> list[Path]:
    """Write every applicable run plot as PNG; returns the paths written.

    ``out`` defaults to ``<run folder>/plots`` (the result's ``out_dir``).
    """
    result = as_result(result_or_dir)
    if out is None:
        base = getattr(result, "out_dir", None)
        if base is None and isinstance(result_or_dir, str | os.PathLike):
            base = result_or_dir
        if base is None:
            raise ValueError("write_run_plots: the result has no out_dir; pass out=")
        out = Path(base) / "plots"
    out = Path(out)
    written = []
    for name, make in _run_figures(result):
        fig = make(result)
        written.append(save_png(fig, out / name))
    return written


def plot_paths(folder: PathLike, names: Sequence[str] = RUN_PLOTS) -> list[Path]:
    """The PNGs in ``folder``: the known names first, in order, then any others."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    known = [folder / n for n in names if (folder / n).is_file()]
    others = sorted(p for p in folder.glob("*.png") if p not in known)
    return known + others
