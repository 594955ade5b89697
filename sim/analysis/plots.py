"""The charts of one experiment (a result folder): time series, histograms, a timeline.

Every function returns a :class:`matplotlib.figure.Figure` built with the object API (no
pyplot state); :func:`write_run_plots` writes them as PNG into ``<run>/plots/``. The
timeline of one replication is drawn by :mod:`sim.analysis.gantt` from the replication
:mod:`sim.analysis.replay` simulates again.

Time on the charts: row ``d`` of the daily series holds the flows during day ``d`` and the
levels at its end, so a level or a running total is drawn at the end of its day (the date
``start + d + 1``; running totals start from zero at ``start``) and a rate at its day's date.
Means are exact (:class:`sim.experiment.stats.DailyAggregate`); a band of a quantity built
from several days (a 7-day rate, a running total) comes from the replications' own series
(:mod:`sim.analysis.sample`). The time charts take ``observations`` (an observations file or
:class:`sim.calibration.Observations`) and draw those that map onto their series
(:mod:`sim.analysis.observed_marks`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

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
    date_axis,
    date_range_text,
    finite,
    fmt_number,
    metric_unit,
    new_figure,
    save_png,
)
from sim.analysis.gantt import CHANGE_COLOUR, timeline_chart
from sim.analysis.observed_marks import Kind, as_observations, draw_marks, observation_marks
from sim.analysis.replay import typical_replication
from sim.analysis.results import PathLike, as_result
from sim.analysis.sample import DailySample, daily_sample, quantile_band
from sim.metrics import BPD, MILLION_BBL, metric

#: Where a time chart's legend goes.
LegendLoc = Literal["upper right", "upper left"]

# File names of the run plots, in the order a report shows them.
RUN_PLOTS: tuple[str, ...] = (
    "exports_fan.png",
    "cumulative_exports.png",
    "cumulative_seizures.png",
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


def _x(frame: pd.DataFrame, end_of_day: bool = False) -> tuple[np.ndarray, bool]:
    """The x values of a time series: dates when present, else days; and whether dates.

    ``end_of_day`` places row ``d`` at the end of its day (a level, a running total).
    """
    shift = 1 if end_of_day else 0
    if "date" in frame.columns and frame["date"].notna().all():
        dates = pd.to_datetime(frame["date"]) + pd.Timedelta(days=shift)
        return dates.to_numpy(), True
    return frame["day"].to_numpy(dtype=float) + shift, False


def _from_zero(frame: pd.DataFrame, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A running total's x (end of each day) and y, starting from zero at day 0."""
    x, dates = _x(frame, end_of_day=True)
    origin = x[:1] - (np.timedelta64(1, "D") if dates else 1.0)
    return np.concatenate([origin, x]), np.concatenate([np.zeros((*y.shape[:-1], 1)), y], -1)


