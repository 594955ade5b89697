"""Charts of a calibration: marginals against their priors, pairs, posterior predictive."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis._common import new_figure, save_png
from sim.calibration.priors import bounds, scipy_args

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.calibration.observations import Observations
    from sim.config import Config

POSTERIOR, PRIOR, OBSERVED = "#0072B2", "#999999", "#D55E00"


def _grid(n: int) -> tuple[int, int]:
    cols = min(3, n)
    return math.ceil(n / cols), cols


def marginals_chart(cfg: Config, posterior: pd.DataFrame) -> Figure:
    """Each key's weighted posterior histogram over its prior's density."""
    keys = list(cfg.uncertain)
    rows, cols = _grid(len(keys))
    fig = new_figure(4.0 * cols, 3.0 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, key in zip(axes, keys, strict=False):
        lo, hi = bounds(cfg.uncertain[key])
        name, kwargs = scipy_args(cfg.uncertain[key])
        x = np.linspace(lo, hi, 200)
        ax.hist(
            posterior[key],
            bins=30,
            range=(lo, hi),
            weights=posterior["weight"],
            density=True,
            color=POSTERIOR,
            alpha=0.7,
            label="posterior",
        )
        ax.plot(x, getattr(stats, name)(**kwargs).pdf(x), color=PRIOR, label="prior")
        ax.set_title(key, fontsize=9)
        ax.set_yticks([])
    for ax in axes[len(keys) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8)
    fig.suptitle("Posterior of each uncertain key against its prior")
    return fig


def pairs_chart(cfg: Config, posterior: pd.DataFrame) -> Figure:
    """Every pair of keys: the posterior particles, darker where they weigh more."""
    keys = list(cfg.uncertain)
    n = len(keys)
    if n < 2:
        fig = new_figure(4.0, 2.0)
        fig.text(0.5, 0.5, "one uncertain key: no pairs", ha="center")
        return fig
    fig = new_figure(2.4 * max(n - 1, 1) + 1, 2.4 * max(n - 1, 1) + 1)
    axes = fig.subplots(max(n - 1, 1), max(n - 1, 1), squeeze=False)
    w = posterior["weight"].to_numpy()
    alpha = np.clip(w / w.max(), 0.05, 1.0)
    for i in range(1, n):
        for j in range(n - 1):
            ax = axes[i - 1, j]
            if j >= i:
                ax.set_visible(False)
                continue
            ax.scatter(posterior[keys[j]], posterior[keys[i]], s=4, color=POSTERIOR, alpha=alpha)
            ax.tick_params(labelsize=6)
            if j == 0:
                ax.set_ylabel(keys[i], fontsize=6)
            if i == n - 1:
                ax.set_xlabel(keys[j], fontsize=6)
    fig.suptitle("Posterior pairs (a ridge = the data fix a combination, not each key)")
    return fig


def predictive_chart(draws: pd.DataFrame, observations: Observations) -> Figure:
    """Each observation: the posterior predictive histogram, the observed value and its ±1, 2 SD."""
    rows, cols = _grid(len(observations.items))
    fig = new_figure(4.2 * cols, 3.0 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, ob, value, sd in zip(
        axes, observations.items, observations.values, observations.uncertainties, strict=False
    ):
        ax.hist(draws[ob.id], bins=30, color=POSTERIOR, alpha=0.7, label="model (posterior)")
        ax.axvspan(value - 2 * sd, value + 2 * sd, color=OBSERVED, alpha=0.12, label="±2 SD")
        ax.axvspan(value - sd, value + sd, color=OBSERVED, alpha=0.22, label="±1 SD")
        ax.axvline(value, color=OBSERVED, label="observed")
        ax.set_title(f"{ob.id}: {ob.what}", fontsize=8)
        ax.set_yticks([])
    for ax in axes[len(observations.items) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    fig.suptitle("Posterior predictive against each observation")
    return fig


def write_plots(
    folder: Path,
    cfg: Config,
    posterior: pd.DataFrame,
    draws: pd.DataFrame,
    observations: Observations,
) -> list[Path]:
    """marginals.png, pairs.png and predictive.png in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "marginals.png": marginals_chart(cfg, posterior),
        "pairs.png": pairs_chart(cfg, posterior),
        "predictive.png": predictive_chart(draws, observations),
    }
    return [save_png(fig, folder / name) for name, fig in figures.items()]
