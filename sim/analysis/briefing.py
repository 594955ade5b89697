"""The one-page summary at the top of a report, as data: question, policy, headline with
both intervals, what drives it, the fit to what happened, and the caveats.

Every sentence about a number is one the report (:mod:`sim.analysis.tables`) or the CLI
(:mod:`sim.experiment.notes`) already says; labels and units come from :mod:`sim.metrics`.
The known limitations are those of ``docs/model.md`` named in :data:`LIMITATIONS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.analysis import tables
from sim.describe import NOT_RECORDED, Policy, RunDescription
from sim.experiment.notes import (
    bimodal_notes,
    parameter_shares,
    split_lines,
    tail_note,
    tail_notes,
    uncertain_columns,
)
from sim.experiment.stats import BIMODAL_MIN_RUNS, SHARE_SUFFIX, paired_difference
from sim.metrics import HEADLINES, REPORT_FIRST, TAILS, Metric, metric

#: The headline metrics the summary states, of :data:`sim.metrics.HEADLINES`.
SUMMARY_HEADLINES: tuple[str, ...] = (
    "export_decline",
    "exported_bbl",
    "revenue_lost_usd",
    "seizures",
    "days_to_storage_full",
)
#: The metric a sweep's summary ranks its points by.
RANKED = "export_decline"
#: The bullets of docs/model.md's "Known limitations" the summary repeats (by their bold
#: lead phrase, matched from the start): those that bear on any answer about exports.
LIMITATIONS: tuple[str, ...] = (
    "No ship-to-ship transfers",
    "Turned-back tankers sail a full voyage",
    "Waiting outside costs nothing",
    "Exports are counted when a tanker is clear",
)
INTERVALS = (
    "The 95% CI of the mean is the Monte Carlo error of the average only; p05 to p95 is "
    "where 90% of single runs fall"
)


@dataclass(frozen=True)
class Briefing:
    """The summary's parts; each a list of sentences (the template renders them)."""

    question: list[str]
    policy: list[str]
    headline_lead: str
    headline: list[tuple[str, str]]
    tails: list[str]
    drivers: list[str]
    fit: list[str]
    caveats: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- shared parts


def _end_date(start: Any, horizon: float) -> str:
    return (pd.Timestamp(str(start)) + pd.Timedelta(days=float(horizon))).date().isoformat()


def question(config: Mapping[str, Any], subject: str) -> str:
    """What is asked: ``subject`` over the horizon, against the paired baseline."""
    horizon = float(config.get("horizon_days") or 0)
    start = config.get("start_date")
    span = f"over {horizon:g} days from {start} to {_end_date(start, horizon)}"
    scenario = f"scenario {config.get('name') or 'scenario'}"
    if not (config.get("experiment") or {}).get("baseline", True):
        return f"{subject} {span} ({scenario})? Levels only: the run has no paired baseline."
    return (
        f"{subject} {span} ({scenario})? Each replication is compared with its paired "
        "no-blockade baseline: the same world and random streams without the navy."
    )


def policy_lines(desc: RunDescription) -> list[str]:
    """The policy variant with its settings, the overrides and the timeline changes."""
    settings = ", ".join(f"{k} = {v}" for k, v in desc.policy.settings)
    lines = [f"Policy: {_variant(desc.policy)}. Its settings: {settings}."]
    source = f" (read from {desc.recorded})" if desc.overrides else ""
    if desc.recorded == NOT_RECORDED:
        lines.append(
            "Overrides: not known (no record of the command line, and no bundled scenario "
            "of this name to compare the config with)."
        )
    else:
        lines.append(f"Overrides: {', '.join(desc.overrides) or 'none'}{source}.")
    if desc.experiment:
        lines.append(f"Experiment settings: {', '.join(desc.experiment)}.")
    timeline = "; ".join(desc.timeline) if desc.timeline else "none"
    lines.append(f"Timeline changes: {timeline}.")
    return lines


