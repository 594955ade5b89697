"""How long a calibration of the reference scenario takes: one JSON object.

Calibrates the six uncertain keys of ``venezuela_dec2025`` against its December 2025
observations with pyabc's multicore sampler and prints ``calibration_seconds`` (wall time of
the ABC-SMC run, predictive check and plots excluded), the simulations it ran and their rate.
The posterior it writes is the one shipped in ``scenarios/posterior/`` when ``--ship`` is
given. One run, not a median: a calibration is minutes long and its cost is what a user
waits for.

``--throughput`` instead runs :func:`calibration_throughput`: a short calibration's
simulations per second against the raw rate of the same particles (``sim.simulate`` in a
plain loop) times the workers, measured in the same process run.

    python -m benchmarks.calibration [--population N] [--max-simulations N] [--workers W]
                                     [--out DIR] [--ship] [--throughput [--sampler S]]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sim
from sim.calibration import Observations, Settings, calibrate, load_observations
from sim.calibration.priors import fitted
from sim.calibration.simulator import particle_config
from sim.config import Config, scenarios_dir
from sim.experiment.executors import available_cpus

SHIPPED = scenarios_dir() / "posterior" / "venezuela_dec2025.parquet"


def reference() -> tuple[Config, Observations]:
    """The reference scenario (its calibrated keys) and its December 2025 observations."""
    cfg = fitted(sim.load_config("venezuela_dec2025"))
    path = scenarios_dir() / "observations" / "venezuela_dec2025.yaml"
    return cfg, load_observations(path, cfg)


def _raw_loop(point: Config, seed: int, sims: int) -> float:
    """Simulations per second of ``point`` in a plain loop."""
    started = time.perf_counter()
    for i in range(sims):
        sim.simulate(point, seed, replication=i, record_events=False)
    return sims / (time.perf_counter() - started)


def raw_rate(cfg: Config, observations: Observations, sims: int) -> float:
    """Simulations per second of the calibration's particle config in a plain loop."""
    return _raw_loop(particle_config(cfg, observations), int(cfg.experiment.seed), sims)


def raw_parallel_rate(cfg: Config, observations: Observations, sims: int, workers: int) -> float:
    """The same loop in ``workers`` processes at once: their summed rate (what the machine
    gives ``workers`` busy processes now, other load included)."""
    from sim.experiment.executors import ProcessExecutor, map_ordered

    point = particle_config(cfg, observations)
    with ProcessExecutor(workers) as ex:
        map_ordered(ex, _raw_loop, [(point, 1, 2)] * workers)  # start the workers
        rates = map_ordered(ex, _raw_loop, [(point, int(cfg.experiment.seed), sims)] * workers)
    return float(sum(rates))


def calibration_throughput(
    population: int = 100,
    max_simulations: int = 1200,
    generations: int = 3,
    workers: int | None = None,
    sampler: str = "multicore",
    raw_sims: int = 150,
    dask_address: str | None = None,
) -> dict[str, Any]:
    """A short calibration's simulations per second against the raw rate x workers.

    The raw rate (one process) is measured before and after the calibration and the median
    of the two taken, so a machine that got busier in between shows in neither alone. On a
    shared machine ``workers`` processes may not get ``workers`` cores: ``raw_parallel_*``
    is the loop run in ``workers`` processes at once (after the calibration), and
    ``calibration_over_raw_parallel`` the calibration's rate against it.
    ``sampler="dask"`` runs on the scheduler at ``dask_address``, else a LocalCluster of
    ``workers`` processes (pyabc's DaskDistributedSampler); plots and predictive are off.
    """
    cfg, observations = reference()
    n = 1 if sampler == "serial" else workers or available_cpus()
    before = raw_rate(cfg, observations, raw_sims)
    settings = Settings(
        population=population,
        max_simulations=max_simulations,
        max_generations=generations,
        sampler=sampler,  # type: ignore[arg-type]
        workers=n,
        dask_address=dask_address,
        seed=int(cfg.experiment.seed),
        predictive=10,
        plots=False,
    )
    with tempfile.TemporaryDirectory(prefix="calibration-") as tmp:
        m = calibrate(cfg, observations, Path(tmp) / "cal", settings).manifest
    raw = statistics.median([before, raw_rate(cfg, observations, raw_sims)])
    parallel = raw if n == 1 else raw_parallel_rate(cfg, observations, raw_sims, n)
    rate = float(m["simulations_per_second"])
    return {
        "calibration_sims_per_s": rate,
        "raw_sims_per_s": raw * n,
        "calibration_over_raw": rate / (raw * n),
        "raw_parallel_sims_per_s": parallel,
        "calibration_over_raw_parallel": rate / parallel,
        "calibration_simulations": int(m["simulations"]),
        "calibration_seconds": float(m["calibration_seconds"]),
        "calibration_workers": n,
        "calibration_sampler": sampler,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.calibration", description=__doc__)
    parser.add_argument("--population", type=int, default=1000)
    parser.add_argument("--max-simulations", type=int, default=40_000)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", default=None, help="calibration folder (default: a temp one)")
    parser.add_argument("--ship", action="store_true", help=f"copy the posterior to {SHIPPED}")
    parser.add_argument("--throughput", action="store_true", help="calibration_throughput only")
    parser.add_argument("--sampler", default="multicore", choices=("serial", "multicore", "dask"))
    args = parser.parse_args(argv)
    if args.throughput:
        figures = calibration_throughput(workers=args.workers, sampler=args.sampler)
        print(json.dumps(figures, indent=2))
        return
    cfg = sim.load_config("venezuela_dec2025")
    observations = load_observations(
        scenarios_dir() / "observations" / "venezuela_dec2025.yaml", cfg
    )
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="calibration-")) / "cal"
    workers = args.workers or available_cpus()
    settings = Settings(
        population=args.population,
        max_simulations=args.max_simulations,
        max_generations=args.generations,
        sampler="multicore",
        workers=workers,
        seed=int(cfg.experiment.seed),
    )
    result = calibrate(cfg, observations, out, settings)
    m = result.manifest
    if args.ship:
        SHIPPED.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / "posterior.parquet", SHIPPED)
    figures = {
        "calibration_seconds": round(m["calibration_seconds"], 1),
        "simulations": m["simulations"],
        "simulations_per_second": round(m["simulations_per_second"], 1),
        "generations": m["generations"],
        "final_temperature": m["final_temperature"],
        "final_ess": round(m["final_ess"], 1),
        "population": args.population,
        "parameters": len(result.keys),
        "workers": workers,
        "cpus": available_cpus(),
        "python": platform.python_version(),
        "folder": str(out),
        "warnings": result.warnings,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
