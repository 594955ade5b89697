"""Sample: a SALib design over the parameter ranges, and the values each point applies.

Morris: ``n`` trajectories of ``k + 1`` points on a grid of ``num_levels`` levels
(``SALib.sample.morris``). Sobol: Saltelli's extension of a scrambled Sobol' sequence,
``n * (k + 2)`` points, or ``n * (2k + 2)`` with second-order indices
(``SALib.sample.sobol``). Both are deterministic given the seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.sensitivity.declare import METHODS, Parameter, SensitivityError

__all__ = ["design_size", "point_values", "problem", "sample"]


def problem(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """The SALib problem dict of ``parameters``."""
    return {
        "num_vars": len(parameters),
        "names": [p.path for p in parameters],
        "bounds": [[float(p.low), float(p.high)] for p in parameters],
    }


def design_size(method: str, n: int, k: int, calc_second_order: bool = False) -> int:
    """How many points a design of ``n`` over ``k`` parameters has."""
    if method == "morris":
        return n * (k + 1)
    return n * (2 * k + 2 if calc_second_order else k + 2)


def sample(
    parameters: Sequence[Parameter],
    method: str = "morris",
    n: int = 10,
    seed: int = 0,
    *,
    num_levels: int = 4,
    calc_second_order: bool = False,
) -> np.ndarray:
    """The raw SALib sample matrix (points x parameters), before integer rounding."""
    if method not in METHODS:
        raise SensitivityError(f"method: must be one of {', '.join(METHODS)} (got {method!r})")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise SensitivityError(f"n: must be a positive integer (got {n!r})")
    prob = problem(parameters)
    if method == "morris":
        if n < 2:
            raise SensitivityError("n: Morris needs at least 2 trajectories")
        from SALib.sample import morris

        return np.asarray(
            morris.sample(prob, int(n), num_levels=int(num_levels), seed=int(seed)), dtype=float
        )
    if n & (n - 1):
        lo = 2 ** int(math.log2(n))
        raise SensitivityError(
            f"n: Sobol' sampling needs a power of 2 (got {n}; try {lo} or {2 * lo})"
        )
    from SALib.sample import sobol

    return np.asarray(
        sobol.sample(prob, int(n), calc_second_order=bool(calc_second_order), seed=int(seed)),
        dtype=float,
    )


def point_values(parameters: Sequence[Parameter], X: np.ndarray) -> pd.DataFrame:
    """The values each point applies to the config: one column per parameter path.

    Integer parameters are rounded half-up; the others are ``X`` as sampled.
    """
    X = np.asarray(X, dtype=float)
    data: dict[str, Any] = {}
    for j, p in enumerate(parameters):
        col = X[:, j]
        if p.integer:
            data[p.path] = np.floor(col + 0.5).astype(np.int64)
        else:
            data[p.path] = col.copy()
    return pd.DataFrame(data, columns=[p.path for p in parameters])
