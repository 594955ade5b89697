"""Interrupt runs at random moments and check that they resume to identical results.

Each try starts ``blockade`` into a fresh folder, sends it SIGKILL, SIGINT or SIGTERM after a
random delay (a seeded generator: the same tries every time), reads the manifest status the
signal left, runs the same command again to completion, and compares its replications and
daily series with an uninterrupted run::

    python -m benchmarks.interrupt --tries 36
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ARGS: tuple[str, ...] = (
    "experiment.replications=600",
    "experiment.workers=2",
    "horizon_days=45",
)
SIGNALS: tuple[signal.Signals, ...] = (signal.SIGKILL, signal.SIGINT, signal.SIGTERM)
SEED = 9
#: The signal comes after this share of an uninterrupted run's wall time (start-up included).
DELAY = (0.15, 0.75)


def blockade(folder: Path, cwd: Path) -> subprocess.Popen[str]:
    """Start the command into ``folder``."""
    cmd = [sys.executable, "-m", "sim", *ARGS, f"hydra.run.dir={folder}"]
    return subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def results(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A finished folder's replications and daily series."""
    return (
        pd.read_parquet(folder / "replications.parquet"),
        pd.read_parquet(folder / "timeseries.parquet"),
    )


def one_try(k: int, delay: float, sig: signal.Signals, ref: Any, work: Path) -> dict[str, Any]:
    """Interrupt try ``k`` after ``delay`` seconds with ``sig``, resume, compare."""
    folder = work / f"try{k}"
    proc = blockade(folder, work)
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    manifest = folder / "manifest.json"
    status = json.loads(manifest.read_text()).get("status") if manifest.is_file() else "none"
    tracebacks = int("Traceback" in err)
    again = blockade(folder, work)
    _, err2 = again.communicate(timeout=600)
    if again.returncode != 0:
        return {"signal": sig.name, "status": status, "resumed": False, "error": err2[-300:]}
    reps, daily = results(folder)
    rows_lost = len(set(ref[0]["replication"]) - set(reps["replication"]))
    duplicated = int(reps["replication"].duplicated().sum())
    identical = reps.equals(ref[0]) and daily.equals(ref[1])
    return {
        "signal": sig.name,
        "delay": round(delay, 2),
        "status_after_signal": status,
        "exit": proc.returncode,
        "traceback": tracebacks,
        "rows_lost": rows_lost,
        "rows_duplicated": duplicated,
        "identical": identical,
    }


def run(tries: int) -> dict[str, Any]:
    """Run ``tries`` interrupted runs and summarize them."""
    rng = np.random.default_rng(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        first = blockade(work / "reference", work)
        first.communicate(timeout=600)
        length = time.perf_counter() - t0
        ref = results(work / "reference")
        out = [
            one_try(k, float(rng.uniform(*DELAY) * length), SIGNALS[k % len(SIGNALS)], ref, work)
            for k in range(tries)
        ]
    statuses = Counter(f"{o['signal']}->{o.get('status_after_signal')}" for o in out)
    return {
        "tries": tries,
        "uninterrupted_seconds": round(length, 2),
        "identical": sum(bool(o.get("identical")) for o in out),
        "rows_lost": sum(o.get("rows_lost", 0) for o in out),
        "rows_duplicated": sum(o.get("rows_duplicated", 0) for o in out),
        "tracebacks": sum(o.get("traceback", 0) for o in out),
        "interrupted_mid_run": sum(o.get("status_after_signal") != "complete" for o in out),
        "not_resumed": [o for o in out if o.get("resumed") is False],
        "status_after_signal": dict(statuses),
    }


def main(argv: list[str] | None = None) -> None:
    """Print the JSON summary of the interrupted tries."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=36)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.tries), indent=2))


if __name__ == "__main__":
    main()
