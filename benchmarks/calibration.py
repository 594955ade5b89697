"""How long a calibration of the reference scenario takes: one JSON object.

Calibrates the six uncertain keys of ``venezuela_dec2025`` against its December 2025
observations with pyabc's multicore sampler and prints ``calibration_seconds`` (wall time of
the ABC-SMC run, predictive check and plots excluded), the simulations it ran and their rate.
The posterior it writes is the one shipped in ``scenarios/posterior/`` when ``--ship`` is
given. One run, not a median: a calibration is minutes long and its cost is what a user
waits for.

    python -m benchmarks.calibration [--population N] [--max-simulations N] [--workers W]
                                     [--out DIR] [--ship]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import sim
from sim.calibration import Settings, calibrate, load_observations
from sim.config import scenarios_dir
from sim.experiment.executors import available_cpus

SHIPPED = scenarios_dir() / "posterior" / "venezuela_dec2025.parquet"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.calibration", description=__doc__)
    parser.add_argument("--population", type=int, default=1000)
    parser.add_argument("--max-simulations", type=int, default=40_000)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", default=None, help="calibration folder (default: a temp one)")
    parser.add_argument("--ship", action="store_true", help=f"copy the posterior to {SHIPPED}")
    args = parser.parse_args(argv)
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