def _smooth(values: pd.Series | np.ndarray, window: int | None) -> np.ndarray:
    """A centred ``window``-day rolling mean along the last axis (days); ``None``: as is.

    The first and last days average the part of the window inside the run (at least half).
    """
    arr = np.asarray(values, dtype=float)
    if not window or window <= 1:
        return arr
    frame = pd.DataFrame(np.atleast_2d(arr).T)
    rolled = frame.rolling(window, center=True, min_periods=window // 2 + 1).mean()
    return rolled.to_numpy().T.reshape(arr.shape)


def _start(result: Any) -> Any:
    """The run's start date, if the chart has dates."""
    return getattr(getattr(result, "config", None), "start_date", None)


def _horizon(result: Any, worlds: dict[str, pd.DataFrame]) -> float:
    """The horizon in days: the config's, else the length of the series."""
    cfg = getattr(result, "config", None)
    if cfg is not None:
        return float(cfg.horizon_days)
    return float(max((len(f) for f in worlds.values()), default=0))


def _format_time_axis(ax: Axes, dates: bool, start: Any = None, days: float = 0.0) -> None:
    """The time axis of every time chart: calendar ticks and no offset text, or days."""
    if dates:
        date_axis(ax.xaxis)
        ax.set_xlabel(f"date ({date_range_text(start, days)})" if start is not None else "date")
    else:
        ax.set_xlabel("day of the simulation (days)")


def _observe(
    ax: Axes,
    result: Any,
    observations: Any,
    series: str,
    kind: Kind,
    scale: float,
    unit: str,
    dates: bool,
) -> list[Any]:
    """Draw the observations (a file or :class:`Observations`) that map onto ``series``
    shown as ``kind``."""
    observed = as_observations(observations, getattr(result, "config", None))
    marks = observation_marks(
        observed, series, kind, scale, unit, _horizon(result, _worlds(result))
    )
    return draw_marks(ax, marks, _start(result) if dates else None)


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
    band: bool = True,
    median_style: str = "-",
) -> None:
    """A p05-p95 band and the median line of level ``col`` (each day's quantiles)."""
    if not _has(frame, col):
        return
    x, _ = _x(frame, end_of_day=True)
    colour = WORLD_COLOURS.get(world, OTHER_COLOUR)
    label = WORLD_LABELS.get(world, world)
    lo, mid, hi = (frame[f"{col}_{q}"].to_numpy(dtype=float) / scale for q in ("p05", "p50", "p95"))
    if band:
        ax.fill_between(x, lo, hi, color=colour, alpha=0.22, linewidth=0, label=f"{label}: p05–p95")
    ax.plot(x, mid, median_style, color=colour, linewidth=2, label=f"{label}: median")


def _sample_band(
    sample: DailySample | None, world: str, col: str, transform: Any
) -> np.ndarray | None:
    """p05, p50, p95 across the sampled replications of ``transform(their series)``."""
    values = sample.values(world, col) if sample is not None else None
    if values is None:
        return None
    return quantile_band(transform(values))


def _same(values: np.ndarray) -> np.ndarray:
    """``values`` unchanged (a series that is already what the band shows)."""
    return values


def _band_note(sample: DailySample | None, what: str) -> str:
    """What a band shows, or that it is missing (said on the chart, not left out silently)."""
    if sample is None:
        return (
            "mean only: no per-replication series stored for a band (the folder's "
            "state/aggregate.npz is missing or does not match its manifest)"
        )
    return f"mean and p05–p95 of {what} across {sample.describe()}"


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


def _reference_lines(ax: Axes, result: Any, worlds: dict[str, pd.DataFrame]) -> None:
    """The no-blockade level (the baseline's mean rate) and the configured export rate."""
    base = worlds.get("baseline")
    if base is not None and "exported_bbl_mean" in base.columns:
        level = float(np.nanmean(base["exported_bbl_mean"])) / THOUSAND
        ax.axhline(
            level,
            color=WORLD_COLOURS["baseline"],
            linestyle=":",
            linewidth=1.5,
            label=(
                f"no-blockade level (baseline mean over the horizon): {fmt_number(level)} {BPD[0]}"
            ),
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
                f"{fmt_number(bpd / THOUSAND)} {BPD[0]}"
            ),
        )


# --------------------------------------------------------------------------- (a) exports


