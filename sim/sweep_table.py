"""A sweep's plan (``sweep.json``) and its table (``sweep.parquet``, ``sweep.csv``): the one
owner of both, for the CLI that writes them and every reader (plots, report, discovery).

The plan is written before Hydra starts: a sweep id, ``swept_keys`` (the override keys whose
value differs between jobs) and, per job, its number, folder, overrides and config hash.
**The plan is the record of the parameter columns**: readers take the override columns
(every key of the jobs' overrides) and the swept keys from it, never from column names.

The table has one row per finished point and, in this order, the columns :data:`ROW_KEYS`
(``job``, ``run_dir``), one per override key (``++``/``+`` dropped, ``key@pkg`` for a
package), :data:`POINT_COLUMNS` (``replications``, ``target_met``), then per summary metric
``<metric>_<stat>`` for each of :data:`SWEEP_STATS` and ``<metric>_p_tail`` for the metrics
of :data:`sim.metrics.TAILS`, then ``export_decline_<stat>`` for :data:`ROBUST_STATS` (regret
and satisficing across the draws the points share, :mod:`sim.decision.robustness`; absent
when the points do not share their draws). :func:`load_sweep` and :func:`aggregate_sweep`
return it with the record in ``df.attrs`` (:data:`OVERRIDES_ATTR`, :data:`SWEPT_ATTR`); a
table without it
(a sweep folder older than the plan, a hand-made DataFrame) falls back to
:func:`infer_override_columns`, the one place that guesses.

That table, complete and exact (stored units: the decline a fraction), is ``sweep.parquet``,
the machine table every reader uses. ``sweep.csv`` is for a spreadsheet
(:func:`readable_sweep`): the swept keys first, then per headline metric of
:data:`sim.metrics.HEADLINES` its mean, 95% CI and p05/p95 in display units with the unit in
the header (``Export decline (%) mean``), :data:`CSV_DIGITS` significant digits; readers
refuse it (:func:`load_sweep`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sim.config import ConfigError

PLAN_FILE = "sweep.json"
TABLE_FILE = "sweep.parquet"
CSV_FILE = "sweep.csv"
#: What a sweep folder may hold besides its job folders (Hydra's and ours).
SWEEP_FILES = frozenset({PLAN_FILE, "multirun.yaml", CSV_FILE, TABLE_FILE, "plots", "report.html"})
#: The columns that name a row's job and its folder (relative to the sweep folder).
ROW_KEYS: tuple[str, ...] = ("job", "run_dir")
#: Per-point columns after the overrides: replications run and whether the target was met.
POINT_COLUMNS: tuple[str, ...] = ("replications", "target_met")
#: The statistics of each metric in a sweep table: the interval of the mean, then the spread.
SWEEP_STATS: tuple[str, ...] = ("mean", "ci_low", "ci_high", "p05", "p95")
TAIL_STAT = "p_tail"
#: Robustness across the shared draws (``export_decline_<stat>``: mean and p95 regret in
#: the metric's unit, share of draws a point is best in, share meeting the tail target).
ROBUST_STATS: tuple[str, ...] = ("mean_regret", "p95_regret", "best_share", "target_share")
#: ``df.attrs`` keys of the record: every override column, and those that vary.
OVERRIDES_ATTR = "override_keys"
SWEPT_ATTR = "swept_keys"


class SweepFolderError(ConfigError):
    """A sweep folder whose plan cannot be read; the message names the file."""


# --------------------------------------------------------------------------- the plan


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
    def override_keys(self) -> list[str]:
        """Every override key of the jobs, in the order they first appear: the columns."""
        return list(dict.fromkeys(k for j in self.jobs for k in parse_overrides(j.overrides)))

    @property
    def swept_keys(self) -> list[str]:
        """Override keys whose value differs between jobs."""
        values: dict[str, set[str]] = {}
        for j in self.jobs:
            for key, value in parse_overrides(j.overrides).items():
                values.setdefault(key, set()).add(repr(value))
        return [k for k, v in values.items() if len(v) > 1]

    def to_json(self, status: str) -> dict[str, Any]:
        """The document of ``sweep.json``."""
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
        raise SweepFolderError(f"{self.dir / PLAN_FILE} has no job {num}")


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
        raise SweepFolderError(
            f"{path} is damaged ({exc}); choose another hydra.sweep.dir"
        ) from None
    return SweepPlan(Path(sweep_dir), jobs)


def parse_overrides(overrides: tuple[str, ...]) -> dict[str, Any]:
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


# --------------------------------------------------------------------------- writing


def _finished(plan: SweepPlan, job: SweepJob) -> Any:
    """The job's results if its folder holds a complete run of its config in this sweep."""
    from sim.experiment import load_results
    from sim.experiment.atomic import read_json
    from sim.experiment.store import MANIFEST_FILE

    folder = plan.dir / job.dir
    try:
        manifest = read_json(folder / MANIFEST_FILE)
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


