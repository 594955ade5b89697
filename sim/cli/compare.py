"""``blockade compare``: print the paired difference of two finished runs (:mod:`sim.compare`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sim.cli.common import PROG, ArgParser, CliError, text_table
from sim.compare import CompareError, compare_runs
from sim.metrics import metric as registry


def _excludes_zero(low: float, high: float) -> bool:
    return not (math.isnan(low) or math.isnan(high)) and (low > 0 or high < 0)


def _row(metric: str, r: Any) -> list[str]:
    """One metric's cells: label, both means, the difference (its own unit if not the
    metric's, e.g. pp for %), its CI and the number of pairs."""
    m = registry(metric)
    d = m.difference()
    unit = f" {d.unit}" if d.unit != m.unit else ""
    sig = "*" if _excludes_zero(r["ci_low"], r["ci_high"]) else ""
    return [
        m.heading,
        m.fmt(r["a_mean"]),
        m.fmt(r["b_mean"]),
        d.fmt(r["mean"]) + unit + sig,
        f"[{d.fmt(r['ci_low'])}, {d.fmt(r['ci_high'])}]{unit}",
        str(int(r["n"])),
    ]


def format_compare(table: Any, dir_a: str, dir_b: str) -> str:
    """The compare table as text, with what was paired."""
    rows = [_row(str(metric), r) for metric, r in table.iterrows()]
    return "\n".join(
        [
            f"A: {dir_a}",
            f"B: {dir_b}",
            "",
            text_table(["", "A mean", "B mean", "B - A", "95% CI", "pairs"], rows),
            "",
            "Paired on replication (common random numbers); * = the 95% CI excludes 0.",
            *_pairs_line(table),
        ]
    )


def _pairs_line(table: Any) -> list[str]:
    """How many replications were paired, and what was left out."""
    pairs, n_a, n_b = table.attrs.get("pairs", (None, None, None))
    if pairs is None:
        return []
    line = f"Pairs: {pairs} replications run in both (A has {n_a}, B has {n_b})"
    if n_a > pairs or n_b > pairs:
        line += f"; left out: {n_a - pairs} of A's and {n_b - pairs} of B's"
    return [line + "."]


def cmd_compare(argv: list[str]) -> int:
    """``blockade compare DIR_A DIR_B [--csv PATH] [--metrics M1,M2]``."""
    parser = ArgParser(
        prog=f"{PROG} compare",
        description="Paired difference (B - A) of key metrics between two finished runs "
        "that share their root seed.",
    )
    parser.add_argument("dir_a", help="baseline run folder (A)")
    parser.add_argument("dir_b", help="alternative run folder (B)")
    parser.add_argument("--csv", metavar="PATH", help="also write the table to PATH")
    parser.add_argument(
        "--metrics", metavar="M1,M2", help="comma-separated metrics (default: the key metrics)"
    )
    args = parser.parse_args(argv)
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    try:
        table = compare_runs(args.dir_a, args.dir_b, metrics)
    except CompareError as exc:
        raise CliError(str(exc)) from None
    print(format_compare(table, args.dir_a, args.dir_b))
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv)
        print(f"Table written to {args.csv}")
    return 0
