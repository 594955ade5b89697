"""Sequential stopping keeps its promise: the final 95% interval covers the true mean.

Stopping when the half-width first meets a target biases the interval (a run stops when its
spread happened to look small); ``experiment.min_replications`` (default 100) is what keeps
that bias small. Checked at a bimodal point, where a short run is most misleading.
"""

from __future__ import annotations

import functools
import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import sim
from sim.experiment import run_experiment
from sim.experiment.stats import bimodality

#: A cheap bimodal point (~2 ms a replication): over 15 days owners break out together after
#: the first escape they hear of, or never do; exports cluster near 2M and 12.5M bbl.
BIMODAL = [
    "horizon_days=15",
    "uncertain={}",  # the point scenario: the breakout alone makes it bimodal
    "++behaviour.breakout.after_escapes=1",
    "experiment.baseline=false",
    "experiment.executor=serial",
    "experiment.progress=false",
]
TARGET = 0.13  # a relative half-width ~100 replications reach about half the time
ROOTS = range(200)
TRUTH_ROOT, TRUTH_REPLICATIONS = 10**9, 4000


@functools.cache
def _bimodal() -> sim.Config:
    """The bimodal point, composed once per process (Hydra's compose is most of a short run)."""
    return sim.load_config("venezuela_dec2025", BIMODAL)


def _config(root: int, target: float | None = TARGET) -> sim.Config:
    cfg = _bimodal()
    exp = cfg.experiment.model_copy(update={"seed": root, "target_rel_halfwidth": target})
    return cfg.model_copy(update={"experiment": exp})


def _interval(root: int) -> tuple[float, float, int]:
    """The final 95% interval of exported_bbl of a sequential run, and its size."""
    res = run_experiment(_config(root))
    row = res.summary.loc["exported_bbl"]
    return float(row["ci_low"]), float(row["ci_high"]), len(res.replications)


@pytest.mark.slow
def test_sequential_intervals_cover_the_true_mean_at_a_bimodal_point() -> None:
    """>= 93% of 200 root seeds cover the mean of a separate 4000-replication run.

    At nominal 95% coverage and n = 200 independent root seeds the share covering has binomial
    SE sqrt(.95 * .05 / 200) = 1.5 points, so 93% is 1.3 SE below nominal: a sound procedure
    passes, one whose stopping rule ate its coverage (e.g. 90%) fails. The true mean's own error
    (SE ~1% of the mean, a tenth of the target half-width) moves coverage by well under a point.
    """
    truth = run_experiment(_config(TRUTH_ROOT, None), replications=TRUTH_REPLICATIONS)
    exported = truth.replications["exported_bbl"].to_numpy()
    assert bimodality(exported) is not None, "the point is no longer bimodal: choose another"
    mean = float(exported.mean())
    with ProcessPoolExecutor(2) as pool:
        runs = list(pool.map(_interval, ROOTS, chunksize=10))
    sizes = [n for _, _, n in runs]
    assert min(sizes) >= 100 and max(sizes) > 100  # the minimum holds; some runs went on
    covered = sum(lo <= mean <= hi for lo, hi, _ in runs)
    se = math.sqrt(0.95 * 0.05 / len(runs))
    assert covered / len(runs) >= 0.93, (covered, len(runs), se, np.bincount(sizes)[100::100])
