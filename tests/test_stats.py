"""Statistics: t-intervals, quantiles, paired differences and the daily aggregate."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from sim.experiment.seeds import sample_keys
from sim.experiment.stats import (
    DailyAggregate,
    describe,
    paired_difference,
    rel_halfwidth,
    summarize,
)


def test_summary_ci_matches_scipy_t_interval() -> None:
    x = np.array([2.0, 4.5, 3.25, 8.0, 5.5, 1.0, 7.75, 6.0])
    df = pd.DataFrame({"replication": range(8), "seed": 1, "a": x, "b": x * 2})
    s = summarize(df)
    assert list(s.index) == ["a", "b"]
    assert s.index.name == "metric"
    assert list(s.columns) == ["mean", "std", "ci_low", "ci_high", "p05", "p50", "p95", "n"]
    low, high = st.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=st.sem(x))
    assert s.loc["a", "mean"] == pytest.approx(x.mean(), rel=1e-15)
    assert s.loc["a", "std"] == pytest.approx(x.std(ddof=1), rel=1e-15)
    assert s.loc["a", "ci_low"] == pytest.approx(low, rel=1e-14)
    assert s.loc["a", "ci_high"] == pytest.approx(high, rel=1e-14)
    q = np.quantile(x, [0.05, 0.5, 0.95])
    assert s.loc["a", ["p05", "p50", "p95"]].tolist() == pytest.approx(q.tolist())
    assert s.loc["a", "n"] == 8
    assert s["n"].dtype == np.int64


def test_summary_drops_nans_per_metric_and_handles_degenerate_cases() -> None:
    df = pd.DataFrame(
        {
            "replication": range(5),
            "seed": 7,
            "with_nan": [1.0, np.nan, 3.0, np.nan, 5.0],
            "constant": [2.0] * 5,
            "one": [np.nan, np.nan, 4.0, np.nan, np.nan],
            "none": [np.nan] * 5,
        }
    )
    s = summarize(df)
    assert s.loc["with_nan", "n"] == 3
    assert s.loc["with_nan", "mean"] == 3.0
    low, high = st.t.interval(0.95, 2, loc=3.0, scale=2.0 / math.sqrt(3))
    assert s.loc["with_nan", "ci_low"] == pytest.approx(low)
    assert s.loc["with_nan", "ci_high"] == pytest.approx(high)
    assert (s.loc["constant", ["mean", "ci_low", "ci_high", "p05", "p95"]] == 2.0).all()
    assert s.loc["constant", "std"] == 0.0
    assert s.loc["one", "n"] == 1 and s.loc["one", "mean"] == 4.0
    assert math.isnan(s.loc["one", "ci_low"])
    assert s.loc["none", "n"] == 0 and math.isnan(s.loc["none", "mean"])


def test_paired_difference_joins_on_replication() -> None:
    a = pd.DataFrame({"replication": [0, 1, 2, 3], "x": [10.0, 12.0, 9.0, 11.0]})
    b = pd.DataFrame({"replication": [3, 2, 1, 0, 4], "x": [10.0, 8.5, 11.0, 9.0, 99.0]})
    d = paired_difference(a, b, ["x"])
    diffs = np.array([1.0, 1.0, 0.5, 1.0])
    assert list(d.columns) == ["mean", "std", "ci_low", "ci_high", "n"]
    assert d.loc["x", "n"] == 4
    assert d.loc["x", "mean"] == pytest.approx(diffs.mean())
    low, high = st.t.interval(0.95, 3, loc=diffs.mean(), scale=st.sem(diffs))
    assert (d.loc["x", "ci_low"], d.loc["x", "ci_high"]) == pytest.approx((low, high))
    with pytest.raises(ValueError, match="no column"):
        paired_difference(a, b, ["y"])


def test_rel_halfwidth() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    s = describe(x)
    assert rel_halfwidth(x) == pytest.approx((s["ci_high"] - s["ci_low"]) / 2 / 2.5)
    assert rel_halfwidth(np.array([1.0, 1.0])) == 0.0
    assert math.isinf(rel_halfwidth(np.array([-1.0, 1.0])))
    assert math.isnan(rel_halfwidth(np.array([1.0])))


def _series(rng: np.random.Generator, n: int) -> np.ndarray:
    # Values like barrels: large, with fractional parts, some identical.
    x = rng.gamma(2.0, 3e6, size=(n, 2, 5, 3))
    x[:, :, 0, :] = 0.0
    x[:, 1, 1, 2] = 1.0 / 3.0
    return x


def test_daily_aggregate_is_order_and_chunking_independent() -> None:
    rng = np.random.default_rng(5)
    n = 60
    series = _series(rng, n)
    reps = np.arange(n)
    keys = sample_keys(11, reps)

    def fold(order: np.ndarray, chunk: int) -> DailyAggregate:
        agg = DailyAggregate(("blockade", "baseline"), 5, ("a", "b", "c"), capacity=16)
        for start in range(0, n, chunk):
            idx = order[start : start + chunk]
            agg.add(reps[idx], keys[idx], series[idx])
        return agg

    ref = fold(reps, 7)
    for seed, chunk in [(1, 1), (2, 13), (3, 60)]:
        other = fold(np.random.default_rng(seed).permutation(n), chunk)
        assert np.array_equal(ref.means(), other.means(), equal_nan=True)
        assert np.array_equal(ref.quantiles(), other.quantiles())
        assert set(ref.sample_reps[: ref.filled]) == set(other.sample_reps[: other.filled])
    # The sample is the bottom-16 by key, and the means are the true means (to 2**-16).
    assert set(ref.sample_reps[: ref.filled]) == set(reps[np.argsort(keys)[:16]])
    assert np.allclose(ref.means(), series.mean(axis=0), rtol=1e-12, atol=2.0**-16)
    assert ref.means()[1, 1, 2] == pytest.approx(1.0 / 3.0, abs=2.0**-17)


def test_daily_aggregate_state_round_trip_and_frame() -> None:
    rng = np.random.default_rng(9)
    series = _series(rng, 30)
    reps = np.arange(30)
    keys = sample_keys(3, reps)
    whole = DailyAggregate(("blockade", "baseline"), 5, ("a", "b", "c"), capacity=8)
    whole.add(reps, keys, series)
    split = DailyAggregate(("blockade", "baseline"), 5, ("a", "b", "c"), capacity=8)
    for part in (slice(0, 11), slice(11, 30)):
        piece = DailyAggregate(("blockade", "baseline"), 5, ("a", "b", "c"), capacity=8)
        piece.add(reps[part], keys[part], series[part])
        split.merge_state(piece.state())
    pd.testing.assert_frame_equal(
        whole.frame("2025-12-10"), split.frame("2025-12-10"), check_exact=True
    )
    frame = whole.frame("2025-12-10")
    assert list(frame.columns[:3]) == ["world", "day", "date"]
    assert "a_mean" in frame and "c_p95" in frame
    assert frame["world"].tolist() == ["blockade"] * 5 + ["baseline"] * 5
    wrong = DailyAggregate(("blockade",), 5, ("a", "b", "c"))
    with pytest.raises(ValueError, match="saved daily aggregate"):
        wrong.merge_state(whole.state())


def test_time_to_event_reports_no_mean_over_the_runs_where_it_happened() -> None:
    # 7 of 10 runs filled storage (NaN: not by the horizon); the median is the 5.5th time.
    days = [30.0, 12.0, np.nan, 20.0, 40.0, np.nan, 25.0, 35.0, np.nan, 50.0]
    s = summarize(pd.DataFrame({"replication": range(10), "days_to_storage_full": days}))
    assert list(s.index) == ["days_to_storage_full", "days_to_storage_full_share"]
    row = s.loc["days_to_storage_full"]
    assert row[["mean", "std", "ci_low", "ci_high"]].isna().all()  # not the mean of the 7
    assert row["n"] == 10
    assert row["p50"] == pytest.approx((35.0 + 40.0) / 2)  # sorted: ..., 35, 40, 50, inf x3
    assert row["p05"] == pytest.approx(12.0 + (20.0 - 12.0) * 0.45)
    assert math.isnan(row["p95"])  # falls among the runs that never filled
    share = s.loc["days_to_storage_full_share"]
    low, high = st.t.interval(0.95, 9, loc=0.7, scale=st.sem([1.0] * 7 + [0.0] * 3))
    assert (share["mean"], share["n"]) == (pytest.approx(0.7), 10)
    assert (share["ci_low"], share["ci_high"]) == pytest.approx((low, high))


@pytest.mark.parametrize(("happened", "median"), [(5, math.nan), (6, 5.5), (0, math.nan)])
def test_time_to_event_median_needs_more_than_half(happened: int, median: float) -> None:
    days = [float(d) for d in range(1, happened + 1)] + [np.nan] * (10 - happened)
    s = summarize(
        pd.DataFrame({"days_to_first_seizure": days, "baseline_days_to_first_seizure": days})
    )
    for m in ("days_to_first_seizure", "baseline_days_to_first_seizure"):
        got = s.loc[m, "p50"]
        assert math.isnan(got) if math.isnan(median) else got == pytest.approx(median), m
        assert s.loc[f"{m}_share", "mean"] == happened / 10


def test_cli_note_gives_the_share_and_the_median_not_a_mean() -> None:
    from types import SimpleNamespace

    from sim.cli.summary import time_to_event_note

    def note(days: list[float]) -> str:
        reps = pd.DataFrame({"replication": range(len(days)), "days_to_storage_full": days})
        return time_to_event_note(
            SimpleNamespace(replications=reps, summary=summarize(reps)), "days_to_storage_full"
        )

    assert note([30.0, np.nan, np.nan, 40.0]) == (
        "median not reached; full by the horizon in 2/4 replications"
    )
    assert note([30.0, 31.0, np.nan, 40.0, 35.0]) == (
        "median 35.0 d; full by the horizon in 4/5 replications"
    )


def test_bimodality_finds_two_clusters_and_nothing_in_one() -> None:
    """A 3:1 mixture of normals 5 sd apart is bimodal near its two centres; a normal, a skewed
    lognormal, a 5% outlier group and a small sample are not."""
    from sim.experiment.stats import bimodality

    rng = np.random.default_rng(7)
    modes = bimodality(np.r_[rng.normal(0, 1, 150), rng.normal(5, 1, 50)])
    assert modes is not None and abs(modes[0]) < 0.6 and abs(modes[1] - 5) < 0.6
    assert bimodality(rng.normal(0, 1, 400)) is None
    assert bimodality(rng.lognormal(0, 1, 400)) is None
    assert bimodality(np.r_[rng.normal(0, 1, 190), rng.normal(6, 1, 10)]) is None
    assert bimodality(np.r_[rng.normal(0, 1, 15), rng.normal(5, 1, 15)]) is None  # < 40 runs
    assert bimodality(np.full(100, 3.0)) is None
    # the same shape far from zero: two clusters 6% apart (one cargo more or less) are not
    # worth a flag; 20% apart they are
    near = np.r_[rng.normal(12.2, 0.1, 150), rng.normal(13.0, 0.1, 50)]
    assert bimodality(near) is None
    far = np.r_[rng.normal(12.2, 0.1, 150), rng.normal(14.6, 0.1, 50)]
    assert bimodality(far) is not None


def test_tail_share_counts_below_and_ignores_nan() -> None:
    from sim.experiment.stats import tail_share

    assert tail_share([0.1, 0.4, 0.6, float("nan"), 0.5], 0.5) == (2, 4)


def test_paired_difference_refuses_replications_run_with_other_seeds() -> None:
    """Pairing on the replication index alone would silently lose common random numbers."""
    from sim.experiment.stats import paired_difference

    a = pd.DataFrame({"replication": [0, 1, 2], "seed": [5, 5, 5], "x": [1.0, 2.0, 3.0]})
    b = a.assign(x=[2.0, 2.0, 5.0])
    assert paired_difference(b, a, ["x"]).loc["x", "mean"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="replication 0 ran with seed 6 in a and 5 in b"):
        paired_difference(b.assign(seed=6), a, ["x"])


# --------------------------------------------------------------------------- variance split


def _known_split(n: int, noise_var: float, rng: np.random.Generator) -> tuple:
    """Y = f(theta) + noise, theta ~ U(0,1)^3: f has a linear, a quadratic and a pairwise
    term, uncorrelated, so Var f = 4/12 + 36/180 + 36/144 exactly."""
    theta = rng.uniform(size=(n, 3))
    f = 2 * theta[:, 0] + 6 * (theta[:, 1] - 0.5) ** 2
    f += 6 * (theta[:, 0] - 0.5) * (theta[:, 2] - 0.5)
    return f + rng.normal(0.0, math.sqrt(noise_var), n), theta


VAR_F = 4 / 12 + 36 / 180 + 36 / 144


@pytest.mark.parametrize(("noise_var", "true_share"), [(VAR_F, 0.5), (3 * VAR_F, 0.25)])
def test_parameter_share_recovers_a_known_split(noise_var: float, true_share: float) -> None:
    """The adjusted R^2 lands within 4 of its own standard errors of the true share (the
    standard error itself checked against the spread over 100 seeds within a factor 1.5)."""
    from sim.experiment.stats import parameter_share

    rng = np.random.default_rng(2024)
    fits = [parameter_share(*_known_split(400, noise_var, rng)) for _ in range(100)]
    first = fits[0]
    assert first.reason == "" and first.n == 400 and first.terms == 9
    assert abs(first.share - true_share) < 4 * first.se
    shares = np.array([s.share for s in fits])
    assert abs(shares.mean() - true_share) < 4 * shares.std() / 10  # unbiased
    assert 1 / 1.5 < np.mean([s.se for s in fits]) / shares.std() < 1.5


def test_parameter_share_is_zero_for_noise_and_one_without_it() -> None:
    from sim.experiment.stats import parameter_share

    rng = np.random.default_rng(5)
    noise = parameter_share(rng.normal(size=500), rng.uniform(size=(500, 2)))
    assert abs(noise.share) < 4 * noise.se and noise.se < 0.05
    y, theta = _known_split(400, 0.0, rng)
    exact = parameter_share(y, theta)
    assert exact.share == pytest.approx(1.0, abs=1e-9)


def test_parameter_share_refuses_too_few_runs_and_drops_nan_and_constants() -> None:
    from sim.experiment.stats import parameter_share, split_runs_needed

    rng = np.random.default_rng(1)
    assert split_runs_needed(1) == 30 and split_runs_needed(3) == 90
    y, theta = _known_split(89, 1.0, rng)  # too few for the pairs: squares only (6 terms)
    fewer = parameter_share(y, theta)
    assert fewer.fit == "quadratic without pairwise terms" and fewer.terms == 6
    y, theta = _known_split(29, 1.0, rng)  # too few even for a linear fit (3 terms need 30)
    few = parameter_share(y, theta)
    assert math.isnan(few.share) and few.reason.startswith("too few replications to split")
    assert "29" in few.reason and "30" in few.reason
    y, theta = _known_split(200, 1.0, rng)
    y[:5] = np.nan
    constant = np.column_stack([theta[:, :1], np.full(200, 3.0)])
    fit = parameter_share(y, constant)
    assert fit.n == 195 and fit.terms == 2 and not fit.reason
    none = parameter_share(y, np.full((200, 1), 3.0))
    assert none.reason == "no uncertain parameter varied"
