"""No artefact cliffs: how far the mean export decline jumps between neighbouring lever values.

    python -m benchmarks.cliffs                                  # every sweep, 150 replications
    python -m benchmarks.cliffs --quick                          # smoke run: 3 points, 10 reps
    python -m benchmarks.cliffs --only navy.detection_prob --workers 2 --json out.json
    python -m benchmarks.cliffs --sweep 'behaviour.groups.shadow.prior_b=5:50:11' \
        --only behaviour.groups.shadow.prior_b

The acceptance criterion of model v2: with 150+ paired replications per point (common random
numbers: every point on the same root seed, each replication with its paired no-blockade
baseline), the mean export decline moves by at most :data:`LIMIT_PP` percentage points between
adjacent points of every sweep in :data:`SWEEPS`. Each step is the paired difference of the
two points' replications (paired on ``replication``, seeds checked), with its 95% t-interval.

The sweeps are data: edit :data:`SWEEPS` when the owner parameters change, or add one from
the command line with ``--sweep KEY=LOW:HIGH:POINTS`` (``POINTS`` evenly spaced values from
``LOW`` to ``HIGH``, each set as ``KEY=value``; a ``--sweep`` with a declared key replaces that
sweep). ``benchmarks/validation.py`` embeds the same tables and figure (section *Cliffs*).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim
from sim.analysis._common import new_figure, save_png
from sim.experiment import paired_difference, summarize
from sim.experiment.atomic import write_json_atomic, write_text_atomic
from sim.validation import SCENARIO
from sim.validation.levers import experiment
from sim.validation.markdown import table
from sim.validation.report import git_commit

COMMAND = "python -m benchmarks.cliffs"
LIMIT_PP = 8.0  # the largest admissible step of the mean export decline between neighbours
REPLICATIONS = 150
QUICK_REPLICATIONS = 10
QUICK_POINTS = 3  # a quick run keeps the two ends and the middle of every sweep
METRICS = ("export_decline", "seizures")
FLAT_SHARE = 0.95  # a step that leaves this share of replications unchanged did ~nothing


# --------------------------------------------------------------------------- the sweeps


@dataclass(frozen=True)
class Sweep:
    """One lever swept over ``values``; ``overrides(value)`` sets it in the scenario."""

    key: str
    label: str
    unit: str
    values: tuple[float, ...]
    overrides: Callable[[float], list[str]]


def linspace(low: float, high: float, points: int) -> tuple[float, ...]:
    """``points`` evenly spaced values from ``low`` to ``high``, rid of float noise."""
    return tuple(round(float(v), 10) for v in np.linspace(low, high, points))


def number(x: float) -> str:
    """A sweep value as written in an override and a table (``0.1``, ``12.3``, ``39``)."""
    return f"{x:.10g}"


def set_key(key: str) -> Callable[[float], list[str]]:
    """Overrides that set ``key`` to the value."""
    return lambda x: [f"{key}={number(x)}"]


def lognormal(key: str, sigma: float) -> Callable[[float], list[str]]:
    """Overrides that replace the distribution ``key`` whole by a lognormal of that median."""
    return lambda x: [f"{key}={{dist: lognormal, median: {number(x)}, sigma: {number(sigma)}}}"]


def _owner_sweeps(group: str) -> list[Sweep]:
    """The owner parameters of ``group`` over their documented ranges (docs/model.md,
    "Owners"), 11 points each; a threshold's median moves, its spread (σ 0.5) stays."""
    key = f"behaviour.groups.{group}"
    return [
        Sweep(
            f"{key}.risk_threshold.median",
            f"{group}: risk threshold, median",
            "believed risk",
            linspace(0.02, 0.15, 11),
            set_key(f"{key}.risk_threshold.median"),
        ),
        Sweep(
            f"{key}.turnback_threshold.median",
            f"{group}: turn-back threshold, median",
            "believed risk",
            linspace(0.03, 0.20, 11),
            set_key(f"{key}.turnback_threshold.median"),
        ),
        Sweep(
            f"{key}.prior_b",
            f"{group}: prior weight b of Beta(1, b)",
            "pseudo-escapes",
            linspace(9, 39, 11),
            set_key(f"{key}.prior_b"),
        ),
        Sweep(
            f"{key}.news_weight",
            f"{group}: weight of each news item",
            "pseudo-voyages",
            linspace(0.5, 3.0, 11),
            set_key(f"{key}.news_weight"),
        ),
        Sweep(
            f"{key}.patience_days.median",
            f"{group}: patience, median",
            "days",
            linspace(7, 60, 11),
            set_key(f"{key}.patience_days.median"),
        ),
        Sweep(
            f"{key}.outside_days.median",
            f"{group}: wait outside, median",
            "days",
            linspace(2, 30, 11),
            set_key(f"{key}.outside_days.median"),
        ),
    ]


