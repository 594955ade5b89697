"""Revenue in dollars: the ``market`` section, ``revenue_usd`` and ``revenue_lost_usd``.

Revenue is arithmetic on the barrels exported: a price moves no barrel and draws no random
number, so every other column of a run is the same at any price, ``revenue_lost_usd`` is
``net price x (baseline exports - exports)`` replication by replication (linear in the net
price), zero when the navy is disabled, and drawing the price per replication widens the
spread of the revenue but not of the barrels.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim.config import ConfigError
from sim.experiment import ExperimentResult, run_experiment
from sim.metrics import MILLION_USD, metric

POINT = ["horizon_days=30", "uncertain={}"]  # the point scenario, short
N = 8
REVENUE = ("revenue_usd", "baseline_revenue_usd", "revenue_lost_usd")
PRICE, DISCOUNT = "market.price_usd_per_bbl", "market.discount_usd_per_bbl"


def run(*overrides: str, n: int = N) -> ExperimentResult:
    cfg = sim.load_config("venezuela_dec2025", [*POINT, *overrides])
    return run_experiment(cfg, replications=n, executor="serial", progress=False)


def barrels(res: ExperimentResult) -> pd.DataFrame:
    """Every column that is not money (nor the price drawn)."""
    money = [c for c in res.replications.columns if "revenue" in c or c.startswith("market.")]
    return res.replications.drop(columns=money)


@pytest.fixture(scope="module")
def at_63() -> ExperimentResult:
    return run(f"{PRICE}=63", f"{DISCOUNT}=14")


def test_the_scenario_cites_a_price_and_a_discount_and_draws_both() -> None:
    cfg = sim.load_config("venezuela_dec2025")
    assert (cfg.market.price_usd_per_bbl, cfg.market.discount_usd_per_bbl) == (63.0, 14.0)
    assert cfg.market.net_usd_per_bbl == 49.0
    price, discount = cfg.uncertain[PRICE], cfg.uncertain[DISCOUNT]
    assert (price.dist, price.low, price.high) == ("uniform", 55.0, 70.0)
    assert (discount.dist, discount.low, discount.high) == ("uniform", 12.0, 20.0)
    assert price.low > discount.high  # every draw earns something


def test_revenue_is_the_exports_at_the_net_price(at_63: ExperimentResult) -> None:
    reps = at_63.replications
    assert np.array_equal(reps["revenue_usd"], reps["exported_bbl"] * 49.0)
    assert np.array_equal(reps["baseline_revenue_usd"], reps["baseline_exported_bbl"] * 49.0)
    lost = reps["baseline_revenue_usd"] - reps["revenue_usd"]
    assert np.array_equal(reps["revenue_lost_usd"], lost)
    assert (reps["revenue_lost_usd"] > 0).all()  # the blockade costs the target money


def test_a_price_moves_no_barrel_and_draws_no_random_number(at_63: ExperimentResult) -> None:
    other = run(f"{PRICE}=90", f"{DISCOUNT}=30")
    pd.testing.assert_frame_equal(barrels(other), barrels(at_63), check_exact=True)
    pd.testing.assert_frame_equal(other.timeseries, at_63.timeseries, check_exact=True)
    without = run(f"{PRICE}=null")  # no price: revenue unknown, nothing else changes
    pd.testing.assert_frame_equal(barrels(without), barrels(at_63), check_exact=True)
    assert without.replications["revenue_usd"].isna().all()
    assert without.summary.loc["revenue_lost_usd", "n"] == 0


def test_revenue_lost_rises_linearly_with_the_net_price(at_63: ExperimentResult) -> None:
    """Same seeds at net prices 49, 25 and 10: the loss of each replication scales exactly."""
    reps = at_63.replications
    gap = (reps["baseline_exported_bbl"] - reps["exported_bbl"]).to_numpy()
    assert (gap > 0).all()
    for price, discount in ((40, 15), (10, 0)):
        lost = run(f"{PRICE}={price}", f"{DISCOUNT}={discount}").replications["revenue_lost_usd"]
        net = price - discount
        np.testing.assert_allclose(lost, net * gap, rtol=1e-12)
        np.testing.assert_allclose(lost / reps["revenue_lost_usd"], net / 49.0, rtol=1e-12)


def test_revenue_lost_is_zero_with_the_navy_disabled() -> None:
    reps = run("navy.enabled=false", n=4).replications
    assert (reps["revenue_lost_usd"] == 0.0).all()
    assert (reps["revenue_usd"] > 0).all()


def test_drawing_the_price_widens_the_revenue_but_not_the_barrels(
    at_63: ExperimentResult,
) -> None:
    """Drawn per replication (its own streams), the price leaves every barrel as it was and
    spreads the revenue: its log gains the variance of the log net price."""
    drawn = run(f"uncertain={{{PRICE}: {{dist: uniform, low: 45, high: 85}}}}", n=24)
    fixed = run(f"{PRICE}=63", n=24)
    pd.testing.assert_frame_equal(barrels(drawn), barrels(fixed), check_exact=True)
    prices = drawn.replications[PRICE]
    assert prices.between(45, 85).all() and prices.nunique() == 24
    for name in ("revenue_usd", "revenue_lost_usd"):
        spread = {
            label: float(np.std(np.log(res.replications[name]), ddof=1))
            for label, res in (("drawn", drawn), ("fixed", fixed))
        }
        assert spread["drawn"] > spread["fixed"], (name, spread)
        wide = drawn.summary.loc[name, "p95"] - drawn.summary.loc[name, "p05"]
        assert wide > fixed.summary.loc[name, "p95"] - fixed.summary.loc[name, "p05"]


def test_a_discount_above_the_price_earns_nothing() -> None:
    cfg = sim.load_config("venezuela_dec2025", [*POINT, f"{PRICE}=10", f"{DISCOUNT}=12"])
    rep = sim.simulate(cfg, seed=3)
    assert rep.metrics["revenue_usd"] == 0.0 and rep.metrics["exported_bbl"] > 0


def test_simulate_gives_the_revenue_of_its_drawn_price() -> None:
    cfg = sim.load_config("venezuela_dec2025", ["horizon_days=20"])  # both prices drawn
    rep = sim.simulate(cfg, seed=11, replication=2)
    net = rep.parameters[PRICE] - rep.parameters[DISCOUNT]
    assert rep.net_usd_per_bbl == net
    assert rep.metrics["revenue_usd"] == rep.metrics["exported_bbl"] * net


def test_revenue_is_shown_in_million_usd() -> None:
    assert MILLION_USD == ("million USD", 1e6)
    for name in ("revenue_usd", "baseline_revenue_usd", "revenue_lost_usd"):
        assert metric(name).unit == "million USD"
    assert metric("revenue_lost_usd").fmt(2.5e9) == "2,500"


@pytest.mark.parametrize(
    ("override", "words"),
    [
        (f"{PRICE}=-5", [PRICE, "greater than or equal to 0"]),
        (f"{DISCOUNT}=1e9", [DISCOUNT, "less than or equal to 10000"]),
        ("market.prise_usd_per_bbl=60", ["market.prise_usd_per_bbl", "unknown key"]),
        (f"{PRICE}=cheap", [PRICE]),
        (
            f"uncertain={{{DISCOUNT}: {{dist: uniform, low: -4, high: 10}}}}",
            [f"uncertain.{DISCOUNT}", "low"],
        ),
        (f"timeline=[{{day: 5, set: {{{PRICE}: 80}}}}]", ["timeline.0", PRICE]),
    ],
)
def test_a_bad_market_value_is_one_line_naming_its_key(override: str, words: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        sim.load_config("venezuela_dec2025", [override])
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_a_scenario_without_a_market_has_no_revenue() -> None:
    cfg = sim.load_config("validation/v3_detection")
    assert cfg.market.price_usd_per_bbl is None and math.isnan(cfg.market.net_usd_per_bbl)
    assert math.isnan(sim.simulate(cfg, seed=1).metrics["revenue_usd"])
