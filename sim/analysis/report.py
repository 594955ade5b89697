"""A one-file HTML report of a run folder or a sweep folder.

The report is self-contained: images are embedded as base64 PNG data URIs, the CSS is
inline, and nothing is loaded from elsewhere. Every piece of text is HTML-escaped. Only the
project's own plots are embedded: known names, regular files (no symlinks) inside
``plots/``, with the PNG signature; anything else there is skipped with a warning. The
report is written only to a ``.html`` path that is new or holds a report written by
blockade-sim (recognised by its generator mark).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import math
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.analysis._common import fmt_metric, fmt_number, metric_unit
from sim.analysis.plots import RUN_PLOTS, plot_paths, write_run_plots
from sim.analysis.results import as_result
from sim.analysis.sweep import (
    fixed_overrides,
    load_sweep,
    ordered_values,
    override_columns,
    point_dirs,
    sweep_metrics,
    swept_keys,
    write_sweep_plots,
)
from sim.experiment.atomic import write_text_atomic
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
from sim.experiment.store import REPLICATIONS_FILE, damaged_file
from sim.metrics import TAILS, metric
from sim.sources import cited_ids, parse_sources, sources_path

PathLike = str | os.PathLike[str]

log = logging.getLogger(__name__)

#: The mark in the head of every report, by which an existing report may be overwritten.
GENERATOR_MARK = '<meta name="generator" content="blockade-sim'
_LEGACY_MARK = "by blockade-sim.</p>"  # the footer of reports written before the mark
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: File names of the sweep plots (:func:`sim.analysis.sweep.write_sweep_plots`).
SWEEP_PLOT_NAME = re.compile(
    r"(?:heatmap_[A-Za-z0-9-]+(?:__[A-Za-z0-9-]+){2}|lines_[A-Za-z0-9-]+__[A-Za-z0-9-]+)\.png"
)


class ReportTargetError(ValueError):
    """``out`` is not a place a report may be written to (not .html, or another file)."""


# Metrics shown first in tables, in this order; the rest follow in the summary's order.
HEADLINE_METRICS: tuple[str, ...] = (
    "export_decline",
    "exported_bbl",
    "exported_bpd",
    "exported_licensed_bbl",
    "seizures",
    "seized_bbl",
    "seizures_in_waters",
    "escapes",
    "turnbacks",
    "shut_in_bbl",
    "stranded_bbl",
    "stranded_peak_bbl",
    "storage_end_bbl",
    "days_to_storage_full",
    "days_to_first_seizure",
)
SWEEP_METRICS: tuple[str, ...] = (
    "export_decline",
    "exported_bbl",
    "seizures",
    "shut_in_bbl",
    "stranded_peak_bbl",
)
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
CAPTIONS: dict[str, str] = {
    "exports_fan.png": (
        "Daily exports with and without the blockade: how far and how fast exports fall, and "
        "how uncertain the path is (band: 5th-95th percentile across replications)."
    ),
    "storage_shut_ins.png": (
        "Onshore storage against usable capacity, and the production shut in once tanks are "
        "full: when the blockade starts to force output cuts."
    ),
    "stranded_waiting.png": (
        "Loaded cargo and tankers stuck in port while owners wait for the risk to fall."
    ),
    "distributions.png": (
        "Spread of seizures and of export decline across replications; the shaded band is the "
        "95% confidence interval of the mean, not of a single outcome."
    ),
    "timeline.png": (
        "One typical replication tanker by tanker: queueing, loading, waiting loaded, the run "
        "through the interdiction zone, and how each voyage ended."
    ),
}

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0;
       color: #1d1d1f; background: #fafafa; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 2rem 3rem; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; border-bottom: 2px solid #ddd; padding-bottom: .2rem;
     margin-top: 2.2rem; }
p.lead { font-size: 1.05rem; color: #333; }
p.meta, p.note, figcaption { color: #555; font-size: .9rem; }
div.table { overflow-x: auto; margin: .6rem 0; }
table { border-collapse: collapse; font-size: .85rem; width: 100%; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f0f0f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.overridden td { background: #fff4e0; }
tr.headline td:first-child { font-weight: 600; }
code { font-size: .85em; background: #f4f4f6; padding: 0 .2em; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
ul.headline li { margin: .2rem 0; }
details pre { background: #f6f6f8; padding: .6rem; overflow-x: auto; font-size: .8rem; }
span.tag { display: inline-block; font-size: .75rem; padding: 0 .35rem;
           border-radius: 3px; color: #fff; }
span.source { background: #2e7d32; }
span.assumption { background: #b26a00; }
"""