OWNER_SWEEPS: list[Sweep] = [*_owner_sweeps("shadow"), *_owner_sweeps("mainstream")]

# Edit this list when the model's levers change.
SWEEPS: list[Sweep] = [
    Sweep(
        "court.delay_days",
        "Warrant delay, lognormal median (σ 0.5)",
        "days",
        linspace(1.5, 6.0, 10),
        lognormal("court.delay_days", 0.5),
    ),
    Sweep(
        "navy.detection_prob",
        "Detection probability",
        "p",
        linspace(0.5, 1.0, 6),
        set_key("navy.detection_prob"),
    ),
    Sweep(
        "behaviour.offer.premium",
        "Operator's offer at tank tops",
        "× threshold",
        linspace(0.0, 4.0, 11),
        set_key("behaviour.offer.premium"),
    ),
    # the owners' parameters of each group, over the ranges argued in docs/model.md
    *OWNER_SWEEPS,
]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def parse_sweep(spec: str) -> Sweep:
    """``KEY=LOW:HIGH:POINTS`` as a :class:`Sweep` (raises ``ArgumentTypeError``)."""
    key, eq, rng = spec.partition("=")
    key = key.strip()
    parts = rng.split(":")
    if not eq or not _KEY.fullmatch(key) or len(parts) != 3:
        raise argparse.ArgumentTypeError(
            f"{spec!r}: expected KEY=LOW:HIGH:POINTS, e.g. behaviour.groups.shadow.prior_b=9:39:11"
        )
    try:
        low, high = float(parts[0]), float(parts[1])
        points = int(parts[2])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{spec!r}: LOW and HIGH must be numbers and POINTS an integer"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)) or low == high or points < 2:
        raise argparse.ArgumentTypeError(
            f"{spec!r}: need finite LOW != HIGH and POINTS >= 2 (got {points})"
        )
    return Sweep(key, key, "", linspace(low, high, points), set_key(key))


def select(
    sweeps: Sequence[Sweep], extra: Sequence[Sweep], only: Sequence[str] | None
) -> list[Sweep]:
    """The sweeps to run: ``sweeps`` with ``extra`` added (replacing a declared key), kept to
    the keys of ``only`` (in the order given) when it is set. Raises ``KeyError``."""
    merged = {s.key: s for s in sweeps}
    merged.update({s.key: s for s in extra})
    if not only:
        return list(merged.values())
    unknown = [k for k in only if k not in merged]
    if unknown:
        raise KeyError(f"unknown sweep {', '.join(unknown)} (known: {', '.join(merged)})")
    return [merged[k] for k in dict.fromkeys(only)]


def thin(sweep: Sweep, points: int) -> Sweep:
    """``sweep`` with at most ``points`` of its values, evenly spread, ends kept."""
    if len(sweep.values) <= points:
        return sweep
    idx = sorted({round(i) for i in np.linspace(0, len(sweep.values) - 1, points)})
    return replace(sweep, values=tuple(sweep.values[i] for i in idx))


# --------------------------------------------------------------------------- results


@dataclass
class Verdict:
    """The largest adjacent step of a series of mean declines (in pp) against the limit."""

    step_pp: float  # signed step b - a; NaN when a mean is missing
    a: float
    b: float
    index: int  # position of b in the series (the step runs index - 1 -> index)
    limit_pp: float = LIMIT_PP

    @property
    def passed(self) -> bool:
        return math.isfinite(self.step_pp) and abs(self.step_pp) <= self.limit_pp

    @property
    def text(self) -> str:
        return self.format()

    def format(self, bold: bool = False) -> str:
        """``max step X pp at A→B: PASS (≤ 8 pp)``; ``bold``: the word in markdown bold."""
        word = "PASS" if self.passed else "FAIL"
        if bold:
            word = f"**{word}**"
        if not math.isfinite(self.step_pp):
            return f"max step undefined (a mean is missing): {word} (≤ {self.limit_pp:g} pp)"
        op = "≤" if self.passed else ">"
        return (
            f"max step {abs(self.step_pp):.1f} pp at {number(self.a)}→{number(self.b)}: "
            f"{word} ({op} {self.limit_pp:g} pp)"
        )


