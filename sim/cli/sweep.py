"""A sweep's plan (``sweep.json``) and its table: one row per point of *that* sweep.

Before Hydra starts, the launching process writes ``sweep.json`` into the sweep folder: a
sweep id, the swept keys and, per job, its number, folder, overrides and config hash. A
folder holding another sweep (another id) is refused, so one folder holds one sweep. Each
job records the sweep id in its manifest; the table is built from ``sweep.json`` alone and
counts a job only if its folder holds a complete run of that job's config in that sweep:
a stale or foreign folder is never counted.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sim.cli.common import (
    PROG,
    CliError,
    show_path,
    text_table,
)
from sim.formatting import fmt_number

PLAN_FILE = "sweep.json"
#: What a sweep folder may hold besides its job folders (Hydra's and ours).
SWEEP_FILES = frozenset(
    {PLAN_FILE, "multirun.yaml", "sweep.csv", "sweep.parquet", "plots", "report.html"}
)


@dataclass(frozen=True)
class SweepJob:
    """One point of a sweep: Hydra's job number, its folder (relative) and config."""

    job: int
    dir: str
    overrides: tuple[str, ...]
    config_hash: str


@dataclass(frozen=True)
class SweepPlan:
    """Every job of one sweep, fixed before it starts."""

    dir: Path
    jobs: tuple[SweepJob, ...]

    @property
    def id(self) -> str:
        """A hash of the jobs: the same sweep (same points, same configs) has the same id."""
        text = json.dumps([asdict(j) for j in self.jobs], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def swept_keys(self) -> list[str]:
        """Override keys whose value differs between jobs."""
        values: dict[str, set[str]] = {}
        for j in self.jobs:
            for key, value in _parse(j.overrides).items():
                values.setdefault(key, set()).add(repr(value))
        return [k for k, v in values.items() if len(v) > 1]

    def to_json(self, status: str) -> dict[str, Any]:
        return {
            "sweep_id": self.id,
            "status": status,
            "swept_keys": self.swept_keys,
            "jobs": [asdict(j) for j in self.jobs],
        }

    def job(self, num: int) -> SweepJob:
        """The job numbered ``num``."""
        for j in self.jobs:
            if j.job == num:
                return j
        raise CliError(f"{self.dir / PLAN_FILE} has no job {num}")


def read_plan(sweep_dir: str | Path) -> SweepPlan | None:
    """The plan in ``sweep_dir``, or None if there is none."""
    from sim.experiment.atomic import read_json

    path = Path(sweep_dir) / PLAN_FILE
    if not path.is_file():
        return None
    try:
        doc = read_json(path)
        jobs = tuple(
            SweepJob(int(j["job"]), str(j["dir"]), tuple(j["overrides"]), str(j["config_hash"]))
            for j in doc["jobs"]
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CliError(f"{path} is damaged ({exc}); choose another hydra.sweep.dir") from None
    return SweepPlan(Path(sweep_dir), jobs)


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


def finish_sweep(plan: SweepPlan) -> None:
    """Write the table of the finished jobs; print it, or say the sweep stopped early."""
    try:
        df = aggregate_sweep(plan.dir)
    except FileNotFoundError:
        df = None
    done = 0 if df is None else len(df)
    write_plan(plan, "complete" if done == len(plan.jobs) else "partial")
    if done < len(plan.jobs):
        where = f" in {show_path(plan.dir / 'sweep.csv')}" if done else ""
        print(
            f"{PROG}: the sweep stopped early; {done} of {len(plan.jobs)} point(s) "
            f"tabulated{where}",
            file=sys.stderr,
        )
        return
    from sim.analysis import write_sweep_plots

    write_sweep_plots(plan.dir)
    print(format_sweep(df, plan.dir), flush=True)


def _parse(overrides: tuple[str, ...]) -> dict[str, Any]:
    """Override columns: ``key`` (``++``/``+`` dropped; ``key@pkg`` for packages) -> value."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    out: dict[str, Any] = {}
    for o in overrides:
        p = parser.parse_override(o)
        key = f"{p.key_or_group}@{p.package}" if p.package else p.key_or_group
        if p.is_delete():
            out[key] = "~"
            continue
        value = p.value()
        if isinstance(value, bool | int | float | str) or value is None:
            out[key] = value
        else:
            out[key] = p.get_value_element_as_str()
    return out


def _finished(plan: SweepPlan, job: SweepJob) -> Any:
    """The job's results if its folder holds a complete run of its config in this sweep."""
    from sim.experiment import load_results
    from sim.experiment.atomic import read_json

    folder = plan.dir / job.dir
    try:
        manifest = read_json(folder / "manifest.json")
    except (OSError, ValueError):
        return None
    mine = (
        manifest.get("status") == "complete"
        and manifest.get("config_hash") == job.config_hash
        and manifest.get("sweep_id") == plan.id
    )
    return load_results(folder) if mine else None


def _tidy_column(values: list[Any]) -> list[Any]:
    present = [v for v in values if v is not None]
    if all(isinstance(v, bool) for v in present):
        return values
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return values
    return [None if v is None else str(v) for v in values]


#: The statistics of each metric in a sweep table: the interval of the mean, then the spread.
SWEEP_STATS: tuple[str, ...] = ("mean", "ci_low", "ci_high", "p05", "p95")


def aggregate_sweep(sweep_dir: str | Path, write: bool = True) -> Any:
    """One row per finished point of the sweep in ``sweep_dir``: its overrides and every CI.

    Reads the plan (``sweep.json``) and the result folder of each of its jobs; a job counts
    only if its folder holds a complete run of that job's config in this sweep. Columns:
    ``job``, ``run_dir``, one per override key (``++``/``+`` dropped), ``replications``,
    ``target_met``, then ``<metric>_mean``, ``<metric>_ci_low``, ``<metric>_ci_high`` (the
    95% CI of the mean) and ``<metric>_p05``, ``<metric>_p95`` (the spread of single runs) for
    every summary metric, and ``<metric>_p_tail`` (the share of runs below the metric's tail,
    :data:`sim.metrics.TAILS`: P(export decline < 50%)). With ``write`` it also saves
    ``sweep.parquet`` and ``sweep.csv`` in ``sweep_dir``. Raises ``FileNotFoundError`` if no
    point has finished.
    """
    import pandas as pd

    plan = read_plan(sweep_dir)
    if plan is None:
        raise FileNotFoundError(f"{sweep_dir}: not a sweep folder (no {PLAN_FILE})")
    records = []
    for job in plan.jobs:
        res = _finished(plan, job)
        if res is None:
            continue
        rec: dict[str, Any] = {"job": job.job, "run_dir": job.dir, **_parse(job.overrides)}
        rec["replications"] = int(res.manifest.get("replications_done", len(res.replications)))
        rec["target_met"] = res.manifest.get("target_met")
        for metric, row in res.summary.iterrows():
            for stat in SWEEP_STATS:
                rec[f"{metric}_{stat}"] = float(row[stat])
        rec |= _tail_columns(res.replications)
        records.append(rec)
    if not records:
        raise FileNotFoundError(f"{sweep_dir}: no finished sweep point")
    columns: list[str] = list(dict.fromkeys(k for r in records for k in r))
    data = {c: _tidy_column([r.get(c) for r in records]) for c in columns}
    df = pd.DataFrame(data, columns=columns)
    if write:
        from sim.experiment.atomic import write_atomic

        write_atomic(plan.dir / "sweep.parquet", lambda p: df.to_parquet(p, index=False))
        write_atomic(plan.dir / "sweep.csv", lambda p: df.to_csv(p, index=False))
    return df


def _tail_columns(reps: Any) -> dict[str, float]:
    """``<metric>_p_tail``: the share of single runs below the metric's tail (metrics.TAILS)."""
    from sim.experiment.stats import tail_share
    from sim.metrics import TAILS

    out = {}
    for name, threshold in TAILS.items():
        if name in reps.columns:
            k, n = tail_share(reps[name].to_numpy(dtype=float), threshold)
            out[f"{name}_p_tail"] = k / n if n else float("nan")
    return out


def format_sweep(df: Any, sweep_dir: Path) -> str:
    """The end-of-sweep table: the varying overrides and export decline per point."""
    from sim.analysis.sweep import swept_keys

    override_cols = swept_keys(df)
    metric, scale, label = "export_decline", 100.0, "export decline (%)"
    if f"{metric}_mean" not in df.columns:
        metric, scale, label = "exported_bpd", 1.0, "exported (bpd)"
    rows = []
    for _, r in df.iterrows():
        cells = ["" if r["job"] is None else str(int(r["job"]))]
        cells += [str(r[c]) for c in override_cols]
        if f"{metric}_mean" in df.columns:
            cells += [
                fmt_number(scale * r[f"{metric}_mean"]),
                f"[{fmt_number(scale * r[f'{metric}_ci_low'])}, "
                f"{fmt_number(scale * r[f'{metric}_ci_high'])}]",
                f"{fmt_number(scale * r[f'{metric}_p05'])} to "
                f"{fmt_number(scale * r[f'{metric}_p95'])}",
            ]
        if f"{metric}_p_tail" in df.columns:
            cells.append(f"{r[f'{metric}_p_tail']:.0%}")
        rows.append(cells)
    header = ["job", *override_cols]
    if f"{metric}_mean" in df.columns:
        header += [label, "95% CI of the mean", "one run, p05 to p95"]
    if f"{metric}_p_tail" in df.columns:
        from sim.metrics import TAILS

        header.append(f"P(< {TAILS[metric]:.0%})")
    return "\n".join(
        [
            "",
            text_table(header, rows),
            "",
            f"Sweep: {len(df)} points, table in {show_path(sweep_dir / 'sweep.csv')} "
            "(and sweep.parquet)",
        ]
    )
