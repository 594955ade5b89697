"""Observations for calibration: what the real system did, and the model's figure for each.

An observations file is YAML::

    name: december_2025              # a label for the set
    observations:                    # at least one; ids unique
      - id: O1                       # required
        what: crude loadings, days 0-21 (10-31 Dec 2025)   # required: what the figure measures
        series: loaded_bbl           # a column of Replication.timeseries ...
        # metric: stranded_day21_bbl # ... or a per-replication metric: exactly one of the two
        window: [0, 22]              # series only: days [first, last) of the run,
                                     #   0 <= first < last <= horizon_days
        statistic: rate              # series: rate | total | last | mean; metric: value
        value: 351000                # the observed figure, in the statistic's unit
        uncertainty: 70000           # one standard deviation, same unit, > 0
        source: "O1 (docs/sources.md): Kpler via Bloomberg/gCaptain, 5 Jan 2026"  # required
        note: "how the value was derived"                                         # optional

Statistics of a series over its window (rows ``first .. last - 1`` of the daily series):

- ``rate``: the window's sum over its length in days (bbl/day for a ``*_bbl`` flow);
- ``total``: the window's sum (``rate`` and ``total`` only for the daily flows
  ``exported_bbl``, ``loaded_bbl``, ``produced_bbl``, ``shut_in_bbl``);
- ``last``: the value on the window's last day, for levels such as ``floating_new_bbl``,
  ``stranded_bbl`` or ``seizures_cum`` (the level at the end of day ``last - 1``);
- ``mean``: the mean of the daily values.

A metric (:data:`sim.metrics.METRIC_KEYS`, the whole run) takes ``statistic: value``; a metric
that is NaN past a day (``stranded_day52_bbl``) needs a horizon that reaches it, and
time-to-event metrics (NaN when the event does not happen) are refused.

:func:`load_observations` reads a file and :func:`parse_observations` a mapping, both
validated against the scenario's :class:`sim.Config`; every mistake is an
:class:`ObservationsError` (a :class:`sim.ConfigError`, so a ``ValueError``) whose one-line
message names the key path, e.g. ``observations.1.window: ends at day 120, past the
scenario's horizon (90 days)``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from sim.compose import yaml_message
from sim.config import Config, ConfigError, _as_tuple, _bad, _first_error, _whole
from sim.fields import Real, StrictModel
from sim.metrics import (
    FLOATING_DAYS,
    FLOATING_KEY,
    METRIC_KEYS,
    REGISTRY,
    STRANDED_DAYS,
    stranded_day_key,
)
from sim.model.ledger import FLOW_COLUMNS, TIMESERIES_COLUMNS
from sim.model.world import Replication

__all__ = [
    "Observation",
    "Observations",
    "ObservationsError",
    "load_observations",
    "parse_observations",
]

SERIES_STATISTICS: tuple[str, ...] = ("rate", "total", "last", "mean")
METRIC_STATISTICS: tuple[str, ...] = ("value",)
FLOW_ONLY: frozenset[str] = frozenset({"rate", "total"})
#: Metrics that are NaN unless the horizon reaches the end of this day.
METRIC_LAST_DAY: dict[str, int] = {stranded_day_key(d): d for d in STRANDED_DAYS} | {
    FLOATING_KEY: FLOATING_DAYS[1]
}


class ObservationsError(ConfigError):
    """An observations file that cannot be used; the one-line message names the key path."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, kw_only=True)
class Observation:
    """One observed figure and how to compute the model's figure for it from a replication."""

    id: str
    what: str
    series: str | None = None
    metric: str | None = None
    window: tuple[int, int] | None = None
    statistic: str
    value: float
    uncertainty: float
    source: str
    note: str | None = None

    def of(self, rep: Replication) -> float:
        """The model's figure for this observation in replication ``rep``."""
        if self.metric is not None:
            return float(rep.metrics[self.metric])
        return _statistic(self.statistic, self._window_values(rep), self._days)

    @property
    def _days(self) -> int:
        """The window's length in days."""
        first, last = self.window  # type: ignore[misc]
        return last - first

    def _window_values(self, rep: Replication) -> np.ndarray:
        """The series' daily values over the window (row ``i`` of the daily array is day ``i``)."""
        first, last = self.window  # type: ignore[misc]
        if last > len(rep.daily):
            raise ValueError(
                f"{self.id}: window [{first}, {last}] is past the replication's "
                f"{len(rep.daily)} days"
            )
        return rep.daily[first:last, TIMESERIES_COLUMNS.index(self.series)]

    def to_dict(self) -> dict[str, Any]:
        """A plain, YAML-friendly mapping that parses back to this observation."""
        out: dict[str, Any] = {"id": self.id, "what": self.what}
        if self.series is not None:
            out |= {"series": self.series, "window": list(self.window)}  # type: ignore[arg-type]
        else:
            out["metric"] = self.metric
        out |= {"statistic": self.statistic, "value": self.value}
        out |= {"uncertainty": self.uncertainty, "source": self.source}
        return out | ({"note": self.note} if self.note is not None else {})


