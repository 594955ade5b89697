"""Monotonicity under common random numbers, and the no-blockade baseline.

Comparisons are of MEANS over a pool of seeds, through paired differences (the same
replication seeds in both arms): the mean difference must not be below ``-Z`` standard
errors of the paired differences. A single seed may go the other way (behavioural
feedback, a different order of events) without the model being wrong.
"""

from __future__ import annotations

import itertools
import math
from functools import cache

import numpy as np
import pytest

import sim

N_SEEDS = 40
Z = 4.0
ROOT = 20251210


@cache
def seizures(*overrides: str) -> np.ndarray:
    """Seizures of replications 0..N_SEEDS-1 of the reference scenario with ``overrides``."""
    cfg = sim.load_config("venezuela_dec2025", overrides=list(overrides))
    return np.array(
        [
            sim.simulate(cfg, seed=ROOT, replication=i, record_events=False).metrics["seizures"]
            for i in range(N_SEEDS)
        ]
    )


def paired(more: np.ndarray, less: np.ndarray) -> tuple[float, float]:
    """Mean and standard error of the paired differences ``more - less``."""
    d = more - less
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))


def assert_not_lower(more: np.ndarray, less: np.ndarray, label: str) -> None:
    mean, se = paired(more, less)
    assert mean >= -Z * se, f"{label}: mean paired difference {mean:.3f} ± {se:.3f}"


TEAMS = (1, 2, 3, 5)


@pytest.mark.parametrize(("fewer", "more"), list(itertools.pairwise(TEAMS)))
def test_more_teams_never_lower_mean_seizures(fewer, more):
    assert_not_lower(
        seizures(f"navy.boarding_teams={more}"),
        seizures(f"navy.boarding_teams={fewer}"),
        f"{more} vs {fewer} teams",
    )


SLOW_COURT = ("court.delay_days.median=4", "court.capacity=1")
DETECTION = (0.5, 0.83, 1.0)


def assert_seizes_at_least(key: str, value: float, than: float, *context: str) -> None:
    """Mean seizures with ``key=value`` are not below those with ``key=than`` (paired)."""
    assert_not_lower(
        seizures(*context, f"{key}={value}"),
        seizures(*context, f"{key}={than}"),
        f"{key} {value} vs {than}" + (f" with {', '.join(context)}" if context else ""),
    )


@pytest.mark.parametrize(("lower", "higher"), list(itertools.pairwise(DETECTION)))
def test_more_detection_never_lowers_mean_seizures_with_a_slow_court(lower, higher):
    """With one slow judge, applications for tankers already gone must not crowd out others."""
    assert_seizes_at_least("navy.detection_prob", higher, lower, *SLOW_COURT)


@pytest.mark.parametrize(("lower", "higher"), list(itertools.pairwise((0.5, 0.7, 0.9, 1.0))))
def test_more_detection_never_lowers_mean_seizures(lower, higher):
    """In the reference scenario: a departure the navy misses cannot be seized."""
    assert_seizes_at_least("navy.detection_prob", higher, lower)


@pytest.mark.parametrize(("faster", "slower"), list(itertools.pairwise((0.5, 1.5, 4.0, 8.0))))
def test_a_faster_court_never_lowers_mean_seizures(faster, slower):
    """A warrant that comes sooner catches more targets before they clear the zone."""
    assert_seizes_at_least("court.delay_days.median", faster, slower)


def test_teams_matter():
    """Sanity: from 1 to 5 teams seizures clearly rise, and with no team there are none."""
    mean, se = paired(seizures("navy.boarding_teams=5"), seizures("navy.boarding_teams=1"))
    assert mean > Z * se
    assert not seizures("navy.boarding_teams=0").any()


@pytest.mark.parametrize("warrant_policy", ["wait_outside", "blanket_warrants"])
def test_seize_on_sight_seizes_at_least_as_much(warrant_policy):
    assert_not_lower(
        seizures("policy=seize_on_sight"),
        seizures(f"policy={warrant_policy}"),
        f"seize_on_sight vs {warrant_policy}",
    )


@pytest.mark.parametrize(
    "policy", ["wait_outside", "blanket_warrants", "enter_after_14d", "enter_after_30d"]
)
def test_dropping_the_warrant_never_lowers_seizures(policy):
    """Each policy variant with ``court.policy=none`` seizes at least as much on average."""
    assert_not_lower(
        seizures(f"policy={policy}", "court.policy=none"),
        seizures(f"policy={policy}"),
        f"{policy} without warrants vs with",
    )


@pytest.mark.parametrize("policy", [None, "seize_on_sight", "blanket_warrants", "enter_after_14d"])
def test_baseline_has_no_blockade(policy):
    """Navy disabled: no seizure, no turn-back, no waiting; all that cleared is exported."""
    cfg = sim.load_config("venezuela_dec2025", overrides=[f"policy={policy}"] if policy else [])
    base = cfg.baseline()
    assert not base.navy.enabled and cfg.navy.enabled
    assert base.model_copy(update={"navy": cfg.navy}) == cfg  # only the navy switch differs
    classes = cfg.fleet.classes
    afloat_init = sum(
        g.count * classes[g.tanker_class] * g.cargo_fraction
        for g in (*cfg.initial.loaded_waiting, *cfg.initial.loading)
    )
    for i in range(10):
        rep = sim.simulate(base, seed=ROOT, replication=i)
        m, ts = rep.metrics, rep.timeseries
        for key in ("seizures", "seized_bbl", "seizures_in_waters", "turnbacks", "escapes"):
            assert m[key] == 0, key
        assert m["warrants_requested"] == 0 and m["board_refusals"] == 0
        assert math.isnan(m["days_to_first_seizure"])
        assert m["exported_bbl"] == pytest.approx(
            m["loaded_bbl"] + afloat_init - m["afloat_end_bbl"], rel=1e-12
        )
        assert m["departures"] > 0 and m["exported_bbl"] > 0
        assert not ts["seizures_cum"].any() and not ts["tankers_waiting"].any()
        assert not ts["stranded_bbl"].any()
        kinds = set(rep.events["kind"])
        assert kinds.isdisjoint({"seized", "seized_in_waters", "turnback", "detected", "go_in"})


def test_baseline_exports_more_than_blockade():
    """Under common random numbers the blockade lowers mean exports."""
    cfg = sim.load_config("venezuela_dec2025")
    blockade, free = [], []
    for i in range(20):
        blockade.append(sim.simulate(cfg, ROOT, i, record_events=False).metrics["exported_bbl"])
        free.append(
            sim.simulate(cfg.baseline(), ROOT, i, record_events=False).metrics["exported_bbl"]
        )
    mean, se = paired(np.array(free), np.array(blockade))
    assert mean > Z * se