def _tail_columns(reps: Any) -> dict[str, float]:
    """``<metric>_p_tail``: the share of single runs below the metric's tail (metrics.TAILS)."""
    from sim.experiment.stats import tail_share
    from sim.metrics import TAILS

    out = {}
    for name, threshold in TAILS.items():
        if name in reps.columns:
            k, n = tail_share(reps[name].to_numpy(dtype=float), threshold)
            out[stat_column(name, TAIL_STAT)] = k / n if n else float("nan")
    return out


def stat_column(metric: str, stat: str) -> str:
    """The column of ``stat`` of ``metric``: ``<metric>_<stat>``."""
    return f"{metric}_{stat}"


def _row(job: SweepJob, res: Any) -> dict[str, Any]:
    """One table row: the job, its overrides, its replications and every metric column."""
    rec: dict[str, Any] = {"job": job.job, "run_dir": job.dir, **parse_overrides(job.overrides)}
    rec["replications"] = int(res.manifest.get("replications_done", len(res.replications)))
    rec["target_met"] = res.manifest.get("target_met")
    for metric, row in res.summary.iterrows():
        for stat in SWEEP_STATS:
            rec[stat_column(str(metric), stat)] = float(row[stat])
    return rec | _tail_columns(res.replications)


def _robustness_columns(finished: list[tuple[SweepJob, Any]]) -> list[dict[str, float]]:
    """Per point, regret and satisficing of the export decline across the draws all points
    share (:func:`sim.decision.robustness.sweep_columns`)."""
    from sim.decision.robustness import Point, sweep_columns

    points = [
        Point(
            str(job.job),
            reps := res.replications,
            tuple(k for k in res.config.uncertain if k in reps),
        )
        for job, res in finished
    ]
    return sweep_columns(points)


def aggregate_sweep(sweep_dir: str | Path, write: bool = True) -> Any:
    """One row per finished point of the sweep in ``sweep_dir`` (columns: the module doc).

    Reads the plan (``sweep.json``) and the result folder of each of its jobs; a job counts
    only if its folder holds a complete run of that job's config in this sweep. The metric
    statistics are the 95% CI of the mean (``mean``, ``ci_low``, ``ci_high``), the spread of
    single runs (``p05``, ``p95``) and ``p_tail``, the share of runs below the metric's tail
    (:data:`sim.metrics.TAILS`: P(export decline < 50%)). With ``write`` it also saves
    ``sweep.parquet`` and ``sweep.csv`` in ``sweep_dir``. Raises ``FileNotFoundError`` if no
    point has finished.
    """
    import pandas as pd

    plan = read_plan(sweep_dir)
    if plan is None:
        raise FileNotFoundError(f"{sweep_dir}: not a sweep folder (no {PLAN_FILE})")
    finished = [(job, res) for job in plan.jobs if (res := _finished(plan, job)) is not None]
    if not finished:
        raise FileNotFoundError(f"{sweep_dir}: no finished sweep point")
    robust = _robustness_columns(finished)
    records = [_row(job, res) | extra for (job, res), extra in zip(finished, robust, strict=True)]
    columns: list[str] = list(dict.fromkeys(k for r in records for k in r))
    data = {c: _tidy_column([r.get(c) for r in records]) for c in columns}
    df = _with_record(pd.DataFrame(data, columns=columns), plan)
    if write:
        from sim.experiment.atomic import write_atomic

        readable = readable_sweep(df)
        write_atomic(plan.dir / TABLE_FILE, lambda p: df.to_parquet(p, index=False))
        write_atomic(plan.dir / CSV_FILE, lambda p: readable.to_csv(p, index=False))
    return df


# --------------------------------------------------------------------------- sweep.csv

#: Significant digits of the numbers of ``sweep.csv`` (``sweep.parquet`` keeps them all).
CSV_DIGITS = 4
#: The statistics of ``sweep.csv``, by their column names there.
CSV_STATS: tuple[tuple[str, str], ...] = (
    ("mean", "mean"),
    ("ci_low", "95% CI low"),
    ("ci_high", "95% CI high"),
    ("p05", "p05"),
    ("p95", "p95"),
)


