"""What a mean hides, in the sentences every summary shares (the CLI summary, the report).

Tail probabilities (:data:`sim.metrics.TAILS`), two clusters of runs
(:func:`sim.experiment.stats.bimodality`), and the share of the spread between runs that the
uncertain parameters explain (:func:`sim.experiment.stats.parameter_share`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.stats import ParameterShare, bimodality, parameter_share, tail_share
from sim.formatting import fmt_number
from sim.metrics import TAILS, Metric, metric

__all__ = [
    "BIMODAL_MEANING",
    "SPLIT_MEANING",
    "bimodal_note",
    "bimodal_notes",
    "clusters",
    "parameter_shares",
    "share_text",
    "split_head",
    "split_lines",
    "tail_fraction",
    "tail_label",
    "tail_note",
    "tail_notes",
    "uncertain_columns",
]

#: The one-line explanation of a bimodality flag.
BIMODAL_MEANING = "the mean describes neither cluster"
#: What the rest of the variance is, beside the share the parameters explain.
SPLIT_MEANING = "the rest is chance within a run (and what the fit misses)"


def _with_unit(m: Metric, value: float, shown: str | None = None) -> str:
    """``value`` in display units (or ``shown``) with its unit: "50%", "3.20 million bbl"."""
    shown = fmt_number(m.show(value)) if shown is None else shown
    if not m.unit:
        return shown
    return f"{shown}{m.unit}" if m.unit == "%" else f"{shown} {m.unit}"


def tail_label(name: str) -> str:
    """E.g. "P(export decline < 50%)", for a metric of :data:`sim.metrics.TAILS`."""
    m = metric(name)
    return f"P({m.label.lower()} < {_with_unit(m, TAILS[name], f'{m.show(TAILS[name]):g}')})"


def _tail(name: str, values: Any) -> tuple[int, int] | None:
    """How many runs fall below the tail of ``name``, of how many; None if none or no tail."""
    if name not in TAILS or values is None:
        return None
    k, n = tail_share(values, TAILS[name])
    return (k, n) if n else None


def tail_fraction(name: str, values: Any) -> str | None:
    """E.g. "12% (12 of 100)": the runs below the tail of ``name``
    (:data:`sim.metrics.TAILS`); None without a tail or a value."""
    found = _tail(name, values)
    return None if found is None else f"{found[0] / found[1]:.0%} ({found[0]} of {found[1]})"


def tail_note(name: str, values: Any) -> str | None:
    """E.g. "P(export decline < 50%): 12% of replications (12 of 100)", or None."""
    found = _tail(name, values)
    if found is None:
        return None
    k, n = found
    return f"{tail_label(name)}: {k / n:.0%} of replications ({k} of {n})"


def tail_notes(columns: Mapping[str, Any]) -> list[str]:
    """:func:`tail_note` of every metric of :data:`sim.metrics.TAILS` found in ``columns``."""
    notes = (tail_note(name, columns.get(name)) for name in TAILS)
    return [n for n in notes if n is not None]


def clusters(name: str, values: Any) -> str | None:
    """E.g. "export decline clusters near 9.9 and 70 %", or None when the runs of ``name``
    do not fall in two clear clusters."""
    modes = None if values is None else bimodality(values)
    if modes is None:
        return None
    m = metric(name)
    a, b = (fmt_number(m.show(v)) for v in modes)
    return f"{m.label.lower()} clusters near {a} and {b} {m.unit}"


def bimodal_note(name: str, values: Any) -> str | None:
    """E.g. "Bimodal: export decline clusters near 9.9 and 70 %; the mean describes neither
    cluster", or None."""
    found = clusters(name, values)
    return None if found is None else f"Bimodal: {found}; {BIMODAL_MEANING}"


def bimodal_notes(columns: Mapping[str, Any]) -> list[str]:
    """:func:`bimodal_note` of every metric of ``columns`` (name -> values) that has one."""
    notes = (bimodal_note(name, values) for name, values in columns.items())
    return [n for n in notes if n is not None]


def uncertain_columns(reps: pd.DataFrame, keys: Iterable[str]) -> list[str]:
    """The uncertain keys that have a column in ``reps`` (one per key, named by the key)."""
    return [k for k in keys if k in reps.columns]


def parameter_shares(
    reps: pd.DataFrame, keys: Sequence[str], columns: Mapping[str, Any]
) -> dict[str, ParameterShare]:
    """:func:`parameter_share` of each of ``columns`` (name -> values) on the ``keys``."""
    theta = reps[list(keys)].to_numpy(dtype=float)
    return {
        name: parameter_share(np.asarray(values, dtype=float), theta)
        for name, values in columns.items()
    }


def share_text(s: ParameterShare) -> str:
    """ "about 62% (± 4 pp)", "not distinguishable from 0 (1.3% ± 2 pp)", or why none."""
    if s.reason:
        return s.reason
    pct, se = fmt_number(100 * s.share, 2), fmt_number(100 * s.se, 1)
    if s.share > s.se:
        return f"about {pct}% (± {se} pp)"
    return f"not distinguishable from 0 ({pct}% ± {se} pp)"


def split_lines(keys: Sequence[str], shares: Mapping[str, ParameterShare]) -> list[str]:
    """The variance split as lines: a head naming the estimate, then one line per metric."""
    if not keys or not shares:
        return []
    head = split_head(keys, shares)
    if all(s.reason for s in shares.values()):
        return [head]
    return [head, *(f"  {metric(n).label}: {share_text(s)}" for n, s in shares.items())]


def split_head(keys: Sequence[str], shares: Mapping[str, ParameterShare]) -> str:
    """The sentence that says what the variance split estimates (or why there is none)."""
    first = next(iter(shares.values()))
    if all(s.reason for s in shares.values()):
        return f"Variance split over the uncertain parameters: {first.reason}"
    return (
        f"Variance split, an estimate (adjusted R² of a {first.fit or 'least-squares'} fit on "
        f"{', '.join(keys)}, "
        f"{first.n} replications, ± one standard error): the share of the spread between "
        f"runs that the uncertain parameters explain; {SPLIT_MEANING}"
    )