# --------------------------------------------------------------------------- assumptions


@dataclass(frozen=True)
class Annotation:
    """One annotated line of a scenario file: ``key: value  # source: ...``."""

    key: str
    value: str
    kind: str  # "source" or "assumption"
    note: str


_ANNOTATED = re.compile(r"^(?P<body>.*?)\s+#\s*(?P<kind>source|assumption)\s*:\s*(?P<note>.*)$")
_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w.\-]*)\s*:\s*(?P<value>.*)$")


def parse_annotations(path: PathLike) -> list[Annotation]:
    """The ``# source:`` / ``# assumption:`` comments of a scenario YAML, keyed by dotted
    path (list items as ``key[i]``). A comment-only line whose ``#`` lines up with the
    annotation above it continues that annotation's note."""
    stack: list[tuple[int, str]] = []
    items: dict[str, int] = {}
    found: list[list[str]] = []  # [key, value, kind, note]
    hash_col: int | None = None  # column of the last annotation's "#"
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not stripped:
            hash_col = None
            continue
        if stripped.startswith("#"):
            col = len(raw) - len(raw.lstrip())
            if found and hash_col is not None and col == hash_col:
                found[-1][3] += " " + stripped.lstrip("#").strip()
            else:
                hash_col = None
            continue
        match = _ANNOTATED.match(raw)
        body = match.group("body") if match else _strip_comment(raw)
        hash_col = raw.index("#", len(body)) if match else None
        indent = len(body) - len(body.lstrip(" "))
        text = body.strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = _join(k for _, k in stack)
        if text.startswith("- "):
            index = items.get(parent, 0)
            items[parent] = index + 1
            key = f"{parent}[{index}]"
            rest = text[2:].strip()
            inner = _KEY.match(rest) if not rest.startswith(("{", "[", '"', "'")) else None
            if inner:  # "- key: value": a block mapping item
                stack.append((indent, f"[{index}]"))
                key, value = f"{key}.{inner.group('key')}", inner.group("value")
            else:
                value = rest
        else:
            kv = _KEY.match(text)
            if not kv:
                continue
            key = _join([*(k for _, k in stack), kv.group("key")])
            value = kv.group("value").strip()
            if value in ("", ">-", ">", "|", "|-"):
                stack.append((indent, kv.group("key")))
        if match:
            found.append([key, value.strip(), match.group("kind"), match.group("note").strip()])
    return [Annotation(*row) for row in found]


def _join(parts: Iterable[str]) -> str:
    out = ""
    for part in parts:
        out += part if part.startswith("[") or not out else f".{part}"
    return out


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if ch in "\"'":
            quote = None if quote == ch else (quote or ch)
        elif ch == "#" and quote is None and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def _lookup(data: Any, key: str) -> tuple[bool, Any]:
    """The value at a dotted key (with ``[i]`` list indices) of a nested mapping."""
    section, _, rest = key.partition(".")
    if section == "uncertain" and isinstance(data, dict):  # its keys are dotted config keys
        table = data.get("uncertain") or {}
        return (rest in table), table.get(rest)
    current = data
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", key):
        if part.startswith("["):
            idx = int(part[1:-1])
            if not isinstance(current, list) or idx >= len(current):
                return False, None
            current = current[idx]
        else:
            if not isinstance(current, dict) or part not in current:
                return False, None
            current = current[part]
    return True, current


def _same(file_value: Any, run_value: Any) -> bool:
    if isinstance(run_value, dict) and not isinstance(file_value, dict):
        if run_value.get("dist") == "fixed":  # a bare number means a fixed distribution
            return _same(file_value, run_value.get("value"))
        return False
    if isinstance(file_value, dict):
        if not isinstance(run_value, dict):
            return False
        return all(k in run_value and _same(v, run_value[k]) for k, v in file_value.items())
    if isinstance(file_value, list):
        return (
            isinstance(run_value, list)
            and len(file_value) == len(run_value)
            and all(_same(a, b) for a, b in zip(file_value, run_value, strict=True))
        )
    if isinstance(file_value, bool) or isinstance(run_value, bool):
        return file_value == run_value
    if isinstance(file_value, int | float) and isinstance(run_value, int | float):
        return math.isclose(float(file_value), float(run_value), rel_tol=1e-12)
    return str(file_value) == str(run_value)