def _rounded(values: Any, scale: float = 1.0) -> list[float]:
    """Values divided by ``scale`` (display units), to :data:`CSV_DIGITS` significant digits."""
    out = []
    for v in values:
        x = float(v) / scale if v is not None else math.nan
        out.append(float(f"{x:.{CSV_DIGITS}g}") if math.isfinite(x) else math.nan)
    return out


def _metric_block(df: Any, name: str) -> dict[str, list[float]]:
    """One headline metric's columns: mean, 95% CI, p05, p95 in display units (a time to an
    event: the share of runs where it happened, then its p05 and p95 in days)."""
    from sim.metrics import SHARE_SUFFIX, metric

    m = metric(name)
    out: dict[str, list[float]] = {}
    share = metric(name + SHARE_SUFFIX)
    for stat, label in CSV_STATS:
        source, heading, scale = name, m.heading, m.scale
        if m.time_to_event and stat in ("mean", "ci_low", "ci_high"):
            source, heading, scale = share.name, share.heading, share.scale
        column = stat_column(source, stat)
        if column in df.columns:
            out[f"{heading} {label}"] = _rounded(df[column], scale)
    return out


def _tail_block(df: Any) -> dict[str, list[float]]:
    """``P(export decline < 50%) (% of runs)``: the tail share of each point, in %."""
    from sim.experiment.notes import tail_label
    from sim.metrics import TAILS

    return {
        f"{tail_label(name)} (% of runs)": _rounded(df[stat_column(name, TAIL_STAT)], 0.01)
        for name in TAILS
        if stat_column(name, TAIL_STAT) in df.columns
    }


def _robust_block(df: Any) -> dict[str, list[float]]:
    """Regret (in the metric's difference unit) and the shares of draws, in %."""
    from sim.decision.robustness import HEADLINE, headline_target

    d = HEADLINE.difference
    headings = {
        "mean_regret": (f"{HEADLINE.entry.label} mean regret ({d.unit})", d.scale),
        "p95_regret": (f"{HEADLINE.entry.label} p95 regret ({d.unit})", d.scale),
        "best_share": ("best in (% of draws)", 0.01),
        "target_share": (f"meets {headline_target().text} (% of draws)", 0.01),
    }
    out = {}
    for stat, (heading, scale) in headings.items():
        column = stat_column(HEADLINE.name, stat)
        if column in df.columns:
            out[heading] = _rounded(df[column], scale)
    return out


def readable_sweep(df: Any) -> Any:
    """``sweep.csv``: the table for a spreadsheet, one row per point. The swept keys, then
    ``job`` and ``replications``, then per headline metric (:data:`sim.metrics.HEADLINES`)
    its mean, 95% CI of the mean and p05/p95 of single runs in display units with the unit
    in the header (``Export decline (%) mean``), rounded to :data:`CSV_DIGITS` significant
    digits, the tail shares, then the keys every point sets alike."""
    import pandas as pd

    from sim.metrics import HEADLINES

    swept = swept_keys(df)
    data: dict[str, Any] = {k: _csv_values(df[k]) for k in swept}
    data |= {c: df[c].tolist() for c in ("job", "replications") if c in df.columns}
    if "target_met" in df.columns and df["target_met"].notna().any():
        data["target_met"] = df["target_met"].tolist()
    for name, _ in HEADLINES:
        data |= _metric_block(df, name)
    data |= _tail_block(df) | _robust_block(df)
    data |= {k: _csv_values(df[k]) for k in override_columns(df) if k not in swept}
    return pd.DataFrame(data)


def _csv_values(column: Any) -> list[Any]:
    """A key's values: numbers as they are, anything else (null included) as its label."""
    values = column.tolist()
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if numeric and not any(isinstance(v, float) and math.isnan(v) for v in values):
        return values
    return labels(column).tolist()


def is_readable(df: Any) -> bool:
    """Whether ``df`` is a ``sweep.csv`` written for spreadsheets (not the exact table)."""
    return not sweep_metrics(df) and any(str(c).endswith(" mean") for c in df.columns)


# --------------------------------------------------------------------------- reading


def _with_record(df: Any, plan: SweepPlan | None) -> Any:
    """``df`` with the plan's override and swept keys in ``df.attrs`` (none: unchanged)."""
    if plan is not None:
        df.attrs[OVERRIDES_ATTR] = plan.override_keys
        df.attrs[SWEPT_ATTR] = plan.swept_keys
    return df