def _variant(policy: Policy) -> str:
    """The variant and how it is known, in words."""
    if policy.how == "chosen":
        return f"variant {policy.name} (chosen with policy={policy.name})"
    if policy.how == "identified":
        return (
            f"variant {policy.name} (not named on the command line; the run's levers are "
            f"those of scenarios/policy/{policy.name}.yaml)"
        )
    if policy.how == "scenario":
        same = f", the same as variant {policy.name}" if policy.name else ""
        return f"the scenario file's own (no policy= chosen{same})"
    return "levers of its own (no bundled policy variant has them)"


def limitations() -> list[str]:
    """The bullets of :data:`LIMITATIONS` from docs/model.md, in plain text."""
    from sim.sources import sources_path

    where = sources_path()
    path = None if where is None else where.parent / "model.md"
    if path is None or not path.is_file():
        return ["Known limitations: docs/model.md, section Known limitations."]
    text = path.read_text(encoding="utf-8").split("## Known limitations", 1)[-1]
    bullets = [b for b in re.split(r"\n(?=- )", text.split("\n## ", 1)[0]) if b.startswith("- ")]
    found = []
    for wanted in LIMITATIONS:
        for bullet in bullets:
            if bullet.removeprefix("- **").startswith(wanted):
                found.append(_plain(bullet.removeprefix("- ")))
    return found


def _plain(markdown: str) -> str:
    """Markdown emphasis, code marks and links dropped; one line."""
    text = re.sub(r"\[([^\]]+)\]\(#[^)]*\)", r"docs/model.md, \1", markdown)  # a section
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return " ".join(text.replace("**", "").replace("`", "").split())


def _intervals(keys: Sequence[str]) -> str:
    """What the two intervals hold: with or without parameter uncertainty."""
    if keys:
        return (
            f"{INTERVALS}, and holds the uncertainty of the {len(keys)} parameters drawn per "
            "replication."
        )
    return (
        f"{INTERVALS}; no parameter was drawn per replication, so it holds the model's chance "
        "alone, not the uncertainty of its settings."
    )


# --------------------------------------------------------------------------- a run


def run_briefing(
    result: Any,
    config: Mapping[str, Any],
    desc: RunDescription,
    n: Any,
    fit: Sequence[str] = (),
) -> Briefing:
    """The summary of one run."""
    reps, summary = result.replications, result.summary
    head = tables.headline(summary, n)
    keys = uncertain_columns(reps, config.get("uncertain") or {})
    columns = tables.columns_of(reps, [name for name, _ in HEADLINES])
    return Briefing(
        question=[
            question(config, "What does the blockade do to exports"),
            f"{n} replications, root seed {(config.get('experiment') or {}).get('seed', '?')}.",
        ],
        policy=policy_lines(desc),
        headline_lead=head.lead if head else "",
        headline=_summary_items(head),
        tails=tail_notes(columns),
        drivers=drivers(reps, keys, columns, config),
        fit=list(fit),
        caveats=run_caveats(result, keys, columns, desc),
    )


def _summary_items(head: tables.Headline | None) -> list[tuple[str, str]]:
    """The headline items of :data:`SUMMARY_HEADLINES`, in the headline's order."""
    phrases = {dict(HEADLINES)[name] for name in SUMMARY_HEADLINES}
    return [item for item in (head.items if head else []) if item[0] in phrases]


def drivers(
    reps: pd.DataFrame, keys: Sequence[str], columns: Mapping[str, Any], config: Mapping[str, Any]
) -> list[str]:
    """The variance split over the uncertain keys (or which were drawn, and why no split)."""
    if not keys:
        return [
            "No parameter was drawn per replication ('uncertain' is empty): the spread between "
            "runs is the model's chance alone. Which settings move the answer: "
            "blockade sensitivity."
        ]
    posterior = (config.get("experiment") or {}).get("posterior")
    where = f", from experiment.posterior ({posterior}) where it holds them" if posterior else ""
    drawn = f"Drawn per replication{where}: {', '.join(keys)}."
    first = {name: columns[name] for name in SUMMARY_HEADLINES if name in columns}
    lines = split_lines(keys, parameter_shares(reps, keys, first))
    return [drawn, *(line.strip() for line in lines)]


