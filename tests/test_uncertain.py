"""``uncertain``: config keys drawn afresh per replication, on streams of their own."""

from __future__ import annotations

import pandas as pd
import pytest
from cli_helpers import blockade

import sim

DELAY = "court.delay_days.median"
ONE = f"uncertain={{{DELAY}: {{dist: uniform, low: 1, high: 5}}}}"
TWO = (
    f"uncertain={{{DELAY}: {{dist: uniform, low: 1, high: 5}},"
    " navy.boarding_teams: {dist: uniform, low: 1, high: 5}}"
)


def config(*overrides: str) -> sim.Config:
    # the scenario's posterior would draw the delay too: these tests see the ranges alone
    return sim.load_config(
        "venezuela_dec2025", [*overrides, "horizon_days=40", "experiment.posterior=null"]
    )


@pytest.fixture(scope="module")
def result() -> sim.ExperimentResult:
    return sim.run_experiment(config(TWO), replications=8, workers=1, executor="serial")


def test_each_replication_has_its_own_draw_in_its_own_column(result) -> None:
    """One column per key; values vary between replications and stay in their ranges."""
    rows = result.replications
    assert {DELAY, "navy.boarding_teams"} <= set(rows.columns)
    assert rows[DELAY].between(1, 5).all() and rows[DELAY].nunique() == len(rows)
    assert set(rows["navy.boarding_teams"]) <= {1.0, 2.0, 3.0, 4.0, 5.0}  # an int key: rounded


def test_simulate_alone_reproduces_a_row(result) -> None:
    """simulate(cfg, seed, replication=i) draws the same values and gives the same metrics."""
    cfg = result.config
    row = result.replications.iloc[5]
    rep = sim.simulate(cfg, seed=cfg.experiment.seed, replication=5, record_events=False)
    assert rep.parameters[DELAY] == row[DELAY]
    assert rep.metrics["exported_bbl"] == row["exported_bbl"]
    assert sim.simulate(cfg.baseline(), seed=cfg.experiment.seed, replication=5).parameters == (
        rep.parameters
    )  # the paired baseline draws the same


def test_the_draws_are_the_same_at_every_sweep_point_and_with_more_keys(result) -> None:
    """Another lever's value, or another uncertain key, does not move a key's draws."""
    other = sim.run_experiment(
        config(ONE, "navy.detection_prob=0.5"), replications=8, workers=1, executor="serial"
    )
    pd.testing.assert_series_equal(other.replications[DELAY], result.replications[DELAY])
    assert (other.replications["export_decline"] != result.replications["export_decline"]).any()


def test_the_same_numbers_on_every_executor(result) -> None:
    again = sim.run_experiment(result.config, replications=8, workers=2, executor="processes")
    pd.testing.assert_frame_equal(again.replications, result.replications)


def test_a_key_set_on_the_command_line_is_fixed() -> None:
    """key=value fixes the key (and a mapping set above it fixes what is under it)."""
    assert DELAY not in config(ONE, f"{DELAY}=3").uncertain
    assert DELAY not in config(ONE, "court.delay_days={dist: fixed, value: 2}").uncertain
    assert DELAY in config(ONE, "court.capacity=3").uncertain


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{navy.teams: {dist: uniform, low: 1, high: 5}}", "uncertain.navy.teams: not a config"),
        ("{court.policy: 3}", "uncertain.court.policy: must name a number"),
        ("{court.delay_days: 3}", "uncertain.court.delay_days: must name a number"),
        (
            "{navy.detection_prob: {dist: uniform, low: 0.5, high: 1.5}}",
            "uncertain.navy.detection_prob: its high (1.5) is refused",
        ),
        ("{experiment.seed: 3}", "uncertain.experiment.seed: cannot be drawn"),
        ("{navy.detection_prob: {dist: normal, mean: 1}}", "uncertain.navy.detection_prob.dist"),
    ],
)
def test_a_bad_entry_is_one_line_naming_it(entry: str, message: str) -> None:
    with pytest.raises(sim.ConfigError) as info:
        config(f"uncertain={entry}")
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_a_swept_key_that_is_uncertain_is_refused(tmp_path) -> None:
    """Exit 2, one line naming uncertain.KEY, nothing written."""
    out = tmp_path / "sweep"
    res = blockade("-m", ONE, f"{DELAY}=2,4", f"hydra.sweep.dir={out}", cwd=tmp_path)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"blockade: error: uncertain.{DELAY}:")
    assert not out.exists()


def test_a_swept_key_the_scenario_draws_is_fixed_at_each_point(tmp_path) -> None:
    """The scenario declares navy.detection_prob uncertain: a sweep fixes it, and says so."""
    out = tmp_path / "sweep"
    res = blockade(
        "-m", "navy.detection_prob=0.8,0.9", "horizon_days=20", "experiment.replications=4",
        "experiment.executor=serial", f"hydra.sweep.dir={out}", cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "note: navy.detection_prob is swept, so each point fixes it" in res.stderr
    for job in ("0", "1"):
        rows = pd.read_parquet(out / job / "replications.parquet")
        assert "navy.detection_prob" not in rows.columns
        assert DELAY in rows.columns  # the scenario's other keys are still drawn