def exports_fan_chart(result: Any, rolling: int | None = 7, observations: Any = None) -> Figure:
    """Export rate (thousand bpd) over a centred ``rolling``-day window, blockade vs baseline.

    A cargo leaves in one day, so a single replication's daily exports are mostly zero with
    a spike per tanker; over a ``rolling``-day window they are a rate one can brief. The line
    is the exact mean across replications; the band holds 90% of single replications' own
    ``rolling``-day rates (from the folder's per-replication series, :mod:`.sample`; without
    them the chart says so and shows the mean only). ``rolling=None`` or 1 shows single days.
    The no-blockade level (the baseline's mean over the horizon) and the configured export
    rate ``production.export_bpd`` are marked, and ``observations`` of ``exported_bbl`` drawn.
    """
    result = as_result(result)
    worlds = _worlds(result)
    sample = daily_sample(result)
    window = rolling if rolling and rolling > 1 else None
    fig = new_figure(10, 5.5)
    ax = fig.add_subplot()
    dates = False
    for world in ("baseline", "blockade"):
        frame = worlds.get(world)
        if frame is None or "exported_bbl_mean" not in frame.columns:
            continue
        x, dates = _x(frame)
        colour, label = WORLD_COLOURS.get(world, OTHER_COLOUR), WORLD_LABELS.get(world, world)
        band = _sample_band(sample, world, "exported_bbl", lambda v: _smooth(v, window))
        if band is not None:
            ax.fill_between(
                x,
                band[0] / THOUSAND,
                band[2] / THOUSAND,
                color=colour,
                alpha=0.18 if world == "baseline" else 0.28,
                linewidth=0,
                label=f"{label}: 90% of replications (p05–p95)",
            )
        mean = _smooth(frame["exported_bbl_mean"], window) / THOUSAND
        ax.plot(x, mean, "-", color=colour, linewidth=2.2, label=f"{label}: mean")
    _reference_lines(ax, result, worlds)
    _observe(ax, result, observations, "exported_bbl", "rate", THOUSAND, BPD[0], dates)
    what = f"each replication's {window}-day rate" if window else "each replication's daily exports"
    ax.set_title(
        f"Crude exports, {f'{window}-day' if window else 'daily'} rate — {_scenario(result)}\n"
        + _band_note(sample, what),
        fontsize=11,
    )
    unit = metric("exported_bpd").unit
    ax.set_ylabel(f"exports, centred {window}-day rate ({unit})" if window else f"exports ({unit})")
    _format_time_axis(ax, dates, _start(result), _horizon(result, worlds))
    _mark_changes(ax, getattr(result, "config", None), dates)
    _finish_axes(ax, "upper right")
    return fig


# --------------------------------------------------------------------------- (b) cumulative


def _cumulative_world(
    ax: Axes,
    frame: pd.DataFrame,
    sample: DailySample | None,
    world: str,
    col: str,
    scale: float,
    running: bool,
) -> np.ndarray:
    """The mean running total of ``col`` in ``world`` (exact) and its sampled p05-p95 band;
    ``running`` sums a daily flow, else ``col`` is already a running total. Returns the mean."""
    colour, label = WORLD_COLOURS.get(world, OTHER_COLOUR), WORLD_LABELS.get(world, world)
    mean = frame[f"{col}_mean"].to_numpy(dtype=float)
    x, y = _from_zero(frame, np.cumsum(mean) if running else mean)
    band = _sample_band(sample, world, col, (lambda v: np.cumsum(v, axis=1)) if running else _same)
    if band is not None:
        _, lo = _from_zero(frame, band[0])
        _, hi = _from_zero(frame, band[2])
        ax.fill_between(
            x,
            lo / scale,
            hi / scale,
            color=colour,
            alpha=0.25,
            linewidth=0,
            label=f"{label}: 90% of replications (p05–p95)",
        )
    ax.plot(x, y / scale, "-", color=colour, linewidth=2.2, label=f"{label}: mean")
    return y / scale


def _end_bar(ax: Axes, result: Any, name: str, x: Any, colour: str, label: str) -> None:
    """At the horizon: ``name``'s p05-p95 over every replication of the run (from the
    replications table) as a bar, its mean as a dot, and the figures as text."""
    reps = getattr(result, "replications", None)
    if reps is None or name not in reps.columns:
        return
    m = metric(name)
    values = finite(reps[name]) / m.scale
    if len(values) == 0:
        return
    mean = float(values.mean())
    lo, hi = (float(q) for q in np.quantile(values, (0.05, 0.95)))
    # the bar spans p05-p95 and the dot is the mean, which may lie outside that range
    ax.errorbar(
        [x],
        [(lo + hi) / 2],
        yerr=[(hi - lo) / 2],
        fmt="none",
        ecolor=colour,
        capsize=4,
        linewidth=1.4,
        zorder=4,
    )
    ax.plot(
        [x],
        [mean],
        "o",
        color=colour,
        markersize=5,
        zorder=4.5,
        label=(
            f"{label} at the horizon: mean {fmt_number(mean)} {m.unit}, p05–p95 "
            f"{fmt_number(lo)}–{fmt_number(hi)} (all {len(values)} replications)"
        ),
    )


