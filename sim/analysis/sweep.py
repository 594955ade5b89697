"""Plots of a parameter sweep: heatmaps over two swept keys and CI lines over one.

The table, its columns and which of them are swept: :mod:`sim.sweep_table`. Axis labels
come from the registries (:func:`sim.labels.key_label` for a swept key, a metric's heading
from :mod:`sim.metrics`); a key's values run in numeric order, or, for names (a policy
preset, a warrant policy), in the sweep's order, so the first point (the reference of
``experiment.reference=sweep``) comes first. A percentage's axis or colour scale spans at
least :data:`sim.analysis._common.MIN_SPAN_PP`, and other quantities start at zero
(:func:`sim.analysis._common.value_limits`), so a small difference looks small.
"""

from __future__ import annotations

import itertools
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis._common import (
    MIN_SPAN_PP,
    fmt_number,
    metric_label,
    metric_unit,
    new_figure,
    save_png,
    value_limits,
)
from sim.labels import key_label, key_name
from sim.sweep_table import (
    fixed_overrides,
    load_sweep,
    sweep_metrics,
    swept_keys,
)
from sim.sweep_table import labels as _labels

__all__ = ["ordered_values", "sweep_heatmap", "sweep_lines", "write_sweep_plots"]

PathLike = str | os.PathLike[str]

PREFERRED_METRICS = ("export_decline", "seizures")


# --------------------------------------------------------------------------- the table


def ordered_values(series: pd.Series) -> tuple[list[str], list[float] | None]:
    """The distinct labels of a key in a sensible order, and their numeric values if all
    labels are numbers: numbers ascending; otherwise (names, or a null such as "never")
    the order they first appear in, the sweep's job order in a sweep table."""
    labels = list(dict.fromkeys(_labels(series)))
    nums = pd.to_numeric(pd.Series(labels, dtype=object), errors="coerce")
    if len(labels) and nums.notna().all():
        order = sorted(range(len(labels)), key=lambda i: float(nums.iloc[i]))
        return [labels[i] for i in order], [float(nums.iloc[i]) for i in order]
    return labels, None


def _in_job_order(df: pd.DataFrame) -> pd.DataFrame:
    """The table by job number (the sweep's order), its record in ``attrs`` kept."""
    if "job" not in df.columns:
        return df
    ordered = df.sort_values("job", kind="stable")
    ordered.attrs = dict(df.attrs)
    return ordered


def _metric(df: pd.DataFrame, metric: str | None) -> str:
    available = sweep_metrics(df)
    if metric is not None:
        if metric not in available:
            raise KeyError(f"metric {metric!r} not in the sweep table ({', '.join(available)})")
        return metric
    for m in (*PREFERRED_METRICS, "exported_bbl"):
        if m in available:
            return m
    if not available:
        raise ValueError("the sweep table has no <metric>_mean columns")
    return available[0]


def _context(df: pd.DataFrame, used: list[str]) -> str:
    """The fixed overrides that change the model (not ``experiment.*`` run settings)."""
    fixed = fixed_overrides(df)
    parts = [
        f"{k}={v}" for k, v in fixed.items() if k not in used and not k.startswith("experiment.")
    ]
    return ", ".join(parts)


def _title(head: str, notes: list[str], width: int) -> str:
    """A title line and its notes, wrapped to about ``width`` characters."""
    if not notes:
        return head
    return head + "\n" + "\n".join(textwrap.wrap("; ".join(notes), width=max(40, width)))


# --------------------------------------------------------------------------- heatmap


