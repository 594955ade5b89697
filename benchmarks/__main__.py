"""Print the performance figures of blockade-sim as one JSON object.

Every figure is the median of several runs, all measured in this one process run, so the
ratios compare like with like. ``python -m benchmarks --quick`` is a smoke run for tests.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

import sim
from benchmarks import peers
from benchmarks.calibration import calibration_throughput
from benchmarks.cli import cli_20_seconds
from benchmarks.dask_bench import dask_figures
from benchmarks.explore import explore_figures


def _median_rate(work: Callable[[], float], repeats: int) -> float:
    """Median over ``repeats`` of (units of work done / seconds)."""
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        units = work()
        rates.append(units / (time.perf_counter() - t0))
    return statistics.median(rates)


def simpy_raw(repeats: int, scale: int) -> float:
    """Events per second of a bare SimPy timeout loop with 100 processes: the ceiling."""
    return _median_rate(lambda: peers.raw_timeouts(100, 50 * scale), repeats)


def _raw_event_seconds() -> float:
    """Seconds per event of a bare SimPy timeout loop (100 processes, 2000 events each)."""
    t0 = time.perf_counter()
    events = peers.raw_timeouts(100, 2000)
    return (time.perf_counter() - t0) / events


def _replication_phases(cfg: sim.Config, reps: int) -> tuple[dict[str, float], float]:
    """Seconds per replication of ``simulate``'s phases over ``reps`` replications, and its
    SimPy events per replication: drawing the config, building the world, running it,
    collecting the world's garbage (what ``simulate`` does, timed step by step)."""
    from sim.model.world import World, draw, seed_sequence

    phases = dict.fromkeys(("draw", "build", "run", "collect"), 0.0)
    events = 0.0
    for i in range(reps):
        t0 = time.perf_counter()
        ss = seed_sequence(1, i)
        drawn, _ = draw(cfg, ss)
        t1 = time.perf_counter()
        gc.disable()
        world = World(drawn, ss, False)
        t2 = time.perf_counter()
        events += world.run().metrics["simpy_events"]
        t3 = time.perf_counter()
        gc.enable()
        gc.collect(0)
        t4 = time.perf_counter()
        for key, dt in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            phases[key] += dt / reps
    return phases, events / reps


def replication_floor(repeats: int, reps: int) -> dict[str, float]:
    """A default replication's cost over its SimPy floor: its events x one bare event.

    Each round times a bare SimPy loop, then ``reps`` replications, then their phases, in
    this one process; the ratio is taken per round (this machine's speed drifts by up to 2x
    over a minute) and the median over ``repeats`` rounds reported.
    """
    cfg = sim.load_config("venezuela_dec2025")
    ratios, raw, total, parts = [], [], [], []
    for _ in range(repeats):
        raw.append(_raw_event_seconds())
        t0 = time.perf_counter()
        events = sum(
            sim.simulate(cfg, seed=1, replication=i, record_events=False).metrics["simpy_events"]
            for i in range(reps)
        )
        total.append((time.perf_counter() - t0) / reps)
        ratios.append(total[-1] / (raw[-1] * events / reps))
        parts.append(_replication_phases(cfg, reps)[0])
    out = {
        "replication_over_floor": statistics.median(ratios),
        "replication_ms": 1000.0 * statistics.median(total),
        "floor_ms": 1000.0 * statistics.median(raw) * events / reps,
        "raw_us_per_event": 1e6 * statistics.median(raw),
    }
    for key in parts[0]:
        out[f"replication_{key}_ms"] = 1000.0 * statistics.median(p[key] for p in parts)
    return out


def model_events(repeats: int, reps: int) -> dict[str, float]:
    """SimPy events per second of ``simulate`` on the default scenario (no event log), and
    the time per replication (which fewer events per replication also lowers)."""
    cfg = sim.load_config("venezuela_dec2025")
    events = [0.0]

    def work() -> float:
        events[0] = sum(
            sim.simulate(cfg, seed=1, replication=i, record_events=False).metrics["simpy_events"]
            for i in range(reps)
        )
        return events[0]

    rate = _median_rate(work, repeats)
    return {
        "model_events_per_s": rate,
        "model_events_per_replication": events[0] / reps,
        "model_ms_per_replication": 1000.0 * events[0] / reps / rate,
    }


#: The M/D/1 run's horizon, full and ``--quick`` (tests check both pass the schema's limits).
MD1_HORIZON_DAYS: dict[bool, float] = {False: 20_000, True: 200}


def md1_overrides(horizon: float) -> list[str]:
    """The M/D/1 case: one world (its navy is disabled, so a paired baseline adds nothing)."""
    return [f"horizon_days={horizon}", "experiment.baseline=false"]


def queue_case(repeats: int, horizon: float) -> dict[str, float]:
    """Customers per second of the M/D/1 validation case: model, bare SimPy, ciw."""
    cfg = sim.load_config("validation/v1_md1", md1_overrides(horizon))
    rate = cfg.fleet.arrival_rate_per_day
    cargo = next(iter(cfg.fleet.classes.values()))
    service = cargo / cfg.terminal.loading_rate_bpd + cfg.terminal.berth_overhead_days
    model = _median_rate(
        lambda: sim.simulate(cfg, seed=1, record_events=False).metrics["berth_visits"], repeats
    )
    bare = _median_rate(lambda: peers.simpy_md1(rate, service, horizon), repeats)
    ciw = _median_rate(lambda: peers.ciw_md1(rate, service, horizon), repeats)
    return {
        "mdc_customers_per_s": model,
        "mdc_bare_simpy_customers_per_s": bare,
        "mdc_ciw_customers_per_s": ciw,
        "mdc_model_vs_bare_simpy": model / bare,
        "mdc_model_vs_ciw": model / ciw,
    }


