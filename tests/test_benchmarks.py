"""``python -m benchmarks --quick`` runs end to end and prints every figure as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parents[1]
KEYS = (
    "simpy_raw_events_per_s",
    "model_events_per_s",
    "model_vs_raw",
    "model_ms_per_replication",
    "replication_over_floor",
    "floor_ms",
    "replication_draw_ms",
    "replication_build_ms",
    "replication_run_ms",
    "replication_collect_ms",
    "cli_20_seconds",
    "mdc_customers_per_s",
    "mdc_ciw_customers_per_s",
    "mdc_bare_simpy_customers_per_s",
    "mdc_model_vs_ciw",
    "replications_per_s_serial",
    "replications_per_s_2_workers",
    "parallel_efficiency",
    "peak_rss_mb",
    "peak_rss_10000_over_1000",
    "scaling_us_per_event_x16",
)


def test_quick_benchmark_prints_every_figure() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    figures = json.loads(out)
    for key in KEYS:
        assert isinstance(figures[key], float) and figures[key] > 0, key
    # The benchmark times the real model: its events per replication are what ``simulate``
    # reports for the same replications (the quick run times replications 0 and 1, seed 1).
    cfg = sim.load_config("venezuela_dec2025")
    events = [sim.simulate(cfg, seed=1, replication=i).metrics["simpy_events"] for i in range(2)]
    assert figures["model_events_per_replication"] == sum(events) / 2


def test_the_full_benchmark_configs_pass_the_schema() -> None:
    from benchmarks.__main__ import MD1_HORIZON_DAYS, md1_overrides

    for horizon in MD1_HORIZON_DAYS.values():
        cfg = sim.load_config("validation/v1_md1", md1_overrides(horizon))
        assert cfg.horizon_days == horizon
