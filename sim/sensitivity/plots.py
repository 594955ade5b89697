"""Charts of sensitivity indices (matplotlib object API; one Figure per function).

``indices_chart``: a tornado-style bar chart per output, most influential parameter on top.
``morris_chart``: Morris' mu* against sigma per output (effects above the diagonal are
non-linear or interact with other parameters).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.analysis._common import fmt_number, metric_unit, new_figure, save_png
from sim.sensitivity.analyse import noise_mask

__all__ = ["indices_chart", "morris_chart", "write_plots"]

RAISES, LOWERS, MIXED = "#0072B2", "#D55E00", "#999999"
S1_COLOUR, ST_COLOUR = "#56B4E9", "#0072B2"
NOISE_HATCH = "////"
NOISE_LABEL = "sampling noise (negative, above 1 or within its 95% half-width): raise n"


def _unit(output: str) -> tuple[float, str]:
    scale, unit = metric_unit(output)
    if output == "export_decline":
        return scale, "percentage points"
    return scale, unit


def _title(result: Any) -> str:
    m = result.manifest
    scenario = m.get("scenario") or "model"
    what = "Morris screening" if result.method == "morris" else "Sobol' indices"
    reps = m.get("replications")
    per = f" × {reps} replications (common random numbers)" if reps else ""
    return f"{what} — {scenario}: {m.get('points', '?')} points{per}"


def indices_chart(result: Any) -> Figure:
    """Tornado-style bars of each output's indices, most influential parameter on top.

    Morris: ``mu_star`` (mean absolute change of the output across a parameter's range) with
    its 95% bootstrap interval; the colour says whether the parameter raises or lowers the
    output (sign of ``mu``), or both (``|mu| < mu_star / 2``). Sobol: ``S1`` and ``ST`` with
    their 95% intervals.
    """
    outputs = list(result.outputs)
    k = len(result.parameters)
    fig = new_figure(5.2 * len(outputs) + 1.5, 1.2 + 0.5 * k)
    axes = np.atleast_1d(fig.subplots(1, len(outputs), squeeze=False)[0])
    noisy = False
    for ax, output in zip(axes, outputs, strict=True):
        t = result.table(output)
        y = np.arange(len(t))[::-1]
        labels = list(t["parameter"])
        if result.method == "morris":
            scale, unit = _unit(output)
            mu_star = t["mu_star"].to_numpy(float) / scale
            conf = t["mu_star_conf"].to_numpy(float) / scale
            mu = t["mu"].to_numpy(float) / scale
            colours = [
                MIXED if abs(m) < s / 2 else (RAISES if m >= 0 else LOWERS)
                for m, s in zip(mu, mu_star, strict=True)
            ]
            ax.barh(y, mu_star, xerr=conf, color=colours, capsize=3, height=0.6)
            for yi, v, c in zip(y, mu_star, conf, strict=True):
                ax.annotate(
                    fmt_number(v),
                    (v + (c if np.isfinite(c) else 0.0), yi),
                    xytext=(4, -3),
                    textcoords="offset points",
                    fontsize=8,
                    color="#333333",
                )
            ax.set_xlabel(f"μ* of {output} ({unit} over the range)")
        else:
            noisy = _sobol_bars(ax, t, y) or noisy
            ax.set_xlabel(f"share of the variance of {output}")
        ax.set_yticks(y, labels, fontsize=9)
        ax.axvline(0, color="black", lw=0.8)
        ax.grid(axis="x", alpha=0.3)
        ax.set_title(output.replace("_", " "), fontsize=10)
    if result.method == "morris":
        fig.legend(
            handles=[
                Patch(color=RAISES, label="raises the output"),
                Patch(color=LOWERS, label="lowers the output"),
                Patch(color=MIXED, label="both (|μ| < μ*/2)"),
            ],
            loc="outside lower center",
            ncols=3,
            fontsize=8,
            frameon=False,
        )
    if noisy:
        hatched = Patch(facecolor="white", edgecolor="#555555", hatch=NOISE_HATCH)
        fig.legend(
            handles=[hatched],
            labels=[NOISE_LABEL],
            loc="outside lower center",
            fontsize=8,
            frameon=False,
        )
    fig.suptitle(_title(result), fontsize=11)
    return fig


def _sobol_bars(ax: Any, t: Any, y: np.ndarray) -> bool:
    """S1 and ST bars with their 95% intervals, sampling noise hatched; whether any was."""
    h = 0.38
    noisy = noise_mask(t, "sobol")
    for off, col, colour, lab in (
        (h / 2, "S1", S1_COLOUR, "S1 (alone)"),
        (-h / 2, "ST", ST_COLOUR, "ST (with interactions)"),
    ):
        bars = ax.barh(
            y + off,
            t[col].to_numpy(float),
            height=h,
            color=colour,
            label=lab,
            xerr=t[f"{col}_conf"].to_numpy(float),
            capsize=2,
        )
        for bar, flagged in zip(bars, noisy[col], strict=True):
            if flagged:
                bar.set_hatch(NOISE_HATCH)
                bar.set_alpha(0.5)
    handles = [
        Patch(color=S1_COLOUR, label="S1 (alone)"),
        Patch(color=ST_COLOUR, label="ST (with interactions)"),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)
    return bool(noisy.to_numpy().any())


def morris_chart(result: Any) -> Figure:
    """Morris mu* against sigma, one panel per output, each parameter labelled."""
    if result.method != "morris":
        raise ValueError("morris_chart needs a Morris result (method='morris')")
    outputs = list(result.outputs)
    fig = new_figure(5.2 * len(outputs) + 0.5, 4.8)
    axes = np.atleast_1d(fig.subplots(1, len(outputs), squeeze=False)[0])
    for ax, output in zip(axes, outputs, strict=True):
        t = result.table(output)
        scale, unit = _unit(output)
        x = t["mu_star"].to_numpy(float) / scale
        s = t["sigma"].to_numpy(float) / scale
        ax.scatter(x, s, color=RAISES, zorder=3)
        top = float(np.nanmax(np.r_[x, s, 0.0])) * 1.15 or 1.0
        near = (x < 0.04 * top) & (s < 0.04 * top)  # crowded at the origin: listed once
        _label_points(ax, x / top, s / top, list(t["parameter"]), ~near)
        if near.any():
            names = ", ".join(t["parameter"][near])
            ax.text(
                0.98,
                0.02,
                f"near 0: {names}",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=7,
                color="#555555",
                wrap=True,
            )
        ax.plot([0, top], [0, top], ls="--", color="#777777", lw=0.8, label="σ = μ*")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_xlabel(f"μ* ({unit})")
        ax.set_ylabel(f"σ ({unit})")
        ax.set_title(
            f"{output.replace('_', ' ')}: above the line, non-linear or interacting", fontsize=10
        )
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
    fig.suptitle(_title(result), fontsize=11)
    return fig


def _label_points(ax: Any, fx: np.ndarray, fy: np.ndarray, names: list[str], show: Any) -> None:
    """Label points (axes-fraction positions), nudging labels down so they do not overlap."""
    placed: list[tuple[float, float]] = []
    for i in sorted(np.flatnonzero(show), key=lambda i: (-fy[i], -fx[i])):
        right = fx[i] > 0.6  # label to the left of points near the right edge
        lx, ly = fx[i] + (-0.012 if right else 0.012), fy[i] + 0.012
        while any(abs(fx[i] - px) < 0.3 and abs(ly - py) < 0.035 for px, py in placed):
            ly -= 0.035
        placed.append((fx[i], ly))
        moved = ly < fy[i] - 0.01
        ax.annotate(
            names[i],
            xy=(fx[i], fy[i]),
            xycoords="axes fraction",
            xytext=(lx, ly),
            textcoords="axes fraction",
            fontsize=8,
            va="bottom",
            ha="right" if right else "left",
            arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6} if moved else None,
        )


def write_plots(result: Any, folder: str | Path) -> list[Path]:
    """Write the charts of ``result`` as PNG into ``folder``; return their paths."""
    folder = Path(folder)
    paths = [save_png(indices_chart(result), folder / "sensitivity_indices.png")]
    if result.method == "morris":
        paths.append(save_png(morris_chart(result), folder / "sensitivity_morris.png"))
    return paths
