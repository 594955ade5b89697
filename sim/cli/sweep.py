"""A sweep on the command line: refuse a folder holding another sweep, write the plan,
tabulate and print the finished sweep (the plan and table: :mod:`sim.sweep_table`).

Before Hydra starts, the launching process writes ``sweep.json`` into the sweep folder. A
folder holding another sweep (another id) is refused, so one folder holds one sweep. Each
job records the sweep id in its manifest; the table is built from ``sweep.json`` alone and
counts a job only if its folder holds a complete run of that job's config in that sweep:
a stale or foreign folder is never counted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sim.cli.common import PROG, CliError, show_path, text_table
from sim.metrics import TAILS
from sim.metrics import metric as registry
from sim.sweep_table import (
    CSV_FILE,
    PLAN_FILE,
    SWEEP_FILES,
    TABLE_FILE,
    SweepPlan,
    aggregate_sweep,
    read_plan,
    stat_column,
    swept_keys,
)

__all__ = ["check_sweep_folder", "finish_sweep", "format_sweep", "write_plan"]


def check_sweep_folder(plan: SweepPlan) -> None:
    """Refuse a sweep folder that holds another sweep or files that are not a sweep's."""
    old = read_plan(plan.dir)
    if old is not None and old.id != plan.id:
        raise CliError(
            f"hydra.sweep.dir: {plan.dir} holds another sweep ({len(old.jobs)} points of "
            f"{', '.join(old.swept_keys) or 'no swept key'}; id {old.id}). Choose another "
            "folder, or delete that one to start over"
        )
    if old is None and plan.dir.is_dir():
        jobs = {Path(j.dir).parts[0] for j in plan.jobs}
        from sim.experiment.store import foreign_entries

        foreign = foreign_entries(plan.dir, SWEEP_FILES | jobs)
        if foreign:
            raise CliError(
                f"hydra.sweep.dir: {plan.dir} is not empty and is not a blockade sweep folder "
                f"(it holds {', '.join(foreign[:5])}); choose another folder"
            )


def write_plan(plan: SweepPlan, status: str) -> None:
    """Write ``sweep.json``."""
    from sim.experiment.atomic import write_json_atomic

    write_json_atomic(plan.dir / PLAN_FILE, plan.to_json(status))


def finish_sweep(plan: SweepPlan, plots: bool = False) -> None:
    """Write the table of the finished jobs (and its plots, if asked); print it, or say the
    sweep stopped early."""
    try:
        df = aggregate_sweep(plan.dir)
    except FileNotFoundError:
        df = None
    done = 0 if df is None else len(df)
    write_plan(plan, "complete" if done == len(plan.jobs) else "partial")
    if done < len(plan.jobs):
        where = f" in {show_path(plan.dir / CSV_FILE)}" if done else ""
        print(
            f"{PROG}: the sweep stopped early; {done} of {len(plan.jobs)} point(s) "
            f"tabulated{where}",
            file=sys.stderr,
        )
        return
    if plots:
        from sim.analysis import write_sweep_plots

        write_sweep_plots(plan.dir)
    print(format_sweep(df, plan.dir), flush=True)
    report = f"{PROG} report {show_path(plan.dir)}"
    shown = f"Plots: {show_path(plan.dir / 'plots')}  (report: {report})"
    print(shown if plots else f"Plots and report: {report}  (or run with --plots)", flush=True)


#: The metric of the end-of-sweep table: the first of these the table has.
SWEEP_HEADLINE: tuple[str, ...] = ("export_decline", "exported_bpd")


def _headline(df: Any) -> str | None:
    return next((m for m in SWEEP_HEADLINE if stat_column(m, "mean") in df.columns), None)


def _metric_cells(r: Any, metric: str, tail: bool) -> list[str]:
    """Mean, CI of the mean, spread of single runs (and the tail share) of one point."""
    m = registry(metric)

    def cell(stat: str) -> str:
        return m.fmt(r[stat_column(metric, stat)])

    cells = [
        cell("mean"),
        f"[{cell('ci_low')}, {cell('ci_high')}]",
        f"{cell('p05')} to {cell('p95')}",
    ]
    if tail:
        cells.append(f"{r[stat_column(metric, 'p_tail')]:.0%}")
    return cells


def format_sweep(df: Any, sweep_dir: Path) -> str:
    """The end-of-sweep table: the swept overrides and the headline metric per point."""
    keys = swept_keys(df)
    metric = _headline(df)
    tail = metric is not None and stat_column(metric, "p_tail") in df.columns
    header = ["job", *keys]
    if metric is not None:
        heading = registry(metric).heading
        header += [heading[:1].lower() + heading[1:], "95% CI of the mean", "one run, p05 to p95"]
        header += [f"P(< {TAILS[metric]:.0%})"] if tail else []
    rows = []
    for _, r in df.iterrows():
        cells = ["" if r["job"] is None else str(int(r["job"]))]
        cells += [str(r[c]) for c in keys]
        rows.append(cells + ([] if metric is None else _metric_cells(r, metric, tail)))
    return "\n".join(
        [
            "",
            text_table(header, rows),
            "",
            f"Sweep: {len(df)} points, table in {show_path(sweep_dir / CSV_FILE)} (headline "
            f"metrics, rounded, for a spreadsheet) and {TABLE_FILE} (every statistic, exact)",
        ]
    )
