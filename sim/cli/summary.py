"""The summary table printed after a run."""

from __future__ import annotations

import math
from typing import Any

from sim.cli.common import (
    show_path,
    text_table,
)
from sim.formatting import fmt_number
from sim.metrics import metric as registry
from sim.metrics import per_day_source

#: Rows of the run summary, by metric name (labels and units: :mod:`sim.metrics`).
SUMMARY_ROWS: tuple[str, ...] = (
    "export_decline",
    "exported_bpd",
    "baseline_exported_bpd",
    "seizures",
    "seized_bbl",
    "stranded_peak_bbl",
    "shut_in_bbl",
    "days_to_storage_full",
    "turnbacks",
    "revenue_lost_usd",
)


# --------------------------------------------------------------------------- summary table


def time_to_event_note(res: Any, metric: str) -> str:
    """E.g. "median 32.6 d; full by the horizon in 135/200 replications" (no mean: the
    runs where it never happened have no time)."""
    from sim.experiment.stats import SHARE_SUFFIX, describe_time_to_event

    reps, summary = res.replications, res.summary
    if metric in reps.columns:
        happened, total = int(reps[metric].notna().sum()), len(reps)
        median = describe_time_to_event(reps[metric])["p50"]
    else:
        share = summary.loc[metric + SHARE_SUFFIX]
        happened, total = round(float(share["mean"]) * int(share["n"])), int(share["n"])
        median = float(summary.loc[metric, "p50"])
    where = f"{registry(metric).event} by the horizon in {happened}/{total} replications"
    if math.isnan(median):
        return f"median not reached; {where}"
    return f"median {fmt_number(median)} d; {where}"


_STATS = ("mean", "ci_low", "ci_high", "p05", "p95", "n")


def _values(res: Any, metric: str) -> Any:
    """The per-replication values of ``metric`` (derived from barrels when needed), or None."""
    reps = res.replications
    if metric in reps.columns:
        return reps[metric]
    source = per_day_source(metric)
    if source is not None and source in reps.columns:
        return reps[source] / float(res.config.horizon_days)
    return None


def _row_stats(res: Any, metric: str) -> dict[str, float] | None:
    """mean, ci_low, ci_high, p05, p95, n of ``metric`` (derived from barrels when needed)."""
    summary = res.summary
    if metric in summary.index:
        row = summary.loc[metric]
        return {k: float(row[k]) for k in _STATS}
    values = _values(res, metric)
    if values is not None:
        from sim.experiment.stats import describe

        s = describe(values)
        return {k: float(s[k]) for k in _STATS}
    return None


def _row_values(res: Any) -> dict[str, Any]:
    """The per-replication values of each summary row that has them (no time to an event)."""
    found = {name: _values(res, name) for name in SUMMARY_ROWS if not registry(name).time_to_event}
    return {name: v for name, v in found.items() if v is not None and len(v)}


def shape_notes(res: Any) -> list[str]:
    """Lines under the table: tail probabilities, any bimodal metric, the variance split."""
    from sim.experiment.notes import bimodal_notes, tail_notes

    columns = _row_values(res)
    hint = " (see the histogram: blockade report DIR)"
    bimodal = [note + hint for note in bimodal_notes(columns)]
    return tail_notes(columns) + bimodal + split_notes(res, columns)


def split_notes(res: Any, columns: dict[str, Any]) -> list[str]:
    """The variance split of the summary rows when the run drew uncertain parameters."""
    from sim.experiment.notes import parameter_shares, split_lines, uncertain_columns

    uncertain = getattr(res.config, "uncertain", None) or {}
    keys = uncertain_columns(res.replications, uncertain)
    if not keys:
        return []
    return split_lines(keys, parameter_shares(res.replications, keys, columns))


def short_decline(res: Any) -> str:
    """One line per finished sweep point: export decline (or exports) with its 95% CI."""
    for name in ("export_decline", "exported_bpd"):
        s = _row_stats(res, name)
        if s is not None:
            m = registry(name)
            unit = m.unit if m.unit == "%" else f" {m.unit}"
            return (
                f"{m.label.lower()} {m.fmt(s['mean'])}{unit} "
                f"[{m.fmt(s['ci_low'])}, {m.fmt(s['ci_high'])}]"
            )
    return "done"