def verdict(
    values: Sequence[float], declines_pp: Sequence[float], limit_pp: float = LIMIT_PP
) -> Verdict:
    """The largest |step| between adjacent ``declines_pp`` (mean decline in percent)."""
    if len(values) != len(declines_pp) or len(values) < 2:
        raise ValueError("verdict: need at least two points and one mean per value")
    steps = np.diff(np.asarray(declines_pp, dtype=float))
    if np.isnan(steps).any():
        i = int(np.flatnonzero(np.isnan(steps))[0]) + 1
        return Verdict(math.nan, values[i - 1], values[i], i, limit_pp)
    i = int(np.argmax(np.abs(steps))) + 1
    return Verdict(float(steps[i - 1]), values[i - 1], values[i], i, limit_pp)


def paired_step(prev: pd.DataFrame, cur: pd.DataFrame, metric: str) -> dict[str, float]:
    """Paired difference ``cur - prev`` of ``metric`` (mean, std, ci_low, ci_high, n), and
    ``unchanged``: how many replications gave exactly the same value at both points.

    Both frames must hold the same replications on the same seeds (common random numbers):
    replication i of each saw the same random streams, or the pairing means nothing.
    """
    keys = prev[["replication", "seed"]].merge(
        cur[["replication", "seed"]], on="replication", how="outer", suffixes=("_a", "_b")
    )
    if keys.isna().any().any():
        raise AssertionError("paired step: the two points do not hold the same replications")
    if (keys["seed_a"] != keys["seed_b"]).any():
        raise AssertionError("paired step: replication seeds differ between the two points")
    d = paired_difference(cur, prev, [metric]).loc[metric].to_dict()
    same = prev[["replication", metric]].merge(cur[["replication", metric]], on="replication")
    unchanged = int((same[f"{metric}_x"] == same[f"{metric}_y"]).sum())
    return {k: float(d[k]) for k in ("mean", "std", "ci_low", "ci_high")} | {
        "n": int(d["n"]),
        "unchanged": unchanged,
    }


@dataclass
class Point:
    """One value of a sweep: its replications and their statistics."""

    value: float
    overrides: list[str]
    frame: pd.DataFrame  # one row per replication (res.replications)
    stats: dict[str, dict[str, float]]  # metric -> summarize row (decline as a fraction)
    step: dict[str, float] | None = None  # paired step of the decline from the previous point

    @property
    def decline_pp(self) -> float:
        return 100.0 * self.stats["export_decline"]["mean"]


@dataclass
class Result:
    """A swept lever: its points, the paired steps between them and the verdict."""

    sweep: Sweep
    replications: int
    seed: int
    points: list[Point] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def verdict(self) -> Verdict:
        return verdict([p.value for p in self.points], [p.decline_pp for p in self.points])

    @property
    def flat_steps(self) -> int:
        """Steps that left at least :data:`FLAT_SHARE` of the replications' declines exactly
        unchanged: the lever did (almost) nothing there."""
        return sum(
            p.step is not None and p.step["unchanged"] >= FLAT_SHARE * p.step["n"]
            for p in self.points
        )

    @property
    def note(self) -> str | None:
        """A warning when the response is a staircase: flat steps between jumps, whatever
        the verdict (a jump smaller than the limit passes it)."""
        flat, steps = self.flat_steps, len(self.points) - 1
        if not flat:
            return None
        return (
            f"staircase: {flat} of {steps} steps leave at least {FLAT_SHARE:.0%} of the "
            "replications' declines exactly unchanged, so the response moves in jumps at "
            "thresholds, not smoothly"
        )