def _end_x(x: np.ndarray, offset_days: float) -> Any:
    """The last x of a series moved by ``offset_days`` (dates or days)."""
    last = x[-1]
    if np.issubdtype(np.asarray(x).dtype, np.datetime64):
        return pd.Timestamp(last) + pd.Timedelta(days=offset_days)
    return float(last) + offset_days


def cumulative_exports_chart(result: Any, observations: Any = None) -> Figure:
    """Crude exported since day 0 (million bbl), blockade vs baseline.

    The lines are the exact means (the running sum of the daily means); the bands hold 90%
    of single replications' running totals (from the folder's per-replication series, else
    left out and said so); the bars at the horizon are the p05-p95 of the total over every
    replication (``exported_bbl`` of the replications table). The title states the exports
    lost by the horizon: the mean of the paired differences.
    """
    result = as_result(result)
    worlds = _worlds(result)
    sample = daily_sample(result)
    fig = new_figure(10, 5.5)
    ax = fig.add_subplot()
    dates = False
    for k, world in enumerate(("baseline", "blockade")):
        frame = worlds.get(world)
        if frame is None or "exported_bbl_mean" not in frame.columns:
            continue
        dates = _x(frame)[1]
        _cumulative_world(ax, frame, sample, world, "exported_bbl", MILLION, running=True)
        x, _ = _from_zero(frame, np.zeros(len(frame)))
        name = "baseline_exported_bbl" if world == "baseline" else "exported_bbl"
        colour, label = WORLD_COLOURS[world], WORLD_LABELS[world]
        _end_bar(ax, result, name, _end_x(x, 1.5 * (2 - k)), colour, label)
    _observe(ax, result, observations, "exported_bbl", "cumulative", MILLION, MILLION_BBL[0], dates)
    ax.set_title(
        f"Cumulative crude exports — {_scenario(result)}\n"
        + "\n".join(p for p in (_band_note(sample, "running totals"), _lost(result)) if p),
        fontsize=11,
    )
    ax.set_ylabel(f"exported since day 0 ({MILLION_BBL[0]})")
    _format_time_axis(ax, dates, _start(result), _horizon(result, worlds))
    _mark_changes(ax, getattr(result, "config", None), dates)
    _finish_axes(ax, "upper left")
    return fig


def _lost(result: Any) -> str:
    """``lost by the horizon: X million bbl (mean of the paired differences)``, or ""."""
    reps = getattr(result, "replications", None)
    if reps is None or not {"exported_bbl", "baseline_exported_bbl"} <= set(reps.columns):
        return ""
    lost = finite(reps["baseline_exported_bbl"] - reps["exported_bbl"])
    if len(lost) == 0:
        return ""
    m = metric("exported_bbl")
    return (
        f"exports lost by the horizon: {m.fmt(float(lost.mean()))} {m.unit} "
        "(mean of the paired differences)"
    )


def cumulative_seizures_chart(result: Any, observations: Any = None) -> Figure:
    """Tankers seized since day 0 in the blockade world: the exact mean, 90% of single
    replications (from their own series, else left out and said so), and at the horizon
    the p05-p95 of ``seizures`` over every replication; ``observations`` of
    ``seizures_cum`` and of the metric ``seizures`` are drawn."""
    result = as_result(result)
    worlds = _worlds(result)
    sample = daily_sample(result)
    fig = new_figure(10, 5.0)
    ax = fig.add_subplot()
    frame = worlds.get("blockade")
    dates = False
    if frame is not None and "seizures_cum_mean" in frame.columns:
        dates = _x(frame)[1]
        _cumulative_world(ax, frame, sample, "blockade", "seizures_cum", 1.0, running=False)
        x, _ = _from_zero(frame, np.zeros(len(frame)))
        _end_bar(ax, result, "seizures", _end_x(x, 1.0), WORLD_COLOURS["blockade"], "seized")
    unit = metric("seizures").unit
    _observe(ax, result, observations, "seizures_cum", "level", 1.0, unit, dates)
    ax.set_title(
        f"Tankers seized, cumulative — {_scenario(result)}\n"
        + _band_note(sample, "running counts"),
        fontsize=11,
    )
    ax.set_ylabel(f"seized since day 0 ({unit})")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _format_time_axis(ax, dates, _start(result), _horizon(result, worlds))
    _mark_changes(ax, getattr(result, "config", None), dates)
    _finish_axes(ax, "upper left")
    return fig


