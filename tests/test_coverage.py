"""Sequential stopping keeps its promise: the final 95% interval covers the true mean.

Stopping when the half-width first meets a target biases the interval (a run stops when its
spread happened to look small). Checked at a bimodal point, where a short run is most
misleading, with the scenario's first look (``experiment.replications``, 200).

Measured (issue 14): with the first look at ``min_replications`` (100) instead, 12 of 200 root
seeds stopped there and only 90% of the 200 intervals covered the mean: at a bimodal point a
first look of 100 is not enough. The summary flags such a point as bimodal. (This test had
said 100 kept the bias small while its runs first looked at 200, where its target of 0.13 was
always met: no run was ever sequential. Its target now sends most runs past the first look.)
"""

from __future__ import annotations

import functools
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pytest

import sim
from sim.experiment import run_experiment
from sim.experiment.stats import bimodality

#: A bimodal point: over 15 days owners break out together after the first escape they hear
#: of, or never do; exports cluster near 2M and 12.5M bbl.
BIMODAL = [
    "horizon_days=15",
    "uncertain={}",  # the point scenario: the breakout alone makes it bimodal
    "++behaviour.breakout.after_escapes=1",
    "experiment.baseline=false",
    "experiment.executor=serial",
    "experiment.progress=false",
    "experiment.replications=200",  # the first look: the scenario's own
]
TARGET = 0.097  # a relative half-width 200 replications reach about one time in eight
TRUTH_ROOT = 10**9


@dataclass(frozen=True)
class Size:
    """How many root seeds, how many of them must cover, and the true mean's replications."""

    roots: int
    need: int
    truth_replications: int


#: The suite's size (binomial, independent roots): a procedure whose intervals truly cover 95%
#: passes with probability 0.94; one covering 70% fails with probability 0.99 (80%: 0.88).
QUICK = Size(roots=30, need=27, truth_replications=4000)
#: ``make test-slow``: passes 95% with probability 0.92, fails 90% with probability 0.91.
FULL = Size(roots=200, need=186, truth_replications=4000)


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


@pytest.mark.parametrize(
    "size", [QUICK, pytest.param(FULL, marks=pytest.mark.slow)], ids=["quick", "full"]
)
def test_sequential_intervals_cover_the_true_mean_at_a_bimodal_point(size: Size) -> None:
    """At least ``size.need`` of ``size.roots`` root seeds cover the mean of a separate run.

    The true mean's own error (SE ~1% of the mean at 4000 replications) is a tenth of the
    target half-width: it moves coverage by about a point. Measured on 2026-12-03: 26 of 200
    runs stopped at their first look, the rest at 300; 47 of the first 50 and 186 of all 200
    intervals covered (93%, below the nominal 95% by the bias of stopping: inside the test's
    limit, and the reason the first look is 200, not 100).
    """
    truth = run_experiment(  # the same numbers on any executor: two processes, half the wait
        _config(TRUTH_ROOT, None),
        replications=size.truth_replications,
        executor="processes",
        workers=2,
    )
    exported = truth.replications["exported_bbl"].to_numpy()
    assert bimodality(exported) is not None, "the point is no longer bimodal: choose another"
    mean = float(exported.mean())
    with ProcessPoolExecutor(2) as pool:  # the roots are independent runs
        runs = list(pool.map(_interval, range(size.roots), chunksize=5))
    sizes = [n for _, _, n in runs]
    assert min(sizes) >= 200 and max(sizes) > 200  # no run stops before its first look; some go on
    covered = sum(lo <= mean <= hi for lo, hi, _ in runs)
    assert covered >= size.need, (covered, size.roots, np.bincount(sizes)[200::100])