def run_sweep(sweep: Sweep, replications: int, workers: int, seed: int | None = None) -> Result:
    """Every point of ``sweep`` on the same root seed, each with its paired baseline."""
    t0 = time.perf_counter()
    seeding = [] if seed is None else [f"experiment.seed={seed}"]
    points: list[Point] = []
    for x in sweep.values:
        overrides = [*sweep.overrides(x), *seeding]
        df = experiment(overrides, replications, workers)
        s = summarize(df[["replication", "seed", *METRICS]])
        stats = {m: {str(k): float(v) for k, v in s.loc[m].to_dict().items()} for m in METRICS}
        point = Point(x, overrides, df, stats)
        if points:
            step = paired_step(points[-1].frame, df, "export_decline")
            pp = ("mean", "std", "ci_low", "ci_high")  # fraction -> percentage points
            point.step = {k: 100.0 * v if k in pp else v for k, v in step.items()}
        points.append(point)
    seeds = {int(v) for p in points for v in p.frame["seed"].unique()}
    if len(seeds) != 1:
        raise AssertionError(f"{sweep.key}: points ran on different root seeds {sorted(seeds)}")
    result = Result(sweep, replications, seeds.pop(), points)
    result.seconds = time.perf_counter() - t0
    return result


def run(
    sweeps: Sequence[Sweep],
    replications: int,
    workers: int,
    seed: int | None = None,
    say: Callable[[str], None] | None = None,
) -> list[Result]:
    """:func:`run_sweep` of each sweep in turn."""
    out = []
    for sweep in sweeps:
        if say:
            say(f"{sweep.key}: {len(sweep.values)} points x {replications} replications")
        out.append(run_sweep(sweep, replications, workers, seed))
    return out


def check_overrides(sweeps: Sequence[Sweep], seed: int | None = None) -> None:
    """Load the config at both ends of every sweep, so a bad key fails before any run."""
    seeding = [] if seed is None else [f"experiment.seed={seed}"]
    for sweep in sweeps:
        for x in dict.fromkeys((sweep.values[0], sweep.values[-1])):
            sim.load_config(SCENARIO, [*sweep.overrides(x), *seeding])


# --------------------------------------------------------------------------- tables

HEADER = (
    "value",
    "decline %",
    "95% CI",
    "seizures",
    "95% CI",
    "step pp",
    "paired 95% CI",
    "",
)


def _ci(lo: float, hi: float, digits: int) -> str:
    return f"[{lo:.{digits}f}, {hi:.{digits}f}]"


def rows(result: Result) -> list[list[str]]:
    """The table of a sweep, one row per point (cells as text; see :data:`HEADER`)."""
    largest = result.verdict.index
    out = []
    for i, p in enumerate(result.points):
        d, s = p.stats["export_decline"], p.stats["seizures"]
        row = [
            number(p.value),
            f"{100 * d['mean']:.1f}",
            _ci(100 * d["ci_low"], 100 * d["ci_high"], 1),
            f"{s['mean']:.2f}",
            _ci(s["ci_low"], s["ci_high"], 2),
            "" if p.step is None else f"{p.step['mean']:+.2f}",
            "" if p.step is None else _ci(p.step["ci_low"], p.step["ci_high"], 2),
            "◀ largest" if i == largest else "",
        ]
        out.append(row)
    return out


def title(result: Result) -> str:
    sweep = result.sweep
    unit = f" ({sweep.unit})" if sweep.unit else ""
    return (
        f"{sweep.key} — {sweep.label}{unit}: {len(result.points)} points, "
        f"{result.replications} paired replications each, root seed {result.seed}"
    )


