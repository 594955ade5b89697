"""Analytic cases V1-V4 of docs/sources.md: degenerate configs against their closed forms.

Each replication function is top-level (picklable): it runs replication ``i`` of a validation
config and returns the statistics of that replication only, so workers send back a few
floats, not event logs. Replication ``i`` uses ``SeedSequence(ROOT_SEED, (i,))``, as in
``tests/test_validation.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

import sim
from sim.experiment.executors import Executor, map_ordered
from sim.validation import ROOT_SEED, Sizes
from sim.validation.theory import ci_of, erlang_b, pk_wait

__all__ = ["Row", "analytic_cases", "event_times"]

Stats = dict[str, float]


def event_times(events: pd.DataFrame, kind: str) -> pd.Series:
    """Time of the (single) event ``kind`` of each tanker, indexed by tanker id."""
    rows = events[events["kind"] == kind]
    if rows["tanker"].duplicated().any():
        raise AssertionError(f"more than one {kind!r} event per tanker")
    return rows.set_index("tanker")["time"]


def v1_replication(cfg: sim.Config, i: int, warmup: float, tail: float) -> dict[str, float]:
    """M/D/1 berth: mean wait of tankers arriving in [warmup, horizon - tail], and Little.

    The berth queue's time-average length over that window is integrated exactly from the
    event log (a tanker is in the queue from ``arrive`` to ``berth``).
    """
    ev = sim.simulate(cfg, seed=ROOT_SEED, replication=i).events
    arrive, berth = event_times(ev, "arrive"), event_times(ev, "berth")
    lo, hi = warmup, cfg.horizon_days - tail
    window = arrive[(arrive >= lo) & (arrive <= hi)]
    waits = berth.reindex(window.index) - window
    if waits.isna().any():
        raise AssertionError("a tanker of the window never got a berth")
    start = arrive.to_numpy()
    end = berth.reindex(arrive.index).fillna(cfg.horizon_days).to_numpy()
    overlap = np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None)
    lq = float(overlap.sum() / (hi - lo))
    lam_hat = len(window) / (hi - lo)
    w = float(waits.mean())
    return {"wait": w, "lq": lq, "little_gap": lq - lam_hat * w}


def v2_replication(cfg: sim.Config, i: int, warmup: float) -> dict[str, float]:
    """Erlang loss: share of departures resolved after ``warmup`` that escape."""
    ev = sim.simulate(cfg, seed=ROOT_SEED, replication=i).events
    ev = ev[ev["time"] >= warmup]
    seized = int((ev["kind"] == "seized").sum())
    escaped = int((ev["kind"] == "exported").sum())
    return {"escape_share": escaped / (seized + escaped)}


def v3_replication(cfg: sim.Config, i: int, warmup: int) -> dict[str, float]:
    """Detection thinning: seizures after day ``warmup``, and seized / escaped over the run."""
    rep = sim.simulate(cfg, seed=ROOT_SEED, replication=i, record_events=False)
    cum = rep.timeseries["seizures_cum"].to_numpy()  # row d: at the end of day d + 1
    seized, escaped = rep.metrics["seizures"], rep.metrics["escapes"]
    return {
        "count": float(cum[-1] - cum[warmup - 1]),
        "seized": seized,
        "escaped": escaped,
        "share": seized / (seized + escaped),
    }


def v4_replication(cfg: sim.Config, i: int, warmup: float, tail: float) -> dict[str, float]:
    """Little in the waiting room over the window [warmup, horizon - tail].

    ``L`` is the mean of the daily series tankers_waiting over the window (what the time
    series records); ``L_exact`` the exact time average integrated from the event log (a
    tanker waits from ``loaded`` to ``depart``); ``W`` the mean wait of the tankers loaded in
    the window. The tail is long enough that every one of them has left by the horizon, so
    ``W`` is not censored.
    """
    rep = sim.simulate(cfg, seed=ROOT_SEED, replication=i)
    lo, hi = warmup, cfg.horizon_days - tail
    day = rep.timeseries["day"].to_numpy()
    series = rep.timeseries["tankers_waiting"].to_numpy()
    level = float(series[(day >= lo) & (day < hi)].mean())  # row d is sampled at d + 1
    ev = rep.events
    loaded, departed = event_times(ev, "loaded"), event_times(ev, "depart")
    end = departed.reindex(loaded.index).fillna(cfg.horizon_days).to_numpy()
    start = loaded.to_numpy()
    exact = float(np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None).sum())
    exact /= hi - lo
    window = loaded[(loaded >= lo) & (loaded <= hi)]
    waits = departed.reindex(window.index) - window
    if waits.isna().any():
        raise AssertionError("a tanker loaded in the window was still waiting at the horizon")
    w = float(waits.mean())
    lam_hat = len(window) / (hi - lo)
    return {"L": level, "W": w, "little_gap": exact - lam_hat * w, "series_gap": level - exact}


def _run_many(
    fn: Callable[..., Stats], cfg: sim.Config, indices: Sequence[int], kwargs: dict[str, Any]
) -> list[Stats]:
    return [fn(cfg, int(i), **kwargs) for i in indices]


@dataclass
class Row:
    """One line of the analytic table."""

    case: str
    quantity: str
    theory: float
    estimate: float
    low: float
    high: float
    n: int
    note: str = ""
    short: str = ""  # label in the figure

    @property
    def inside(self) -> bool:
        """Whether theory lies in the interval."""
        return self.low <= self.theory <= self.high


def _horizon(name: str, sizes: Sizes, minimum: float) -> list[str]:
    """The override that shortens a validation config's horizon in a quick run."""
    if sizes.horizon_scale == 1.0:
        return []
    cfg = sim.load_config(f"validation/{name}")
    return [f"horizon_days={max(minimum, cfg.horizon_days * sizes.horizon_scale):g}"]


