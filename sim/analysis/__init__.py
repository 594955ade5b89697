"""Plots and reports of stored results (matplotlib object API; no pyplot state).

Reads result folders, sweep folders and the public ``sim`` API only, never model internals.
``plots`` draws a run's charts, ``gantt`` one replication's timeline, ``replay`` simulates
that replication again (with its event log), ``report`` and ``sweep`` the rest.
"""

from sim.analysis.gantt import timeline_chart, timeline_segments
from sim.analysis.plots import (
    distributions_chart,
    exports_fan_chart,
    run_timeline_chart,
    storage_chart,
    stranded_chart,
    write_run_plots,
)
from sim.analysis.replay import typical_replication
from sim.analysis.report import is_sweep_dir, write_report
from sim.analysis.sweep import sweep_heatmap, sweep_lines, write_sweep_plots
from sim.sweep_table import load_sweep, swept_keys

__all__ = [
    "distributions_chart",
    "exports_fan_chart",
    "is_sweep_dir",
    "load_sweep",
    "run_timeline_chart",
    "storage_chart",
    "stranded_chart",
    "sweep_heatmap",
    "sweep_lines",
    "swept_keys",
    "timeline_chart",
    "timeline_segments",
    "typical_replication",
    "write_report",
    "write_run_plots",
    "write_sweep_plots",
]
