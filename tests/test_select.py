"""KN selection (sim.decision.select) on a synthetic simulator whose best is known.

The simulator draws each replication's values of the k alternatives from one multivariate
normal (correlated, as common random numbers make them; unequal variances), and the means
are in the slippage configuration: the best exactly ``delta`` above all the others, the
hardest case the indifference-zone guarantee covers. The probability of correct selection
is checked over many seeds with a one-sided binomial test.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from scipy.stats import binom

from sim.decision.select import BUDGET, ONE_LEFT, TIED, SelectionError, Settings, select_best

#: Seeds of the statistical tests (>= 100 each, as the issue asks).
SEEDS = range(200)
#: Level of the binomial test of "PCS >= 1 - alpha": the test fails only if so few correct
#: selections would happen with probability below this were PCS exactly 1 - alpha.
TEST_LEVEL = 0.05
ROWS = 3000  # replications the synthetic simulator can give per seed


class NormalSource:
    """A synthetic simulator: replication j of every alternative is row j of one draw."""

    def __init__(self, means: Sequence[float], cov: np.ndarray, seed: int, held: int = 0):
        rng = np.random.default_rng(seed)
        self.rows = rng.multivariate_normal(np.asarray(means, float), cov, size=ROWS)
        self.names = [f"p{i}" for i in range(len(means))]
        self.held = np.full(len(means), held)
        self.calls: list[tuple[tuple[int, ...], int]] = []

    def available(self, i: int) -> int:
        return int(self.held[i])

    def values(self, i: int, n: int) -> np.ndarray:
        assert n <= self.held[i]
        return self.rows[:n, i]

    def extend(self, alternatives: Sequence[int], n: int) -> None:
        self.calls.append((tuple(alternatives), n))
        for i in alternatives:
            self.held[i] = max(self.held[i], n)


def slippage(k: int, delta: float, sd: Sequence[float], rho: float, best: int) -> tuple:
    """Means (``best`` exactly ``delta`` above the rest) and a covariance with correlation
    ``rho`` between every two alternatives."""
    means = np.zeros(k)
    means[best] = delta
    s = np.asarray(sd, dtype=float)
    cov = rho * np.outer(s, s)
    np.fill_diagonal(cov, s**2)
    return means, cov


def lower_bound(n: int, pcs: float) -> int:
    """Fewest correct selections in ``n`` that a one-sided binomial test at TEST_LEVEL does
    not reject when the probability of correct selection is ``pcs``."""
    return int(binom.ppf(TEST_LEVEL, n, pcs))


def successes(means, cov, settings: Settings, best: str) -> int:
    return sum(select_best(NormalSource(means, cov, seed), settings).best == best for seed in SEEDS)


CASES = [
    # k, sd, correlation (CRN), best, maximize, n0, batch
    pytest.param(5, (1.0, 2.0, 1.5, 1.0, 2.0), 0.5, 4, True, 10, 5, id="k5-crn-unequal-max"),
    pytest.param(3, (1.0, 1.0, 1.0), 0.0, 0, False, 5, 1, id="k3-independent-min-seq"),
    pytest.param(10, (2.0,) * 10, 0.8, 3, True, 10, 20, id="k10-strong-crn"),
]


@pytest.mark.parametrize(("k", "sd", "rho", "best", "maximize", "n0", "batch"), CASES)
def test_kn_finds_the_known_best_with_the_promised_probability(
    k, sd, rho, best, maximize, n0, batch
):
    delta, alpha = 1.0, 0.05
    means, cov = slippage(k, delta, sd, rho, best)
    if not maximize:  # the best is the smallest: exactly delta below the rest
        means = -means
    settings = Settings(
        delta=delta, alpha=alpha, n0=n0, batch=batch, max_replications=ROWS, maximize=maximize
    )
    found = successes(means, cov, settings, f"p{best}")
    assert found >= lower_bound(len(SEEDS), 1 - alpha), (found, len(SEEDS))


def test_the_binomial_check_rejects_a_selection_without_the_guarantee():
    """The same check fails for picking the largest mean of the first 10 replications: the
    test above can fail."""
    means, cov = slippage(5, 1.0, (1.0, 2.0, 1.5, 1.0, 2.0), 0.5, 4)
    naive = sum(
        int(np.argmax(NormalSource(means, cov, seed).rows[:10].mean(axis=0))) == 4 for seed in SEEDS
    )
    assert naive < lower_bound(len(SEEDS), 0.95), naive


def test_batches_change_only_how_many_replications_are_run_never_the_outcome():
    means, cov = slippage(4, 1.0, (1.0, 1.5, 1.0, 2.0), 0.3, 2)
    outcomes = []
    for batch in (1, 7, 50):
        src = NormalSource(means, cov, seed=11)
        sel = select_best(src, Settings(delta=1.0, n0=10, batch=batch, max_replications=ROWS))
        outcomes.append((sel.best, sel.stages, [(o.n, o.eliminated_at) for o in sel.outcomes]))
    assert outcomes[0] == outcomes[1] == outcomes[2]


def test_a_clearly_worse_alternative_goes_at_the_first_stage_and_gets_no_more_runs():
    cov = np.diag([1.0, 1.0, 1.0])
    src = NormalSource([0.0, 0.5, -20.0], cov, seed=3)
    sel = select_best(src, Settings(delta=1.0, n0=10, batch=5, max_replications=ROWS))
    worst = sel.outcomes[2]
    assert worst.eliminated_at == 10 and worst.n == 10 and not worst.selected
    assert all(2 not in alts for alts, _ in src.calls[1:])  # only the first stage ran it
    assert src.held[2] == 10


def test_replications_already_held_are_screened_before_any_is_added():
    means, cov = slippage(3, 1.0, (1.0, 1.0, 1.0), 0.5, 1)
    src = NormalSource(means, cov, seed=5, held=ROWS)
    sel = select_best(src, Settings(delta=1.0, n0=10, max_replications=ROWS))
    assert src.calls == [] and sel.stop == ONE_LEFT and sel.guaranteed


def test_the_budget_stops_it_without_a_guarantee():
    cov = np.eye(3) * 4.0
    src = NormalSource([0.0, 0.05, 0.1], cov, seed=8)
    sel = select_best(src, Settings(delta=0.1, n0=10, batch=10, max_replications=30))
    assert sel.stop == BUDGET and not sel.guaranteed
    assert len(sel.survivors) >= 2 and sel.best in sel.survivors
    assert sel.stages == 30 and int(src.held.max()) == 30
    assert sel.bound > 30  # KN would have needed more


def test_identical_alternatives_tie_and_the_first_is_taken():
    rows = np.random.default_rng(1).normal(size=ROWS)
    src = NormalSource([0.0, 0.0], np.eye(2), seed=1)
    src.rows = np.column_stack([rows, rows])  # one config run twice: equal in every replication
    sel = select_best(src, Settings(delta=0.5, n0=10, max_replications=ROWS))
    assert sel.stop == TIED and sel.best == "p0" and sel.stages == 10


def test_minimizing_selects_the_smallest_mean():
    src = NormalSource([3.0, 0.0, 3.0], np.eye(3), seed=2)
    sel = select_best(src, Settings(delta=1.0, maximize=False, max_replications=ROWS))
    assert sel.best == "p1"
    assert sel.outcomes[1].mean == pytest.approx(src.rows[: sel.stages, 1].mean())


def test_same_seed_same_selection():
    means, cov = slippage(4, 1.0, (1.0, 2.0, 1.0, 2.0), 0.5, 0)
    a, b = (select_best(NormalSource(means, cov, 4), Settings(delta=1.0)) for _ in range(2))
    assert a == b


@pytest.mark.parametrize(
    ("settings", "k", "flag"),
    [
        (Settings(delta=0.0), 3, "--delta"),
        (Settings(delta=float("nan")), 3, "--delta"),
        (Settings(delta=1.0, alpha=0.0), 3, "--alpha"),
        (Settings(delta=1.0, alpha=0.7), 3, "--alpha"),
        (Settings(delta=1.0, n0=1), 3, "--n0"),
        (Settings(delta=1.0, n0=10, max_replications=5), 3, "--max-replications"),
        (Settings(delta=1.0, batch=0), 3, "--batch"),
        (Settings(delta=1.0), 1, "two alternatives"),
    ],
)
def test_settings_out_of_range_are_refused_by_name(settings, k, flag):
    with pytest.raises(SelectionError, match=flag):
        settings.check(k)
    assert issubclass(SelectionError, ValueError)


def test_a_missing_value_is_refused_naming_the_alternative_and_replication():
    src = NormalSource([0.0, 1.0], np.eye(2), seed=0)
    src.rows[4, 1] = np.nan
    with pytest.raises(SelectionError, match="p1: replication 4"):
        select_best(src, Settings(delta=1.0))