def sweep_heatmap(
    sweep: Any, x: str | None = None, y: str | None = None, metric: str | None = None
) -> Figure:
    """Annotated heatmap of the mean ``metric`` over two swept keys ``x`` and ``y``.

    Other swept keys, if any, are averaged over (said in the title). With one sweep point per
    cell the annotation also shows the 95% CI.
    """
    df = _in_job_order(load_sweep(sweep))
    metric = _metric(df, metric)
    keys = swept_keys(df)
    if x is None or y is None:
        free = [k for k in keys if k not in (x, y)]
        if x is None:
            x = free.pop(0) if free else None
        if y is None:
            y = free.pop(0) if free else None
    if x is None or y is None:
        raise ValueError(f"a heatmap needs two swept keys; the sweep varies {keys}")
    scale, unit = metric_unit(metric)
    xs, _ = ordered_values(df[x])
    ys, _ = ordered_values(df[y])
    frame = df.assign(_x=_labels(df[x]), _y=_labels(df[y]))
    cells = frame.groupby(["_y", "_x"])
    mean = cells[f"{metric}_mean"].mean().unstack("_x").reindex(index=ys, columns=xs) / scale
    count = cells.size().unstack("_x").reindex(index=ys, columns=xs)
    single = bool((count.fillna(1) == 1).all().all())
    has_ci = single and {f"{metric}_ci_low", f"{metric}_ci_high"} <= set(df.columns)
    if has_ci:
        lo = cells[f"{metric}_ci_low"].mean().unstack("_x").reindex(index=ys, columns=xs) / scale
        hi = cells[f"{metric}_ci_high"].mean().unstack("_x").reindex(index=ys, columns=xs) / scale

    fig = new_figure(max(6.0, 1.1 * len(xs) + 3.5), max(4.0, 0.7 * len(ys) + 2.4))
    ax = fig.add_subplot()
    data = mean.to_numpy(dtype=float)
    cmap = "magma_r" if metric.startswith("export_decline") else "viridis"
    limits = value_limits(data, unit) or (None, None)
    image = ax.imshow(
        np.ma.masked_invalid(data), cmap=cmap, aspect="auto", vmin=limits[0], vmax=limits[1]
    )
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(metric_label(metric))
    norm = image.norm
    cm = image.get_cmap()
    small = len(xs) * len(ys) <= 48
    ci = (lo.to_numpy(dtype=float), hi.to_numpy(dtype=float)) if has_ci else (data, data)
    for i in range(len(ys)):
        for j in range(len(xs)):
            v = data[i, j]
            if not np.isfinite(v):
                continue
            text = fmt_number(v) + ("%" if unit == "%" else "")
            if has_ci and small and np.isfinite(ci[0][i, j]):
                text += f"\n[{fmt_number(ci[0][i, j])}–{fmt_number(ci[1][i, j])}]"
            r, g, b = (float(c) for c in np.ravel(cm(norm(v)))[:3])  # the colour, alpha dropped
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8 if small else 6,
                color="white" if dark else "black",
            )
    ax.set_xticks(range(len(xs)), xs)
    ax.set_yticks(range(len(ys)), ys)
    ax.set_xlabel(key_label(x))
    ax.set_ylabel(key_label(y))
    others = [k for k in keys if k not in (x, y)]
    notes = []
    if others:
        notes.append(f"mean over {', '.join(others)}")
    if has_ci and small:
        notes.append("cells: mean [95% CI]")
    if unit == "%":
        notes.append(f"colours span at least {MIN_SPAN_PP:g} pp")
    context = _context(df, [x, y])
    if context:
        notes.append(context)
    width_chars = int(fig.get_figwidth() * 11)
    ax.set_title(
        _title(
            f"Mean {_lower_first(metric_label(metric))} by {_lower_first(key_name(y))} "
            f"and {_lower_first(key_name(x))}",
            notes,
            width_chars,
        ),
        fontsize=10,
    )
    return fig


# --------------------------------------------------------------------------- lines


