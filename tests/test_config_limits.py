"""Config limits: nothing the schema accepts hangs, exhausts memory, overflows or crashes."""

from __future__ import annotations

import math

import pytest

import sim
import sim.model.world as world
from sim.config import (
    LIMITS,
    MAX_SUPPLY_BBL,
    Exponential,
    Gamma,
    Lognormal,
    Uniform,
    fixed,
    validate,
)
from sim.experiment.stats import DailyAggregate
from sim.model.ledger import TIMESERIES_COLUMNS, Ledger, LedgerImbalance

SCENARIO = "venezuela_dec2025"
OPEN = ("fleet.mode=open", "fleet.arrival_mix=[{class: VLCC, status: sanctioned}]")


def error_of(*overrides: str) -> str:
    with pytest.raises(sim.ConfigError) as info:
        sim.load_config(SCENARIO, overrides=list(overrides))
    message = str(info.value)
    assert "\n" not in message, "the message must be one line"
    return message


@pytest.mark.parametrize(
    ("overrides", "key", "detail"),
    [
        # loose types
        (["navy.boarding_teams=true"], "navy.boarding_teams", "integer"),
        (["navy.boarding_teams='1'"], "navy.boarding_teams", "integer"),
        (["horizon_days='90'"], "horizon_days", "number"),
        (["production.export_bpd=true"], "production.export_bpd", "number"),
        (["navy.enabled=1"], "navy.enabled", "boolean"),
        (["fleet.tankers.0.count=1.5"], "fleet.tankers.0.count", "integer"),
        # infinities and NaN
        (["production.export_bpd=inf"], "production.export_bpd", "finite"),
        (["production.export_bpd=nan"], "production.export_bpd", "finite"),
        (["horizon_days=inf"], "horizon_days", "finite"),
        (["terminal.storage_capacity_bbl=inf"], "terminal.storage_capacity_bbl", "finite"),
        (
            ["navy.boarding_days={dist: uniform, low: 0, high: inf}"],
            "navy.boarding_days.high",
            "finite",
        ),
        # memory and time
        (["horizon_days=1e9"], "horizon_days", "GiB per replication"),
        (["production.step_days=1e-9"], "production.step_days", "production steps"),
        (["fleet.tankers.0.count=9223372036854775808"], "fleet.tankers.0.count", "50000"),
        (["fleet.tankers.0.count=1e12"], "fleet.tankers.0.count", "50000"),
        ([*OPEN, "fleet.arrival_rate_per_day=1e6"], "fleet.arrival_rate_per_day", "tankers"),
        (["court.renew=true", "court.validity_days=1e-4"], "court.validity_days", "warrants"),
        # voyages that take no time
        (
            ["fleet.tankers.0.voyage_days={dist: fixed, value: 0}"],
            "fleet.tankers.0.voyage_days",
            "must take time",
        ),
        (
            ["fleet.tankers.1.voyage_days={dist: uniform, low: 0, high: 0}"],
            "fleet.tankers.1.voyage_days",
            "must take time",
        ),
        (
            ["fleet.tankers.2.voyage_days={dist: exponential, mean: 0}"],
            "fleet.tankers.2.voyage_days",
            "must take time",
        ),
        (
            ["fleet.tankers.0.voyage_days={dist: gamma, mean: 0, cv: 1}"],
            "fleet.tankers.0.voyage_days",
            "must take time",
        ),
        (["fleet.tankers.0.voyage_days=1e-6"], "fleet.tankers.0.voyage_days", "arrivals"),
        # distributions numpy cannot draw
        (
            ["navy.boarding_days={dist: gamma, mean: 1, cv: 1e-200}"],
            "navy.boarding_days.cv",
            "1e-06",
        ),
        (["navy.boarding_days={dist: gamma, mean: 1, cv: 1e6}"], "navy.boarding_days.cv", "10"),
        (
            ["navy.boarding_days={dist: gamma, mean: 1e308, cv: 1}"],
            "navy.boarding_days.mean",
            "1000000",
        ),
        (
            ["behaviour.groups.shadow.patience_days={dist: lognormal, median: 1e308, sigma: 1}"],
            "behaviour.groups.shadow.patience_days.median",
            "1000000",
        ),
        (
            ["behaviour.groups.shadow.patience_days={dist: lognormal, median: 1, sigma: 1000}"],
            "behaviour.groups.shadow.patience_days.sigma",
            "10",
        ),
        (
            ["navy.exposure_days={dist: uniform, low: 0, high: 1e308}"],
            "navy.exposure_days.high",
            "1000000",
        ),
        # barrels the daily aggregate cannot hold
        (["terminal.storage_capacity_bbl=1e14"], "terminal.storage_capacity_bbl", "1000000000000"),
        (["production.export_bpd=1e12"], "production.export_bpd", "supply"),
        # experiment settings checked only at run time before
        (["experiment.seed=18446744073709551616"], "experiment.seed", "2**64"),
        (["experiment.seed=-1"], "experiment.seed", "0"),
        (["experiment.dask_address=foo"], "experiment.dask_address", "tcp://HOST:PORT"),
        (["experiment.dask_address='tcp://host'"], "experiment.dask_address", "HOST:PORT"),
        (["experiment.dask_address='host:99999'"], "experiment.dask_address", "HOST:PORT"),
        (["experiment.replications=1e9"], "experiment.replications", "1000000"),
    ],
)
def test_limit_names_the_key(overrides, key, detail):
    message = error_of(*overrides)
    assert message.startswith(f"{key}:"), message
    assert detail in message, message


