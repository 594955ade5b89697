"""A one-file HTML report of a run folder or a sweep folder, rendered from Jinja2 templates.

The report is self-contained: images are embedded as base64 PNG data URIs, the CSS is
inline, and nothing is loaded from elsewhere. The templates (``templates/``) autoescape every
piece of text. Only the project's own plots are embedded: known names, regular files (no
symlinks) inside ``plots/``, with the PNG signature; anything else there is skipped with a
warning. The report is written only to a ``.html`` path that is new or holds a report
written by blockade-sim (recognised by its generator mark). The tables are data
(:mod:`sim.analysis.tables`), the assumptions table comes from :mod:`sim.analysis.assumptions`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import yaml

from sim.analysis import observed, tables
from sim.analysis.assumptions import AssumptionRow, assumption_rows, compact, facts_cited, flatten
from sim.analysis.briefing import Briefing, run_briefing, sweep_briefing, what_if
from sim.analysis.plots import RUN_PLOTS, plot_paths, write_run_plots
from sim.analysis.results import as_result
from sim.analysis.sweep import ordered_values, write_sweep_plots
from sim.decision.robustness import headline_target
from sim.describe import describe_run, report_title, sweep_title
from sim.experiment.atomic import write_text_atomic
from sim.experiment.notes import BIMODAL_MEANING, uncertain_columns
from sim.experiment.store import REPLICATIONS_FILE, damaged_file
from sim.metrics import BPD, MILLION_BBL
from sim.sweep_table import fixed_overrides, load_sweep, point_dirs, swept_keys

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
#: Unit names the notes under the tables spell out.
UNITS = {"barrels": MILLION_BBL[0], "rates": BPD[0]}


class ReportTargetError(ValueError):
    """``out`` is not a place a report may be written to (not .html, or another file)."""


CAPTIONS: dict[str, str] = {
    "exports_fan.png": (
        "Exports as a 7-day rate with and without the blockade: the line is the mean; the band "
        "holds 90% of single replications' own 7-day rates; black: observed figures ±1 SD."
    ),
    "cumulative_exports.png": (
        "Crude exported since day 0 with and without the blockade; the gap is the exports lost. "
        "Bars at the horizon: 5th-95th percentile of the total over every replication."
    ),
    "cumulative_seizures.png": (
        "Tankers seized since day 0: the mean, 90% of single replications, and the total's "
        "spread at the horizon."
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
        "through the interdiction zone, and how each voyage ended; tankers that only turned "
        "back share the strip below."
    ),
}


@cache
def _environment() -> jinja2.Environment:
    """The templates, every value autoescaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sim.analysis", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


@dataclass(frozen=True)
class Figure:
    """An embedded plot: its file name, caption and base64 PNG data."""

    name: str
    stem: str
    caption: str
    data: str


@dataclass(frozen=True)
class Identity:
    """What identifies a folder's run: version, commit, root seed."""

    version: str
    commit: str
    seed: str


@dataclass(frozen=True)
class Assumptions:
    """The assumptions section: annotated rows and the facts they cite, or the config listed."""

    rows: list[AssumptionRow]
    source: str
    varied: Sequence[str]
    facts: tables.Table | None
    listing: tables.Table | None


def shape_section(reps: pd.DataFrame, uncertain: Iterable[str] = ()) -> str:
    """Beyond the mean: tail probabilities, the bimodality flag and the variance split."""
    return _render("shape.html.j2", shape=tables.shape(reps, uncertain))


def _assumptions(config: dict[str, Any], varied: Sequence[str] = ()) -> Assumptions:
    rows, source = assumption_rows(config)
    if not rows:
        listing = tables.table(["key", "value"], [(k, compact(v)) for k, v in flatten(config)])
        return Assumptions([], "", varied, None, listing)
    cited = [[f.id, f.fact, f.value, f.source] for f in facts_cited(rows)]
    facts = tables.table(["id", "fact", "value", "source"], cited) if cited else None
    return Assumptions(rows, source or "", varied, facts, None)


def _identity(manifest: dict[str, Any]) -> Identity:
    return Identity(
        _manifest_version(manifest), _manifest_commit(manifest), _manifest_seed(manifest)
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


def _page(template: str, title: str, config: dict[str, Any], **context: Any) -> str:
    """A whole page: the layout's head and footer around ``template``'s body."""
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100)
    return _render(
        template,
        title=title,
        version=_version(),
        generated=generated,
        description=str(config.get("description") or ""),
        config_text=text,
        units=UNITS,
        **context,
    )


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
) -> list[Figure]:
    """Every embeddable plot; every other file is skipped with a warning."""
    figures = []
    for path in plot_paths(plots_dir, names=names):
        problem = _plot_problem(path, plots_dir, known)
        if problem is not None:
            log.warning("%s: not embedded in the report (%s)", path, problem)
            continue
        data = base64.b64encode(_read_regular(path)).decode("ascii")
        figures.append(Figure(path.name, path.stem, caption(path.name), data))
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


