"""The paired difference of two finished runs that share seeds (``blockade compare``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Metrics compared by default (those present in both runs).
COMPARE_METRICS: tuple[str, ...] = (
    "export_decline",
    "exported_bpd",
    "exported_bbl",
    "revenue_usd",
    "revenue_lost_usd",
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


class CompareError(ValueError):
    """Two runs that cannot be compared, or a metric they lack; the message says which."""


def _load_run(path: str | Path) -> Any:
    from sim.experiment import load_results
    from sim.experiment.store import SUMMARY_FILE

    folder = Path(path)
    if not (folder / SUMMARY_FILE).is_file():
        raise CompareError(f"{path}: not a finished blockade run folder (no {SUMMARY_FILE})")
    return load_results(folder)


def _paired(a: Any, b: Any, dir_a: str | Path, dir_b: str | Path) -> Any:
    """The replication numbers both runs ran, with the same seeds (else CompareError)."""
    seed_a, seed_b = a.config.experiment.seed, b.config.experiment.seed
    if seed_a != seed_b:
        raise CompareError(
            f"compare: the runs do not share a root seed ({dir_a}: {seed_a}, {dir_b}: {seed_b}); "
            "a paired difference needs the same experiment.seed (common random numbers)"
        )
    joined = a.replications[["replication", "seed"]].merge(
        b.replications[["replication", "seed"]], on="replication", suffixes=("_a", "_b")
    )
    if joined.empty:
        raise CompareError(f"compare: {dir_a} and {dir_b} have no replication in common")
    if (joined["seed_a"].astype(str) != joined["seed_b"].astype(str)).any():
        raise CompareError(
            f"compare: replications of {dir_a} and {dir_b} were run with different seeds"
        )
    return joined["replication"]


def _common_metrics(ra: Any, rb: Any, metrics: Sequence[str] | None) -> list[str]:
    """The metrics to compare: ``metrics`` (each in either run) or the default ones."""
    wanted = list(metrics) if metrics else list(COMPARE_METRICS)
    unknown = [m for m in wanted if m not in ra.columns and m not in rb.columns]
    if metrics and unknown:
        raise CompareError(f"--metrics: unknown metric(s) {', '.join(unknown)}")
    common = [m for m in wanted if m in ra.columns and m in rb.columns]
    if not common:
        raise CompareError("compare: the runs have no metric in common")
    return common


def compare_runs(dir_a: str | Path, dir_b: str | Path, metrics: Sequence[str] | None = None) -> Any:
    """Paired difference B − A of ``metrics`` between two runs that share the root seed.

    Returns a DataFrame indexed by metric with ``a_mean``, ``b_mean`` and the difference's
    ``mean``, ``std``, ``ci_low``, ``ci_high`` (95% t-interval) and ``n`` (pairs); its
    ``attrs["pairs"]`` is (pairs, replications of A, of B). Raises :class:`CompareError`
    when the runs do not share seeds or have no metric in common.
    """
    import pandas as pd

    from sim.experiment.stats import paired_difference

    a, b = _load_run(dir_a), _load_run(dir_b)
    keep = _paired(a, b, dir_a, dir_b)
    common = _common_metrics(a.replications, b.replications, metrics)
    ra = a.replications[a.replications["replication"].isin(keep)]
    rb = b.replications[b.replications["replication"].isin(keep)]
    means = pd.DataFrame(
        {
            "a_mean": [float(ra[m].mean()) for m in common],
            "b_mean": [float(rb[m].mean()) for m in common],
        },
        index=pd.Index(common, name="metric"),
    )
    table = means.join(paired_difference(rb, ra, common))
    table.attrs["pairs"] = (len(keep), len(a.replications), len(b.replications))
    return table