def _statistic(statistic: str, values: np.ndarray, days: int) -> float:
    """``rate``, ``total``, ``last`` or ``mean`` of a window's daily values."""
    match statistic:
        case "rate":
            return float(values.sum() / days)
        case "total":
            return float(values.sum())
        case "last":
            return float(values[-1])
        case _:
            return float(values.mean())


@dataclass(frozen=True)
class Observations:
    """A named set of observations, in file order."""

    name: str
    items: tuple[Observation, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """The observations' ids."""
        return tuple(o.id for o in self.items)

    @property
    def values(self) -> np.ndarray:
        """The observed figures."""
        return np.array([o.value for o in self.items], dtype=float)

    @property
    def uncertainties(self) -> np.ndarray:
        """Their standard deviations."""
        return np.array([o.uncertainty for o in self.items], dtype=float)

    def of(self, rep: Replication) -> np.ndarray:
        """The model's figures in replication ``rep``, in the order of :attr:`items`."""
        return np.array([o.of(rep) for o in self.items], dtype=float)

    def scaled_distance(self, model: np.ndarray) -> float:
        """``sqrt(sum(((model - values) / uncertainties)**2))``; ``inf`` if a figure is NaN.

        Each observation weighs by its stated uncertainty: figures in different units (bbl/day,
        bbl, tankers) become comparable, and a well-measured figure pulls harder than one the
        sources disagree on. A model figure that is NaN (undefined in that run) is never close.
        """
        model = np.asarray(model, dtype=float)
        if model.shape != (len(self.items),):
            raise ValueError(
                f"model: expected {len(self.items)} figures ({', '.join(self.ids)}), "
                f"got shape {model.shape}"
            )
        if not np.isfinite(model).all():
            return math.inf
        return float(np.sqrt(np.sum(((model - self.values) / self.uncertainties) ** 2)))

    def to_dict(self) -> dict[str, Any]:
        """A plain, YAML-friendly mapping that parses back to these observations."""
        return {"name": self.name, "observations": [o.to_dict() for o in self.items]}


# --------------------------------------------------------------------------- schema


def _non_empty(v: str) -> str:
    """A string with more than blanks in it."""
    if not v.strip():
        raise ValueError("must not be empty")
    return v


Text = Annotated[str, AfterValidator(_non_empty)]
Day = Annotated[int, BeforeValidator(_whole), Field(ge=0)]


def _refuse_unknown(model: type[StrictModel], data: Any) -> None:
    """Refuse a key the model does not have, naming the allowed ones."""
    if not isinstance(data, dict):
        return
    allowed = tuple(model.model_fields)
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise _bad(str(unknown[0]), f"unknown key; allowed: {', '.join(allowed)}")


def _horizon(info: ValidationInfo) -> float:
    """The scenario's horizon from the validation context."""
    return info.context["cfg"].horizon_days  # type: ignore[index]


class _KnownKeys(StrictModel):
    """A mapping whose unknown keys are refused with the allowed ones named."""

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, data: Any) -> Any:
        _refuse_unknown(cls, data)
        return data