def replications(repeats: int, reps: int) -> dict[str, float]:
    """Replications (with paired baseline) per second: serial and 2 worker processes."""
    cfg = sim.load_config("venezuela_dec2025", ["experiment.baseline=true"])

    def run(executor: str, workers: int) -> Callable[[], float]:
        def work() -> float:
            res = sim.run_experiment(
                cfg, replications=reps, workers=workers, executor=executor, progress=False
            )
            return len(res.replications)

        return work

    serial = _median_rate(run("serial", 1), repeats)
    two = _median_rate(run("processes", 2), repeats)
    return {
        "replications_per_s_serial": serial,
        "replications_per_s_2_workers": two,
        "parallel_efficiency": two / (2 * serial),
    }


def peak_rss_mb(reps: int) -> float:
    """Peak resident memory (MB) of a child process running a ``reps`` experiment to disk."""
    code = (
        "import resource, sys, sim\n"
        "cfg = sim.load_config('venezuela_dec2025')\n"
        "sim.run_experiment(cfg, replications=int(sys.argv[1]), workers=2,"
        " executor='processes', out_dir=sys.argv[2], progress=False)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", code, str(reps), os.path.join(tmp, "run")],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    return max(int(out[0]), int(out[1])) / 1024  # ru_maxrss is in KiB on Linux


def scaling(repeats: int, reps: int) -> dict[str, float]:
    """Cost per replication and per SimPy event as fleet, production, berths, storage, teams
    and court grow together by x1, x4, x16 (linear scaling: constant cost per event)."""
    base = sim.load_config("venezuela_dec2025")
    out: dict[str, float] = {}
    for factor in (1, 4, 16):
        data = base.to_dict()
        data["production"]["export_bpd"] *= factor
        term = data["terminal"]
        for key in ("storage_capacity_bbl", "storage_init_bbl", "storage_min_bbl"):
            term[key] *= factor
        term["berths"] *= factor
        for group in data["fleet"]["tankers"]:
            group["count"] *= factor
        for state in ("loaded_waiting", "loading", "waiting_berth"):
            for group in data["initial"][state]:
                group["count"] *= factor
        data["navy"]["boarding_teams"] *= factor
        data["court"]["capacity"] *= factor
        cfg = sim.config.validate(data)
        events = [0.0]

        def work(cfg: sim.Config = cfg, events: list[float] = events) -> float:
            events[0] = sum(
                sim.simulate(cfg, seed=1, replication=i, record_events=False).metrics[
                    "simpy_events"
                ]
                for i in range(reps)
            )
            return reps

        per_s = _median_rate(work, repeats)
        out[f"scaling_ms_per_replication_x{factor}"] = 1000.0 / per_s
        out[f"scaling_us_per_event_x{factor}"] = 1e6 * reps / (per_s * events[0])
    out["scaling_x16_over_x1_per_event"] = (
        out["scaling_us_per_event_x16"] / out["scaling_us_per_event_x1"]
    )
    return out


def _optional(figures: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``figures()``, or why not when an optional extra (dask, the explorer's) is missing."""
    from sim.extras import MissingExtra

    try:
        return figures()
    except MissingExtra as exc:
        return {"skipped": str(exc)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    quick = args.quick
    repeats = 1 if quick else args.repeats
    t0 = time.perf_counter()
    raw = simpy_raw(repeats, 2 if quick else 100)
    model = model_events(repeats, 2 if quick else 200)
    result: dict[str, object] = {
        "simpy_raw_events_per_s": raw,
        "model_events_per_s": model["model_events_per_s"],
        "model_vs_raw": model["model_events_per_s"] / raw,
        "model_events_per_replication": model["model_events_per_replication"],
        "model_ms_per_replication": model["model_ms_per_replication"],
    }
    result |= replication_floor(1 if quick else 3 * repeats, 2 if quick else 40)
    result |= cli_20_seconds(repeats)
    result |= queue_case(repeats, MD1_HORIZON_DAYS[quick])
    result |= replications(min(repeats, 3), 8 if quick else 2000)
    small, large = peak_rss_mb(20 if quick else 1_000), peak_rss_mb(40 if quick else 10_000)
    result["peak_rss_mb_1000"], result["peak_rss_mb"] = small, large
    result["peak_rss_10000_over_1000"] = large / small  # flat memory: ~1
    result |= scaling(min(repeats, 3), 1 if quick else 20)
    if not quick:  # each starts pools, clusters or a browser: minutes, so not in the smoke run
        result |= _optional(lambda: calibration_throughput(sampler="multicore", workers=2))
        result |= _optional(lambda: dask_figures(min(repeats, 3)))
        result |= _optional(lambda: explore_figures(min(repeats, 3)))
    result["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "simpy": simpy.__version__,
        "sim": sim.__version__,
    }
    result["bench_seconds"] = time.perf_counter() - t0
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
