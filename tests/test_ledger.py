"""Property test: for many random valid configs the barrels balance and nothing goes negative.

Configs are built by perturbing the venezuela_dec2025 scenario (closed fleet) and an open
fleet variant of it. ``simulate`` itself raises ``LedgerImbalance`` when a replication does
not balance; these tests re-check both identities from the outputs, non-negativity, and that
the daily time series adds up to the metric totals.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import sim
from sim.config import validate
from sim.metrics import FLOATING_KEY, STRANDED_DAYS, stranded_day_key
from sim.model.ledger import FLOW_COLUMNS

BASE = sim.load_config("venezuela_dec2025", ["uncertain={}"]).to_dict()  # the point scenario
LARGEST_CARGO = max(BASE["fleet"]["classes"].values())

FLOW_METRICS = {
    "exported_bbl": "exported_bbl",
    "shut_in_bbl": "shut_in_bbl",
    "produced_bbl": "produced_bbl",
    "loaded_bbl": "loaded_bbl",
}
# Metrics that may be NaN by definition; every other metric must be finite and >= 0.
MAY_BE_NAN = {"days_to_storage_full", "days_to_first_seizure", "team_utilization"}
MAY_BE_NAN |= {"mean_berth_wait_days"}
MAY_BE_NAN |= {stranded_day_key(d) for d in STRANDED_DAYS}  # NaN past the horizon
MAY_BE_NAN |= {FLOATING_KEY}


def rel_close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, scale)


@st.composite
def configs(draw: st.DrawFn, open_fleet: bool) -> sim.Config:
    """A random valid config near the reference scenario."""
    d: dict[str, Any] = copy.deepcopy(BASE)
    d["horizon_days"] = draw(
        st.one_of(st.integers(30, 150), st.floats(0.5, 150.0), st.integers(1, 30))
    )

    navy = d["navy"]
    navy["enabled"] = draw(st.booleans()) if draw(st.integers(0, 5)) == 0 else True
    navy["targets"] = draw(st.sampled_from(["sanctioned", "unlicensed"]))
    navy["boarding_teams"] = draw(st.integers(0, 6))
    navy["detection_prob"] = draw(st.one_of(st.sampled_from([0.9, 1.0]), st.floats(0.0, 1.0)))
    navy["board_success_prob"] = draw(st.sampled_from([1.0, 0.95, 0.5, 0.0]))
    navy["exposure_days"] = draw(
        st.sampled_from([0.0, 2.0, {"dist": "uniform", "low": 0.0, "high": 4.0}])
    )

    court = d["court"]
    court["policy"] = draw(st.sampled_from(["none", "on_departure", "on_loading", "blanket"]))
    court["approval_prob"] = draw(st.one_of(st.sampled_from([0.95, 1.0]), st.floats(0.0, 1.0)))
    court["validity_days"] = draw(st.floats(0.5, 30.0))
    court["capacity"] = draw(st.integers(1, 3))
    court["renew"] = draw(st.booleans())
    court["delay_days"] = draw(st.sampled_from([0.0, 2.0, {"dist": "exponential", "mean": 3.0}]))

    policy = d["policy"]
    policy["enter_waters_after_days"] = draw(
        st.one_of(st.none(), st.integers(0, 40), st.floats(0.0, 40.0))
    )
    policy["in_waters_success_prob"] = draw(st.one_of(st.just(0.8), st.floats(0.0, 1.0)))

    beh = d["behaviour"]
    beh["breakout"] = {
        "group": draw(st.one_of(st.none(), st.integers(1, 12))),
        "min_wait_days": draw(st.sampled_from([0.0, 3.0])),
        "day": draw(st.one_of(st.none(), st.floats(0.0, 60.0))),
        "after_escapes": draw(st.one_of(st.none(), st.integers(1, 5))),
    }
    beh["news_lag_days"] = draw(st.sampled_from([0.0, 0.5, 1.0, 7.0]))
    beh["offer"]["premium"] = draw(st.sampled_from([0.0, 1.0, 5.0]))
    for group in beh["groups"].values():
        group["risk_threshold"] = draw(
            st.sampled_from([0.0, 0.05, 1.0, {"dist": "lognormal", "median": 0.06, "sigma": 0.5}])
        )
        group["turnback_threshold"] = draw(
            st.sampled_from([0.0, 0.08, 1.0, {"dist": "uniform", "low": 0.0, "high": 0.2}])
        )
        group["outside_days"] = draw(
            st.sampled_from([0.0, 3.0, {"dist": "exponential", "mean": 5}])
        )
        group["go_dark_prob"] = draw(st.sampled_from([0.0, 0.3, 1.0]))
        group["news_weight"] = draw(st.sampled_from([0.0, 1.0, 3.0]))
        group["patience_days"] = draw(
            st.sampled_from(
                [
                    {"dist": "lognormal", "median": 30.0, "sigma": 0.6},
                    {"dist": "uniform", "low": 5.0, "high": 60.0},
                    0.0,
                    5.0,
                ]
            )
        )
    d["navy"]["pursuit_prob"] = draw(st.sampled_from([0.0, 0.5, 1.0]))

    prod = d["production"]
    prod["export_bpd"] = draw(st.sampled_from([0.0, 300_000.0, 800_000.0, 2_000_000.0]))
    prod["step_days"] = draw(st.sampled_from([0.5, 1.0, 2.5]))
    prod["cut"]["enabled"] = draw(st.booleans())
    prod["cut"]["deepen_days"] = draw(st.sampled_from([0.0, 5.0]))
    prod["cut"]["restart_days"] = draw(st.sampled_from([0.0, 20.0]))

    term = d["terminal"]
    capacity = draw(st.floats(LARGEST_CARGO, 60e6))
    storage_min = draw(st.floats(0.0, capacity - LARGEST_CARGO))
    init = draw(st.floats(storage_min, capacity))
    term["storage_capacity_bbl"] = capacity
    term["storage_min_bbl"] = storage_min
    term["storage_init_bbl"] = init
    term["berths"] = draw(st.integers(1, 5))

    if open_fleet:
        fleet = d["fleet"]
        fleet["mode"] = "open"
        fleet["arrival_rate_per_day"] = draw(st.sampled_from([0.0, 0.3, 1.0, 2.5]))
        fleet["arrival_mix"] = [
            {"class": g["class"], "status": g["status"], "weight": g["count"]}
            for g in fleet["tankers"]
        ]
        fleet["tankers"] = []
    return validate(d)


def initial_afloat(cfg: sim.Config) -> float:
    """Cargo on board at day 0: loaded-and-waiting and loading tankers."""
    classes = cfg.fleet.classes
    groups = [*cfg.initial.loaded_waiting, *cfg.initial.loading]
    return sum(g.count * classes[g.tanker_class] * g.cargo_fraction for g in groups)


def check_replication(cfg: sim.Config, rep: sim.Replication) -> None:
    m, ts = rep.metrics, rep.timeseries
    scale = cfg.terminal.storage_init_bbl + initial_afloat(cfg) + m["produced_bbl"]

    # The two barrel identities.
    onshore_in = cfg.terminal.storage_init_bbl + m["produced_bbl"] - m["shut_in_bbl"]
    assert rel_close(onshore_in, m["storage_end_bbl"] + m["loaded_bbl"], scale)
    afloat_in = initial_afloat(cfg) + m["loaded_bbl"]
    afloat_out = m["exported_bbl"] + m["seized_bbl"] + m["afloat_end_bbl"]
    assert rel_close(afloat_in, afloat_out, scale)

    # Non-negativity and bounds.
    for key, value in m.items():
        if key in MAY_BE_NAN and math.isnan(value):
            continue
        assert math.isfinite(value) and value >= -1e-9 * max(1.0, scale), (key, value)
    assert m["storage_end_bbl"] <= cfg.terminal.storage_capacity_bbl * (1 + 1e-12)
    assert m["storage_end_bbl"] >= cfg.terminal.storage_min_bbl * (1 - 1e-12)
    assert m["exported_licensed_bbl"] <= m["exported_bbl"] * (1 + 1e-12)
    assert m["cut_bbl"] <= m["shut_in_bbl"] * (1 + 1e-12) + 1e-6
    assert m["produced_bbl"] == pytest.approx(
        cfg.production.export_bpd * cfg.horizon_days, rel=1e-9, abs=1e-6
    )
    assert m["seizures_in_waters"] + m["seizures_pursued"] <= m["seizures"]
    assert m["dark_departures"] <= m["departures"]
    if not math.isnan(m[FLOATING_KEY]):
        assert m[FLOATING_KEY] <= m[stranded_day_key(21)] + 1e-6
    assert m["escapes"] + m["seizures"] - m["seizures_in_waters"] <= m["departures"]
    assert m["warrants_issued"] + m["warrants_denied"] <= m["warrants_requested"]
    assert m["warrants_expired"] <= m["warrants_issued"]
    if not math.isnan(m["team_utilization"]):
        assert m["team_utilization"] <= 1 + 1e-9
    if m["seizures"] == 0:
        assert m["seized_bbl"] == 0 and math.isnan(m["days_to_first_seizure"])
    else:
        assert 0 <= m["days_to_first_seizure"] <= cfg.horizon_days
    if not cfg.navy.enabled or cfg.navy.boarding_teams == 0:
        assert m["seizures"] == 0

    # The daily time series: one row per (started) day, flows summing to the totals.
    assert len(ts) == math.ceil(cfg.horizon_days - 1e-12)
    assert list(ts["day"]) == list(range(len(ts)))
    for col, metric in FLOW_METRICS.items():
        assert col in FLOW_COLUMNS
        assert rel_close(float(ts[col].sum()), m[metric], scale), col
        assert (ts[col] >= -1e-9 * max(1.0, scale)).all(), col
    for col in ("storage_bbl", "stranded_bbl", "afloat_bbl", "seizures_cum", "tankers_waiting"):
        assert (ts[col] >= -1e-9 * max(1.0, scale)).all(), col
    assert (ts["storage_bbl"] <= cfg.terminal.storage_capacity_bbl * (1 + 1e-12)).all()
    assert (np.diff(ts["seizures_cum"].to_numpy()) >= 0).all()
    assert ts["seizures_cum"].iloc[-1] == m["seizures"]
    assert rel_close(float(ts["storage_bbl"].iloc[-1]), m["storage_end_bbl"], scale)
    assert rel_close(float(ts["afloat_bbl"].iloc[-1]), m["afloat_end_bbl"], scale)
    assert rel_close(float(ts["stranded_bbl"].iloc[-1]), m["stranded_bbl"], scale)
    check_stranded(cfg, rep)
    # Stranded cargo is on board, so never more than what is afloat.
    assert (ts["stranded_bbl"] <= ts["afloat_bbl"] + 1e-9 * max(1.0, scale)).all()

    # The event log agrees with the counters.
    ev = rep.events
    kinds = ev["kind"].value_counts()
    assert kinds.get("seized", 0) + kinds.get("seized_in_waters", 0) == m["seizures"]
    assert kinds.get("depart", 0) == m["departures"]
    assert kinds.get("turnback", 0) == m["turnbacks"]
    assert ev.loc[ev["kind"] == "exported", "bbl"].sum() == pytest.approx(
        m["exported_bbl"], rel=1e-9, abs=1e-6
    )
    assert (np.diff(ev["time"].to_numpy()) >= 0).all()


def check_stranded(cfg: sim.Config, rep: sim.Replication) -> None:
    """The peak is above every daily level; the day metrics are rows of the series."""
    m, levels = rep.metrics, rep.timeseries["stranded_bbl"].to_numpy()
    tol = 1e-9 * max(1.0, m["stranded_peak_bbl"])
    assert (levels <= m["stranded_peak_bbl"] + tol).all()
    for d in STRANDED_DAYS:
        value = m[stranded_day_key(d)]
        assert math.isnan(value) if d + 1 > cfg.horizon_days else value == levels[d], d


def record_coverage(rep: sim.Replication) -> None:
    """Which paths an example exercised (shown by pytest --hypothesis-show-statistics)."""
    m = rep.metrics
    for key in ("seizures", "seizures_in_waters", "turnbacks", "shut_in_bbl", "cut_bbl"):
        event(f"{key} > 0: {m[key] > 0}")
    for key in ("warrants_expired", "warrants_denied", "board_refusals", "stranded_bbl"):
        event(f"{key} > 0: {m[key] > 0}")
    kinds = rep.events["kind"].value_counts()
    event(f"loading waited for crude: {kinds.get('load', 0) < kinds.get('berth', 0)}")


SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(cfg=configs(open_fleet=False), seed=st.integers(0, 2**32 - 1))
def test_ledger_balances_closed_fleet(cfg, seed):
    rep = sim.simulate(cfg, seed=seed)
    check_replication(cfg, rep)
    record_coverage(rep)


@SETTINGS
@given(cfg=configs(open_fleet=True), seed=st.integers(0, 2**32 - 1))
def test_ledger_balances_open_fleet(cfg, seed):
    rep = sim.simulate(cfg, seed=seed)
    check_replication(cfg, rep)
    record_coverage(rep)


@pytest.mark.parametrize(
    "policy", [None, "wait_outside", "seize_on_sight", "blanket_warrants", "enter_after_14d"]
)
def test_ledger_balances_reference_policies(policy):
    cfg = sim.load_config("venezuela_dec2025", overrides=[f"policy={policy}"] if policy else [])
    for i in range(10):
        check_replication(cfg, sim.simulate(cfg, seed=1, replication=i))
        check_replication(cfg.baseline(), sim.simulate(cfg.baseline(), seed=1, replication=i))