def text_table(result: Result) -> str:
    """The plain-text table and verdict line of a sweep (what the command prints)."""
    body = rows(result)
    cells = [list(HEADER), *body]
    widths = [max(len(r[j]) for r in cells) for j in range(len(HEADER))]
    lines = [title(result)]
    for r in cells:
        lines.append("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines.append(result.verdict.text)
    if result.note:
        lines.append(result.note)
    return "\n".join(lines)


def markdown_lines(
    results: Sequence[Result],
    figure: str | None = None,
    heading: str = "## Cliffs",
    command: str = COMMAND,
) -> list[str]:
    """A markdown section: what is measured, the figure, a table and a verdict per sweep."""
    n = sorted({r.replications for r in results})
    passed = sum(r.verdict.passed for r in results)
    lines = [
        heading,
        "",
        f"How far the mean export decline moves between adjacent values of each lever "
        f"(`{command}`). Every point runs {', '.join(map(str, n))} replications of "
        f"`{SCENARIO}` on the same root seed (common random numbers), each with its paired "
        "no-blockade baseline; a step is the paired difference between neighbouring points, "
        "replication by replication, with its 95% t-interval. Criterion: no step larger than "
        f"{LIMIT_PP:g} percentage points (pp). Distributions are replaced whole, e.g. "
        "`court.delay_days={dist: lognormal, median: M, sigma: 0.5}`.",
        "",
        f"**{passed} of {len(results)} sweeps pass.**",
        "",
    ]
    if figure:
        lines += [f"![Cliffs]({figure})", ""]
    for r in results:
        sweep = r.sweep
        unit = f" ({sweep.unit})" if sweep.unit else ""
        lines += [f"### {sweep.label} (`{sweep.key}`)", ""]
        body = [
            [f"**{c}**" if c and r.verdict.index == i else c for c in row[:-1]]
            for i, row in enumerate(rows(r))
        ]
        header = [f"{sweep.key}{unit}", *HEADER[1:-1]]
        lines += table(header, body)
        lines += ["", r.verdict.format(bold=True) + (f"; {r.note}." if r.note else ""), ""]
    return lines


def failures(results: Sequence[Result]) -> list[str]:
    """One sentence per failing sweep (for the validation report's list of findings)."""
    return [
        f"Cliff in `{r.sweep.key}`: the mean export decline moves "
        f"{abs(r.verdict.step_pp):.1f} pp between {number(r.verdict.a)} and "
        f"{number(r.verdict.b)} (limit {LIMIT_PP:g} pp; paired 95% CI "
        f"{_ci(*_step_ci(r), 1)} pp)."
        for r in results
        if not r.verdict.passed and math.isfinite(r.verdict.step_pp)
    ]


def _step_ci(r: Result) -> tuple[float, float]:
    step = r.points[r.verdict.index].step
    assert step is not None
    return step["ci_low"], step["ci_high"]


# --------------------------------------------------------------------------- figure


def figure(results: Sequence[Result], path: str | os.PathLike[str], dpi: int = 60) -> Path:
    """One panel per sweep: mean decline with its 95% band; the largest step highlighted
    next to a bar as tall as the limit (green: within it, red: beyond)."""
    cols = min(4, len(results))
    nrows = math.ceil(len(results) / cols)
    fig = new_figure(max(4.5, 3.6 * cols), 2.8 * nrows + 0.8)
    axes = np.atleast_1d(fig.subplots(nrows, cols, squeeze=False)).ravel()
    for ax, r in zip(axes, results, strict=False):
        x = np.array([p.value for p in r.points])
        d = [p.stats["export_decline"] for p in r.points]
        mean = np.array([100 * s["mean"] for s in d])
        ax.fill_between(
            x, [100 * s["ci_low"] for s in d], [100 * s["ci_high"] for s in d],
            color="#D55E00", alpha=0.25, lw=0,
        )  # fmt: skip
        ax.plot(x, mean, "o-", color="#D55E00", ms=3.5, lw=1.2)
        v = r.verdict
        colour = "#009E73" if v.passed else "#CC3311"
        if math.isfinite(v.step_pp):
            i = v.index
            ax.plot(x[i - 1 : i + 1], mean[i - 1 : i + 1], "-", color=colour, lw=3.5, zorder=3)
            # The limit as a bar from the lower end of the step, beside it.
            xm = (x[i - 1] + x[i]) / 2
            base = min(mean[i - 1], mean[i])
            ax.errorbar(
                xm, base + LIMIT_PP / 2, yerr=LIMIT_PP / 2, color="#555555", capsize=3,
                lw=1, ls="none", zorder=2,
            )  # fmt: skip
            ax.annotate(
                f"{LIMIT_PP:g} pp", (xm, base + LIMIT_PP), xytext=(3, -2),
                textcoords="offset points", fontsize=7, color="#555555", va="top",
            )  # fmt: skip
        ax.set_title(f"{r.sweep.label}\n{v.text}", fontsize=8.5, color=colour)
        unit = f" ({r.sweep.unit})" if r.sweep.unit else ""
        ax.set_xlabel(f"{r.sweep.key}{unit}", fontsize=8)
        ax.set_ylabel("export decline (%)", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(results) :]:
        ax.set_visible(False)
    n = sorted({r.replications for r in results})
    fig.suptitle(
        f"{SCENARIO}: mean export decline and 95% band,\n{'/'.join(map(str, n))} paired "
        f"replications per point on the same seeds\nthick: the largest step; grey bar: the "
        f"{LIMIT_PP:g} pp limit",
        fontsize=9,
    )
    return save_png(fig, path, dpi=dpi)


# --------------------------------------------------------------------------- JSON


def to_json(results: Sequence[Result], seconds: float | None = None) -> dict[str, Any]:
    """The raw numbers: per point the statistics, the paired step and every replication's
    decline (fraction) and seizures."""
    return {
        "command": COMMAND,
        "scenario": SCENARIO,
        "git_commit": git_commit().strip("`"),
        "limit_pp": LIMIT_PP,
        "seconds": seconds,
        "sweeps": [
            {
                "key": r.sweep.key,
                "label": r.sweep.label,
                "unit": r.sweep.unit,
                "replications": r.replications,
                "seed": r.seed,
                "seconds": r.seconds,
                "verdict": {
                    "passed": r.verdict.passed,
                    "max_step_pp": r.verdict.step_pp,
                    "from": r.verdict.a,
                    "to": r.verdict.b,
                    "text": r.verdict.text,
                    "flat_steps": r.flat_steps,
                    "note": r.note,
                },
                "points": [
                    {
                        "value": p.value,
                        "overrides": p.overrides,
                        "export_decline": p.stats["export_decline"],
                        "seizures": p.stats["seizures"],
                        "step_pp": p.step,
                        "replication": p.frame["replication"].astype(int).tolist(),
                        "export_decline_values": p.frame["export_decline"].tolist(),
                        "seizures_values": p.frame["seizures"].tolist(),
                    }
                    for p in r.points
                ],
            }
            for r in results
        ],
    }


# --------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument(
        "--replications", type=int, default=None,
        help=f"per point (default {REPLICATIONS}; --quick: {QUICK_REPLICATIONS})",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--quick", action="store_true",
        help=f"smoke run: {QUICK_POINTS} points per sweep, {QUICK_REPLICATIONS} replications",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    parser.add_argument("--markdown", type=Path, help="write a markdown section here")
    parser.add_argument("--figure", type=Path, help="write the PNG of the curves here")
    parser.add_argument("--only", nargs="+", metavar="KEY", help="run only these sweeps")
    parser.add_argument(
        "--sweep", type=parse_sweep, action="append", default=[], metavar="KEY=LOW:HIGH:POINTS",
        help="add (or replace) a sweep of POINTS evenly spaced values; repeatable",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=None, help="root seed (experiment.seed)")
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a sweep fails"
    )
    return parser


