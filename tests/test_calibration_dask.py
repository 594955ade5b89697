"""The Dask sampler: a calibration through a dask.distributed scheduler (an in-process one)."""

from __future__ import annotations

import pytest

import sim
from sim.calibration import Settings, calibrate
from sim.config import scenarios_dir

distributed = pytest.importorskip("distributed")


def test_a_calibration_runs_on_a_dask_cluster(tmp_path) -> None:
    cfg = sim.load_config(
        "venezuela_dec2025",
        ["uncertain={navy.detection_prob: {dist: uniform, low: 0.6, high: 0.98}}"],
    )
    obs = scenarios_dir() / "observations" / "venezuela_dec2025.yaml"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        settings = Settings(
            population=20, max_simulations=400, max_generations=1, sampler="dask",
            dask_address=cluster.scheduler_address, predictive=10, plots=False,
        )  # fmt: skip
        result = calibrate(cfg, obs, tmp_path / "cal", settings)
    assert len(result.posterior) == 20
    assert result.manifest["reproducible"] is True  # particles are seeded by number
    assert result.posterior["navy.detection_prob"].between(0.6, 0.98).all()
