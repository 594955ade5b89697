"""Running on Dask: chunk sizes from the per-task overhead, an unreachable scheduler in one
line, and experiments, sweeps and calibrations on a LocalCluster giving serial's numbers."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import sim
from sim.calibration import Settings, calibrate
from sim.config import scenarios_dir
from sim.experiment import ExperimentResult, executors, load_results, run_experiment
from sim.experiment.executors import OVERHEAD_SHARE, chunk_size
from sim.experiment.store import RunFolder

OBSERVATIONS = scenarios_dir() / "observations" / "venezuela_dec2025.yaml"


@pytest.mark.parametrize(
    ("sec_per_rep", "overhead"), [(0.004, 0.017), (0.001, 0.0015), (0.05, 0.002), (0.0035, 0.0)]
)
def test_a_chunk_is_the_fewest_replications_whose_overhead_is_at_most_the_share(
    sec_per_rep: float, overhead: float
) -> None:
    n = chunk_size(sec_per_rep, overhead)

    def share(k: int) -> float:
        return overhead / (k * sec_per_rep + overhead)

    assert share(n) <= OVERHEAD_SHARE + 1e-12
    assert n == 1 or share(n - 1) > OVERHEAD_SHARE


def test_the_chunk_size_formula_by_hand() -> None:
    # 17 ms of overhead against 3.5 ms replications: n >= 17 * 0.95 / (0.05 * 3.5) = 92.3
    assert chunk_size(0.0035, 0.017) == 93
    assert chunk_size(0.0035, 0.017, share=0.10) == math.ceil(17 * 0.9 / (0.1 * 3.5))
    assert chunk_size(1.0, 0.017) == 1  # long replications: one per task


@pytest.mark.parametrize("args", [(0.0, 0.01), (-1.0, 0.01), (0.01, -0.1), (float("nan"), 0.01)])
def test_a_nonsense_chunk_size_argument_is_refused(args: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match=r"^chunk_size: "):
        chunk_size(*args)


def test_an_executor_chunks_by_the_larger_of_its_floor_and_its_overhead() -> None:
    ex = executors.Executor()
    ex.task_seconds, ex.overhead_seconds = 0.05, 0.02
    assert ex.chunk_for(0.004) == chunk_size(0.004, 0.02) == 95
    ex.overhead_seconds = 0.0
    assert ex.chunk_for(0.004) == 13  # 0.05 s of work at least


def test_an_unreachable_scheduler_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(executors, "DASK_CONNECT_SECONDS", 0.5)
    from sim.cli import main

    argv = [
        "experiment.executor=dask",
        "experiment.dask_address=tcp://127.0.0.1:9",
        "experiment.replications=4",
        f"hydra.run.dir={tmp_path / 'run'}",
    ]
    with pytest.raises(SystemExit) as exit_:  # the Hydra job exits (the console script: 2)
        main(argv)
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("blockade: error: experiment.dask_address: no dask scheduler")
    assert "tcp://127.0.0.1:9" in lines[0] and "Traceback" not in lines[0]


# ----------------------------------------------------------- on a cluster: serial's numbers

SMALL = ["horizon_days=30", "uncertain={}"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The address of an in-process LocalCluster of two one-thread workers."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as c:
        yield c.scheduler_address


def assert_same(a: ExperimentResult, b: ExperimentResult) -> None:
    pd.testing.assert_frame_equal(a.replications, b.replications, check_exact=True)
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)


def test_an_experiment_and_its_resume_on_a_cluster_are_serials(cluster: str, tmp_path) -> None:
    cfg = sim.load_config("venezuela_dec2025", [*SMALL, f"experiment.dask_address={cluster}"])
    serial = run_experiment(cfg, replications=24, executor="serial", progress=False)
    commits = {"n": 0}
    real = RunFolder.commit_part

    def cut(self: RunFolder, *args: Any, **kwargs: Any) -> None:
        commits["n"] += 1
        if commits["n"] > 2:
            raise KeyboardInterrupt
        real(self, *args, **kwargs)

    out = tmp_path / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RunFolder, "commit_part", cut)
        with pytest.raises(KeyboardInterrupt):
            run_experiment(cfg, replications=24, executor="serial", out_dir=out, chunk_size=4)
    resumed = run_experiment(cfg, replications=24, executor="dask", out_dir=out, progress=False)
    assert resumed.manifest["executor"] == "dask" and resumed.manifest["workers"] == 2
    assert_same(serial, resumed)
    assert_same(serial, load_results(out))


def test_a_sweep_on_a_cluster_is_serials(cluster: str, tmp_path) -> None:
    from sim.cli import main

    dask = ["experiment.executor=dask", f"experiment.dask_address={cluster}"]
    argv = ["-m", *SMALL, "experiment.replications=8", "navy.boarding_teams=1,3", *dask]
    assert main([*argv, f"hydra.sweep.dir={tmp_path}"]) == 0
    table = pd.read_parquet(tmp_path / "sweep.parquet")
    assert sorted(table["navy.boarding_teams"]) == [1, 3]
    for job, teams in zip(table["job"], table["navy.boarding_teams"], strict=True):
        point = sim.load_config("venezuela_dec2025", [*SMALL, f"navy.boarding_teams={teams}"])
        serial = run_experiment(point, replications=8, executor="serial", progress=False)
        on_dask = load_results(tmp_path / str(job))
        assert on_dask.manifest["executor"] == "dask"
        pd.testing.assert_frame_equal(serial.replications, on_dask.replications, check_exact=True)
        pd.testing.assert_frame_equal(serial.summary, on_dask.summary, check_exact=True)


def test_a_calibration_on_a_cluster_is_serials(cluster: str, tmp_path) -> None:
    cfg = sim.load_config(
        "venezuela_dec2025",
        ["uncertain={navy.detection_prob: {dist: uniform, low: 0.85, high: 0.95}}"],
    )  # a narrow prior: a second generation (the perturbation kernel) within 300 simulations
    base = dict(population=20, max_simulations=300, max_generations=2, predictive=10, plots=False)
    results = {
        name: calibrate(cfg, OBSERVATIONS, tmp_path / name, Settings(**base, **kw))  # type: ignore[arg-type]
        for name, kw in (
            ("serial", {"sampler": "serial"}),
            ("dask", {"sampler": "dask", "dask_address": cluster}),
        )
    }
    serial, dask = results["serial"], results["dask"]
    assert len(serial.generations) == 2 and dask.manifest["reproducible"] is True
    pd.testing.assert_frame_equal(serial.posterior, dask.posterior, check_exact=True)
    pd.testing.assert_frame_equal(serial.predictive, dask.predictive, check_exact=True)
    pd.testing.assert_frame_equal(serial.generations.drop(columns="seconds"),
                                  dask.generations.drop(columns="seconds"))  # fmt: skip
    assert dask.manifest["simulations"] == serial.manifest["simulations"]


def test_calibrate_with_an_unreachable_scheduler_is_one_line(capsys, monkeypatch, tmp_path) -> None:
    pytest.importorskip("distributed")
    from sim.cli import main

    monkeypatch.setattr(executors, "DASK_CONNECT_SECONDS", 0.5)
    argv = ["calibrate", "--sampler", "dask", "--dask-address", "tcp://127.0.0.1:9"]
    assert main([*argv, "--population", "20", "--out", str(tmp_path / "cal")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("blockade: error: --dask-address: no dask scheduler answers")
    assert not (tmp_path / "cal" / "manifest.json").exists()
