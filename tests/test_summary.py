"""The run summary tells the interval of the mean from the spread of single runs."""

from __future__ import annotations

import dataclasses

import numpy as np

import sim
from sim.cli.summary import format_summary
from sim.experiment.stats import summarize


def small_run(*overrides: str) -> sim.ExperimentResult:
    cfg = sim.load_config("venezuela_dec2025", ["horizon_days=30", *overrides])
    return sim.run_experiment(cfg, replications=6, workers=1, executor="serial", progress=False)


def test_the_table_shows_the_spread_of_single_runs_and_a_tail_probability() -> None:
    res = small_run()
    text = format_summary(res)
    assert "95% CI of the mean" in text and "one run, p05 to p95" in text
    decline = res.replications["export_decline"]
    below = int((decline < 0.5).sum())
    share = f"{below / len(decline):.0%}"
    assert f"P(export decline < 50%): {share} of replications ({below} of 6)" in text
    assert "Bimodal" not in text


def test_a_bimodal_decline_is_flagged_in_one_line() -> None:
    """Runs in two clusters (10% and 70%) get a line naming both, not only a mean of 25%."""
    res = small_run()
    rng = np.random.default_rng(3)
    decline = np.r_[rng.normal(0.10, 0.02, 75), rng.normal(0.70, 0.02, 25)]
    reps = res.replications.sample(100, replace=True, random_state=1).reset_index(drop=True)
    reps["export_decline"] = decline
    reps["replication"] = np.arange(100)
    fake = dataclasses.replace(res, replications=reps, summary=summarize(reps))
    lines = [
        ln for ln in format_summary(fake).splitlines() if ln.startswith("Bimodal: export decline")
    ]
    assert len(lines) == 1  # (the other columns repeat 6 runs: they may cluster too)
    assert lines[0].startswith("Bimodal: export decline clusters near 9.")
    assert " and 70" in lines[0] and "%" in lines[0]


UNCERTAIN = "uncertain={court.delay_days.median: {dist: uniform, low: 1, high: 5}}"


def test_the_variance_split_is_shown_when_parameters_are_uncertain() -> None:
    """Export decline = 0.1 x (the drawn delay) + noise of equal variance: parameters explain
    about half of it; six real runs are too few to split."""
    cfg = sim.load_config("venezuela_dec2025", ["horizon_days=30", UNCERTAIN])
    res = sim.run_experiment(cfg, replications=6, workers=1, executor="serial", progress=False)
    key = "court.delay_days.median"
    assert key in res.replications.columns
    text = format_summary(res)
    assert (
        "Variance split over the uncertain parameters: too few replications to split "
        "(6; even a linear fit needs 30)" in text
    )
    rng = np.random.default_rng(8)
    reps = res.replications.sample(400, replace=True, random_state=2).reset_index(drop=True)
    reps[key] = rng.uniform(1, 5, 400)
    sd = 0.1 * 4 / np.sqrt(12)
    reps["export_decline"] = 0.1 * reps[key] + rng.normal(0, sd, 400)
    fake = dataclasses.replace(res, replications=reps, summary=summarize(reps))
    lines = format_summary(fake).splitlines()
    head = next(ln for ln in lines if ln.startswith("Variance split, an estimate"))
    assert key in head and "400 replications" in head
    assert "the rest is chance within a run (and what the fit misses)" in head
    decline = next(ln for ln in lines if ln.startswith("  Export decline: about "))
    share = float(decline.split("about ")[1].split("%")[0])
    assert 40 < share < 60  # the true share is 50%, its standard error about 4 points


def test_a_run_without_uncertain_keys_has_no_split() -> None:
    assert "Variance split" not in format_summary(small_run("uncertain={}"))


def test_the_header_says_where_parameter_uncertainty_comes_from() -> None:
    """The default run draws from the shipped posterior; the point run draws nothing."""
    text = format_summary(small_run())
    assert "Uncertain: 8 keys drawn from experiment.posterior (posterior/venezuela_dec2025" in text
    assert "Uncertain:" not in format_summary(small_run("uncertain={}"))
    prior = format_summary(small_run("experiment.posterior=null"))
    assert "drawn from their ranges in `uncertain`" in prior
