"""Running on Dask: chunk sizes from the per-task overhead, an unreachable scheduler in one
line, and experiments, sweeps and calibrations on a LocalCluster giving serial's numbers."""

from __future__ import annotations

import math

import pytest

from sim.experiment import executors
from sim.experiment.executors import OVERHEAD_SHARE, chunk_size


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
