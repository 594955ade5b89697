"""Calibration (sim.calibration): priors, particles, the folder's life, and that it works."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from cli_helpers import blockade, ok, refused
from scipy import stats

import sim
from sim.calibration import Settings, calibrate, load_observations, parse_observations
from sim.calibration import simulator as simulator_module
from sim.calibration.priors import check_priors, scipy_args
from sim.calibration.simulator import Simulator, needed_horizon, particle_config
from sim.config import ConfigError, as_dist, scenarios_dir
from sim.experiment.store import RunFolderMismatch

OBSERVATIONS = scenarios_dir() / "observations" / "venezuela_dec2025.yaml"
TWO_KEYS = (
    "uncertain={navy.detection_prob: {dist: uniform, low: 0.6, high: 0.98}, "
    "behaviour.offer.premium: {dist: uniform, low: 0.5, high: 6.0}}"
)


def small_settings(**kw: object) -> Settings:
    base: dict[str, object] = dict(
        population=40, max_simulations=600, max_generations=3, sampler="serial", predictive=20
    )
    return Settings(**(base | kw))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def cfg() -> sim.Config:
    return sim.load_config("venezuela_dec2025", [TWO_KEYS])


@pytest.mark.parametrize(
    "dist",
    [
        {"dist": "uniform", "low": 1.0, "high": 5.0},
        {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 5.0},
        {"dist": "lognormal", "median": 2.0, "sigma": 0.5},
        {"dist": "exponential", "mean": 3.0},
        {"dist": "gamma", "mean": 3.0, "cv": 0.4},
    ],
)
def test_prior_is_the_same_law_as_the_config_draws(dist: dict[str, float]) -> None:
    d = as_dist(dist)
    name, kwargs = scipy_args(d)
    law = getattr(stats, name)(**kwargs)
    for u in (0.05, 0.3, 0.5, 0.9):
        assert law.ppf(u) == pytest.approx(d.ppf(u), rel=1e-9)


def test_nothing_uncertain_or_a_fixed_prior_is_refused() -> None:
    with pytest.raises(ConfigError, match="uncertain: the scenario declares no uncertain keys"):
        check_priors(sim.load_config("venezuela_dec2025", ["uncertain={}"]))
    fixed = sim.load_config("venezuela_dec2025", ["uncertain={navy.detection_prob: 0.9}"])
    with pytest.raises(ConfigError, match=r"uncertain.navy.detection_prob: a fixed value"):
        check_priors(fixed)


def test_a_particle_runs_only_the_days_the_observations_need(cfg: sim.Config) -> None:
    obs = load_observations(OBSERVATIONS, cfg)
    assert needed_horizon(cfg, obs) == 22
    short = Simulator(particle_config(cfg, obs), obs, tuple(cfg.uncertain), 7)
    whole = Simulator(cfg.model_copy(update={"uncertain": {}}), obs, tuple(cfg.uncertain), 7)
    values = {"navy.detection_prob": 0.8, "behaviour.offer.premium": 2.0}
    for replication in range(4):
        assert np.array_equal(
            short.figures(values, replication), whole.figures(values, replication)
        )


def test_a_metric_observation_keeps_the_whole_horizon(cfg: sim.Config) -> None:
    obs = parse_observations(
        {
            "name": "m",
            "observations": [
                {"id": "S", "what": "seizures", "metric": "seizures", "statistic": "value",
                 "value": 10, "uncertainty": 3, "source": "test"}
            ],
        },
        cfg,
    )  # fmt: skip
    assert needed_horizon(cfg, obs) == cfg.horizon_days


@pytest.fixture(scope="module")
def done(cfg: sim.Config, tmp_path_factory: pytest.TempPathFactory) -> sim.calibration.Calibration:
    return calibrate(cfg, OBSERVATIONS, tmp_path_factory.mktemp("cal") / "cal", small_settings())


def test_calibration_writes_its_folder_and_reads_it_back(cfg: sim.Config, done) -> None:
    out, result = done.folder, done
    for name in ("posterior.parquet", "generations.csv", "predictive.csv", "manifest.json"):
        assert (out / name).is_file(), name
    for name in ("marginals.png", "pairs.png", "predictive.png"):
        assert (out / "plots" / name).stat().st_size > 1000
    post = pd.read_parquet(out / "posterior.parquet")
    assert list(post.columns) == [*cfg.uncertain, "weight"]
    assert post["weight"].sum() == pytest.approx(1.0)
    assert len(post) == 40
    gens = result.generations
    assert {"temperature", "acceptance_rate", "ess", "samples"} <= set(gens.columns)
    assert (gens["acceptance_rate"] > 0).all() and (gens["acceptance_rate"] <= 1).all()
    assert gens["temperature"].is_monotonic_decreasing
    assert set(result.predictive["id"]) == {"O1", "O2", "O3-O4"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] in ("complete", "budget")
    assert manifest["simulations"] == gens["samples"].sum() + 40  # + pyabc's calibration sample
    again = calibrate(cfg, OBSERVATIONS, out, small_settings())
    assert again.manifest["attempts"] == 1  # read back, not redone
    pd.testing.assert_frame_equal(again.posterior, result.posterior)


def test_another_calibration_into_the_folder_is_refused(cfg: sim.Config, done, tmp_path) -> None:
    out = done.folder
    with pytest.raises(RunFolderMismatch, match="holds another calibration"):
        calibrate(cfg, OBSERVATIONS, out, small_settings(population=50))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderMismatch, match="not a calibration"):
        calibrate(cfg, OBSERVATIONS, tmp_path / "other", small_settings())


def test_serial_calibration_is_reproducible(cfg: sim.Config, tmp_path) -> None:
    a = calibrate(cfg, OBSERVATIONS, tmp_path / "a", small_settings(max_generations=1))
    b = calibrate(cfg, OBSERVATIONS, tmp_path / "b", small_settings(max_generations=1))
    pd.testing.assert_frame_equal(a.posterior, b.posterior)
    pd.testing.assert_frame_equal(a.predictive, b.predictive)


def test_an_interrupted_calibration_resumes_from_its_history(
    cfg: sim.Config, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "cal"
    calls = {"n": 0}
    real = simulator_module.Simulator.__call__

    def interrupted(self: Simulator, parameters: dict[str, float]) -> dict[str, float]:
        calls["n"] += 1
        if calls["n"] > 250:  # in the second or third generation
            raise KeyboardInterrupt
        return real(self, parameters)

    monkeypatch.setattr(simulator_module.Simulator, "__call__", interrupted)
    settings = small_settings(max_generations=3, max_simulations=5000)
    with pytest.raises(KeyboardInterrupt):
        calibrate(cfg, OBSERVATIONS, out, settings)
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    monkeypatch.setattr(simulator_module.Simulator, "__call__", real)
    done_before = int(sim.calibration.run._history(out).max_t)  # type: ignore[attr-defined]
    assert done_before >= 0
    result = calibrate(cfg, OBSERVATIONS, out, settings)
    assert result.manifest["attempts"] == 2
    assert result.manifest["reproducible"] is False
    assert len(result.generations) == 3  # the stored generations, then the rest
    assert result.manifest["status"] == "complete"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--observations", "nope.yaml"], ["nope.yaml", "cannot read"]),
        (["--population", "5"], ["population: must be at least 20"]),
        (["--sampler", "gpu"], ["--sampler", "invalid choice"]),
        (["navy.detection_prb=0.5"], ["navy.detection_prb"]),
        (["uncertain={}"], ["nothing to calibrate"]),
    ],
)
def test_cli_mistakes_are_one_line(tmp_path, args: list[str], words: list[str]) -> None:
    refused(blockade("calibrate", *args, "--out", "cal", cwd=tmp_path), *words)
    assert not (tmp_path / "cal").exists()


def test_cli_calibrates_and_prints_the_posterior(tmp_path) -> None:
    proc = ok(
        blockade(
            "calibrate", TWO_KEYS, "--sampler", "serial", "--population", "20",
            "--max-simulations", "300", "--generations", "1", "--predictive", "10",
            "--out", "cal", cwd=tmp_path,
        )
    )  # fmt: skip
    assert "90% credible" in proc.stdout and "navy.detection_prob" in proc.stdout
    assert "Posterior predictive" in proc.stdout and "O3-O4" in proc.stdout
    assert (tmp_path / "cal" / "posterior.parquet").is_file()


def test_the_fit_leaves_out_the_keys_no_observation_depends_on():
    from sim.calibration.priors import fitted

    cfg = sim.load_config("venezuela_dec2025")
    kept = fitted(cfg)
    assert {k for k in cfg.uncertain if k.startswith("market.")} == {
        "market.price_usd_per_bbl",
        "market.discount_usd_per_bbl",
    }
    assert set(kept.uncertain) == {k for k in cfg.uncertain if not k.startswith("market.")}
    assert len(kept.uncertain) == 6 and kept.market == cfg.market
    barrels_only = kept
    assert fitted(barrels_only) is barrels_only
