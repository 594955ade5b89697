"""Face-validity levers: the values swept, the directions expected, and their experiments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import sim
from sim.experiment import paired_difference
from sim.validation import SCENARIO

__all__ = ["Lever", "experiment", "levers", "paired", "run_levers"]


def experiment(overrides: Sequence[str], n: int, workers: int) -> pd.DataFrame:
    """Replication rows of the scenario with ``overrides`` and its paired baseline."""
    cfg = sim.load_config(SCENARIO, [*overrides, "experiment.baseline=true"])
    res = sim.run_experiment(
        cfg,
        replications=n,
        workers=workers,
        executor="processes" if workers > 1 else "serial",
        progress=False,
    )
    return res.replications


@dataclass
class Lever:
    """A face-validity lever: the values swept and the directions expected."""

    key: str
    title: str
    unit: str
    values: list[Any]
    reference: Any
    expect_decline: int  # +1: decline should rise along ``values``; -1: fall
    expect_seizures: int
    why: str
    overrides: Callable[[Any], list[str]]
    label: Callable[[Any], str] = str
    # Extra runs that explain a response: (name, overrides), each at the first value of the
    # sweep and at the reference value, on the same seeds.
    probes: list[tuple[str, list[str]]] = field(default_factory=list)
    results: dict[Any, pd.DataFrame] = field(default_factory=dict)
    probe_results: dict[tuple[str, Any], pd.DataFrame] = field(default_factory=dict)


def _lognormal(key: str, sigma: float) -> Callable[[Any], list[str]]:
    """The override that sets ``key`` to a lognormal of median x."""
    return lambda x: [f"{key}={{dist: lognormal, median: {x:g}, sigma: {sigma:g}}}"]


def levers(quick: bool) -> list[Lever]:
    """The five levers of the face-validity section (ends and reference in a quick run)."""
    out = [*_navy_levers(), *_owner_levers()]
    if quick:
        for lever in out:
            ends = (lever.values[0], lever.reference, lever.values[-1])
            lever.values = [v for v in lever.values if v in ends]
    return out


def _navy_levers() -> list[Lever]:
    """The levers of the navy and the court."""
    return [
        Lever(
            "navy.boarding_teams",
            "Boarding teams",
            "teams",
            [0, 1, 2, 3, 4, 5, 6, 7, 8],
            3,
            +1,
            +1,
            "more teams can board more of the departing targets",
            lambda x: [f"navy.boarding_teams={x}"],
        ),
        Lever(
            "navy.detection_prob",
            "Detection probability",
            "p",
            [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
            0.9,
            +1,
            +1,
            "an undetected departure cannot be seized",
            lambda x: [f"navy.detection_prob={x}"],
        ),
        Lever(
            "court.delay_days",
            "Warrant delay (median)",
            "days",
            [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0],
            1.5,
            -1,
            -1,
            "a slower warrant lets more targets clear the zone before it is issued",
            _lognormal("court.delay_days", 0.5),
        ),
    ]


def _owner_levers() -> list[Lever]:
    """The levers of the owners and the policy."""
    return [
        Lever(
            "policy.enter_waters_after_days",
            "Enter waters after",
            "days waited",
            [7, 14, 30, 60, None],
            None,
            -1,
            -1,
            "entering waters earlier should seize more tankers in port",
            lambda x: [f"policy.enter_waters_after_days={'null' if x is None else x}"],
            lambda x: "never" if x is None else f"{x:g}",
        ),
        Lever(
            "behaviour.groups.shadow.patience_days",
            "Owners' patience (median)",
            "days",
            [5, 10, 15, 20, 30, 45, 60],
            45,
            +1,
            -1,
            "patient owners keep loaded tankers (and their cargo) in port instead of sailing",
            _lognormal("behaviour.groups.shadow.patience_days", 0.5),
            probes=[("ample", ["court.capacity=20", "navy.boarding_teams=20"])],
        ),
    ]


def run_levers(items: list[Lever], reference: pd.DataFrame, n: int, workers: int) -> None:
    """Fill ``lever.results``: one experiment per value (the reference value is not rerun)."""
    ref = reference[reference["replication"] < n]
    for lever in items:
        for x in lever.values:
            if x == lever.reference:
                lever.results[x] = ref
            else:
                lever.results[x] = experiment(lever.overrides(x), n, workers)
        for name, extra in lever.probes:
            for x in dict.fromkeys((lever.values[0], lever.reference)):
                lever.probe_results[name, x] = experiment([*lever.overrides(x), *extra], n, workers)


def paired(lever: Lever, a: Any, b: Any, metric: str) -> tuple[float, float, float]:
    """Paired difference (b − a) of ``metric``: mean and 95% CI."""
    d = paired_difference(lever.results[b], lever.results[a], [metric])
    mean, low, high = d.loc[metric, ["mean", "ci_low", "ci_high"]].to_numpy(dtype=float)
    return float(mean), float(low), float(high)