def run_caveats(
    result: Any, keys: Sequence[str], columns: Mapping[str, Any], desc: RunDescription
) -> list[str]:
    """Intervals, censoring, clusters, the precision target, and the known limitations."""
    reps, summary = result.replications, result.summary
    out = [_intervals(keys)]
    out += censoring(summary, float(result.config.horizon_days))
    shown = tables.columns_of(reps, REPORT_FIRST)  # the metrics the report's flag looks at
    out += bimodal_notes(shown) or [tables._no_clusters(len(reps))]
    manifest = getattr(result, "manifest", None) or {}
    if manifest.get("target_met") is False:
        out.append(
            "The precision target was not met: the run stopped at "
            f"{manifest.get('replications_done', len(reps))} replications "
            f"(max_replications), so the 95% CI is wider than asked."
        )
    changes = what_if(desc)
    if changes:
        out.append(f"A what-if: the run changes the scenario as written ({changes}).")
    return out + limitations()


def what_if(desc: RunDescription) -> str:
    """How the run departs from the scenario file ("" if it does not)."""
    parts = [] if desc.policy.own else [f"policy {desc.policy.phrase}"]
    if desc.overrides:
        parts.append(f"{len(desc.overrides)} override{'s' * (len(desc.overrides) > 1)}")
    if desc.timeline:
        parts.append(f"{len(desc.timeline)} timeline change{'s' * (len(desc.timeline) > 1)}")
    return ", ".join(parts)


def censoring(summary: pd.DataFrame, horizon: float) -> list[str]:
    """One sentence per headline time to an event: a share and a median, never a mean."""
    s = tables._Summary(summary)
    out = []
    for name, _ in HEADLINES:
        m = metric(name)
        share = name + SHARE_SUFFIX
        if not m.time_to_event or not s.known(share, "mean"):
            continue
        pct = tables.show(share, s.get(share, "mean"))
        median = (
            f"the median is day {tables.show(name, s.get(name, 'p50'))}"
            if s.known(name, "p50")
            else "the median is not reached"
        )
        out.append(
            f"{m.label} is censored at the horizon (day {horizon:g}): {m.event} in {pct}% of "
            f"replications; {median}, counting the others as later; no mean is stated."
        )
    return out


# --------------------------------------------------------------------------- a sweep


def _row_summary(row: pd.Series, name: str) -> tables._Summary:
    """A sweep row's statistics of ``name`` as a one-metric summary."""
    stats = ("mean", "ci_low", "ci_high", "p05", "p95")
    frame = pd.DataFrame({s: [row.get(f"{name}_{s}", math.nan)] for s in stats}, index=[name])
    return tables._Summary(frame)


def point_name(row: pd.Series, keys: Sequence[str]) -> str:
    """E.g. "policy=enter_after_14d, navy.boarding_teams=4 (point 1)"."""
    job = f" (point {row['job']})" if "job" in row.index else ""
    return ", ".join(f"{k}={row[k]}" for k in keys) + job


def sweep_headline(
    df: pd.DataFrame, keys: Sequence[str], points: Sequence[tables.PointRuns]
) -> list[tuple[str, str]]:
    """The points of highest and lowest mean export decline (both intervals, the tail),
    and their paired difference."""
    column = f"{RANKED}_mean"
    if column not in df.columns or df[column].isna().all() or len(df) == 0:
        return []
    values = df[column].astype(float).fillna(-math.inf).to_numpy()
    order = values.argsort(kind="stable")
    high, low = int(order[-1]), int(order[0])
    if values[high] == values[low]:
        high = low  # every point has the same mean: one line says so
    label = metric(RANKED).label
    items = []
    extremes = (("highest", high), ("lowest", low)) if high != low else (("every point", low),)
    for phrase, i in extremes:
        text = tables._stat(_row_summary(df.iloc[i], RANKED), RANKED) or tables.NONE
        point = points[i] if i < len(points) else None
        tail = tail_note(RANKED, point[0].get(RANKED)) if point is not None else None
        where = point_name(df.iloc[i], keys) if high != low else f"the same at all {len(df)}"
        items.append((f"{label}, {phrase}: {where}", _join(text, tail)))
    diff = _paired(points, high, low)
    if diff:
        items.append((f"{label}, highest − lowest (paired on common random numbers)", diff))
    return items


def _join(text: str, tail: str | None) -> str:
    return f"{text}; {tail}" if tail else text


