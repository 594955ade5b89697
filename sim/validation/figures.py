"""The figures of the validation report (one PNG each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis._common import new_figure, save_png
from sim.validation import SCENARIO
from sim.validation.analytic import Row
from sim.validation.levers import Lever
from sim.validation.theory import ci_of

__all__ = ["analytic_figure", "baseline_figure", "face_figure"]


def analytic_figure(rows: list[Row], path: Path) -> Path:
    """Each case's estimate and CI relative to theory, in units of the CI half-width."""
    fig = new_figure(8.0, 0.32 * len(rows) + 1.6)
    ax = fig.add_subplot()
    ys = np.arange(len(rows))[::-1]
    for y, r in zip(ys, rows, strict=True):
        h = (r.high - r.low) / 2 or 1.0
        colour = "#0072B2" if r.inside else "#D55E00"
        ax.plot([(r.low - r.theory) / h, (r.high - r.theory) / h], [y, y], color=colour, lw=2)
        ax.plot((r.estimate - r.theory) / h, y, "o", color=colour, ms=5)
    ax.axvline(0, color="#333333", lw=1)
    ax.set_yticks(ys, [r.short or r.quantity for r in rows], fontsize=9)
    ax.set_xlabel(
        "(simulation − theory) / CI half-width\n(theory lies in the CI ⇔ the bar crosses 0)"
    )
    ax.set_title("Analytic cases: simulation 95% CI around the closed form")
    lim = max(3.0, *(abs(r.estimate - r.theory) / ((r.high - r.low) / 2 or 1) + 1.2 for r in rows))
    ax.set_xlim(-lim, lim)
    ax.grid(axis="x", alpha=0.3)
    return save_png(fig, path, dpi=100)


def baseline_figure(facts: list[dict[str, Any]], path: Path) -> Path:
    """Model estimates with CIs against the ranges and point values of docs/sources.md."""
    fig = new_figure(9.0, 0.6 * len(facts) + 1.3)
    ax = fig.add_subplot()
    ys = np.arange(len(facts))[::-1]
    for y, f in zip(ys, facts, strict=True):
        lo, hi = f["range"]
        ax.barh(y, (hi - lo) / 1000, left=lo / 1000, height=0.5, color="#CCCCCC", zorder=1)
        for v in f.get("points", []):
            ax.plot(v / 1000, y, "|", color="#555555", ms=14, zorder=2)
        ax.errorbar(
            f["mean"] / 1000,
            y,
            xerr=[[(f["mean"] - f["low"]) / 1000], [(f["high"] - f["mean"]) / 1000]],
            fmt="o",
            color="#D55E00",
            capsize=4,
            zorder=3,
        )
    ax.set_yticks(ys, [f["label"] for f in facts], fontsize=9)
    ax.set_xlabel(
        "thousand bpd  (grey: range in docs/sources.md; ticks: reported values; "
        "dot: model mean, 95% CI)"
    )
    ax.set_title(f"{SCENARIO}: model against the facts")
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    return save_png(fig, path, dpi=100)


def face_figure(items: list[Lever], path: Path) -> Path:
    """One column per lever: export decline (top) and seizures (bottom), 95% bands."""
    fig = new_figure(3.3 * len(items), 6.2)
    axes = fig.subplots(2, len(items), squeeze=False)
    for j, lever in enumerate(items):
        categorical = any(v is None for v in lever.values)
        xs = np.arange(len(lever.values)) if categorical else None
        x = xs if xs is not None else np.array(lever.values, dtype=float)
        for i, (metric, colour, ylabel) in enumerate(
            (("export_decline", "#D55E00", "export decline"), ("seizures", "#0072B2", "seizures"))
        ):
            ax = axes[i, j]
            s = [ci_of(lever.results[v][metric]) for v in lever.values]
            mean = np.array([t[0] for t in s])
            ax.fill_between(x, [t[1] for t in s], [t[2] for t in s], color=colour, alpha=0.25)
            ax.plot(x, mean, "o-", color=colour, ms=4)
            ref = lever.values.index(lever.reference)
            ax.plot(x[ref], mean[ref], "*", color="black", ms=11, zorder=3)
            if xs is not None:
                ax.set_xticks(xs, [lever.label(v) for v in lever.values])
            if j == 0:
                ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3)
            if i == 0:
                ax.set_title(lever.title, fontsize=10)
            else:
                ax.set_xlabel(f"{lever.key}\n({lever.unit})", fontsize=8)
    fig.suptitle(
        f"{SCENARIO}: responses to five levers (mean and 95% band; ★ = scenario value; "
        "same seeds at every point)",
        fontsize=11,
    )
    return save_png(fig, path, dpi=90)