def test_horizon_message_states_the_estimate():
    message = error_of("horizon_days=1e9")
    assert "149 GiB per replication" in message and "at most 13421 days" in message


def test_a_long_horizon_without_a_baseline_fits_twice_as_long():
    overrides = ["experiment.baseline=false", "horizon_days=20000"]
    assert sim.load_config(SCENARIO, overrides=overrides).horizon_days == 20_000
    assert "at most 13421 days" in error_of("horizon_days=20000")


@pytest.mark.parametrize(
    "address",
    [
        "tcp://10.0.0.1:8786",
        "tls://scheduler.example.org:8786",
        "ucx://host:13337",
        "host:8786",
        "inproc://10.0.0.1/1234/1",
        "tcp://[::1]:8786",
    ],
)
def test_dask_addresses_accepted(address):
    cfg = sim.load_config(SCENARIO, overrides=[f"experiment.dask_address='{address}'"])
    assert cfg.experiment.dask_address == address


def test_whole_floats_are_ints():
    cfg = sim.load_config(SCENARIO, overrides=["navy.boarding_teams=4.0"])
    assert cfg.navy.boarding_teams == 4 and isinstance(cfg.navy.boarding_teams, int)


def test_ints_are_fine_for_floats_and_limits_at_their_edge():
    cfg = sim.load_config(SCENARIO, overrides=["horizon_days=13421"])
    assert cfg.horizon_days == 13_421.0


def test_seed_below_2_64_accepted():
    cfg = sim.load_config(SCENARIO, overrides=["experiment.seed=18446744073709551615"])
    assert cfg.experiment.seed == 2**64 - 1


def test_every_bundled_scenario_round_trips():
    for name, overrides in [
        (SCENARIO, []),
        *[(SCENARIO, [f"policy={p}"]) for p in ("blanket_warrants", "seize_on_sight")],
        *[(f"validation/{v}", []) for v in ("v1_md1", "v2_erlang_b", "v3_detection")],
        ("validation/v4_little", []),
    ]:
        cfg = sim.load_config(name, overrides=overrides)
        assert validate(cfg.to_dict()) == cfg