def _paired(points: Sequence[tables.PointRuns], high: int, low: int) -> str | None:
    """The paired difference of the two points' replications, in pp, with its 95% CI."""
    a = points[high] if high < len(points) else None
    b = points[low] if low < len(points) else None
    if a is None or b is None or high == low or RANKED not in a[0] or RANKED not in b[0]:
        return None
    try:
        d = paired_difference(a[0], b[0], [RANKED]).loc[RANKED].to_dict()
    except ValueError:  # the points do not share their random streams
        return None
    m = metric(RANKED).difference()
    if int(d["n"]) < 2:
        return None
    return (
        f"{_signed(m, float(d['mean']))} {m.unit} (95% CI {_signed(m, float(d['ci_low']))} – "
        f"{_signed(m, float(d['ci_high']))} {m.unit}), {int(d['n'])} pairs"
    )


def _signed(m: Metric, value: float) -> str:
    """A difference in display units with its sign: "+3.38", "-0.5"."""
    return ("+" if value > 0 else "") + m.fmt(value)


def sweep_briefing(
    df: pd.DataFrame,
    config: Mapping[str, Any],
    desc: RunDescription | None,
    varied: tables.Table,
    points: Sequence[tables.PointRuns],
) -> Briefing:
    """The summary of a sweep: what varies, the extreme points, what drives the spread."""
    keys = [k for k in tables.sweep_keys(df) if k != "job"]
    seed = (config.get("experiment") or {}).get("seed", "?")
    swept = "; ".join(f"{r.cells[0]} = {r.cells[1]}" for r in varied.rows) or "nothing"
    policy = [f"Varied: {swept}."]
    if desc is not None and "policy" not in keys:
        policy = [*policy_lines(desc)[:1], *policy]
    drawn = list(dict.fromkeys(k for p in points if p is not None for k in p[1]))
    return Briefing(
        question=[
            question(config, f"How does the blockade's effect change with {', '.join(keys)}"),
            f"{len(df)} points sharing root seed {seed} (common random numbers: the same "
            "replications at every point).",
        ],
        policy=policy,
        headline_lead=(
            "Mean with the 95% interval of the mean (Monte Carlo error only), then where 90% of "
            "single runs fall (p05 to p95), at the points of highest and lowest mean"
        ),
        headline=sweep_headline(df, keys, points),
        tails=[],
        drivers=_sweep_drivers(df, keys, drawn),
        fit=[],
        caveats=_sweep_caveats(points, drawn),
    )


def _sweep_drivers(df: pd.DataFrame, keys: Sequence[str], drawn: Sequence[str]) -> list[str]:
    """How far the points' means spread, and what was drawn within each point."""
    out = []
    column = f"{RANKED}_mean"
    if column in df.columns and df[column].notna().sum() > 1:
        m = metric(RANKED)
        span = m.difference().fmt(float(df[column].max() - df[column].min()))
        out.append(
            f"Across the points ({', '.join(keys)}) the mean {m.label.lower()} spans {span} "
            f"{m.difference().unit}: from {m.fmt(df[column].min())}{m.unit} to "
            f"{m.fmt(df[column].max())}{m.unit}."
        )
    if drawn:
        out.append(
            f"Within each point {len(drawn)} parameters are drawn per replication "
            f"({', '.join(drawn)}); their share of the spread: the variance split per point."
        )
    else:
        out.append("Within each point nothing is drawn per replication: the spread is chance.")
    return out


def _sweep_caveats(points: Sequence[tables.PointRuns], drawn: Sequence[str]) -> list[str]:
    """The intervals, how many points fall in two clusters, and the known limitations."""
    out = [_intervals(drawn)]
    runs = [p[0] for p in points if p is not None]
    if runs and min(len(r) for r in runs) < BIMODAL_MIN_RUNS:
        out.append(
            f"Bimodality: not assessed at points with fewer than {BIMODAL_MIN_RUNS} replications."
        )
    clustered = sum(1 for r in runs if bimodal_notes(tables.columns_of(r, [RANKED, *TAILS])) != [])
    if clustered:
        out.append(
            f"{clustered} of {len(runs)} points fall in two clusters of runs: their means "
            "describe neither (see the table)."
        )
    return out + limitations()