def write_report(
    folder: PathLike,
    out: PathLike | None = None,
    regenerate: bool = False,
    observations: PathLike | None = None,
) -> Path:
    """Write ``report.html`` for a run folder or a sweep folder; returns its path.

    Plots already in ``plots/`` are embedded; missing ones (or all, with ``regenerate``) are
    drawn first. ``out`` defaults to ``<folder>/report.html``; it must end in ``.html`` and be
    new or a report written by blockade-sim (else :class:`ReportTargetError`). A run's report
    compares it with ``observations`` (an observations file; default: the scenario's bundled
    one, :func:`sim.analysis.observed.bundled_path`); a file that does not fit the run raises
    :class:`sim.calibration.ObservationsError`, and so does one given for a sweep.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    target = Path(out) if out is not None else folder / "report.html"
    check_report_target(target)
    sweep = is_sweep_dir(folder)
    if sweep and observations is not None:
        from sim.calibration.observations import ObservationsError

        raise ObservationsError(
            f"observations: {folder} is a sweep; a run's report compares it with "
            "observations: give one point's folder"
        )
    html = (
        _sweep_report(folder, regenerate)
        if sweep
        else _run_report(folder, regenerate, observations)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(target, html)


def _config_dict(result: Any, folder: Path) -> dict[str, Any]:
    data = _read_yaml(folder / "config.yaml")
    if data:
        return data
    cfg = getattr(result, "config", None)
    return cfg.to_dict() if cfg is not None else {}


@dataclass(frozen=True)
class Observed:
    """The "model vs what happened" section: its note and table (None: nothing compared)."""

    note: str
    table: tables.Table | None


def _observed(
    folder: Path, result: Any, config: dict[str, Any], given: PathLike | None
) -> tuple[observed.Comparison | None, str]:
    """The comparison with the observations given or bundled, or why there is none."""
    from sim.calibration.observations import ObservationsError

    path = Path(given) if given is not None else observed.bundled_path(config)
    if path is None:
        return None, (
            "No observations compared (the scenario has no bundled observations file): "
            "blockade report DIR --observations FILE adds them."
        )
    try:
        obs = observed.load(path, result.config)
    except ObservationsError as exc:
        if given is not None:
            raise
        return None, f"The bundled observations ({path.name}) do not fit this run: {exc}."
    shown = str(given) if given is not None else f"scenarios/observations/{path.name}"
    comparison = observed.compare(folder, result, obs, shown)
    if comparison is None:
        return None, (
            f"Observations {shown} not compared: the run folder keeps no daily series "
            "(state/aggregate.npz) to compute the model's figures from."
        )
    return comparison, observed.fit_line(comparison)


def _observed_section(c: observed.Comparison | None, note: str) -> Observed:
    """The section's note and table."""
    if c is None:
        return Observed(note, None)
    from sim.calibration.checks import Z_ALARM

    sample = "" if c.replications == c.of else f" (the {c.replications} of {c.of} whose daily "
    sample += "series the folder keeps)" if sample else ""
    lead = (
        f"Observations from {c.path} ({c.observations.name}): each observed figure ± one "
        "standard deviation (its stated uncertainty) beside the same figure computed from the "
        f"blockade world of each of {c.replications} replications{sample}: their mean and "
        "where 90% of them fall (p05 – p95), as the calibration's predictive check computes "
        "them. z = (observed − model mean) / √(uncertainty² + model variance); rows beyond "
        f"±{Z_ALARM:g} are marked."
    )
    rows = [
        tables.Row(r, "far" if not abs(float(z)) <= Z_ALARM else "")
        for r, z in zip(observed.rows(c), c.table["z"], strict=True)
    ]
    return Observed(lead, tables.Table(observed.HEADER, rows, frozenset({3, 4, 5, 6})))


def _fit_lines(c: observed.Comparison | None, note: str, changes: str) -> list[str]:
    """The summary's lines about the fit to what happened."""
    if c is not None and changes:
        return [
            note,
            "The observations are of the world as it was; this run changes it "
            f"({changes}), so a gap is partly the change.",
        ]
    return [note]


