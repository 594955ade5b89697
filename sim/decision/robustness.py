"""Robustness of policies across uncertain draws: regret and satisficing.

Every replication draws the ``uncertain:`` keys from its own streams, so with the same root
seed replication ``j`` of every policy sees the same draw (and the same chance events):
common random numbers. Per draw ``j`` and policy ``a``, the **regret** is how far ``a`` falls
short of the best policy in that draw, ``max_b v[b, j] − v[a, j]`` when larger is better
(``v[a, j] − min_b v[b, j]`` when smaller is), in the metric's unit; a policy's mean, 95th
percentile and maximum regret over the draws say how much choosing it can cost. The
**satisficing** share is the share of draws in which a policy meets a target (a decline of at
least 60%), with its 95% Clopper-Pearson interval. Both are per replication: they measure the
spread of the parameters and of chance together, as a run's replications do.

:func:`robustness` works on plain replication tables (the sweep's points or any run
folders); :func:`robustness_table` gives the report's table (display units, text cells).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.decision.objective import Objective, Target
from sim.decision.select import SelectionError

if TYPE_CHECKING:
    from sim.analysis.tables import Table

__all__ = [
    "COLUMNS",
    "HEADLINE",
    "SWEEP_COLUMNS",
    "Point",
    "display_frame",
    "display_rows",
    "headline_robustness",
    "headline_target",
    "robustness",
    "robustness_table",
    "sweep_columns",
    "sweep_robustness",
]

#: The columns of :func:`robustness`, in stored units (regret in the metric's unit).
COLUMNS: tuple[str, ...] = (
    "policy",
    "draws",
    "mean",
    "regret_mean",
    "regret_p95",
    "regret_max",
    "best_share",
    "target_share",
    "target_ci_low",
    "target_ci_high",
)
REGRET_QUANTILE = 0.95


@dataclass(frozen=True)
class Point:
    """One policy's replications (``replication``, ``seed``, metrics, one column per
    uncertain key) and the uncertain keys it drew."""

    name: str
    replications: pd.DataFrame
    uncertain: tuple[str, ...] = field(default_factory=tuple)


def _common(points: Sequence[Point]) -> np.ndarray:
    """The replication numbers every point ran (refused if none)."""
    common = set(points[0].replications["replication"].tolist())
    for p in points[1:]:
        common &= set(p.replications["replication"].tolist())
    if not common:
        raise SelectionError("robustness: the policies have no replication in common")
    return np.array(sorted(common), dtype=np.int64)


def _aligned(p: Point, reps: np.ndarray) -> pd.DataFrame:
    frame = p.replications.set_index("replication")
    return frame.loc[reps]


def _check_draws(points: Sequence[Point], frames: Sequence[pd.DataFrame]) -> None:
    """Refuse points whose replication ``j`` did not see the same seed and draws."""
    first = frames[0]
    shared = set(points[0].uncertain).intersection(*(set(p.uncertain) for p in points[1:]))
    for p, frame in zip(points[1:], frames[1:], strict=True):
        if "seed" in first.columns and "seed" in frame.columns:
            differ = first["seed"].astype(str).to_numpy() != frame["seed"].astype(str).to_numpy()
            if differ.any():
                raise SelectionError(
                    f"robustness: {points[0].name} and {p.name} ran with different root seeds; "
                    "their draws are not the same (common random numbers need one seed)"
                )
        for key in sorted(shared):
            a, b = first[key].to_numpy(dtype=float), frame[key].to_numpy(dtype=float)
            differ = ~np.isclose(a, b, rtol=0, atol=0, equal_nan=True)
            if differ.any():
                j = int(first.index[np.flatnonzero(differ)[0]])
                raise SelectionError(
                    f"robustness: replication {j} drew {key} = {a[differ][0]:g} for "
                    f"{points[0].name} but {b[differ][0]:g} for {p.name}; regret compares "
                    "policies on the same draws (same seed and the same uncertain ranges)"
                )


def _values(
    frames: Sequence[pd.DataFrame],
    name: str,
    points: Sequence[Point],
    flag: str = "--metric",
    censored: bool = False,
) -> np.ndarray:
    """``name`` of every point (rows) and common replication (columns). A NaN is refused,
    except with ``censored`` (a time to an event: NaN is "not by the horizon", +inf)."""
    missing = [p.name for p, f in zip(points, frames, strict=True) if name not in f.columns]
    if missing:
        raise SelectionError(f"{flag}: {missing[0]} has no metric {name!r}")
    values = np.vstack([f[name].to_numpy(dtype=float) for f in frames])
    if censored:
        return np.where(np.isnan(values), np.inf, values)
    if np.isnan(values).any():
        a, j = np.argwhere(np.isnan(values))[0]
        raise SelectionError(
            f"{flag}: {points[a].name} has no value of {name} in replication "
            f"{int(frames[a].index[j])} (NaN); regret needs a value in every draw"
        )
    return values


def _met(frames: Sequence[pd.DataFrame], target: Target, points: Sequence[Point]) -> np.ndarray:
    """Whether each point (rows) meets ``target`` in each common replication (columns)."""
    from sim.experiment.stats import is_time_to_event

    censored = is_time_to_event(target.metric)
    values = _values(frames, target.metric, points, "--target", censored)
    return np.vstack([target.met(x) for x in values])


def _share_interval(k: int, n: int) -> tuple[float, float]:
    """The 95% Clopper-Pearson interval of ``k`` successes in ``n``."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    return float(ci.low), float(ci.high)


