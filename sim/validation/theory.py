"""Closed forms the analytic cases are checked against, and the interval of an estimate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.experiment.stats import describe

__all__ = ["ci_of", "erlang_b", "pk_wait"]


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability by the stable recursion B(k) = aB(k-1) / (k + aB(k-1))."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def pk_wait(lam: float, s: float) -> float:
    """Pollaczek-Khinchine mean wait in queue of an M/D/1 queue: lambda s^2 / (2 (1 - rho))."""
    rho = lam * s
    if rho >= 1:
        raise ValueError(f"unstable queue: rho = {rho:g} >= 1")
    return lam * s**2 / (2 * (1 - rho))


def ci_of(values: Sequence[float] | np.ndarray | pd.Series) -> tuple[float, float, float, int]:
    """Mean, 95% Student-t interval and n of independent replication estimates."""
    d = describe(np.asarray(values, dtype=float))
    return d["mean"], d["ci_low"], d["ci_high"], int(d["n"])
