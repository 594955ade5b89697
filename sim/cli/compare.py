"""``blockade compare``: paired difference of two finished runs that share seeds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.cli.common import (
    PROG,
    ArgParser,
    CliError,
    text_table,
)
from sim.formatting import fmt_number
from sim.metrics import metric as registry_metric

#: Metrics compared by ``blockade compare`` (those present in both runs).
COMPARE_METRICS: tuple[str, ...] = (
    "export_decline",
    "exported_bpd",
    "exported_bbl",
    "seizures",
    "seized_bbl",
    "seizures_in_waters",
    "escapes",
    "stranded_bbl",
    "stranded_peak_bbl",
    "shut_in_bbl",
    "days_to_storage_full",
    "days_to_first_seizure",
    "turnbacks",
    "team_utilization",
)


# --------------------------------------------------------------------------- compare


def _load_run(path: str) -> Any:
    folder = Path(path)
    if not (folder / "summary.json").is_file():
        raise CliError(f"{path}: not a finished blockade run folder (no summary.json)")
    from sim.experiment import load_results

    return load_results(folder)


def compare_runs(dir_a: str | Path, dir_b: str | Path, metrics: Sequence[str] | None = None) -> Any:
    """Paired difference B − A of ``metrics`` between two runs that share the root seed.

    Returns a DataFrame indexed by metric with ``a_mean``, ``b_mean`` and the difference's
    ``mean``, ``std``, ``ci_low``, ``ci_high`` (95% t-interval) and ``n`` (pairs).
    Raises :class:`CliError` when the runs do not share seeds.
    """
    import pandas as pd

    from sim.experiment.stats import paired_difference

    a, b = _load_run(str(dir_a)), _load_run(str(dir_b))
    seed_a, seed_b = a.config.experiment.seed, b.config.experiment.seed
    if seed_a != seed_b:
        raise CliError(
            f"compare: the runs do not share a root seed ({dir_a}: {seed_a}, {dir_b}: {seed_b}); "
            "a paired difference needs the same experiment.seed (common random numbers)"
        )
    ra, rb = a.replications, b.replications
    joined = ra[["replication", "seed"]].merge(
        rb[["replication", "seed"]], on="replication", suffixes=("_a", "_b")
    )
    if joined.empty:
        raise CliError(f"compare: {dir_a} and {dir_b} have no replication in common")
    if (joined["seed_a"].astype(str) != joined["seed_b"].astype(str)).any():
        raise CliError(
            f"compare: replications of {dir_a} and {dir_b} were run with different seeds"
        )
    wanted = list(metrics) if metrics else list(COMPARE_METRICS)
    unknown = [m for m in wanted if m not in ra.columns and m not in rb.columns]
    if metrics and unknown:
        raise CliError(f"--metrics: unknown metric(s) {', '.join(unknown)}")
    common = [m for m in wanted if m in ra.columns and m in rb.columns]
    if not common:
        raise CliError("compare: the runs have no metric in common")
    keep = joined["replication"]
    ra = ra[ra["replication"].isin(keep)]
    rb = rb[rb["replication"].isin(keep)]
    diff = paired_difference(rb, ra, common)
    means = pd.DataFrame(
        {
            "a_mean": [float(ra[m].mean()) for m in common],
            "b_mean": [float(rb[m].mean()) for m in common],
        },
        index=pd.Index(common, name="metric"),
    )
    table = means.join(diff)
    table.attrs["pairs"] = (len(keep), len(a.replications), len(b.replications))
    return table


def format_compare(table: Any, dir_a: str, dir_b: str) -> str:
    rows = []
    for metric, r in table.iterrows():
        m = registry_metric(str(metric))
        ci = f"[{fmt_number(m.show(r['ci_low']))}, {fmt_number(m.show(r['ci_high']))}]"
        sig = ""
        if not (math.isnan(r["ci_low"]) or math.isnan(r["ci_high"])) and (
            r["ci_low"] > 0 or r["ci_high"] < 0
        ):
            sig = "*"
        rows.append(
            [
                m.heading,
                fmt_number(m.show(r["a_mean"])),
                fmt_number(m.show(r["b_mean"])),
                fmt_number(m.show(r["mean"])) + sig,
                ci,
                str(int(r["n"])),
            ]
        )
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
    table = compare_runs(args.dir_a, args.dir_b, metrics)
    print(format_compare(table, args.dir_a, args.dir_b))
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv)
        print(f"Table written to {args.csv}")
    return 0