def robustness(
    points: Sequence[Point], objective: Objective, target: Target | None = None
) -> pd.DataFrame:
    """Regret and satisficing of each point over the replications all of them ran.

    Columns :data:`COLUMNS` (stored units; ``regret_*`` in the metric's unit, shares as
    fractions; the ``target_*`` columns NaN without a ``target``), one row per point in
    order; ``attrs`` holds the metric, its sense and the target. Raises
    :class:`~sim.decision.select.SelectionError` when the points do not share draws.
    """
    if len(points) < 2:
        raise SelectionError(f"robustness: needs at least two policies (got {len(points)})")
    reps = _common(points)
    frames = [_aligned(p, reps) for p in points]
    _check_draws(points, frames)
    v = _values(frames, objective.name, points)
    signed = v if objective.maximize else -v
    regret = signed.max(axis=0)[None, :] - signed
    best = regret == 0.0
    met = _met(frames, target, points) if target is not None else None
    rows = []
    for a, p in enumerate(points):
        row = {
            "policy": p.name,
            "draws": len(reps),
            "mean": float(v[a].mean()),
            "regret_mean": float(regret[a].mean()),
            "regret_p95": float(np.quantile(regret[a], REGRET_QUANTILE)),
            "regret_max": float(regret[a].max()),
            "best_share": float(best[a].mean()),
            "target_share": np.nan,
            "target_ci_low": np.nan,
            "target_ci_high": np.nan,
        }
        if met is not None:
            k = int(met[a].sum())
            low, high = _share_interval(k, len(reps))
            row |= {"target_share": k / len(reps), "target_ci_low": low, "target_ci_high": high}
        rows.append(row)
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df.attrs |= {
        "metric": objective.name,
        "maximize": objective.maximize,
        "target": None if target is None else target.text,
        "uncertain": sorted(set().union(*(p.uncertain for p in points))),
    }
    return df


def sweep_robustness(
    sweep_dir: str | Path, objective: Objective, target: Target | None = None
) -> pd.DataFrame:
    """:func:`robustness` of the finished points of the sweep in ``sweep_dir``."""
    from sim.decision.runs import check_paired, from_sweep

    points = from_sweep(sweep_dir)
    check_paired(points)
    return robustness([p.point() for p in points], objective, target)


#: The sweep table's and the report's robustness: the export decline, larger is better.
HEADLINE = Objective("export_decline", maximize=True)
#: The sweep table's robustness columns ``export_decline_<stat>``, from :func:`robustness`'s.
SWEEP_COLUMNS: dict[str, str] = {
    "mean_regret": "regret_mean",
    "p95_regret": "regret_p95",
    "best_share": "best_share",
    "target_share": "target_share",
}