def _run_report(folder: Path, regenerate: bool, observations: PathLike | None = None) -> str:
    result = as_result(folder)
    config = _config_dict(result, folder)
    comparison, note = _observed(folder, result, config, observations)
    plots_dir = folder / "plots"
    present = {p.name for p in _embeddable(plots_dir, RUN_PLOTS, _is_run_plot)}
    if regenerate or observations is not None or not set(RUN_PLOTS) <= present:
        shown = comparison.observations if comparison is not None else None
        write_run_plots(result, plots_dir, observations=shown)
    manifest = dict(getattr(result, "manifest", None) or _read_json(folder / "manifest.json"))
    n = manifest.get("replications_done", len(result.replications))
    desc = describe_run(manifest, config, folder)
    fit = _fit_lines(comparison, note, what_if(desc))
    return _page(
        "run.html.j2",
        report_title("simulation", desc),
        config,
        folder=folder.name,
        manifest=_identity(manifest),
        replications=n,
        briefing=run_briefing(result, config, desc, n, fit),
        headline=tables.headline(result.summary, n),
        shape=tables.shape(result.replications, config.get("uncertain") or {}),
        observed=_observed_section(comparison, note),
        summary=tables.summary_table(result.summary),
        monthly=tables.monthly(getattr(result, "monthly", None)),
        figures=_figures(plots_dir, RUN_PLOTS, _is_run_plot, _run_caption),
        assumptions=_assumptions(config),
        manifest_table=tables.manifest_table(manifest),
    )


def _sweep_caption(name: str) -> str:
    stem = name.removesuffix(".png")
    if stem.startswith("heatmap_"):
        return "Mean over two swept keys: where the policy levers matter most."
    if stem.startswith("lines_"):
        return "Mean with its 95% CI along one swept key: whether differences are resolved."
    return stem.replace("_", " ")


def _point_runs(folder: Path, df: pd.DataFrame) -> list[tables.PointRuns]:
    """Each sweep row's replications and uncertain keys, read from its ``run_dir``."""
    if "run_dir" not in df.columns:
        return [None] * len(df)
    return [_read_point(folder, d) for d in df["run_dir"]]


def _read_point(folder: Path, run_dir: Any) -> tables.PointRuns:
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


def _varied(df: pd.DataFrame) -> tables.Table:
    """The swept keys with their values, then the fixed overrides."""
    rows = [[k, ", ".join(ordered_values(df[k])[0])] for k in swept_keys(df)]
    rows += [[k, f"{v} (fixed)"] for k, v in fixed_overrides(df).items()]
    return tables.table(["key", "values"], rows)


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
    runs = _point_runs(folder, df)
    varied = _varied(df)
    record = _read_json(first / "manifest.json") if first else {}  # the point's record
    desc = describe_run(record, config, first) if first and config else None
    name = str(config.get("name") or "scenario")
    return _page(
        "sweep.html.j2",
        sweep_title(name, swept_keys(df), len(df), desc.policy if desc else None),
        config,
        folder=folder.name,
        points=len(df),
        manifest=_identity(manifest),
        briefing=_sweep_briefing(df, config, desc, varied, runs),
        varied=varied,
        bimodal_meaning=BIMODAL_MEANING,
        results=tables.sweep_table(df, runs),
        split=tables.sweep_split(df, runs),
        robustness=_robustness(df, runs),
        robustness_target=headline_target().text,
        figures=_figures(plots_dir, (), _is_sweep_plot, _sweep_caption),
        assumptions=_assumptions(config, varied=swept_keys(df)) if config else None,
        point_folders=[p.name for p in points],
        manifest_table=tables.manifest_table(manifest),
    )


def _robustness(df: pd.DataFrame, runs: list[tables.PointRuns]) -> tables.Table | None:
    """Regret and satisficing of the export decline across the draws the points share."""
    from sim.decision.robustness import Point, headline_robustness, robustness_table
    from sim.decision.runs import point_names

    known = [r for r in runs if r is not None]
    if len(runs) < 2 or len(known) < len(runs):
        return None
    names = point_names(df)
    points = [Point(n, reps, tuple(u)) for n, (reps, u) in zip(names, known, strict=True)]
    frame = headline_robustness(points)
    return None if frame is None else robustness_table(frame)


def _sweep_briefing(
    df: pd.DataFrame,
    config: dict[str, Any],
    desc: Any,
    varied: tables.Table,
    runs: list[tables.PointRuns],
) -> Briefing | None:
    """The sweep's summary (None without a point's config to describe the question)."""
    if not config:
        return None
    return sweep_briefing(df, config, desc, varied, runs)
