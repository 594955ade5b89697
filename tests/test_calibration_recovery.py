"""Calibration recovers what it should: parameters from data simulated with known values.

Each synthetic truth draws the keys from the prior, simulates one replication at them (an
index no particle uses) and adds the observations' own normal error: exactly the model the
stochastic acceptor's likelihood assumes, so over truths drawn from the prior the 90% credible
intervals should contain the truth 90% of the time. Finite populations and pyabc's kernel
perturbations make it approximate; the tolerance is three binomial standard errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

import sim
from sim.calibration import Settings, calibrate, parse_observations
from sim.calibration.simulator import Simulator, particle_config

LEVEL = 0.90
KEYS = {
    "behaviour.groups.shadow.turnback_threshold.median": (0.01, 0.10),
    "behaviour.groups.shadow.risk_threshold.median": (0.02, 0.15),
}
#: One SD of each figure's error: about the model's own run-to-run spread at the prior mean.
FIGURES = {
    "loaded": ("loaded_bbl", "rate", 90_000.0),
    "floating": ("floating_new_bbl", "last", 2_000_000.0),
    "exported": ("exported_bbl", "rate", 70_000.0),
}


def config(ranges: dict[str, tuple[float, float]] = KEYS) -> sim.Config:
    block = ", ".join(
        f"{k}: {{dist: uniform, low: {a}, high: {b}}}" for k, (a, b) in ranges.items()
    )
    return sim.load_config("venezuela_dec2025", [f"uncertain={{{block}}}"])


def observations(cfg: sim.Config, values: dict[str, float]) -> sim.calibration.Observations:
    items = [
        {"id": name, "what": name, "series": series, "window": [0, 22], "statistic": stat,
         "value": values[name], "uncertainty": sd, "source": "synthetic"}
        for name, (series, stat, sd) in FIGURES.items()
    ]  # fmt: skip
    return parse_observations({"name": "synthetic", "observations": items}, cfg)


def synthetic(cfg: sim.Config, truth: dict[str, float], k: int) -> sim.calibration.Observations:
    """Observations of one replication at ``truth`` plus each figure's normal error."""
    template = observations(cfg, {name: 1.0 for name in FIGURES})
    model = Simulator(particle_config(cfg, template), template, tuple(cfg.uncertain), 99)
    figures = model.figures(truth, replication=2**31 + k)  # beyond any particle's index
    noise = np.random.default_rng([k, 7]).normal(0.0, template.uncertainties)
    return observations(cfg, dict(zip(FIGURES, figures + noise, strict=True)))


@dataclass(frozen=True)
class Size:
    """How many synthetic truths, and each calibration's population."""

    truths: int
    population: int


#: The suite's size: 12 intervals, at least 8 must cover (three binomial SE below 90%). A
#: procedure whose intervals truly cover 90% passes with probability 0.996; one covering 40%
#: fails with probability 0.94 (60%: 0.56).
QUICK = Size(truths=6, population=40)
#: ``make test-slow``: 40 intervals, at least 31: fails 60% coverage with probability 0.98.
FULL = Size(truths=20, population=60)


def settings(seed: int, population: int = 40) -> Settings:
    return Settings(
        population=population, max_simulations=50 * population, max_generations=3,
        sampler="serial", seed=seed, predictive=30, plots=False,
    )  # fmt: skip


def credible(result: sim.calibration.Calibration, key: str) -> tuple[float, float]:
    x = result.posterior[key].to_numpy()
    w = result.posterior["weight"].to_numpy()
    order = np.argsort(x)
    cum = np.cumsum(w[order])
    tail = (1.0 - LEVEL) / 2
    return float(x[order][np.searchsorted(cum, tail)]), float(
        x[order][np.searchsorted(cum, 1 - tail)]
    )


@pytest.mark.parametrize(
    "size", [QUICK, pytest.param(FULL, marks=pytest.mark.slow)], ids=["quick", "full"]
)
def test_credible_intervals_cover_the_truth_at_their_level(tmp_path, size: Size) -> None:
    cfg = config()
    rng = np.random.default_rng(20251210)
    hits = []
    for k in range(size.truths):
        truth = {key: float(rng.uniform(a, b)) for key, (a, b) in KEYS.items()}
        folder = tmp_path / str(k)
        result = calibrate(cfg, synthetic(cfg, truth, k), folder, settings(k, size.population))
        for key in KEYS:
            lo, hi = credible(result, key)
            hits.append(lo <= truth[key] <= hi)
    n = len(hits)
    se = math.sqrt(LEVEL * (1 - LEVEL) / n)
    share = float(np.mean(hits))
    assert abs(share - LEVEL) <= 3 * se, f"coverage {share:.2f} over {n} intervals"


def test_a_prior_that_excludes_the_truth_is_flagged(tmp_path) -> None:
    """Truth at the top of the scenario's ranges, priors over their lowest 30%: the posterior
    leans on the turn-back prior's upper bound and the warnings say so (bound or predictive)."""
    truth = {key: b for key, (a, b) in KEYS.items()}
    narrow = {key: (a, a + 0.3 * (b - a)) for key, (a, b) in KEYS.items()}
    cfg = config(narrow)
    result = calibrate(cfg, synthetic(cfg, truth, 1), tmp_path / "c", settings(1))
    signals = ("of its prior range", "cannot reproduce it")
    assert any(s in w for w in result.warnings for s in signals), result.warnings
    key = "behaviour.groups.shadow.turnback_threshold.median"  # loadings pin it down
    low, high = narrow[key]
    assert (result.posterior[key] * result.posterior["weight"]).sum() > (low + high) / 2


def test_an_observation_the_model_cannot_reach_is_flagged(tmp_path) -> None:
    cfg = config()
    truth = {key: 0.5 * (a + b) for key, (a, b) in KEYS.items()}
    good = synthetic(cfg, truth, 2)
    values = dict(zip(good.ids, good.values.tolist(), strict=True))
    values["loaded"] = 3_000_000.0  # five times the berths' capacity
    result = calibrate(cfg, observations(cfg, values), tmp_path / "m", settings(2))
    row = result.predictive.set_index("id").loc["loaded"]
    assert row["z"] > 2.5
    assert any(w.startswith("loaded: observed") for w in result.warnings)
    assert abs(result.predictive.set_index("id").loc["exported", "z"]) < row["z"]
