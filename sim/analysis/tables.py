"""The report's tables and lists as data (text cells in display units); templates render them.

Labels, units and scales come from :mod:`sim.metrics`; the sentences under every summary
from :mod:`sim.experiment.notes`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.experiment.notes import (
    BIMODAL_MEANING,
    bimodal_notes,
    clusters,
    parameter_shares,
    share_text,
    split_head,
    tail_fraction,
    tail_label,
    tail_notes,
    uncertain_columns,
)
from sim.experiment.stats import BIMODAL_MIN_RUNS, SHARE_SUFFIX, is_time_to_event
from sim.formatting import fmt_number
from sim.metrics import HEADLINES, REPORT_FIRST, SWEEP_SHOWN, TAILS, metric
from sim.sweep_table import override_columns as _override_columns
from sim.sweep_table import sweep_metrics, swept_keys

NONE = "–"  # a cell without a value
MANIFEST_FIRST: tuple[str, ...] = (
    "scenario",
    "version",
    "package_version",
    "git_commit",
    "git_dirty",
    "seed",
    "root_seed",
    "replications_done",
    "executor",
    "workers",
    "wall_seconds",
    "config_hash",
    "target_met",
)
SHAPE_LEAD = (
    "How often single runs fall in the bad tail, whether they fall in two clusters (then "
    "{meaning}), and, when parameters were drawn per replication, how much of the spread "
    "between runs they explain."
)
SPLIT_HEADER = "share of the spread between runs explained by the uncertain parameters"
CLUSTERS_HEADER = "two clusters (the mean describes neither)"
#: One sweep point's replications and its uncertain keys (None: no readable run folder).
PointRuns = tuple[pd.DataFrame, list[str]] | None


@dataclass(frozen=True)
class Row:
    """A table row: its cells as text, and a CSS class ("" for none)."""

    cells: list[str]
    cls: str = ""


@dataclass(frozen=True)
class Table:
    """A table: header, rows, and the indices of its numeric (right-aligned) columns."""

    header: list[str]
    rows: list[Row]
    numeric: frozenset[int] = field(default_factory=frozenset)


def table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Iterable[int] = ()
) -> Table:
    """A :class:`Table` of plain rows, every cell as text."""
    return Table(
        [str(h) for h in header], [Row([str(c) for c in r]) for r in rows], frozenset(numeric)
    )


def _float(value: Any) -> float:
    """``value`` as a float (NaN for None or anything not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def show(name: str, value: Any) -> str:
    """``value`` of metric ``name`` in its display unit, without the unit ("–" if missing)."""
    number = _float(value)
    return NONE if math.isnan(number) else fmt_number(metric(name).show(number))


def ci(name: str, low: Any, high: Any) -> str:
    """An interval in display units ("–" unless both ends are known)."""
    if math.isnan(_float(low)) or math.isnan(_float(high)):
        return NONE
    return f"{show(name, low)} – {show(name, high)}"


def ordered_metrics(metrics: Sequence[str]) -> list[str]:
    """``metrics`` with the report's first ones first."""
    first = [m for m in REPORT_FIRST if m in metrics]
    return first + [m for m in metrics if m not in first]


# --------------------------------------------------------------------------- a run


class _Summary:
    """Cells of a summary table (metrics as index, statistics as columns)."""

    def __init__(self, summary: pd.DataFrame) -> None:
        self.frame = summary
        self.index = [str(m) for m in summary.index]

    def get(self, name: str, column: str) -> Any:
        """A statistic (None if the summary has no such row or column)."""
        if name not in self.index or column not in self.frame.columns:
            return None
        return self.frame.at[name, column]

    def known(self, name: str, column: str) -> bool:
        """Whether a statistic is there and not NaN."""
        return not math.isnan(_float(self.get(name, column)))

    def ci(self, name: str, of: str | None = None) -> str:
        """The 95% CI of ``of`` (default ``name``) in ``name``'s display units."""
        row = of or name
        return ci(name, self.get(row, "ci_low"), self.get(row, "ci_high"))


def summary_table(summary: pd.DataFrame) -> Table:
    """The summary with CIs in display units; baseline columns beside each metric."""
    s = _Summary(summary)
    has_base = any(m.startswith("baseline_") for m in s.index)
    header = ["metric", "unit", "mean", "95% CI of the mean", "p05", "median", "p95", "n"]
    if has_base:
        header += ["baseline mean", "baseline 95% CI"]
    rows = []
    for m in ordered_metrics([m for m in s.index if not m.startswith("baseline_")]):
        n = _float(s.get(m, "n"))
        cells = [m, metric(m).unit, show(m, s.get(m, "mean")), s.ci(m)]
        cells += [show(m, s.get(m, p)) for p in ("p05", "p50", "p95")]
        cells.append(NONE if math.isnan(n) else f"{int(n)}")
        if has_base:
            base = f"baseline_{m}"
            known = base in s.index
            cells += [show(m, s.get(base, "mean")), s.ci(m, base)] if known else ["", ""]
        rows.append(Row(cells, "headline" if m in REPORT_FIRST else ""))
    return Table(header, rows, frozenset(range(2, 10)))


@dataclass(frozen=True)
class Headline:
    """The headline list: its lead sentence and (phrase, value) items."""

    lead: str
    items: list[tuple[str, str]]


def headline(summary: pd.DataFrame, n: Any) -> Headline | None:
    """Means with their CI and the spread of single runs, per headline metric."""
    s = _Summary(summary)
    items = []
    for name, phrase in HEADLINES:
        text = _time_to_event(s, name) if metric(name).time_to_event else _stat(s, name)
        if text:
            items.append((phrase, text))
    if not items:
        return None
    runs = _float(n)
    reps = "" if math.isnan(runs) else f" across {int(runs)} replications"
    lead = (
        f"Means{reps} with the 95% interval of the mean (Monte Carlo error only), then where "
        "90% of single runs fall (p05 to p95); a time to an event: share, median"
    )
    return Headline(lead, items)


def _stat(s: _Summary, name: str) -> str | None:
    """A metric's mean (95% CI); single runs p05 to p95, with its unit."""
    if not s.known(name, "mean"):
        return None
    unit = metric(name).unit
    unit = "%" if unit == "%" else f" {unit}" if unit else ""
    text = f"{show(name, s.get(name, 'mean'))}{unit}"
    if s.known(name, "ci_low"):
        text += f" (95% CI {s.ci(name)}{unit})"
    if s.known(name, "p05"):
        text += f"; single runs {show(name, s.get(name, 'p05'))} to "
        text += f"{show(name, s.get(name, 'p95'))}{unit}"
    return text


def _time_to_event(s: _Summary, name: str) -> str | None:
    """Share of replications where it happened (95% CI), and the median day if defined."""
    share = name + SHARE_SUFFIX
    if not s.known(share, "mean"):
        return None
    text = f"in {show(share, s.get(share, 'mean'))}% of replications"
    if s.known(share, "ci_low"):
        # the share's t-interval, cut to the shares there can be (0-100%)
        low, high = (min(max(_float(s.get(share, c)), 0.0), 1.0) for c in ("ci_low", "ci_high"))
        text += f" (95% CI {ci(share, low, high)}%)"
    if not s.known(name, "p50"):
        return text + "; median not reached"
    return text + f"; median day {show(name, s.get(name, 'p50'))}"


def manifest_table(manifest: dict[str, Any]) -> Table:
    """Every manifest entry, the identifying ones first."""
    keys = [k for k in MANIFEST_FIRST if k in manifest]
    keys += [k for k in manifest if k not in keys]
    rows = []
    for k in keys:
        v = manifest[k]
        rows.append([k, v if isinstance(v, str) else json.dumps(v, default=str, sort_keys=True)])
    return table(["field", "value"], rows)


# --------------------------------------------------------------------------- beyond the mean


@dataclass(frozen=True)
class Shape:
    """Beyond the mean: the lead, tail and cluster notes, and the variance split."""

    lead: str
    notes: list[str]
    split_head: str = ""
    split: Table | None = None


def columns_of(reps: pd.DataFrame, metrics: Sequence[str]) -> dict[str, pd.Series]:
    """The per-replication values of each of ``metrics`` in ``reps`` (no time to an event)."""
    return {m: reps[m] for m in metrics if m in reps.columns and not is_time_to_event(m)}


def _no_clusters(n: int) -> str:
    """The bimodality flag when no metric has two clusters: none found, or not looked for."""
    if n < BIMODAL_MIN_RUNS:
        return f"Bimodality: not assessed with {n} replications (it needs {BIMODAL_MIN_RUNS})"
    return "Bimodality: no headline metric falls in two clear clusters of runs"


def shape(reps: pd.DataFrame, uncertain: Iterable[str] = ()) -> Shape:
    """Tail probabilities, the bimodality flag and the variance split of a run."""
    columns = columns_of(reps, REPORT_FIRST)
    notes = tail_notes(columns) + (bimodal_notes(columns) or [_no_clusters(len(reps))])
    lead = SHAPE_LEAD.format(meaning=BIMODAL_MEANING)
    keys = uncertain_columns(reps, uncertain)
    if not keys or not columns:
        return Shape(lead, notes)
    shares = parameter_shares(reps, keys, columns)
    head = split_head(keys, shares)
    if all(s.reason for s in shares.values()):
        return Shape(lead, notes, head)
    rows = [[name, metric(name).heading, share_text(s)] for name, s in shares.items()]
    return Shape(lead, notes, head, table(["metric", "label", SPLIT_HEADER], rows))


# --------------------------------------------------------------------------- a sweep


def sweep_keys(df: pd.DataFrame) -> list[str]:
    """The columns that name a sweep point: ``job`` and the swept overrides."""
    keys = swept_keys(df) or _override_columns(df)
    return ["job", *keys] if "job" in df.columns else keys


def sweep_shown(df: pd.DataFrame) -> list[str]:
    """The metrics a sweep table shows."""
    metrics = ordered_metrics(sweep_metrics(df))
    return [m for m in SWEEP_SHOWN if m in metrics] or metrics[:5]


def sweep_table(df: pd.DataFrame, points: Sequence[PointRuns] | None = None) -> Table:
    """One row per sweep point: its overrides and the headline metrics with CIs; with
    ``points`` (each row's replications) also its tail probabilities and clusters."""
    keys, shown = sweep_keys(df), sweep_shown(df)
    header = [*keys, *(f"{m} ({metric(m).unit})" if metric(m).unit else m for m in shown)]
    tails = list(TAILS) if points is not None else []
    if points is not None:
        header += [*(tail_label(m) for m in tails), CLUSTERS_HEADER]
    rows = []
    for i, (_, row) in enumerate(df.iterrows()):
        cells: list[Any] = [row[k] for k in keys]
        for m in shown:
            mean, interval = (
                show(m, row.get(f"{m}_mean")),
                ci(m, row.get(f"{m}_ci_low"), row.get(f"{m}_ci_high")),
            )
            cells.append(mean if interval == NONE else f"{mean} [{interval}]")
        if points is not None:
            cells += _shape_cells(points[i], tails, shown)
        rows.append(cells)
    return table(header, rows, range(len(keys), len(keys) + len(shown) + len(tails)))


def _shape_cells(point: PointRuns, tails: Sequence[str], shown: Sequence[str]) -> list[str]:
    """A sweep point's tail probabilities and bimodality flag ("–" without its runs)."""
    if point is None:
        return [NONE] * (len(tails) + 1)
    reps = point[0]
    cells = [tail_fraction(m, reps.get(m)) or NONE for m in tails]
    found = [c for c in (clusters(m, v) for m, v in columns_of(reps, shown).items()) if c]
    if found:
        return [*cells, "; ".join(found)]
    enough = len(reps) >= BIMODAL_MIN_RUNS
    return [*cells, "none" if enough else f"not assessed (< {BIMODAL_MIN_RUNS} runs)"]


def sweep_split(df: pd.DataFrame, points: Sequence[PointRuns]) -> tuple[str, Table] | None:
    """The variance split of each sweep point that drew uncertain keys (None if none did)."""
    keys, shown = sweep_keys(df), sweep_shown(df)
    rows, head = [], ""
    for i, (_, row) in enumerate(df.iterrows()):
        point = points[i]
        if point is None or not point[1]:
            continue
        shares = parameter_shares(point[0], point[1], columns_of(point[0], shown))
        head = head or split_head(point[1], shares)
        rows.append([*(row[k] for k in keys), *(share_text(shares[m]) for m in shown)])
    return (head, table([*keys, *shown], rows)) if rows else None


# --------------------------------------------------------------------------- month by month

MONTHLY_LEAD = (
    "Per calendar month: the mean across replications of each replication's own monthly sum, "
    "then where 90% of single runs fall [p05 – p95]. A difference is the blockade world minus "
    "its paired baseline, replication by replication. A month the run covers only in part "
    "names the days it covers. The same table in raw units: monthly.csv in the run folder."
)


@dataclass(frozen=True)
class Monthly:
    """The monthly table: its lead sentence and one row per quantity, one column per month."""

    lead: str
    table: Table


def monthly(frame: pd.DataFrame | None) -> Monthly | None:
    """The report's monthly table from ``ExperimentResult.monthly`` (None if it is empty)."""
    from sim.experiment.monthly import STATS, label

    if frame is None or frame.empty:
        return None
    names = [str(c).removesuffix("_mean") for c in frame.columns if str(c).endswith("_mean")]
    spans = zip(frame["month"], frame["days"], frame["days_in_month"], strict=True)
    header = ["quantity", *(label(str(m), int(d), int(size)) for m, d, size in spans)]
    rows = []
    for name in names:
        cells = [metric(name).heading]
        for _, row in frame.iterrows():
            mean, low, high = (row[f"{name}_{s}"] for s in STATS)
            spread = ci(name, low, high)
            cells.append(show(name, mean) + ("" if spread == NONE else f" [{spread}]"))
        rows.append(cells)
    return Monthly(MONTHLY_LEAD, table(header, rows, range(1, len(header))))
