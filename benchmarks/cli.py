"""How fast the ``blockade`` command answers, end to end: one JSON object.

Three wall-clock figures, each the median of ``--repeats`` fresh subprocesses, measured in
turn (one of each per round, so a busy spell of the machine hits all three alike):

- ``cli_20_seconds``: ``blockade experiment.replications=20 experiment.workers=2`` in an
  empty temporary folder: the default scenario on two worker processes, the whole result
  folder written (default, time-stamped name) and the summary printed; the issue's target
  is 3 s on two cores. Plots are not drawn (they are drawn on demand: ``--plots`` or
  ``blockade report``);
- ``import_sim_seconds``: ``python -c "import sim"`` (the interpreter's start included);
- ``cli_help_seconds``: ``blockade --help``.

The subprocesses import this checkout's ``sim`` (its folder is put first on
``PYTHONPATH``). ``load_average`` says how busy the machine was.

    python -m benchmarks.cli [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The command the issue's figure is about (two workers, whatever the machine has).
RUN_20 = ("experiment.replications=20", "experiment.workers=2")


def _blockade() -> list[str]:
    """The console script beside this interpreter, else ``python -m sim``."""
    script = Path(sys.executable).with_name("blockade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim"]


def _env() -> dict[str, str]:
    """This environment with this checkout first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _wall(cmd: Sequence[str], cwd: Path) -> float:
    """Seconds ``cmd`` takes in ``cwd``; it must succeed."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        list(cmd), cwd=cwd, env=_env(), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    return seconds


def cli_20_seconds(repeats: int) -> dict[str, float]:
    """Median wall seconds of the 20-replication run, of ``import sim`` and of ``--help``."""
    times: dict[str, list[float]] = {
        "cli_20_seconds": [],
        "import_sim_seconds": [],
        "cli_help_seconds": [],
    }
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="blockade-cli-") as tmp:
            cwd = Path(tmp)
            times["import_sim_seconds"].append(_wall([sys.executable, "-c", "import sim"], cwd))
            times["cli_help_seconds"].append(_wall([*_blockade(), "--help"], cwd))
            times["cli_20_seconds"].append(_wall([*_blockade(), *RUN_20], cwd))
            if not list((cwd / "results" / "runs").glob("*/*/summary.json")):
                raise RuntimeError("blockade wrote no summary.json")
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="subprocesses per figure")
    args = parser.parse_args(argv)
    figures: dict[str, float | int] = dict(cli_20_seconds(args.repeats))
    figures["repeats"] = args.repeats
    figures["cpus"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    figures["load_average"] = os.getloadavg()[0]
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
