"""Analytic validation: degenerate configs against the closed forms V1-V4 of docs/sources.md.

Every tolerance is ``Z`` standard errors of the estimate, the SE taken from the spread of
independent replications (SeedSequence(ROOT_SEED, (i,)), i = 0..n-1). Each test also checks
that the tolerance is tight enough to tell the right answer from a plausible wrong model
(a neighbouring team count, exponential instead of fixed loading, ...), so a pass means
something.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.validation.analytic import event_times
from sim.validation.theory import erlang_b

Z = 4.0  # standard errors allowed: a correct model fails with probability ~6e-5 per check


def mean_se(x: np.ndarray) -> tuple[float, float]:
    """Mean of independent replication estimates and its standard error."""
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))


def test_erlang_b_recursion_matches_closed_form():
    for c in range(0, 8):
        for a in (0.1, 1.0, 2.0, 7.5):
            closed = (a**c / math.factorial(c)) / sum(
                a**k / math.factorial(k) for k in range(c + 1)
            )
            assert erlang_b(c, a) == pytest.approx(closed, rel=1e-12)


# --------------------------------------------------------------------------- V1: M/D/1


def test_v1_md1_pollaczek_khinchine(validation, root_seed):
    """Mean wait for the berth = lambda s^2 / (2 (1 - lambda s)), the queue starting empty.

    Only tankers arriving after a warm-up of 100 days (several relaxation times of an M/D/1
    queue at rho = 0.7) and at least 50 days before the horizon (so every one of them has got
    its berth) are counted.
    """
    cfg = validation("v1_md1")
    lam = cfg.fleet.arrival_rate_per_day
    cargo = cfg.fleet.classes["VLCC"]
    s = cargo / cfg.terminal.loading_rate_bpd + cfg.terminal.berth_overhead_days
    rho = lam * s
    wq = lam * s**2 / (2 * (1 - rho))
    warmup, tail, n = 100.0, 50.0, 40

    means = []
    for i in range(n):
        ev = sim.simulate(cfg, seed=root_seed, replication=i).events
        arrive, berth = event_times(ev, "arrive"), event_times(ev, "berth")
        window = arrive[(arrive >= warmup) & (arrive <= cfg.horizon_days - tail)]
        waits = berth.reindex(window.index) - window
        assert waits.notna().all(), "a tanker of the window never got a berth"
        assert (waits >= -1e-12).all()
        means.append(waits.mean())
        # The berth is held exactly s: successive berth times are at least s apart.
        assert np.diff(np.sort(berth.to_numpy())).min() >= s - 1e-9
    est, se = mean_se(means)
    assert abs(est - wq) <= Z * se, f"Wq {est:.4f} ± {se:.4f} (n={n}) vs P-K {wq:.4f}"
    # Decisive: M/M/1 (exponential loading) would give rho s / (1 - rho) = 2 Wq; forgetting
    # the berth overhead would give s = 0.6 d.
    mm1 = rho * s / (1 - rho)
    s0 = s - cfg.terminal.berth_overhead_days
    no_overhead = lam * s0**2 / (2 * (1 - lam * s0))
    assert abs(mm1 - wq) > 2 * Z * se and abs(no_overhead - wq) > 2 * Z * se


# --------------------------------------------------------------------------- V2: Erlang B


@pytest.mark.parametrize(
    ("teams", "boarding"),
    [
        (3, None),  # the file's exponential(0.6) + fixed 0.4
        (3, "{dist: uniform, low: 0.2, high: 1.0}"),  # same mean, another shape
        (1, "{dist: gamma, mean: 0.6, cv: 2.0}"),  # a heavy-tailed hold
        (5, "0.6"),  # fixed hold
    ],
)
def test_v2_erlang_b(validation, root_seed, teams, boarding):
    """Share of departures that escape = Erlang B(c, lambda m), whatever the hold distribution.

    Departures are resolved the instant they reach the zone (exposure 0); only those resolved
    after a warm-up of 20 days (20 mean holds; the teams start idle) are counted.
    """
    overrides = [f"navy.boarding_teams={teams}"]
    if boarding is not None:
        overrides.append(f"navy.boarding_days={boarding}")
    cfg = validation("v2_erlang_b", *overrides)
    navy = cfg.navy
    assert navy.detection_prob == 1.0 and cfg.court.policy == "none"
    m = navy.boarding_days.mean_value + navy.escort_days.mean_value
    a = cfg.fleet.arrival_rate_per_day * m
    theory = erlang_b(teams, a)
    warmup, n = 20.0, 40

    shares = []
    for i in range(n):
        ev = sim.simulate(cfg, seed=root_seed, replication=i).events
        ev = ev[ev["time"] >= warmup]
        seized = int((ev["kind"] == "seized").sum())
        escaped = int((ev["kind"] == "exported").sum())
        shares.append(escaped / (seized + escaped))
    est, se = mean_se(shares)
    assert abs(est - theory) <= Z * se, (
        f"escape share {est:.4f} ± {se:.4f} (n={n}) vs Erlang B({teams}, {a:g}) = {theory:.4f}"
    )
    # Decisive: one team more or fewer is far outside the tolerance.
    for other in (teams - 1, teams + 1):
        assert abs(erlang_b(other, a) - theory) > 2 * Z * se


# --------------------------------------------------------------------------- V3: detection


def test_v3_detection(validation, root_seed):
    """Seized share = p; seizures in T days ~ Poisson(lambda p T) (mean and dispersion).

    Seizures are counted from the daily time series after a 10-day warm-up (departures reach
    the zone 0.6 d after arrival); the share uses every resolved departure (no queue here).
    """
    cfg = validation("v3_detection")
    warmup, n = 10, 400
    counts, seized, escaped = [], [], []
    for i in range(n):
        rep = sim.simulate(cfg, seed=root_seed, replication=i, record_events=False)
        cum = rep.timeseries["seizures_cum"].to_numpy()  # row d: at the end of day d + 1
        counts.append(cum[-1] - cum[warmup - 1])
        seized.append(rep.metrics["seizures"])
        escaped.append(rep.metrics["escapes"])
    counts, seized, escaped = np.array(counts), np.array(seized), np.array(escaped)

    # Share seized = p: each departure is an independent Bernoulli(p).
    p = cfg.navy.detection_prob
    total = seized.sum() + escaped.sum()
    share = seized.sum() / total
    se = math.sqrt(p * (1 - p) / total)
    assert abs(share - p) <= Z * se, f"seized share {share:.4f} vs p = {p} (SE {se:.4f})"
    # Replication-to-replication spread agrees with the binomial SE (no hidden correlation).
    est, se_rep = mean_se(seized / (seized + escaped))
    assert abs(est - p) <= Z * se_rep
    assert 0.8 < se_rep / se < 1.25
    # Decisive: a detection probability off by 0.02 is far outside the tolerance.
    assert 2 * Z * se < 0.02

    # Count in T days: mean lambda p T ...
    mu = cfg.fleet.arrival_rate_per_day * p * (cfg.horizon_days - warmup)
    est, se = mean_se(counts)
    assert abs(est - mu) <= Z * se, f"mean count {est:.2f} ± {se:.2f} (n={n}) vs {mu:g}"
    # ... and variance = mean: sum (x - mean)^2 / mean ~ chi2(n - 1) for Poisson counts.
    d = ((counts - counts.mean()) ** 2).sum() / counts.mean()
    lo, hi = stats.chi2.ppf([3e-5, 1 - 3e-5], n - 1)
    assert lo <= d <= hi, f"dispersion {d / (n - 1):.3f} (n={n}) not ~1: [{lo:.0f}, {hi:.0f}]"
    # Decisive: counts with variance 2 x mean (seizures in pairs at half the rate) would
    # fall inside the band with probability < 1e-4.
    assert stats.chi2.cdf(hi / 2, n - 1) < 1e-4


# --------------------------------------------------------------------------- V4: Little


def test_v4_little(validation, root_seed):
    """Mean number of loaded tankers waiting in port L = lambda W.

    L, lambda and W are all measured over one window: after a 20-day warm-up (the port
    starts empty) and 30 days before the horizon, so that every tanker loaded in the window
    has departed by the end (waits are gamma with mean 3 days) and W is not censored.
    """
    cfg = validation("v4_little")
    lam = cfg.fleet.arrival_rate_per_day
    w_theory = cfg.behaviour.groups["owners"].patience_days.mean_value
    warmup, tail, n = 20, 30, 20
    end = cfg.horizon_days - tail
    ls, ws, gaps = [], [], []
    for i in range(n):
        rep = sim.simulate(cfg, seed=root_seed, replication=i)
        level = rep.timeseries["tankers_waiting"].to_numpy()[warmup : int(end)]
        ev = rep.events
        loaded, departed = event_times(ev, "loaded"), event_times(ev, "depart")
        start = loaded.reindex(departed.index)
        wait = (departed - start)[(start > warmup) & (start <= end)]
        assert ((loaded > warmup) & (loaded <= end)).sum() == len(wait)  # none censored
        arrivals = event_times(ev, "arrive")
        lam_hat = ((arrivals > warmup) & (arrivals <= end)).sum() / (end - warmup)
        ls.append(level.mean())
        ws.append(wait.mean())
        gaps.append(level.mean() - lam_hat * wait.mean())
    l_est, l_se = mean_se(ls)
    w_est, w_se = mean_se(ws)
    g_est, g_se = mean_se(gaps)
    assert abs(w_est - w_theory) <= Z * w_se, f"W {w_est:.3f} ± {w_se:.3f} vs {w_theory}"
    assert abs(l_est - lam * w_theory) <= Z * l_se, (
        f"L {l_est:.3f} ± {l_se:.3f} (n={n}) vs lambda W = {lam * w_theory:g}"
    )
    assert abs(g_est) <= Z * g_se, f"L - lambda-hat W-hat = {g_est:.3f} ± {g_se:.3f}"
    # Decisive: an off-by-one-day snapshot or a 10% error in W would be outside the band.
    assert 0.1 * lam * w_theory > 2 * Z * l_se


def test_event_times_refuses_a_second_event_of_a_tanker():
    events = pd.DataFrame({"tanker": [1, 2, 1], "kind": ["arrive"] * 3, "time": [0.0, 1.0, 2.0]})
    with pytest.raises(AssertionError, match="more than one 'arrive' event per tanker"):
        event_times(events, "arrive")
    assert event_times(events.iloc[:2], "arrive").to_dict() == {1: 0.0, 2: 1.0}