def load_sweep(sweep: Any) -> Any:
    """The sweep table from a DataFrame, a table file or a sweep folder (parquet preferred,
    else CSV), with the plan's record in ``df.attrs`` when the folder has one."""
    import pandas as pd

    if isinstance(sweep, pd.DataFrame):
        return sweep
    folder = Path(sweep)
    if folder.is_file():
        df = pd.read_parquet(folder) if folder.suffix == ".parquet" else pd.read_csv(folder)
        return _exact(df, folder)
    for name, read in ((TABLE_FILE, pd.read_parquet), (CSV_FILE, pd.read_csv)):
        if (folder / name).is_file():
            return _with_record(_exact(read(folder / name), folder / name), read_plan(folder))
    raise FileNotFoundError(f"{folder}: no {TABLE_FILE} or {CSV_FILE} (not a sweep folder?)")


def _exact(df: Any, path: Path) -> Any:
    """``df``, refused if it is the rounded ``sweep.csv`` (readers need ``sweep.parquet``)."""
    if is_readable(df):
        raise FileNotFoundError(
            f"{path}: no {TABLE_FILE} to read; {CSV_FILE} is the readable table (rounded, "
            f"headline metrics only): run the same sweep again to rewrite {TABLE_FILE}"
        )
    return df


def sweep_metrics(df: Any) -> list[str]:
    """Metrics with a ``<metric>_mean`` column, in table order."""
    suffix = "_" + SWEEP_STATS[0]
    return [c.removesuffix(suffix) for c in df.columns if str(c).endswith(suffix)]


def metric_columns(df: Any) -> set[str]:
    """The metric statistic columns of ``df``: ``<metric>_<stat>`` of every metric."""
    stats = (*SWEEP_STATS, TAIL_STAT, *ROBUST_STATS)
    return {stat_column(m, s) for m in sweep_metrics(df) for s in stats}


def infer_override_columns(df: Any) -> list[str]:
    """The override columns of a table without the plan's record: every column that is
    neither a row key, a point column nor a metric statistic."""
    known = {*ROW_KEYS, *POINT_COLUMNS} | metric_columns(df)
    return [str(c) for c in df.columns if c not in known]


def has_record(df: Any) -> bool:
    """Whether ``df`` carries the plan's record of its override columns."""
    return OVERRIDES_ATTR in df.attrs


def override_columns(df: Any) -> list[str]:
    """The sweep-point override columns: the plan's record, else inferred."""
    if has_record(df):
        return [k for k in df.attrs[OVERRIDES_ATTR] if k in df.columns]
    return infer_override_columns(df)


def _label(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "null"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def labels(series: Any) -> Any:
    """A column's values as the labels the plots and tables show (None, NaN: "null")."""
    return series.map(_label)


def swept_keys(df: Any) -> list[str]:
    """The override columns the sweep varies: the plan's record (those in the table), else
    the inferred override columns that take more than one value."""
    if has_record(df):
        return [k for k in df.attrs[SWEPT_ATTR] if k in df.columns]
    return [c for c in override_columns(df) if labels(df[c]).nunique() > 1]


def fixed_overrides(df: Any) -> dict[str, str]:
    """Override columns with one value across the table: the sweep's fixed context."""
    swept = set(swept_keys(df))
    out = {}
    for c in override_columns(df):
        values = labels(df[c])
        if c not in swept and values.nunique() == 1:
            out[c] = str(values.iloc[0])
    return out


# --------------------------------------------------------------------------- run folders


def _walk_runs(folder: Path) -> list[Path]:
    """Every finished run folder (one holding ``summary.json``) below ``folder``."""
    from sim.experiment.store import SUMMARY_FILE

    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "plots")
        if SUMMARY_FILE in files and Path(root) != folder:
            found.append(Path(root))
            dirs[:] = []
    return sorted(found, key=lambda p: (0, int(p.name)) if p.name.isdigit() else (1, p.name))


def point_dirs(sweep_dir: str | os.PathLike[str]) -> list[Path]:
    """The run folders of the sweep points: the table's ``run_dir`` column when it has one,
    else every finished run folder below ``sweep_dir``."""
    folder = Path(sweep_dir)
    try:
        df = load_sweep(folder)
    except FileNotFoundError:
        df = None
    if df is not None and "run_dir" in df.columns:
        found = [folder / str(d) for d in df["run_dir"] if (folder / str(d)).is_dir()]
        if found:
            return found
    return _walk_runs(folder)
