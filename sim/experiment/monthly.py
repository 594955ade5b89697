"""Calendar months of a run: each replication's monthly sums, and their table (monthly.csv).

Day ``d`` of a run is the date ``start_date + d`` and covers [d, d + 1). The worker
(:func:`sim.experiment.runner.run_chunk`) sums each replication's daily series over the
calendar months those days fall in (:func:`months`): the exports of each world, the seizures
of the blockade world and the revenue (exports times the replication's net price, so it
costs no draw). The sums ride along in the replication rows as columns
``month_YYYY_MM_<quantity>`` (:func:`column`): they are committed, resumed and consolidated
with the rows, but they are not metrics, so the summary leaves them out.

:func:`table` turns them into the monthly table (``monthly.csv``, ``ExperimentResult.monthly``,
the report's monthly table): one row per month, and per quantity the mean, p05 and p95 across
replications of the per-replication sums. They are exact, never derived from daily quantiles,
and a difference (``diff_``: blockade minus baseline) is taken replication by replication. A
month the run covers only in part says so: ``days`` of its ``days_in_month``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiment.stats import describe
from sim.model.ledger import TIMESERIES_COLUMNS

__all__ = [
    "BASELINE_SUMMED",
    "MONTH_COLUMNS",
    "PREFIX",
    "STATS",
    "SUMMED",
    "Month",
    "column",
    "columns",
    "flatten",
    "is_monthly",
    "label",
    "months",
    "quantities",
    "run_days",
    "shown",
    "sums",
    "table",
]

PREFIX = "month_"
#: What the worker sums per world and month, in the order of :func:`sums`.
SUMMED: tuple[str, ...] = ("exported_bbl", "seizures", "revenue_usd")
#: The sums the baseline world keeps (its navy is disabled: it seizes nothing).
BASELINE_SUMMED: tuple[str, ...] = ("exported_bbl", "revenue_usd")
#: The statistics of each quantity in the monthly table.
STATS: tuple[str, ...] = ("mean", "p05", "p95")
#: The columns that describe a month in the monthly table, before the statistics.
MONTH_COLUMNS: tuple[str, ...] = ("month", "first_date", "last_date", "days", "days_in_month")

_EXPORTED = TIMESERIES_COLUMNS.index("exported_bbl")
_SEIZURES = TIMESERIES_COLUMNS.index("seizures_cum")


@dataclass(frozen=True)
class Month:
    """A calendar month of a run: the days ``first_day .. first_day + days - 1`` of it."""

    year: int
    month: int
    first_day: int  # the run's day index of its first day in the run
    days: int  # how many of its days the run covers
    days_in_month: int

    @property
    def key(self) -> str:
        """``2025_12``: the month in a column name."""
        return f"{self.year:04d}_{self.month:02d}"

    @property
    def iso(self) -> str:
        """``2025-12``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def partial(self) -> bool:
        """Whether the run covers only part of the month."""
        return self.days < self.days_in_month

    @property
    def label(self) -> str:
        """``Dec 2025``, with the days covered when partial: ``Dec 2025 (22 of 31 days)``."""
        return label(self.iso, self.days, self.days_in_month)


def label(iso: str, days: int, days_in_month: int) -> str:
    """The month ``YYYY-MM`` as a reader names it, with the days covered when partial."""
    name = dt.date.fromisoformat(f"{iso}-01").strftime("%b %Y")
    return f"{name} ({days} of {days_in_month} days)" if days < days_in_month else name


def _days_in(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.date(year, month, 1)).days


def months(start_date: dt.date, n_days: int) -> list[Month]:
    """The calendar months of the days ``0 .. n_days - 1`` from ``start_date``, in order."""
    found: list[Month] = []
    day = 0
    while day < n_days:
        date = start_date + dt.timedelta(days=day)
        size = _days_in(date.year, date.month)
        days = min(size - date.day + 1, n_days - day)
        found.append(Month(date.year, date.month, day, days, size))
        day += days
    return found


def run_days(horizon_days: float) -> int:
    """The days of a run's daily series (its last one may be a part day)."""
    return math.ceil(horizon_days - 1e-12)


