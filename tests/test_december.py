"""benchmarks.december: the December 2025 comparison (O1-O4) of the reference scenario."""

from __future__ import annotations

import math

import pytest

import sim
from benchmarks import december


def test_the_pre_blockade_days_are_taken_at_novembers_rate() -> None:
    """31 days of December = 9 days at November's rate + 22 blockade days."""
    rate = december.blockade_rate(423, 600)
    assert rate == pytest.approx((31 * 423 - 9 * 600) / 22)
    assert 9 * 600 + 22 * rate == pytest.approx(31 * 423)


def test_model_figures_are_the_first_22_days() -> None:
    """The figures come from days 0-21 of each replication's own series."""
    cfg = sim.load_config("venezuela_dec2025")
    figures = december.model_figures(cfg, 3)
    rep = sim.simulate(cfg, seed=cfg.experiment.seed, replication=1, record_events=False)
    days = rep.timeseries.iloc[:22]
    assert figures.loc[1, "O1"] == pytest.approx(days["loaded_bbl"].sum() / 22e3)
    assert figures.loc[1, "O2"] == pytest.approx(days["floating_new_bbl"].iloc[-1] / 1e6)
    assert figures.loc[1, "O3-O4"] == pytest.approx(days["exported_bbl"].sum() / 22e3)
    table = december.rows(figures)
    assert [r[0] for r in table] == ["O1", "O2", "O3-O4"]
    assert all(r[4] in {"within 10%", "above", "below"} for r in table)
    assert all(math.isfinite(v) for v in figures.to_numpy().ravel())