# --------------------------------------------------------------------------- (c) storage


def storage_chart(result: Any, observations: Any = None) -> Figure:
    """Onshore storage (million bbl, p05-p95 and median) and mean cumulative shut-ins,
    against the usable storage capacity; ``observations`` of storage and shut-ins drawn."""
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
        x, cum = _from_zero(frame, np.nancumsum(frame["shut_in_bbl_mean"].to_numpy(dtype=float)))
        ax.plot(
            x,
            cum / MILLION,
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
    _observe(ax, result, observations, "storage_bbl", "level", MILLION, MILLION_BBL[0], dates)
    _observe(ax, result, observations, "shut_in_bbl", "cumulative", MILLION, MILLION_BBL[0], dates)
    ax.set_title(
        f"Onshore storage and production shut-ins — {_scenario(result)}\n{_reps_note(result)}",
        fontsize=11,
    )
    ax.set_ylabel(f"crude ({MILLION_BBL[0]})")
    _format_time_axis(ax, dates, _start(result), _horizon(result, worlds))
    _mark_changes(ax, cfg, dates)
    _finish_axes(ax, "upper left")
    return fig


# --------------------------------------------------------------------------- (d) stranded


def stranded_chart(result: Any, observations: Any = None) -> Figure:
    """Loaded barrels stranded in port (million bbl) and loaded tankers waiting, over time;
    ``observations`` of either level drawn."""
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
    _observe(top, result, observations, "stranded_bbl", "level", MILLION, MILLION_BBL[0], dates)
    _observe(bottom, result, observations, "tankers_waiting", "level", 1.0, "tankers", dates)
    fig.suptitle(f"Cargo stranded in port — {_scenario(result)}\n{_reps_note(result)}", fontsize=11)
    top.set_title("loaded barrels waiting in port", fontsize=10)
    top.set_ylabel(f"stranded crude ({MILLION_BBL[0]})")
    bottom.set_title("loaded tankers waiting to sail", fontsize=10)
    bottom.set_ylabel("tankers waiting (tankers)")
    for ax in (top, bottom):
        _mark_changes(ax, getattr(result, "config", None), dates)
        _finish_axes(ax)
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    _format_time_axis(bottom, dates, _start(result), _horizon(result, worlds))
    return fig


# --------------------------------------------------------------------------- (e) histograms


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


# --------------------------------------------------------------------------- (f) timeline


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


#: The run plots that draw observations (their ``observations`` argument).
OBSERVED_PLOTS = frozenset(
    {
        "exports_fan.png",
        "cumulative_exports.png",
        "cumulative_seizures.png",
        "storage_shut_ins.png",
        "stranded_waiting.png",
    }
)


def _run_figures(result: Any) -> Iterable[tuple[str, Any]]:
    worlds = _worlds(result)
    if worlds:
        yield "exports_fan.png", exports_fan_chart
        yield "cumulative_exports.png", cumulative_exports_chart
        yield "cumulative_seizures.png", cumulative_seizures_chart
        yield "storage_shut_ins.png", storage_chart
        yield "stranded_waiting.png", stranded_chart
    reps = getattr(result, "replications", None)
    if reps is not None and len(reps) and "seizures" in reps.columns:
        yield "distributions.png", distributions_chart
        if getattr(result, "config", None) is not None:
            yield "timeline.png", run_timeline_chart


def write_run_plots(
    result_or_dir: Any, out: PathLike | None = None, observations: Any = None
) -> list[Path]:
    """Write every applicable run plot as PNG; returns the paths written.

    ``out`` defaults to ``<run folder>/plots`` (the result's ``out_dir``). ``observations``
    (an observations file, read against the run's config, or
    :class:`sim.calibration.Observations`) are drawn on the time charts they map onto; a
    bad file raises :class:`sim.calibration.ObservationsError` (a ``ValueError``) before any
    plot is written.
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
    observed = as_observations(observations, getattr(result, "config", None))
    written = []
    for name, make in _run_figures(result):
        fig = make(result, observations=observed) if name in OBSERVED_PLOTS else make(result)
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