@dataclass
class Cases:
    """The analytic table as it is filled: replications on ``executor``, a row per check."""

    executor: Executor
    sizes: Sizes
    rows: list[Row] = field(default_factory=list)

    def replicate(
        self, fn: Callable[..., Stats], cfg: sim.Config, n: int, **kw: Any
    ) -> pd.DataFrame:
        """``fn(cfg, i, **kw)`` for i = 0..n-1, as a frame with one row per replication."""
        size = max(1, math.ceil(n / (4 * self.executor.workers)))
        chunks = [(fn, cfg, range(k, min(n, k + size)), kw) for k in range(0, n, size)]
        done = map_ordered(self.executor, _run_many, chunks)
        return pd.DataFrame([row for chunk in done for row in chunk])

    def add(
        self, case: str, quantity: str, theory: float, values: Any, short: str, note: str = ""
    ) -> None:
        """A row: ``theory`` against the mean and 95% CI of the replication ``values``."""
        self.rows.append(Row(case, quantity, theory, *ci_of(values), note=note, short=short))


def analytic_cases(executor: Executor, sizes: Sizes) -> list[Row]:
    """Every closed-form case V1-V4 of docs/sources.md, estimated on the validation configs."""
    cases = Cases(executor, sizes)
    _v4_berth(cases, *_v1(cases))
    _v2(cases)
    _v3(cases)
    _v4_room(cases)
    return cases.rows


def _v1(cases: Cases) -> tuple[pd.DataFrame, float]:
    """V1 (M/D/1) at three loads (the file's lambda = 1 in the middle); that one's Lq."""
    warmup, tail = 100.0, 50.0
    berth_queue = None
    for lam in (0.5, 1.0, 1.2):
        cfg = sim.load_config(
            "validation/v1_md1",
            [f"fleet.arrival_rate_per_day={lam}", *_horizon("v1_md1", cases.sizes, 400)],
        )
        s = next(iter(cfg.fleet.classes.values())) / cfg.terminal.loading_rate_bpd
        s += cfg.terminal.berth_overhead_days
        df = cases.replicate(v1_replication, cfg, cases.sizes.v1, warmup=warmup, tail=tail)
        wq = pk_wait(lam, s)
        rho = f"ρ = {lam * s:.2f}"
        cases.add(
            "V1",
            f"mean berth wait Wq (days), M/D/1, λ = {lam:g}/d, s = {s:g} d ({rho})",
            wq,
            df["wait"],
            f"V1 Wq, {rho}",
        )
        if lam == 1.0:
            berth_queue = (df, lam * wq)
    assert berth_queue is not None
    return berth_queue


def _v4_berth(cases: Cases, df: pd.DataFrame, lq: float) -> None:
    """V4 (Little) on the berth queue of the file's V1 case."""
    cases.add(
        "V4",
        "berth queue length Lq = λ Wq (tankers), V1 case with ρ = 0.70",
        lq,
        df["lq"],
        "V4 berth queue Lq = λ Wq",
        "time average integrated from the event log",
    )
    cases.add("V4", "berth queue Lq − λ̂ Ŵq (same replications)", 0.0, df["little_gap"],
              "V4 berth queue Lq − λ̂Ŵq")  # fmt: skip