def _compact(value: Any) -> str:
    """A short YAML-ish rendering of a config value (nulls of distributions dropped)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {_compact(v)}" for k, v in value.items() if v is not None)
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_compact(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, float):
        return fmt_number(value, digits=6) if not value.is_integer() else f"{int(value)}"
    return str(value)


def assumption_rows(config: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """Annotated scenario keys with this run's value; and the scenario file used (if any)."""
    from sim.config import scenarios_dir  # public config helper, not a model internal

    name = str(config.get("name", ""))
    try:
        path = scenarios_dir() / "scenario" / f"{name}.yaml"
    except FileNotFoundError:
        return [], None
    if not name or not path.is_file():
        return [], None
    rows = []
    for ann in parse_annotations(path):
        found, run_value = _lookup(config, ann.key)
        try:
            file_value = yaml.safe_load(ann.value) if ann.value else None
        except yaml.YAMLError:
            file_value = ann.value
        overridden = found and file_value is not None and not _same(file_value, run_value)
        shown = ann.value
        if overridden or (found and not ann.value):  # a mapping annotated on its own line
            shown = _compact(run_value)
        rows.append(
            {
                "key": ann.key,
                "value": shown,
                "file_value": ann.value,
                "kind": ann.kind,
                "note": ann.note,
                "overridden": overridden,
            }
        )
    return rows, f"scenario/{name}.yaml"


