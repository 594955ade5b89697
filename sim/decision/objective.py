"""What a decision optimizes: a metric, its sense, and targets in the metric's display unit.

Every number a user types is in the metric's display unit (:mod:`sim.metrics`: the decline
in %, barrels in millions), and a difference of percentages is in percentage points, as
everywhere else in ``blockade``. A target ``export_decline>=60`` means a decline of at least
60%; ``>=0.6`` for a percentage is refused as ambiguous unless written ``>=0.6%``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.decision.select import SelectionError
from sim.metrics import PERCENT, SENSE, Metric, metric

__all__ = [
    "Objective",
    "Target",
    "check_mean_defined",
    "default_sense",
    "parse_target",
]


OPERATORS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_TARGET = re.compile(
    r"^\s*([A-Za-z_][\w.]*)?\s*(>=|<=|>|<)\s*([-+]?[\d.]+(?:e[-+]?\d+)?)\s*(%?)\s*$"
)


def check_mean_defined(name: str) -> None:
    """Refuse a time to an event: NaN when the event did not happen, so no mean."""
    from sim.experiment.stats import is_time_to_event

    if is_time_to_event(name):
        raise SelectionError(
            f"--metric: {name} is a time to an event (NaN when it did not happen by the "
            "horizon): its mean is not defined; choose another metric"
        )


def default_sense(name: str, maximize: bool | None) -> bool:
    """``maximize`` if given, else the metric's sense from :data:`SENSE` (else refused)."""
    check_mean_defined(name)
    if maximize is not None:
        return maximize
    if name in SENSE:
        return SENSE[name]
    raise SelectionError(
        f"--metric: say whether larger {name} is better: add --maximize or --minimize "
        f"(known without: {', '.join(SENSE)})"
    )


@dataclass(frozen=True)
class Objective:
    """A metric and whether larger is better."""

    name: str
    maximize: bool

    @property
    def entry(self) -> Metric:
        """The metric's registry entry (label, unit, scale)."""
        return metric(self.name)

    @property
    def difference(self) -> Metric:
        """The entry of a difference of two values (``pp`` for a percentage)."""
        return self.entry.difference()

    def stored(self, display: float) -> float:
        """A difference typed in display units (``--delta 2``: 2 pp) in stored units."""
        return display * self.entry.scale

    @property
    def sense(self) -> str:
        return "larger is better" if self.maximize else "smaller is better"


@dataclass(frozen=True)
class Target:
    """A threshold a single run meets or not: ``metric OP value`` (value in stored units)."""

    metric: str
    op: str
    value: float
    text: str  # as the user wrote it, in display units

    def met(self, values: np.ndarray) -> np.ndarray:
        """Which ``values`` (stored units) meet the target (NaN never does)."""
        x = np.asarray(values, dtype=float)
        return np.where(np.isnan(x), False, OPERATORS[self.op](x, self.value))


def parse_target(text: str, default_metric: str) -> Target:
    """``[metric]OP value[%]`` in the metric's display unit (``export_decline>=60``)."""
    found = _TARGET.match(text)
    if found is None:
        raise SelectionError(
            f"--target: {text!r} is not METRIC>=VALUE (or <=, >, <; e.g. 'export_decline>=60', "
            "the value in the metric's display unit)"
        )
    name, op, number, percent = found.groups()
    name = name or default_metric
    entry = metric(name)
    try:
        value = float(number)
    except ValueError:
        raise SelectionError(f"--target: {number!r} is not a number") from None
    if not math.isfinite(value):
        raise SelectionError(f"--target: {number!r} is not a finite number")
    if percent and entry.unit != PERCENT[0]:
        raise SelectionError(f"--target: {name} is in {entry.unit or 'plain numbers'}, not %")
    if entry.unit == PERCENT[0] and not percent and 0 < abs(value) < 1:
        raise SelectionError(
            f"--target: {name} is in % ({value} means {value}%); write {value * 100:g} for "
            f"{value * 100:g}%, or {value}% if you mean {value}%"
        )
    unit = entry.unit if entry.unit else ""
    shown = f"{name} {op} {number}{'%' if unit == PERCENT[0] else (' ' + unit if unit else '')}"
    return Target(name, op, value * entry.scale, shown)
