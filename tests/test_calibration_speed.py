"""The calibration's fast pyabc pieces compute pyabc's own laws (no timings here: speed is
``python -m benchmarks.calibration --throughput``)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pyabc
import pytest
from scipy import stats

from sim.calibration.proposals import OneModel, Perturbation, Prior

LAWS = {
    "u": ("uniform", {"loc": 0.6, "scale": 0.38}),
    "t": ("triang", {"c": 0.25, "loc": 1.0, "scale": 4.0}),
    "t1": ("triang", {"c": 1.0, "loc": 0.0, "scale": 2.0}),
    "ln": ("lognorm", {"s": 0.5, "scale": 2.0}),
    "e": ("expon", {"scale": 3.0}),
    "g": ("gamma", {"a": 1.0 / 0.4**2, "scale": 3.0 * 0.4**2}),
}


def prior() -> Prior:
    return Prior(**{key: pyabc.RV(name, **kw) for key, (name, kw) in LAWS.items()})


@pytest.mark.parametrize("key", sorted(LAWS))
def test_each_density_is_scipys(key: str) -> None:
    name, kwargs = LAWS[key]
    law = getattr(stats, name)(**kwargs)
    density = prior()._laws[key][0]
    lo, hi = law.ppf(1e-6), law.ppf(1 - 1e-6)
    for x in [*np.linspace(lo - 1.0, hi + 1.0, 97), lo, hi, -0.5, 0.0]:
        assert density(float(x)) == pytest.approx(float(law.pdf(x)), rel=1e-12, abs=1e-300), x


@pytest.mark.parametrize("key", sorted(LAWS))
def test_each_draw_follows_the_law(key: str) -> None:
    name, kwargs = LAWS[key]
    draw = prior()._laws[key][1]
    np.random.seed(5)
    x = np.array([draw() for _ in range(4000)])
    # Kolmogorov-Smirnov at a 1e-4 level: fails only when the law is wrong
    assert stats.kstest(x, getattr(stats, name)(**kwargs).cdf).pvalue > 1e-4


def test_the_joint_density_and_draw() -> None:
    p = prior()
    np.random.seed(3)
    theta = p.rvs()
    assert sorted(theta) == sorted(LAWS)
    plain = pyabc.Distribution(**{key: pyabc.RV(n, **kw) for key, (n, kw) in LAWS.items()})
    assert p.pdf(theta) == pytest.approx(plain.pdf(theta), rel=1e-11)
    assert p.pdf(theta | {"u": 0.5}) == 0.0  # outside one key's range
    with pytest.raises(ValueError, match="prior: parameters"):
        p.pdf({"u": 0.7})
    again = pickle.loads(pickle.dumps(p))
    assert again.pdf(theta) == p.pdf(theta) and type(again) is Prior
    assert p.copy().pdf(theta) == p.pdf(theta)


def test_the_one_model_prior() -> None:
    m = OneModel()
    assert m.rvs() == 0 and m.pmf(0) == 1.0 and m.pmf(1) == 0.0


def test_the_perturbation_is_pyabcs_kernel() -> None:
    rng = np.random.default_rng(9)
    X = pd.DataFrame({"a": rng.normal(0, 1, 60), "b": rng.normal(5, 2, 60)})
    X["c"] = 2 * X["a"]  # a singular covariance: allowed, as by pyabc
    w = rng.random(60)
    ours, theirs = Perturbation(), pyabc.MultivariateNormalTransition()
    ours.fit(X, w)
    theirs.fit(X, w)
    assert np.allclose(ours._factor @ ours._factor.T, theirs.cov)
    np.random.seed(11)
    draws = pd.DataFrame([ours.rvs_single() for _ in range(6000)])
    assert list(draws.columns) == ["a", "b", "c"]
    np.random.seed(12)
    reference = theirs.rvs(size=6000)
    for col in X.columns:  # same law: two-sample KS at a 1e-4 level
        assert stats.ks_2samp(draws[col], reference[col]).pvalue > 1e-4, col
    assert np.allclose(draws["c"], 2 * draws["a"], atol=1e-5)  # on the degenerate axis
    assert ours.pdf(draws.iloc[0]) == pytest.approx(theirs.pdf(draws.iloc[0]))
    assert pickle.loads(pickle.dumps(ours)).rvs_single().keys() == {"a", "b", "c"}