def _flatten(data: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(data, dict) and data and "dist" not in data:
        for k, v in data.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    else:
        yield prefix, data


# --------------------------------------------------------------------------- HTML pieces


def _table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = ()
) -> str:
    out = ["<div class='table'><table>", "<thead><tr>"]
    out += [f"<th>{escape(str(h))}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cls = ""
        if isinstance(row, _Row):
            cls = f' class="{escape(row.cls, quote=True)}"' if row.cls else ""
            cells = row.cells
        else:
            cells = list(row)
        out.append(f"<tr{cls}>")
        for i, cell in enumerate(cells):
            attr = ' class="num"' if i in numeric else ""
            out.append(f"<td{attr}>{cell if isinstance(cell, _Html) else escape(str(cell))}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


class _Html(str):
    """Text that is already HTML (escaped by its builder)."""


@dataclass
class _Row:
    cells: list[Any]
    cls: str = ""


def _img(path: Path, png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    alt = escape(caption or path.stem, quote=True)
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{alt}">'
        f"<figcaption><code>{escape(path.name)}</code> — {escape(caption)}</figcaption></figure>"
    )


def _unit_label(metric: str) -> str:
    return metric_unit(metric)[1]


def _ordered_metrics(metrics: Sequence[str]) -> list[str]:
    first = [m for m in HEADLINE_METRICS if m in metrics]
    return first + [m for m in metrics if m not in first]


def _ci(metric: str, lo: Any, hi: Any) -> str:
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return "–"
    return f"{fmt_metric(metric, lo)} – {fmt_metric(metric, hi)}"


def summary_table(summary: pd.DataFrame) -> str:
    """The summary with CIs in display units; baseline columns beside each metric."""
    index = [str(m) for m in summary.index]
    has_base = any(m.startswith("baseline_") for m in index)
    metrics = _ordered_metrics([m for m in index if not m.startswith("baseline_")])
    header = ["metric", "unit", "mean", "95% CI of the mean", "p05", "median", "p95", "n"]
    if has_base:
        header += ["baseline mean", "baseline 95% CI"]

    def get(m: str, col: str) -> Any:
        return summary.at[m, col] if col in summary.columns else None

    rows = []
    for m in metrics:
        n = get(m, "n")
        cells: list[Any] = [
            m,
            _unit_label(m),
            fmt_metric(m, get(m, "mean")),
            _ci(m, get(m, "ci_low"), get(m, "ci_high")),
            fmt_metric(m, get(m, "p05")),
            fmt_metric(m, get(m, "p50")),
            fmt_metric(m, get(m, "p95")),
            "–" if n is None or pd.isna(n) else f"{int(n)}",
        ]
        if has_base:
            b = f"baseline_{m}"
            if b in index:
                cells += [
                    fmt_metric(m, get(b, "mean")),
                    _ci(m, get(b, "ci_low"), get(b, "ci_high")),
                ]
            else:
                cells += ["", ""]
        rows.append(_Row(cells, "headline" if m in HEADLINE_METRICS else ""))
    numeric = [2, 3, 4, 5, 6, 7, 8, 9]
    return _table(header, rows, numeric)


def _headline(summary: pd.DataFrame, n: Any) -> str:
    def stat(m: str) -> str | None:
        if m not in summary.index or pd.isna(summary.at[m, "mean"]):
            return None
        unit = _unit_label(m)
        unit = "%" if unit == "%" else f" {unit}" if unit else ""
        text = f"{fmt_metric(m, summary.at[m, 'mean'])}{unit}"
        if {"ci_low", "ci_high"} <= set(summary.columns) and not pd.isna(summary.at[m, "ci_low"]):
            text += f" (95% CI {_ci(m, summary.at[m, 'ci_low'], summary.at[m, 'ci_high'])}{unit})"
        if {"p05", "p95"} <= set(summary.columns) and not pd.isna(summary.at[m, "p05"]):
            low, high = fmt_metric(m, summary.at[m, "p05"]), fmt_metric(m, summary.at[m, "p95"])
            text += f"; single runs {low} to {high}{unit}"
        return text

    items = [
        ("Export decline against the paired no-blockade baseline", stat("export_decline")),
        ("Exports over the horizon", stat("exported_bbl")),
        ("Tankers seized", stat("seizures")),
        ("Barrels seized", stat("seized_bbl")),
        ("Production shut in", stat("shut_in_bbl")),
        ("Peak cargo stranded in port", stat("stranded_peak_bbl")),
        ("Cargo stranded in port at the end", stat("stranded_bbl")),
        ("Storage full by the horizon", _time_to_event(summary, "days_to_storage_full")),
    ]
    lis = [f"<li>{escape(label)}: <strong>{escape(v)}</strong></li>" for label, v in items if v]
    if not lis:
        return ""
    reps = f" across {int(n)} replications" if n is not None and not pd.isna(n) else ""
    lead = (
        f"Means{escape(reps)} with the 95% interval of the mean (Monte Carlo error only), then "
        "where 90% of single runs fall (p05 to p95); a time to an event: share, median"
    )
    return f"<p>{lead}:</p><ul class='headline'>{''.join(lis)}</ul>"


# --------------------------------------------------------------------------- beyond the mean

SHAPE_LEAD = (
    "How often single runs fall in the bad tail, whether they fall in two clusters (then "
    "{meaning}), and, when parameters were drawn per replication, how much of the spread "
    "between runs they explain."
)
SPLIT_HEADER = "share of the spread between runs explained by the uncertain parameters"


def _columns(reps: pd.DataFrame, metrics: Sequence[str]) -> dict[str, pd.Series]:
    """The per-replication values of each of ``metrics`` in ``reps`` (no time to an event)."""
    return {m: reps[m] for m in metrics if m in reps.columns and not is_time_to_event(m)}


def _no_clusters(n: int) -> str:
    """The bimodality flag when no metric has two clusters: none found, or not looked for."""
    if n < BIMODAL_MIN_RUNS:
        return f"Bimodality: not assessed with {n} replications (it needs {BIMODAL_MIN_RUNS})"
    return "Bimodality: no headline metric falls in two clear clusters of runs"


def shape_section(reps: pd.DataFrame, uncertain: Iterable[str] = ()) -> str:
    """Beyond the mean: tail probabilities, the bimodality flag and the variance split."""
    columns = _columns(reps, HEADLINE_METRICS)
    items = tail_notes(columns) + (bimodal_notes(columns) or [_no_clusters(len(reps))])
    lis = "".join(f"<li>{escape(item)}</li>" for item in items)
    parts = [
        "<h2>Beyond the mean: tails, clusters, parameters</h2>",
        f"<p class='note'>{escape(SHAPE_LEAD.format(meaning=BIMODAL_MEANING))}</p>",
        f"<ul class='headline'>{lis}</ul>",
    ]
    return "".join(parts + _split_part(reps, uncertain, columns))


def _split_part(
    reps: pd.DataFrame, uncertain: Iterable[str], columns: dict[str, pd.Series]
) -> list[str]:
    """The variance split as a note and a table, when the run drew uncertain keys."""
    keys = uncertain_columns(reps, uncertain)
    if not keys or not columns:
        return []
    shares = parameter_shares(reps, keys, columns)
    parts = [f"<p class='note'>{escape(split_head(keys, shares))}</p>"]
    if all(s.reason for s in shares.values()):
        return parts
    rows = [[name, metric(name).heading, share_text(s)] for name, s in shares.items()]
    return [*parts, _table(["metric", "label", SPLIT_HEADER], rows)]


def _time_to_event(summary: pd.DataFrame, metric: str) -> str | None:
    """Share of replications where it happened (95% CI), and the median day if defined."""
    share = metric + SHARE_SUFFIX
    if share not in summary.index or pd.isna(summary.at[share, "mean"]):
        return None
    text = f"in {fmt_metric(share, summary.at[share, 'mean'])}% of replications"
    if not pd.isna(summary.at[share, "ci_low"]):
        text += (
            f" (95% CI {_ci(share, summary.at[share, 'ci_low'], summary.at[share, 'ci_high'])}%)"
        )
    median = summary.at[metric, "p50"] if metric in summary.index else math.nan
    if pd.isna(median):
        return text + "; median not reached"
    return text + f"; median day {fmt_metric(metric, median)}"


def manifest_table(manifest: dict[str, Any]) -> str:
    """Every manifest entry, the identifying ones first."""
    keys = [k for k in MANIFEST_FIRST if k in manifest]
    keys += [k for k in manifest if k not in keys]
    rows = []
    for k in keys:
        v = manifest[k]
        text = v if isinstance(v, str) else json.dumps(v, default=str, sort_keys=True)
        rows.append([k, text])
    return _table(["field", "value"], rows)


def _assumptions_section(config: dict[str, Any], varied: Sequence[str] = ()) -> str:
    rows, source = assumption_rows(config)
    parts = ["<h2>Key assumptions and their sources</h2>"]
    if rows:
        parts.append(
            "<p class='note'>From the annotated scenario file "
            f"<code>{escape(source or '')}</code>: "
            "<span class='tag source'>source</span> values cite rows of docs/sources.md, "
            "<span class='tag assumption'>assumption</span> values are modelling choices. "
            "Rows highlighted were overridden for this run (the file's value is in the note).</p>"
        )
        table_rows = []
        for r in rows:
            tag = _Html(
                f"<span class='tag {escape(r['kind'], quote=True)}'>{escape(r['kind'])}</span>"
            )
            note = r["note"]
            if r["overridden"]:
                note = f"overridden in this run (scenario file: {r['file_value']}); was: {note}"
            if any(r["key"] == v or r["key"].startswith(v + ".") for v in varied):
                note = f"varied by the sweep; scenario file: {r['file_value']} ({r['note']})"
            table_rows.append(
                _Row([r["key"], r["value"], tag, note], "overridden" if r["overridden"] else "")
            )
        parts.append(_table(["key", "value", "basis", "source or reasoning"], table_rows))
        parts.append(_facts_cited(rows))
    else:
        parts.append(
            "<p class='note'>No annotated scenario file was found for this configuration; "
            "its full contents are listed below.</p>"
        )
        flat = [(k, _compact(v)) for k, v in _flatten(config)]
        parts.append(_table(["key", "value"], flat))
    return "".join(parts)


def _facts_cited(rows: Sequence[dict[str, Any]]) -> str:
    """The rows of docs/sources.md that the annotations name (none without a checkout)."""
    path = sources_path()
    if path is None:
        return ""
    facts = parse_sources(path)
    ids = cited_ids(" ".join(r["note"] for r in rows))
    cited = [facts[i] for i in ids if i in facts]
    if not cited:
        return ""
    body = [[f.id, f.fact, f.value, f.source] for f in cited]
    return "<h3>Facts cited (docs/sources.md)</h3>" + _table(
        ["id", "fact", "value", "source"], body
    )


def _config_details(config: dict[str, Any]) -> str:
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100)
    return (
        "<details><summary>Full resolved configuration (config.yaml)</summary>"
        f"<pre>{escape(text)}</pre></details>"
    )


def _manifest_version(manifest: dict[str, Any]) -> str:
    version = manifest.get("version", manifest.get("package_version"))
    return str(version) if version is not None else "?"


def _manifest_commit(manifest: dict[str, Any]) -> str:
    commit = manifest.get("git_commit")
    if not commit:
        return "none"
    return str(commit)[:12] + (" (with uncommitted changes)" if manifest.get("git_dirty") else "")


def _manifest_seed(manifest: dict[str, Any]) -> str:
    seed = manifest.get("root_seed", manifest.get("seed"))
    return str(seed) if seed is not None else "?"


def _version() -> str:
    import sim

    return str(getattr(sim, "__version__", "") or "")


# --------------------------------------------------------------------------- safety


def check_report_target(target: Path) -> None:
    """Raise :class:`ReportTargetError` unless ``target`` is a new .html path or our report."""
    if target.suffix.lower() != ".html":
        raise ReportTargetError(
            f"--out {target}: a report is written to a .html file; give a path ending in .html"
        )
    if not target.exists() and not target.is_symlink():
        return
    if target.is_symlink() or not target.is_file():
        raise ReportTargetError(f"--out {target}: exists and is not a file; choose another path")
    with open(target, "rb") as f:
        head = f.read(4096).decode("utf-8", "replace")
        f.seek(max(0, target.stat().st_size - 512))
        tail = f.read().decode("utf-8", "replace")
    if GENERATOR_MARK not in head and _LEGACY_MARK not in tail:
        raise ReportTargetError(
            f"--out {target}: exists and is not a report written by blockade-sim; it is left "
            "alone: choose another path (or delete that file)"
        )


def _plot_problem(path: Path, plots_dir: Path, known: Callable[[str], bool]) -> str | None:
    """Why ``path`` must not be embedded (``None``: it is one of the project's plots)."""
    if not known(path.name):
        return "not a plot name blockade-sim writes"
    if not stat.S_ISREG(os.lstat(path).st_mode):
        return "a symlink or not a regular file"
    if plots_dir.is_symlink() or path.resolve().parent != plots_dir.resolve():
        return "outside the plots folder"
    with open(path, "rb") as f:
        if f.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
            return "not a PNG file"
    return None


def _embeddable(plots_dir: Path, names: Sequence[str], known: Callable[[str], bool]) -> list[Path]:
    """The plots in ``plots_dir`` that may be embedded, in order."""
    return [
        p for p in plot_paths(plots_dir, names=names) if _plot_problem(p, plots_dir, known) is None
    ]


def _figures(
    plots_dir: Path,
    names: Sequence[str],
    known: Callable[[str], bool],
    caption: Callable[[str], str],
) -> list[str]:
    """The ``<figure>`` of every embeddable plot; every other file is skipped with a warning."""
    figures = []
    for path in plot_paths(plots_dir, names=names):
        problem = _plot_problem(path, plots_dir, known)
        if problem is not None:
            log.warning("%s: not embedded in the report (%s)", path, problem)
            continue
        figures.append(_img(path, _read_regular(path), caption(path.name)))
    return figures


def _read_regular(path: Path) -> bytes:
    """The bytes of ``path``, refusing to follow a symlink planted since it was checked."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _is_run_plot(name: str) -> bool:
    return name in RUN_PLOTS


def _is_sweep_plot(name: str) -> bool:
    return SWEEP_PLOT_NAME.fullmatch(name) is not None


def _run_caption(name: str) -> str:
    return CAPTIONS.get(name, name.removesuffix(".png").replace("_", " "))


def _page(title: str, body: Sequence[str]) -> str:
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f'{GENERATOR_MARK} {escape(_version(), quote=True)}">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body><main>\n"
        + "\n".join(body)
        + f"\n<p class='meta'>Generated {escape(generated)} by blockade-sim.</p>"
        + "\n</main></body>\n</html>\n"
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    return _read_mapping(path, yaml.safe_load)


def _read_json(path: Path) -> dict[str, Any]:
    return _read_mapping(path, json.loads)


def _read_mapping(path: Path, parse: Any) -> dict[str, Any]:
    """A YAML/JSON mapping file ({} if absent); :class:`RunFolderDamaged` if unreadable."""
    if not path.is_file():
        return {}
    try:
        data = parse(path.read_text(encoding="utf-8"))
    except (ValueError, yaml.YAMLError) as exc:  # JSONDecodeError is a ValueError
        detail = " ".join(str(exc).split())[:160]
        raise damaged_file(path, path.parent, f"{type(exc).__name__}: {detail}") from None
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- reports


def is_sweep_dir(folder: PathLike) -> bool:
    """Whether ``folder`` is a sweep folder (has a sweep table)."""
    folder = Path(folder)
    return (folder / "sweep.parquet").is_file() or (folder / "sweep.csv").is_file()


def write_report(folder: PathLike, out: PathLike | None = None, regenerate: bool = False) -> Path:
    """Write ``report.html`` for a run folder or a sweep folder; returns its path.

    Plots already in ``plots/`` are embedded; missing ones (or all, with ``regenerate``) are
    drawn first. ``out`` defaults to ``<folder>/report.html``; it must end in ``.html`` and be
    new or a report written by blockade-sim (else :class:`ReportTargetError`).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    target = Path(out) if out is not None else folder / "report.html"
    check_report_target(target)
    if is_sweep_dir(folder):
        html = _sweep_report(folder, regenerate)
    else:
        html = _run_report(folder, regenerate)
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(target, html)


def _config_dict(result: Any, folder: Path) -> dict[str, Any]:
    data = _read_yaml(folder / "config.yaml")
    if data:
        return data
    cfg = getattr(result, "config", None)
    return cfg.to_dict() if cfg is not None else {}


def _run_report(folder: Path, regenerate: bool) -> str:
    result = as_result(folder)
    plots_dir = folder / "plots"
    present = {p.name for p in _embeddable(plots_dir, RUN_PLOTS, _is_run_plot)}
    if regenerate or not set(RUN_PLOTS) <= present:
        write_run_plots(result, plots_dir)
    config = _config_dict(result, folder)
    manifest = dict(getattr(result, "manifest", None) or _read_json(folder / "manifest.json"))
    summary = result.summary
    name = str(config.get("name") or "scenario")
    n = manifest.get("replications_done", len(result.replications))
    body = [
        f"<h1>Blockade simulation report — {escape(name)}</h1>",
        f"<p class='meta'>Run folder <code>{escape(folder.name)}</code>; version "
        f"{escape(_manifest_version(manifest))}, commit "
        f"<code>{escape(_manifest_commit(manifest))}</code>, root seed "
        f"{escape(_manifest_seed(manifest))}, "
        f"{escape(str(n))} replications.</p>",
    ]
    if config.get("description"):
        body.append(f"<p class='lead'>{escape(str(config['description']))}</p>")
    body += [
        "<h2>Headline results</h2>",
        _headline(summary, n),
        shape_section(result.replications, config.get("uncertain") or {}),
        "<h2>Summary with 95% confidence intervals</h2>",
        "<p class='note'>Mean and 95% t-interval of the mean across replications; p05, median "
        "and p95 describe the spread of single replications. Barrels in millions (million "
        "bbl), rates in thousand barrels per day (thousand bpd), export decline in percent of "
        "the paired no-blockade baseline.</p>",
        summary_table(summary),
        "<h2>Plots</h2>",
    ]
    body += _figures(plots_dir, RUN_PLOTS, _is_run_plot, _run_caption)
    body.append(_assumptions_section(config))
    body.append(_config_details(config))
    body += ["<h2>Manifest</h2>", manifest_table(manifest)]
    return _page(f"Blockade simulation report — {name}", body)


def _sweep_caption(name: str) -> str:
    stem = name.removesuffix(".png")
    if stem.startswith("heatmap_"):
        return "Mean over two swept keys: where the policy levers matter most."
    if stem.startswith("lines_"):
        return "Mean with its 95% CI along one swept key: whether differences are resolved."
    return stem.replace("_", " ")


#: One sweep point's replications and its uncertain keys (None: no readable run folder).
PointRuns = tuple[pd.DataFrame, list[str]] | None
CLUSTERS_HEADER = "two clusters (the mean describes neither)"


def _sweep_keys(df: pd.DataFrame) -> list[str]:
    """The columns that name a sweep point: ``job`` and the swept overrides."""
    keys = swept_keys(df) or override_columns(df)
    return ["job", *keys] if "job" in df.columns else keys


def sweep_table(df: pd.DataFrame, points: Sequence[PointRuns] | None = None) -> str:
    """One row per sweep point: its overrides and the headline metrics with CIs; with
    ``points`` (each row's replications) also its tail probabilities and clusters."""
    keys = _sweep_keys(df)
    shown = _sweep_shown(df)
    header = [*keys] + [f"{m} ({_unit_label(m)})" if _unit_label(m) else m for m in shown]
    tails = [m for m in TAILS if points is not None]
    if points is not None:
        header += [*(tail_label(m) for m in tails), CLUSTERS_HEADER]
    rows = []
    for i, (_, row) in enumerate(df.iterrows()):
        cells: list[Any] = [row[k] for k in keys]
        for m in shown:
            mean = fmt_metric(m, row.get(f"{m}_mean"))
            ci = _ci(m, row.get(f"{m}_ci_low"), row.get(f"{m}_ci_high"))
            cells.append(mean if ci == "–" else f"{mean} [{ci}]")
        if points is not None:
            cells += _shape_cells(points[i], tails, shown)
        rows.append(cells)
    numeric = list(range(len(keys), len(keys) + len(shown) + len(tails)))
    return _table(header, rows, numeric)


def _sweep_shown(df: pd.DataFrame) -> list[str]:
    """The metrics a sweep table shows."""
    metrics = _ordered_metrics(sweep_metrics(df))
    return [m for m in SWEEP_METRICS if m in metrics] or metrics[:5]


def _shape_cells(point: PointRuns, tails: Sequence[str], shown: Sequence[str]) -> list[str]:
    """A sweep point's tail probabilities and bimodality flag ("–" without its runs)."""
    if point is None:
        return ["–"] * (len(tails) + 1)
    reps = point[0]
    cells = [tail_fraction(m, reps.get(m)) or "–" for m in tails]
    columns = _columns(reps, shown)
    found = [c for c in (clusters(m, v) for m, v in columns.items()) if c is not None]
    if found:
        return [*cells, "; ".join(found)]
    none = "none" if len(reps) >= BIMODAL_MIN_RUNS else f"not assessed (< {BIMODAL_MIN_RUNS} runs)"
    return [*cells, none]


def _point_runs(folder: Path, df: pd.DataFrame) -> list[PointRuns]:
    """Each sweep row's replications and uncertain keys, read from its ``run_dir``."""
    if "run_dir" not in df.columns:
        return [None] * len(df)
    return [_read_point(folder, d) for d in df["run_dir"]]


def _read_point(folder: Path, run_dir: Any) -> PointRuns:
    """One point's replications and uncertain keys (None if absent or outside ``folder``)."""
    if run_dir is None or pd.isna(run_dir):
        return None
    path = (folder / str(run_dir)).resolve()
    file = path / REPLICATIONS_FILE
    if not path.is_relative_to(folder.resolve()) or not file.is_file():
        return None
    reps = pd.read_parquet(file)
    config = _read_yaml(path / "config.yaml")
    return reps, uncertain_columns(reps, config.get("uncertain") or {})


def sweep_split_table(df: pd.DataFrame, points: Sequence[PointRuns]) -> str:
    """The variance split of each sweep point that drew uncertain keys ("" if none did)."""
    keys, shown = _sweep_keys(df), _sweep_shown(df)
    rows, head = [], ""
    for i, (_, row) in enumerate(df.iterrows()):
        point = points[i]
        if point is None or not point[1]:
            continue
        shares = parameter_shares(point[0], point[1], _columns(point[0], shown))
        head = head or split_head(point[1], shares)
        rows.append([*(row[k] for k in keys), *(share_text(shares[m]) for m in shown)])
    if not rows:
        return ""
    table = _table([*keys, *shown], rows)
    return f"<h3>Variance split per point</h3><p class='note'>{escape(head)}</p>{table}"


def _sweep_report(folder: Path, regenerate: bool) -> str:
    df = load_sweep(folder)
    plots_dir = folder / "plots"
    if regenerate or not _embeddable(plots_dir, (), _is_sweep_plot):
        write_sweep_plots(folder, plots_dir)
    points = point_dirs(folder)
    first = points[0] if points else None
    config = _read_yaml(first / "config.yaml") if first else {}
    manifest = _read_json(folder / "manifest.json") or (
        _read_json(first / "manifest.json") if first else {}
    )
    name = str(config.get("name") or "scenario")
    keys = swept_keys(df)
    body = [
        f"<h1>Blockade sweep report — {escape(name)}</h1>",
        f"<p class='meta'>Sweep folder <code>{escape(folder.name)}</code>: {len(df)} points, "
        f"version {escape(_manifest_version(manifest))}, commit "
        f"<code>{escape(_manifest_commit(manifest))}</code>, root seed "
        f"{escape(_manifest_seed(manifest))} (shared by every "
        "point: common random numbers).</p>",
    ]
    if config.get("description"):
        body.append(f"<p class='lead'>{escape(str(config['description']))}</p>")
    varied = [_Row([k, ", ".join(ordered_values(df[k])[0])]) for k in keys] + [
        _Row([k, f"{v} (fixed)"]) for k, v in fixed_overrides(df).items()
    ]
    body += ["<h2>What the sweep varies</h2>", _table(["key", "values"], varied)]
    runs = _point_runs(folder, df)
    body += [
        "<h2>Results per sweep point (mean [95% CI])</h2>",
        "<p class='note'>Barrels in million bbl, export decline in percent of the paired "
        "no-blockade baseline. Tail probabilities and clusters come from each point's "
        f"replications: two clusters means {escape(BIMODAL_MEANING)}.</p>",
        sweep_table(df, runs),
        sweep_split_table(df, runs),
        "<h2>Plots</h2>",
    ]
    body += _figures(plots_dir, (), _is_sweep_plot, _sweep_caption)
    if config:
        body.append(_assumptions_section(config, varied=keys))
        body.append(_config_details(config))
    if points:
        body.append(
            "<p class='note'>Point folders: "
            + escape(", ".join(p.name for p in points))
            + " (each a full run folder; a report of one point shows its details).</p>"
        )
    body += ["<h2>Manifest</h2>", manifest_table(manifest)]
    return _page(f"Blockade sweep report — {name}", body)