def headline_target() -> Target:
    """The satisficing target of the sweep table: the tail every summary states, met (an
    export decline of at least 50%, :data:`sim.metrics.TAILS`)."""
    from sim.decision.objective import parse_target
    from sim.metrics import TAILS, metric

    entry = metric(HEADLINE.name)
    return parse_target(f">={entry.show(TAILS[HEADLINE.name]):g}", HEADLINE.name)


def headline_robustness(points: Sequence[Point]) -> pd.DataFrame | None:
    """:func:`robustness` of :data:`HEADLINE` against :func:`headline_target`, or None when
    the points cannot be compared draw by draw (fewer than two, or no shared draws)."""
    try:
        return robustness(points, HEADLINE, headline_target())
    except SelectionError:
        return None


def sweep_columns(points: Sequence[Point]) -> list[dict[str, float]]:
    """Per point, the sweep table's robustness columns (empty dicts when not comparable)."""
    df = headline_robustness(points)
    if df is None:
        return [{} for _ in points]
    return [
        {f"{HEADLINE.name}_{col}": float(row[src]) for col, src in SWEEP_COLUMNS.items()}
        for _, row in df.iterrows()
    ]


def _percent(share: float) -> str:
    from sim.formatting import fmt_number

    return "–" if np.isnan(share) else f"{fmt_number(100 * share)}%"


def display_rows(df: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """:func:`robustness`'s frame as a header and text rows in display units."""
    objective = Objective(df.attrs["metric"], df.attrs["maximize"])
    m, d = objective.entry, objective.difference
    unit = f" ({d.unit})" if d.unit else ""
    header = ["policy", "draws", m.heading, f"regret mean{unit}", "regret p95", "regret max"]
    header.append("best in")
    if df.attrs.get("target"):
        header.append(f"meets {df.attrs['target']} [95% CI]")
    rows = []
    for _, r in df.iterrows():
        cells = [str(r["policy"]), str(int(r["draws"])), m.fmt(r["mean"])]
        cells += [d.fmt(r[c]) for c in ("regret_mean", "regret_p95", "regret_max")]
        cells.append(_percent(r["best_share"]))
        if df.attrs.get("target"):
            interval = f"[{_percent(r['target_ci_low'])}, {_percent(r['target_ci_high'])}]"
            cells.append(f"{_percent(r['target_share'])} {interval}")
        rows.append(cells)
    return header, rows


def _rounded(x: float) -> float:
    """``x`` to 4 significant digits (NaN kept)."""
    return x if not np.isfinite(x) or x == 0 else float(f"{x:.4g}")


def display_frame(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`robustness`'s frame for a spreadsheet: display units (regret in ``pp`` for a
    percentage, shares in %), headings with units, 4 significant digits."""
    objective = Objective(df.attrs["metric"], df.attrs["maximize"])
    m, d = objective.entry, objective.difference
    unit = f" ({d.unit})" if d.unit else ""
    out = pd.DataFrame({"policy": df["policy"], "draws": df["draws"]})
    out[f"{m.heading} mean"] = df["mean"].map(lambda x: _rounded(m.show(x)))
    for stat in ("mean", "p95", "max"):
        out[f"regret {stat}{unit}"] = df[f"regret_{stat}"].map(lambda x: _rounded(d.show(x)))
    out["best in (%)"] = df["best_share"].map(lambda x: _rounded(100 * x))
    if df.attrs.get("target"):
        for col, label in (("share", ""), ("ci_low", " 95% CI low"), ("ci_high", " 95% CI high")):
            values = df[f"target_{col}"].map(lambda x: _rounded(100 * x))
            out[f"meets {df.attrs['target']}{label} (%)"] = values
    return out


def robustness_table(df: pd.DataFrame) -> Table:
    """The report's table of :func:`robustness`'s frame (a :class:`sim.analysis.tables.Table`:
    text cells in display units; every column after the first numeric)."""
    from sim.analysis.tables import table

    header, rows = display_rows(df)
    return table(header, rows, range(1, len(header)))