class _ObservationSpec(_KnownKeys):
    """One entry of ``observations``, checked against the scenario."""

    id: Text
    what: Text
    series: str | None = None
    metric: str | None = None
    window: Annotated[tuple[Day, Day], BeforeValidator(_as_tuple)] | None = None
    statistic: str
    value: Real
    uncertainty: Annotated[Real, Field(gt=0.0)]
    source: Text
    note: str | None = None

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> _ObservationSpec:
        if (self.series is None) == (self.metric is None):
            raise _bad("series", "give exactly one of series (a daily column) or metric")
        if self.series is not None:
            self._check_series(_horizon(info))
        else:
            self._check_metric(_horizon(info))
        return self

    def _check_series(self, horizon: float) -> None:
        """The series exists, its window fits the horizon and the statistic suits it."""
        if self.series not in TIMESERIES_COLUMNS:
            raise _bad(
                "series",
                f"{self.series!r} is not a series; allowed: {', '.join(TIMESERIES_COLUMNS)}",
            )
        _check_window(self.window, horizon)
        if self.statistic not in SERIES_STATISTICS:
            raise _bad(
                "statistic",
                f"{self.statistic!r} is not a statistic of a series; allowed: "
                f"{', '.join(SERIES_STATISTICS)}",
            )
        if self.statistic in FLOW_ONLY and self.series not in FLOW_COLUMNS:
            raise _bad(
                "statistic",
                f"{self.statistic!r} sums daily flows, and {self.series} is a level; "
                "allowed for it: last, mean",
            )

    def _check_metric(self, horizon: float) -> None:
        """The metric exists, is defined within the horizon and takes ``value``."""
        if self.metric not in METRIC_KEYS:
            raise _bad(
                "metric",
                f"{self.metric!r} is not a metric of a replication; allowed: "
                f"{', '.join(METRIC_KEYS)}",
            )
        if REGISTRY[self.metric].time_to_event:
            raise _bad("metric", f"{self.metric} is a time to event (NaN when it does not happen)")
        day = METRIC_LAST_DAY.get(self.metric)
        if day is not None and day + 1 > horizon:
            raise _bad(
                "metric",
                f"{self.metric} needs a horizon of at least {day + 1} days (the end of day "
                f"{day}); the scenario's is {horizon:g} days",
            )
        if self.window is not None:
            raise _bad("window", "a metric is of the whole run; window is for series only")
        if self.statistic not in METRIC_STATISTICS:
            raise _bad(
                "statistic",
                f"{self.statistic!r} is not a statistic of a metric; allowed: "
                f"{', '.join(METRIC_STATISTICS)}",
            )

    def record(self) -> Observation:
        """The validated entry as an :class:`Observation`."""
        return Observation(**{k: getattr(self, k) for k in type(self).model_fields})


def _check_window(window: tuple[int, int] | None, horizon: float) -> None:
    """A series' window is given, not empty and within ``[0, horizon]``."""
    if window is None:
        raise _bad("window", "required for a series: [first, last) days of the run")
    first, last = window
    if first >= last:
        raise _bad("window", f"[{first}, {last}] is empty or reversed; needs first < last")
    if last > horizon:
        raise _bad(
            "window",
            f"ends at day {last}, past the scenario's horizon ({horizon:g} days)",
        )


class _ObservationsSpec(_KnownKeys):
    """The whole file."""

    name: Text
    observations: Annotated[tuple[_ObservationSpec, ...], BeforeValidator(_as_tuple)]

    @model_validator(mode="after")
    def _check(self) -> _ObservationsSpec:
        if not self.observations:
            raise _bad("observations", "needs at least one observation")
        seen: dict[str, int] = {}
        for i, o in enumerate(self.observations):
            if o.id in seen:
                raise _bad(
                    f"observations.{i}.id",
                    f"{o.id!r} repeats observations.{seen[o.id]}.id; ids must be unique",
                )
            seen[o.id] = i
        return self


# --------------------------------------------------------------------------- loading


def parse_observations(data: Any, cfg: Config, where: str = "observations") -> Observations:
    """Validate a mapping (as read from YAML) against ``cfg`` into :class:`Observations`.

    Errors name the key path from the mapping's root (``observations.1.window``); ``where``
    names the mapping itself in errors about it as a whole (not a mapping at all).
    """
    if not isinstance(cfg, Config):
        raise TypeError(
            f"cfg must be a sim.Config (from sim.load_config), got {type(cfg).__name__}"
        )
    if not isinstance(data, dict):
        raise ObservationsError(
            f"{where}: must be a mapping with keys name, observations (got {type(data).__name__})"
        )
    try:
        spec = _ObservationsSpec.model_validate(data, context={"cfg": cfg})
    except ValidationError as exc:
        raise ObservationsError(_first_error(exc)) from None
    return Observations(spec.name, tuple(o.record() for o in spec.observations))


def _safe_load(stream: Any) -> Any:
    """``yaml.safe_load`` that refuses a key given twice in one mapping (not the last wins)."""
    import yaml

    class Loader(yaml.SafeLoader):
        """The safe loader, strict about repeated keys."""

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        seen: set[Any] = set()
        for knode, _ in node.value:
            key = loader.construct_object(knode, deep=True)
            if not isinstance(key, Hashable):
                break  # construct_mapping below refuses it, naming its line
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice in one mapping", knode.start_mark
                )
            seen.add(key)
        return loader.construct_mapping(node, deep=True)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return yaml.load(stream, Loader=Loader)  # a SafeLoader subclass: safe


def load_observations(path: str | Path, cfg: Config) -> Observations:
    """Read the observations file ``path`` (YAML, read safely) and validate it against ``cfg``."""
    import yaml

    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            data = _safe_load(fh)
    except OSError as exc:
        raise ObservationsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ObservationsError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except yaml.YAMLError as exc:
        raise ObservationsError(yaml_message(exc)) from None
    return parse_observations(data, cfg, where=str(path))