def _uncertain_line(cfg: Any) -> list[str]:
    """Where the run's parameter uncertainty comes from, in one line (none: the point run)."""
    if not cfg.uncertain:
        return []
    source = (
        f"drawn from experiment.posterior ({cfg.experiment.posterior}) where it holds them"
        if cfg.experiment.posterior
        else "drawn from their ranges in `uncertain`"
    )
    return [
        f"Uncertain: {len(cfg.uncertain)} keys {source}, afresh per replication; "
        "'uncertain={}' runs the point scenario"
    ]


def _table_rows(res: Any) -> list[list[str]]:
    """One row per summary metric the run has: label, mean, CI, spread (or an event note)."""
    rows = []
    for name in SUMMARY_ROWS:
        s = _row_stats(res, name)
        if s is None:
            continue
        m = registry(name)
        if m.time_to_event:
            rows.append([m.label, "", "", "", time_to_event_note(res, name)])
            continue
        ci = f"[{m.fmt(s['ci_low'])}, {m.fmt(s['ci_high'])}]"
        spread = f"{m.fmt(s['p05'])} to {m.fmt(s['p95'])}"
        if s["n"] == 0:
            ci = spread = ""
        rows.append([m.heading, m.fmt(s["mean"]), ci, spread, ""])
    return rows


def _head_lines(cfg: Any, manifest: dict[str, Any], done: int) -> list[str]:
    """What the run simulated (scenario, policy variant, overrides), then how it was run."""
    from sim.describe import run_title

    baseline = " (paired no-blockade baseline)" if cfg.experiment.baseline else " (no baseline)"
    return [
        run_title(manifest, cfg),
        f"{cfg.horizon_days:g} days from {cfg.start_date}, {done} replications, root seed "
        f"{cfg.experiment.seed}{baseline}",
    ]


def _status_line(res: Any, manifest: dict[str, Any], done: int) -> str:
    """How many replications ran, and whether the precision target was met."""
    exp = res.config.experiment
    if exp.target is None:
        return f"Replications: {done} (fixed count, no precision target)"
    met = manifest.get("target_met")
    target_metric = str(manifest.get("target_metric", "export_decline"))
    m = registry(target_metric)
    s = _row_stats(res, target_metric)
    half = math.nan if s is None else (s["ci_high"] - s["ci_low"]) / 2
    if exp.target_halfwidth is not None:
        wanted = f"±{fmt_number(m.show(exp.target_halfwidth))} {m.unit}"
        got = f"±{fmt_number(m.show(half))} {m.unit}"
    else:
        wanted = f"±{exp.target_rel_halfwidth:.1%} of the mean"
        got = f"±{half / abs(s['mean']):.1%}" if s is not None and s["mean"] else "–"
    return (
        f"Replications: {done}; target {wanted} (95% half-width of the mean of "
        f"{target_metric.replace('_', ' ')}, first checked at {exp.min_replications}) "
        f"{'met' if met else 'NOT met'}, achieved {got}"
        + ("" if met else f" (max_replications={exp.max_replications})")
    )


def format_summary(res: Any) -> str:
    """The readable summary of one finished run: key metrics with 95% CIs, folder, status."""
    manifest = dict(res.manifest or {})
    done = int(manifest.get("replications_done", len(res.replications)))
    header = ["", "mean", "95% CI of the mean", "one run, p05 to p95", ""]
    lines = [
        *_head_lines(res.config, manifest, done),
        *_uncertain_line(res.config),
        "",
        text_table(header, _table_rows(res)),
        "",
        "95% CI of the mean: Monte Carlo error of the average only. p05 to p95: where 90% of "
        "single replications fall.",
        *shape_notes(res),
        "",
        _status_line(res, manifest, done),
    ]
    out_dir = getattr(res, "out_dir", None)
    if out_dir is not None:
        lines.append(f"Results: {show_path(out_dir)}")
    return "\n".join(lines)
