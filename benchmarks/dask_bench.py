"""Experiments on a Dask LocalCluster: replications per second with 1 and 2 workers, the
parallel efficiency, Dask's overhead per task and the chunk size chosen against it.

Each worker count gets one LocalCluster (one-thread worker processes), started before the
clock; every repeat is a ``run_experiment`` of the default scenario (paired baseline) through
its address, as ``experiment.executor=dask experiment.dask_address=...`` runs, so a repeat
includes connecting and the executor's overhead measurement (:meth:`DaskExecutor.
measure_overhead`). The chunk size is the runner's: enough replications that the measured
overhead is at most 5% of a task (:func:`sim.experiment.executors.chunk_size`).

    python -m benchmarks.dask_bench [--repeats N] [--replications N]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections.abc import Sequence

import sim
from sim.experiment import run_experiment
from sim.experiment.executors import DaskExecutor, chunk_size
from sim.experiment.runner import run_chunk


def _ms_per_replication(cfg: sim.Config, n: int = 20) -> float:
    """Milliseconds of one replication and its baseline, in this process."""
    started = time.perf_counter()
    run_chunk(cfg, int(cfg.experiment.seed), list(range(n)), True)
    return 1000.0 * (time.perf_counter() - started) / n


def _on_cluster(cfg: sim.Config, workers: int, repeats: int, replications: int) -> dict:
    """Rates, overheads and chunks of ``repeats`` experiments on a ``workers`` LocalCluster."""
    from dask.distributed import LocalCluster

    rates, overheads, chunks = [], [], []
    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        point = cfg.model_copy(
            update={
                "experiment": cfg.experiment.model_copy(
                    update={"dask_address": cluster.scheduler_address}
                )
            }
        )
        ex = DaskExecutor(workers, cluster.scheduler_address)
        try:
            overheads += [ex.measure_overhead() for _ in range(repeats)]
        finally:
            ex.close()
        for _ in range(repeats):
            started = time.perf_counter()
            res = run_experiment(point, replications=replications, executor="dask", progress=False)
            rates.append(replications / (time.perf_counter() - started))
            chunks.append(replications / res.manifest["chunks"])
    return {
        "rate": statistics.median(rates),
        "overhead_ms": 1000.0 * statistics.median(overheads),
        "chunk": statistics.median(chunks),
    }


def dask_figures(repeats: int = 3, replications: int = 1000) -> dict[str, float]:
    """Replications per second on a LocalCluster of 1 and 2 workers, the parallel efficiency,
    Dask's overhead per task and the chunk size it gives (medians of ``repeats``)."""
    cfg = sim.load_config("venezuela_dec2025")
    ms = statistics.median(_ms_per_replication(cfg) for _ in range(repeats))
    one = _on_cluster(cfg, 1, repeats, replications)
    two = _on_cluster(cfg, 2, repeats, replications)
    overhead = statistics.median([one["overhead_ms"], two["overhead_ms"]])
    return {
        "dask_replications_per_s_1_worker": one["rate"],
        "dask_replications_per_s_2_workers": two["rate"],
        "dask_parallel_efficiency": two["rate"] / (2.0 * one["rate"]),
        "dask_overhead_ms_per_task": overhead,
        "dask_ms_per_replication": ms,
        "dask_chunk_size": float(chunk_size(ms / 1000.0, overhead / 1000.0)),
        "dask_mean_chunk_2_workers": two["chunk"],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dask_bench", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--replications", type=int, default=1000)
    args = parser.parse_args(argv)
    print(json.dumps(dask_figures(args.repeats, args.replications), indent=2))


if __name__ == "__main__":
    main()