def _chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[list[Sweep], int]:
    """The sweeps and replications asked for, checked (a mistake ends in ``parser.error``)."""
    try:
        sweeps = select(SWEEPS, args.sweep, args.only)
    except KeyError as e:
        parser.error(str(e.args[0]))
    if args.quick:
        sweeps = [thin(s, QUICK_POINTS) for s in sweeps]
    n = args.replications or (QUICK_REPLICATIONS if args.quick else REPLICATIONS)
    if n < 2 or args.workers < 1:
        parser.error("--replications must be >= 2 and --workers >= 1")
    try:
        check_overrides(sweeps, args.seed)
    except sim.ConfigError as e:
        parser.error(str(e).splitlines()[0])
    return sweeps, n


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    sweeps, n = _chosen(parser, args)
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f} s] {msg}", file=sys.stderr, flush=True)

    results = run(sweeps, n, args.workers, args.seed, say)
    seconds = time.perf_counter() - t0
    for r in results:
        print(text_table(r), end="\n\n")
    print(f"{sum(r.verdict.passed for r in results)} of {len(results)} sweeps pass "
          f"({seconds:.1f} s, workers: {args.workers})")  # fmt: skip
    _write(args, results, seconds)
    return 1 if args.strict and not all(r.verdict.passed for r in results) else 0


def _write(args: argparse.Namespace, results: list[Result], seconds: float) -> None:
    """The figure, markdown and JSON files asked for."""
    image = None
    if args.figure:
        figure(results, args.figure)
        image = args.figure
    if args.markdown:
        rel = None
        if image is not None:
            rel = os.path.relpath(image, args.markdown.parent).replace(os.sep, "/")
        write_text_atomic(args.markdown, "\n".join(markdown_lines(results, rel)))
    if args.json:
        write_json_atomic(args.json, to_json(results, seconds))


if __name__ == "__main__":
    sys.exit(main())