def sums(daily: np.ndarray, spans: Sequence[Month], net_usd_per_bbl: float) -> np.ndarray:
    """One world's sums per month (rows) of :data:`SUMMED` (columns), from its daily array.

    Exports are the month's daily flows summed; seizures the rise of the running count over
    the month; revenue the exports times the net price (NaN without a price).
    """
    out = np.empty((len(spans), len(SUMMED)), dtype=float)
    cum = daily[:, _SEIZURES]
    before = 0.0
    for k, m in enumerate(spans):
        last = m.first_day + m.days - 1
        exported = float(daily[m.first_day : last + 1, _EXPORTED].sum())
        out[k] = (exported, float(cum[last]) - before, exported * net_usd_per_bbl)
        before = float(cum[last])
    return out


def quantities(baseline: bool) -> list[tuple[str, str]]:
    """(world, quantity) of each stored sum per month, in column order."""
    found = [("blockade", q) for q in SUMMED]
    if baseline:
        found += [("baseline", q) for q in BASELINE_SUMMED]
    return found


def column(month: Month, quantity: str) -> str:
    """``month_2025_12_exported_bbl``: the column of ``quantity`` (``baseline_`` prefixed for
    the baseline world) summed over ``month``."""
    return f"{PREFIX}{month.key}_{quantity}"


def _name(world: str, quantity: str) -> str:
    return quantity if world == "blockade" else f"baseline_{quantity}"


def columns(spans: Sequence[Month], baseline: bool) -> list[str]:
    """Every monthly column of the replication rows, month by month."""
    return [column(m, _name(w, q)) for m in spans for w, q in quantities(baseline)]


def is_monthly(name: str) -> bool:
    """Whether a column of the replication rows is a monthly sum."""
    return str(name).startswith(PREFIX)


def flatten(per_world: np.ndarray, baseline: bool) -> np.ndarray:
    """Replications x :func:`columns` from sums of shape (replications, worlds, months,
    :data:`SUMMED`)."""
    n, _, n_months, _ = per_world.shape
    picks = [(0 if w == "blockade" else 1, SUMMED.index(q)) for w, q in quantities(baseline)]
    out = np.empty((n, n_months, len(picks)), dtype=float)
    for p, (w, q) in enumerate(picks):
        out[:, :, p] = per_world[:, w, :, q]
    return out.reshape(n, n_months * len(picks))


def shown(baseline: bool) -> list[str]:
    """The quantities of the monthly table: each world's sums and, with a baseline, the
    per-replication differences (blockade minus baseline)."""
    if not baseline:
        return list(SUMMED)
    return [
        "exported_bbl",
        "baseline_exported_bbl",
        "diff_exported_bbl",
        "seizures",
        "revenue_usd",
        "baseline_revenue_usd",
        "diff_revenue_usd",
    ]


def _values(rows: pd.DataFrame, month: Month, name: str) -> np.ndarray:
    """Per-replication values of quantity ``name`` in ``month`` (a difference computed)."""
    if name.startswith("diff_"):
        q = name.removeprefix("diff_")
        blockade = rows[column(month, q)].to_numpy(dtype=float)
        return blockade - rows[column(month, f"baseline_{q}")].to_numpy(dtype=float)
    return rows[column(month, name)].to_numpy(dtype=float)


def _stats(values: np.ndarray) -> list[float]:
    """:data:`STATS` of the non-NaN ``values`` (:func:`sim.experiment.stats.describe`)."""
    found = describe(values)
    return [float(found[s]) for s in STATS]


def table(
    rows: pd.DataFrame, start_date: dt.date, horizon_days: float, baseline: bool
) -> pd.DataFrame:
    """The monthly table of the replication ``rows`` (empty if they hold no monthly sums).

    One row per month: ``month`` (ISO ``YYYY-MM``), ``first_date`` and ``last_date`` of the
    days covered, ``days``, ``days_in_month``, then ``<quantity>_<stat>`` per quantity and
    :data:`STATS`; quantities in raw units (bbl, tankers, USD).
    """
    spans = months(start_date, run_days(horizon_days))
    names = shown(baseline)
    header = [*MONTH_COLUMNS, *(f"{q}_{s}" for q in names for s in STATS)]
    if not spans or not all(c in rows.columns for c in columns(spans, baseline)):
        return pd.DataFrame(columns=header)
    records = []
    for m in spans:
        first = start_date + dt.timedelta(days=m.first_day)
        last = first + dt.timedelta(days=m.days - 1)
        record: list[object] = [m.iso, first.isoformat(), last.isoformat(), m.days]
        record.append(m.days_in_month)
        for name in names:
            record += _stats(_values(rows, m, name))
        records.append(record)
    return pd.DataFrame(records, columns=header)