#: V2 variants: teams, navy.boarding_days (None: the file's), its label and short label.
V2_VARIANTS: list[tuple[int, str | None, str, str]] = [
    (3, None, "exponential(0.6) + 0.4", "exponential"),
    (3, "{dist: uniform, low: 0.2, high: 1.0}", "uniform(0.2, 1.0) + 0.4", "uniform"),
    (1, "{dist: gamma, mean: 0.6, cv: 2.0}", "gamma(mean 0.6, cv 2) + 0.4", "gamma cv 2"),
    (5, "0.6", "0.6 + 0.4, fixed", "fixed"),
    (2, "{dist: lognormal, median: 1.0, sigma: 0.8}", "lognormal(median 1, σ 0.8) + 0.4",
     "lognormal"),
]  # fmt: skip


def _v2(cases: Cases) -> None:
    """V2 (Erlang loss): several team counts and hold distributions."""
    for teams, boarding, label, short in V2_VARIANTS:
        overrides = [f"navy.boarding_teams={teams}", *_horizon("v2_erlang_b", cases.sizes, 200)]
        if boarding is not None:
            overrides.append(f"navy.boarding_days={boarding}")
        cfg = sim.load_config("validation/v2_erlang_b", overrides)
        m = cfg.navy.boarding_days.mean_value + cfg.navy.escort_days.mean_value
        a = cfg.fleet.arrival_rate_per_day * m
        df = cases.replicate(v2_replication, cfg, cases.sizes.v2, warmup=20.0)
        cases.add(
            "V2",
            f"escape share = B(c = {teams}, a = {a:.3g}), team hold {label} (days)",
            erlang_b(teams, a),
            df["escape_share"],
            f"V2 B({teams}, {a:.3g}), {short}",
        )


def _v3(cases: Cases) -> None:
    """V3 (detection thinning): share, mean count and dispersion of the seizure count."""
    cfg = sim.load_config("validation/v3_detection")
    warmup = 10
    df = cases.replicate(v3_replication, cfg, cases.sizes.v3, warmup=warmup)
    p = cfg.navy.detection_prob
    mu = cfg.fleet.arrival_rate_per_day * p * (cfg.horizon_days - warmup)
    cases.add("V3", f"seized share = p = {p:g}", p, df["share"], "V3 seized share = p")
    counts = df["count"].to_numpy()
    cases.add(
        "V3",
        f"seizures in days {warmup}-{cfg.horizon_days:g} = λ p T = {mu:g}",
        mu,
        counts,
        "V3 seizure count = λpT",
    )
    n = len(counts)
    disp = float(counts.var(ddof=1) / counts.mean())
    chi_lo, chi_hi = stats.chi2.ppf([0.975, 0.025], n - 1)
    cases.rows.append(
        Row(
            "V3",
            "dispersion index var / mean of that count (Poisson: 1)",
            1.0,
            disp,
            disp * (n - 1) / chi_lo,
            disp * (n - 1) / chi_hi,
            n,
            note="χ² interval",
            short="V3 count var / mean",
        )
    )


def _v4_room(cases: Cases) -> None:
    """V4 (Little) in the waiting room."""
    cfg = sim.load_config("validation/v4_little", _horizon("v4_little", cases.sizes, 150))
    w_theory = cfg.behaviour.groups["owners"].patience_days.mean_value
    lam = cfg.fleet.arrival_rate_per_day
    df = cases.replicate(v4_replication, cfg, cases.sizes.v4, warmup=20.0, tail=50.0)
    cases.add(
        "V4",
        f"waiting room L = λ W = {lam:g} × {w_theory:g} (tankers)",
        lam * w_theory,
        df["L"],
        "V4 waiting room L = λW",
        "mean of the daily series tankers_waiting",
    )
    cases.add("V4", "waiting room W = E[patience] (days)", w_theory, df["W"], "V4 waiting room W")
    cases.add("V4", "waiting room L − λ̂ Ŵ (same replications)", 0.0, df["little_gap"],
              "V4 waiting room L − λ̂Ŵ", "L: exact time average from the event log")  # fmt: skip
    cases.add("V4", "waiting room: daily series − exact time average", 0.0, df["series_gap"],
              "V4 daily series − exact L")  # fmt: skip
