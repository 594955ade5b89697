"""Analyse: SALib indices per output, as a ranked table.

Morris (``SALib.analyze.morris``): for each parameter, ``mu_star`` is the mean absolute
elementary effect — the change in the output when the parameter moves across its whole range,
averaged over the other parameters' values — with a bootstrap 95% half-width
``mu_star_conf``; ``sigma`` (their spread) flags non-linear effects and interactions;
``mu`` keeps the sign. Sobol (``SALib.analyze.sobol``): ``S1`` is the share of the output's
variance due to the parameter alone, ``ST`` including all its interactions, each with a 95%
half-width. Rank 1 is the most influential (largest ``mu_star``, resp. ``ST``).

A Sobol' estimate that is negative (or above 1), or smaller than its own 95% half-width,
is sampling noise, not a share of variance: :func:`noise_mask` flags it (nothing is clipped) and the
table and chart say so, asking for a larger ``n``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.sensitivity.declare import Parameter, SensitivityError
from sim.sensitivity.sample import problem

__all__ = ["INDEX_COLUMNS", "NOISE_WARNING", "RANK_BY", "analyse", "noise_mask"]

INDEX_COLUMNS: dict[str, tuple[str, ...]] = {
    "morris": ("mu_star", "mu_star_conf", "sigma", "mu"),
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
}
RANK_BY: dict[str, str] = {"morris": "mu_star", "sobol": "ST"}
#: Estimates of each method checked against their 95% half-widths (``<name>_conf``).
NOISE_CHECKED: dict[str, tuple[str, ...]] = {"morris": (), "sobol": ("S1", "ST")}
#: The warning under a table with flagged estimates (``{k}``, ``{total}``, ``{n}``).
NOISE_WARNING = (
    "* sampling noise, not a share of variance: {k} of {total} estimates are negative (or "
    "above 1) or smaller than their 95% half-width; raise --n (now {n}) to resolve them"
)


def noise_mask(indices: pd.DataFrame, method: str) -> pd.DataFrame:
    """True where an estimate is sampling noise: negative or above 1 (a share cannot be), or
    smaller than its 95% half-width.

    One boolean column per checked estimate of ``method`` (Sobol': ``S1``, ``ST``; Morris:
    none), aligned with ``indices``.
    """
    flags = {}
    for col in NOISE_CHECKED[method]:
        value = indices[col].to_numpy(dtype=float)
        conf = indices[f"{col}_conf"].to_numpy(dtype=float)
        flags[col] = (value < 0) | (value > 1) | (conf > value)
    return pd.DataFrame(flags, index=indices.index, dtype=bool)


def analyse(
    parameters: Sequence[Parameter],
    X: np.ndarray,
    Y: pd.DataFrame,
    method: str = "morris",
    seed: int = 0,
    *,
    num_levels: int = 4,
    calc_second_order: bool = False,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
) -> pd.DataFrame:
    """Ranked indices of every output (column of ``Y``) to every parameter.

    Returns one row per (output, parameter): ``output``, ``rank``, ``parameter`` and the
    method's columns (:data:`INDEX_COLUMNS`), sorted by output (in ``Y``'s order) and rank.
    Raises :class:`SensitivityError` if an output is not finite at some point.
    """
    if method not in INDEX_COLUMNS:
        raise SensitivityError(
            f"method: must be one of {', '.join(INDEX_COLUMNS)} (got {method!r})"
        )
    X = np.asarray(X, dtype=float)
    if len(X) != len(Y):
        raise SensitivityError(f"{len(X)} sample points but {len(Y)} output rows")
    prob = problem(parameters)
    frames = []
    for output in Y.columns:
        y = Y[output].to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(y))
        if len(bad):
            raise SensitivityError(
                f"output {output}: not a finite number at {len(bad)} sample point(s) "
                f"(first: point {bad[0]}); choose another output"
            )
        raw = _indices(
            prob, X, y, method, seed, num_levels, calc_second_order, conf_level, num_resamples
        )
        frame = pd.DataFrame(
            {
                "parameter": prob["names"],
                **{c: np.asarray(raw[c], dtype=float) for c in INDEX_COLUMNS[method]},
            }
        )
        key = frame[RANK_BY[method]].fillna(-np.inf)
        order = np.lexsort((np.arange(len(frame)), -key.to_numpy()))
        frame = frame.iloc[order].reset_index(drop=True)
        frame.insert(0, "rank", np.arange(1, len(frame) + 1, dtype=np.int64))
        frame.insert(0, "output", output)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _indices(
    prob: dict[str, Any],
    X: np.ndarray,
    y: np.ndarray,
    method: str,
    seed: int,
    num_levels: int,
    calc_second_order: bool,
    conf_level: float,
    num_resamples: int,
) -> dict[str, Any]:
    if method == "morris":
        from SALib.analyze import morris

        return morris.analyze(
            prob,
            X,
            y,
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=num_levels,
            seed=int(seed),
        )
    from SALib.analyze import sobol

    if np.ptp(y) == 0.0:  # SALib divides by the variance: a constant output has no indices
        k = prob["num_vars"]
        zeros = np.zeros(k)
        return {"S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros}
    return sobol.analyze(
        prob,
        y,
        calc_second_order=calc_second_order,
        num_resamples=num_resamples,
        conf_level=conf_level,
        seed=int(seed),
    )