def sweep_lines(
    sweep: Any, key: str | None = None, metric: str | None = None, group: str | None = None
) -> Figure:
    """Mean ``metric`` with its 95% CI band over one swept ``key``, one line per ``group``.

    Swept keys other than ``key`` and ``group`` are held at their first value (said in the
    title): confidence intervals cannot be averaged across points.
    """
    df = _in_job_order(load_sweep(sweep))
    metric = _metric(df, metric)
    keys = swept_keys(df)
    if key is None:
        if not keys:
            raise ValueError("the sweep varies no key")
        key = keys[0]
    context = _context(df, [key, *([group] if group else [])])
    held = {}
    for other in keys:
        if other not in (key, group):
            first = ordered_values(df[other])[0][0]
            held[other] = first
            df = df[_labels(df[other]) == first]
    scale, unit = metric_unit(metric)
    xs, numeric = ordered_values(df[key])
    position = dict(zip(xs, numeric if numeric is not None else range(len(xs)), strict=True))
    groups = ordered_values(df[group])[0] if group else [None]

    fig = new_figure(9, 5.2)
    ax = fig.add_subplot()
    colours = [f"C{i % 10}" for i in range(len(groups))]
    categorical = numeric is None
    shown: list[np.ndarray] = []  # every value drawn: the y-axis must hold them
    for k, (colour, g) in enumerate(zip(colours, groups, strict=True)):
        part = df if g is None else df[_labels(df[group]) == g]
        part = part.assign(_x=_labels(part[key]).map(position)).sort_values("_x")
        part = part.groupby("_x", as_index=False).mean(numeric_only=True)
        xv = part["_x"].to_numpy(dtype=float)
        if categorical and len(groups) > 1:  # dodge the groups so their error bars show
            xv = xv + (k - (len(groups) - 1) / 2) * min(0.3, 0.6 / len(groups))
        mean = part[f"{metric}_mean"].to_numpy(dtype=float) / scale
        label = "mean" if g is None else str(g)
        style = "o" if categorical else "-o"
        ax.plot(xv, mean, style, color=colour, linewidth=2, markersize=6, label=label)
        shown.append(mean)
        if {f"{metric}_ci_low", f"{metric}_ci_high"} <= set(part.columns):
            lo = part[f"{metric}_ci_low"].to_numpy(dtype=float) / scale
            hi = part[f"{metric}_ci_high"].to_numpy(dtype=float) / scale
            shown += [lo, hi]
            ci_label = "95% CI" if g is None else None
            if not categorical and len(xv) > 1:
                ax.fill_between(xv, lo, hi, color=colour, alpha=0.2, linewidth=0, label=ci_label)
            else:
                ax.errorbar(
                    xv,
                    mean,
                    yerr=[mean - lo, hi - mean],
                    fmt="none",
                    ecolor=colour,
                    capsize=4,
                    label=ci_label,
                )
    if categorical:
        ax.set_xticks(range(len(xs)), xs)
        ax.set_xlim(-0.5, len(xs) - 0.5)
    elif numeric is not None and len(xs) <= 12:
        ax.set_xticks(numeric, xs)
    limits = value_limits(np.concatenate(shown) if shown else [], unit)
    if limits is not None:
        pad = 0.05 * (limits[1] - limits[0])  # none below a baseline of zero
        ax.set_ylim(limits[0] - (pad if limits[0] != 0.0 else 0.0), limits[1] + pad)
    ax.set_xlabel(key_label(key))
    ax.set_ylabel(metric_label(metric))
    ax.grid(alpha=0.3)
    notes = []
    if group:
        notes.append(("bars" if categorical else "bands") + ": 95% CI of each mean")
    if held:
        notes.append("held at " + ", ".join(f"{k}={v}" for k, v in held.items()))
    if context:
        notes.append(context)
    if unit == "%":
        notes.append(f"y-axis spans at least {MIN_SPAN_PP:g} pp")
    ax.set_title(
        _title(f"{metric_label(metric)} by {_lower_first(key_name(key))}", notes, 110),
        fontsize=10,
    )
    ax.legend(fontsize=8, title=None if group is None else key_label(group), framealpha=0.9)
    return fig


# --------------------------------------------------------------------------- writing


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def write_sweep_plots(sweep_dir: PathLike, out: PathLike | None = None) -> list[Path]:
    """Write the sweep plots as PNG into ``<sweep_dir>/plots`` (or ``out``).

    Heatmaps for each pair of swept keys (at most three pairs) and line plots over each key,
    grouped by the other key with the fewest values, for export decline and seizures.
    """
    sweep_dir = Path(sweep_dir)
    df = _in_job_order(load_sweep(sweep_dir))
    out = Path(out) if out is not None else sweep_dir / "plots"
    available = sweep_metrics(df)
    metrics = [m for m in PREFERRED_METRICS if m in available] or [_metric(df, None)]
    keys = swept_keys(df)
    written = []
    for x, y in list(itertools.combinations(keys, 2))[:3]:
        for metric in metrics:
            fig = sweep_heatmap(df, x=x, y=y, metric=metric)
            name = f"heatmap_{_slug(metric)}__{_slug(y)}__{_slug(x)}.png"
            written.append(save_png(fig, out / name))
    for key in keys:
        others = [k for k in keys if k != key]
        sizes = {k: len(ordered_values(df[k])[0]) for k in others}
        group = min(others, key=lambda k: sizes[k]) if others else None
        if group is not None and sizes[group] > 8:
            group = None
        for metric in metrics:
            fig = sweep_lines(df, key=key, metric=metric, group=group)
            written.append(save_png(fig, out / f"lines_{_slug(metric)}__{_slug(key)}.png"))
    return written


def _lower_first(text: str) -> str:
    """``Export decline (%)`` -> ``export decline (%)``, for use inside a sentence."""
    return text[:1].lower() + text[1:]