def test_limits_match_the_model():
    from sim import config

    assert DailyAggregate.MAX_ABS > 10 * MAX_SUPPLY_BBL
    assert LIMITS["MAX_SUPPLY_BBL"] == MAX_SUPPLY_BBL
    assert len(TIMESERIES_COLUMNS) == config.DAILY_COLUMNS
    assert DailyAggregate.CAPACITY == config.SAMPLE_REPLICATIONS
    assert DailyAggregate.MAX_ABS == config.AGGREGATE_MAX_ABS


@pytest.mark.parametrize(
    "dist",
    [
        Gamma(mean=1e6, cv=1e-6),
        Gamma(mean=1e6, cv=10),
        Lognormal(median=1e6, sigma=10),
        Lognormal(median=5e-324, sigma=10),
        Uniform(low=0, high=1e6),
        Exponential(mean=1e6),
    ],
)
def test_extreme_accepted_distributions_draw_finite_values(dist):
    import numpy as np

    draws = dist.draw(np.random.default_rng(0), 100_000)
    assert np.isfinite(draws).all() and (draws >= 0).all()
    assert math.isfinite(dist.mean_value)


def _zero_voyage(cfg: sim.Config) -> sim.Config:
    """``cfg`` with every voyage and wait outside fixed at 0 days, bypassing validation."""
    tankers = tuple(g.model_copy(update={"voyage_days": fixed(0.0)}) for g in cfg.fleet.tankers)
    groups = {
        name: g.model_copy(update={"outside_days": fixed(0.0)})
        for name, g in cfg.behaviour.groups.items()
    }
    return cfg.model_copy(
        update={
            "fleet": cfg.fleet.model_copy(update={"tankers": tankers}),
            "behaviour": cfg.behaviour.model_copy(update={"groups": groups}),
        }
    )


def test_zero_time_loop_stops_with_a_clear_error(monkeypatch):
    monkeypatch.setattr(world, "ZERO_TIME_STEPS", 20_000)
    monkeypatch.setattr(world, "CLOCK_CHECK_EVERY", 1_000)
    cfg = _zero_voyage(sim.load_config(SCENARIO, ["uncertain={}"]))
    with pytest.raises(world.ZeroTimeLoop, match=r"clock stood at day 0 .*voyage_days") as info:
        sim.simulate(cfg, seed=1)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, RuntimeError)


def test_zero_time_guard_leaves_valid_runs_alone(monkeypatch):
    monkeypatch.setattr(world, "CLOCK_CHECK_EVERY", 7)
    cfg = sim.load_config(SCENARIO)
    a = sim.simulate(cfg, seed=3, record_events=False)
    monkeypatch.undo()
    b = sim.simulate(cfg, seed=3, record_events=False)
    assert a.metrics == b.metrics


def _ledger(**totals: float) -> Ledger:
    ledger = Ledger(storage_init_bbl=100.0, produced_bbl=50.0, loaded_bbl=30.0, **totals)
    ledger.exported_bbl = 30.0
    ledger.sample_day(120.0)
    return ledger


def test_ledger_balances_when_finite():
    _ledger().check_balance(120.0, 0.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("produced_bbl", math.inf), ("cut_bbl", math.nan), ("overflow_bbl", -math.inf)],
)
def test_ledger_refuses_non_finite_totals(field, value):
    ledger = _ledger()
    setattr(ledger, field, value)
    with pytest.raises(LedgerImbalance, match=f"{field} is not finite"):
        ledger.check_balance(120.0, 0.0)


def test_ledger_refuses_non_finite_end_levels_and_daily_values():
    with pytest.raises(LedgerImbalance, match="storage_end_bbl is not finite"):
        _ledger().check_balance(math.nan, 0.0)
    ledger = _ledger()
    ledger.daily.append((math.inf,) * len(TIMESERIES_COLUMNS))
    with pytest.raises(LedgerImbalance, match="daily series"):
        ledger.check_balance(120.0, 0.0)
