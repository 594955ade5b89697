"""Load, compose and validate scenario configs into typed, immutable objects.

A config is composed from the Hydra tree in ``scenarios/`` (or a user folder) and then
validated by the pydantic models below. Every user mistake becomes a :class:`ConfigError`
(a ``ValueError``) whose one-line message names the full key path and what is allowed.

The schema is strict: numbers must be finite, bools and strings are not numbers, and an
integer field takes an int or a whole float (``3.0`` is 3, ``1.5`` is refused). Anything
accepted can run: see :data:`LIMITS` for the bounds on size and time and how they follow.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import ErrorDetails
from scipy import special

from sim.fields import Real, StrictModel
from sim.timeline import TimelineEntry, timeline_error

# --------------------------------------------------------------------------- limits

GIB = 2**30
BYTES_PER_VALUE = 8  # float64
DAILY_COLUMNS = 10  # len(sim.model.ledger.TIMESERIES_COLUMNS)
SAMPLE_REPLICATIONS = 2000  # sim.experiment.stats.DailyAggregate.CAPACITY
AGGREGATE_MAX_ABS = 2.0**46  # sim.experiment.stats.DailyAggregate.MAX_ABS
BYTES_PER_WORLD_DAY = DAILY_COLUMNS * BYTES_PER_VALUE  # one world's series, one day
STEP_SECONDS = 3e-6  # measured cost of one production step
TANKER_SECONDS = 30e-6  # measured cost of one open-fleet arrival (~6 events)
TANKER_BYTES = 2_000  # a Tanker, its process and samplers (~0.9 KB measured, plus streams)
VISIT_SECONDS = 30e-6  # one closed-fleet arrival at port, turned back or loaded

SAMPLE_BUDGET_BYTES = 4 * GIB  # the experiment's sample of daily series
MAX_PRODUCTION_STEPS = 1_000_000
MAX_TANKERS = 50_000
MAX_VISITS = 1_000_000
MAX_BBL = 1e12
MAX_SUPPLY_BBL = 4e12
MAX_DURATION_DAYS = 1e6
MAX_COUNT = 10**9
MAX_REPLICATIONS = 1_000_000
MAX_WORKERS = 4096
MAX_SEED = 2**64
MAX_LOGNORMAL_SIGMA = 10.0
MIN_GAMMA_CV = 1e-6
MAX_GAMMA_CV = 10.0
MIN_LOADING_RATE_BPD = 1.0
MAX_USD_PER_BBL = 1e4

LIMITS: dict[str, float] = {
    "SAMPLE_BUDGET_BYTES": SAMPLE_BUDGET_BYTES,
    "MAX_PRODUCTION_STEPS": MAX_PRODUCTION_STEPS,
    "MAX_TANKERS": MAX_TANKERS,
    "MAX_VISITS": MAX_VISITS,
    "MAX_BBL": MAX_BBL,
    "MAX_SUPPLY_BBL": MAX_SUPPLY_BBL,
    "MAX_DURATION_DAYS": MAX_DURATION_DAYS,
    "MAX_COUNT": MAX_COUNT,
    "MAX_REPLICATIONS": MAX_REPLICATIONS,
    "MAX_WORKERS": MAX_WORKERS,
    "MAX_SEED": MAX_SEED,
    "MAX_LOGNORMAL_SIGMA": MAX_LOGNORMAL_SIGMA,
    "MIN_GAMMA_CV": MIN_GAMMA_CV,
    "MAX_GAMMA_CV": MAX_GAMMA_CV,
    "MIN_LOADING_RATE_BPD": MIN_LOADING_RATE_BPD,
    "MAX_USD_PER_BBL": MAX_USD_PER_BBL,
}
"""The bounds of the schema, and the estimate behind each.

- ``SAMPLE_BUDGET_BYTES`` (4 GiB) bounds the horizon: a replication keeps its daily series,
  days x ``DAILY_COLUMNS`` (10) x 8 bytes per world (2 with the paired baseline), and the
  experiment keeps a bottom-k sample of ``SAMPLE_REPLICATIONS`` (2,000) replications' series
  for the daily quantiles: at most 13,421 days with the baseline, 26,843 without
  (:func:`max_horizon_days`). ``horizon_days=1e9`` needs 149 GiB per replication alone.
- ``MAX_PRODUCTION_STEPS`` (1e6 per replication): ``horizon_days / production.step_days``
  steps of ~3 us each, ~3 s per replication at the limit.
- ``MAX_TANKERS`` (50,000 per replication): a closed fleet's ``sum(count)``, or an open
  fleet's placed tankers plus ``arrival_rate_per_day * horizon_days`` expected arrivals; each
  arrival is a Tanker, a SimPy process and its samplers (~2 KB, ~30 us): ~100 MB and ~1.5 s.
- ``MAX_VISITS`` (1e6 per replication): a closed fleet's arrivals at port, estimated as
  ``sum(count * horizon_days / mean voyage_days)`` (a tanker turned back on arrival sails
  again at once, so the voyage is its whole cycle), ~30 us each: ~30 s at the limit. Renewed
  warrants (``court.renew``) count ``tankers * horizon_days / validity_days`` the same way.
- ``MAX_BBL`` (1e12 bbl) for every barrel quantity and rate, and ``MAX_SUPPLY_BBL`` (4e12 bbl)
  for the supply of a replication (storage at day 0 + cargo afloat at day 0 +
  ``export_bpd * horizon_days``), which bounds every level and daily flow of the series: the
  daily aggregate holds values below ``AGGREGATE_MAX_ABS`` (2**46 = 7.0e13 bbl, 2**-16
  fixed point in int64), a safety factor of over 17.
- ``MAX_DURATION_DAYS`` (1e6 days) for every duration and distribution parameter: 100 times
  the longest horizon (longer is the same as never), and small enough that sums of times and
  draws stay finite.
- ``MAX_COUNT`` (1e9) for servers, pseudo-counts and known news; ``MAX_REPLICATIONS`` (1e6:
  the metric table is ~60 columns x 8 bytes a row, ~0.5 GB); ``MAX_WORKERS`` (4096
  processes); ``MAX_SEED`` (2**64: seeds are stored as 64-bit integers).
- Distributions draw finite values: lognormal ``sigma <= 10`` (a draw is at most
  ``median * exp(10 * 9)`` for 9-sigma normals, and the mean ``median * exp(50)``), gamma
  ``cv`` 0 or in [1e-6, 10] (shape ``1/cv**2`` in [0.01, 1e12], where numpy's sampler is
  exact and finite), every parameter at most ``MAX_DURATION_DAYS``.
- ``MIN_LOADING_RATE_BPD`` (1 bbl a day): a cargo's loading time ``MAX_BBL / rate`` stays finite.
- ``MAX_USD_PER_BBL`` ($10,000 a barrel, over 100 times any price seen) for the market's
  price and discount: a replication's revenue stays below ``MAX_SUPPLY_BBL`` x 1e4 = 4e16 USD.
"""

INITIAL_STATES: tuple[str, ...] = ("loaded_waiting", "loading", "waiting_berth", "waiting_outside")
STATUSES: tuple[str, ...] = ("licensed", "sanctioned", "unsanctioned")
COURT_POLICIES: tuple[str, ...] = ("none", "on_departure", "on_loading", "blanket")
Status = Literal["licensed", "sanctioned", "unsanctioned"]


class ConfigError(ValueError):
    """A config that cannot be simulated; the message names the key and what is allowed."""


class FieldError(ValueError):
    """A validator's complaint about sub-key ``key`` of what it validates ("": all of it).

    Pydantic keeps the exception in its error's context, so :func:`_first_error` joins
    ``key`` onto the location pydantic reports (``fleet`` + ``tankers.0.class``).
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def _bad(key: str, message: str) -> FieldError:
    """An error about sub-key ``key`` of the model being validated (joined into the path)."""
    return FieldError(key, message)


def _whole(v: Any) -> Any:
    """A whole float (or numpy integer) as an int; anything else as it is, for strict checks."""
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating) and math.isfinite(v) and float(v).is_integer():
        return int(v)
    return v


def _as_tuple(v: Any) -> Any:
    """A list (from YAML or JSON) as a tuple."""
    return tuple(v) if isinstance(v, list) else v


Probability = Annotated[Real, Field(ge=0.0, le=1.0)]
Days = Annotated[Real, Field(ge=0.0, le=MAX_DURATION_DAYS)]
PositiveDays = Annotated[Real, Field(gt=0.0, le=MAX_DURATION_DAYS)]
Barrels = Annotated[Real, Field(ge=0.0, le=MAX_BBL)]
PositiveBarrels = Annotated[Real, Field(gt=0.0, le=MAX_BBL)]
PseudoCount = Annotated[Real, Field(gt=0.0, le=MAX_COUNT)]
Count = Annotated[int, BeforeValidator(_whole), Field(ge=0, le=MAX_COUNT)]
PositiveCount = Annotated[int, BeforeValidator(_whole), Field(ge=1, le=MAX_COUNT)]
TankerCount = Annotated[int, BeforeValidator(_whole), Field(ge=0, le=MAX_TANKERS)]
Replications = Annotated[int, BeforeValidator(_whole), Field(ge=1, le=MAX_REPLICATIONS)]


_Model = StrictModel


_ALIASED = ConfigDict(
    extra="forbid",
    frozen=True,
    populate_by_name=True,
    strict=True,
    allow_inf_nan=False,
)


# --------------------------------------------------------------------------- distributions

_NORMAL = statistics.NormalDist()

Sigma = Annotated[Real, Field(ge=0.0, le=MAX_LOGNORMAL_SIGMA)]
GammaCV = Annotated[Real, Field(ge=0.0, le=MAX_GAMMA_CV)]

#: Every parameter a distribution may have, in the order a config lists them.
DIST_PARAMETERS: tuple[str, ...] = ("value", "mean", "median", "sigma", "low", "mode", "high", "cv")


class _Law(_Model, ABC):
    """What every kind of distribution offers; each kind is its own model below."""

    dist: str

    @classmethod
    def parameters(cls) -> tuple[str, ...]:
        """The parameters this kind takes, in config order."""
        return tuple(k for k in cls.model_fields if k != "dist")

    @model_serializer(mode="wrap")
    def _every_parameter(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A dump lists every parameter (None where this kind has none), as configs always
        # have: config hashes and stored config.yaml files stay the same, and a dotted key
        # set into a dump (a timeline, a sensitivity path) finds the parameter it names.
        data = handler(self)
        return {"dist": data["dist"], **{k: data.get(k) for k in DIST_PARAMETERS}}

    @property
    @abstractmethod
    def mean_value(self) -> float:
        """The distribution's mean."""

    def ppf(self, u: float) -> float:
        """The ``u``-quantile: a tanker that drew ``u`` keeps its rank when the dist changes."""
        return self._quantile(min(max(u, 1e-12), 1.0 - 1e-12))

    @abstractmethod
    def _quantile(self, u: float) -> float:
        """The ``u``-quantile for ``u`` strictly inside (0, 1)."""

    @abstractmethod
    def cdf(self, x: float) -> float:
        """P(X <= x)."""

    def ppf_beyond(self, u: float, x: float) -> float:
        """The ``u``-quantile of the distribution given that the value exceeds ``x``."""
        below = self.cdf(x)
        return max(x, self.ppf(below + u * (1.0 - below)))

    @abstractmethod
    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values from ``rng`` (always consumes the stream the same way)."""


class Fixed(_Law):
    """A constant: ``{dist: fixed, value: 2}`` (a bare number in a config means this)."""

    dist: Literal["fixed"] = "fixed"
    value: Days

    @property
    def mean_value(self) -> float:
        """The value."""
        return float(self.value)

    def _quantile(self, u: float) -> float:
        return float(self.value)

    def cdf(self, x: float) -> float:
        """P(X <= x): a step at the value."""
        return 1.0 if x >= self.value else 0.0

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` copies of the value (``rng`` is not touched)."""
        return np.full(n, float(self.value))


class Exponential(_Law):
    """``{dist: exponential, mean: 2}``; mean 0 is always 0."""

    dist: Literal["exponential"] = "exponential"
    mean: Days

    @property
    def mean_value(self) -> float:
        """The mean."""
        return float(self.mean)

    def _quantile(self, u: float) -> float:
        return -float(self.mean) * math.log1p(-u)

    def cdf(self, x: float) -> float:
        """P(X <= x)."""
        return 1.0 if not self.mean else max(0.0, 1.0 - math.exp(-x / self.mean))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws from ``rng`` (none for mean 0)."""
        return rng.exponential(self.mean, n) if self.mean else np.zeros(n)


class Lognormal(_Law):
    """``{dist: lognormal, median: 2, sigma: 0.5}``: log X is normal(log median, sigma)."""

    dist: Literal["lognormal"] = "lognormal"
    median: PositiveDays
    sigma: Sigma

    @property
    def mean_value(self) -> float:
        """median * exp(sigma**2 / 2)."""
        return float(self.median * math.exp(self.sigma**2 / 2))

    def _quantile(self, u: float) -> float:
        return float(self.median) * math.exp(self.sigma * _NORMAL.inv_cdf(u))

    def cdf(self, x: float) -> float:
        """P(X <= x) (a step at the median for sigma 0)."""
        if x <= 0:
            return 0.0
        if not self.sigma:
            return float(x >= self.median)
        return _NORMAL.cdf(math.log(x / self.median) / self.sigma)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws from ``rng``."""
        return rng.lognormal(math.log(self.median), self.sigma, n)


class Uniform(_Law):
    """``{dist: uniform, low: 1, high: 3}``."""

    dist: Literal["uniform"] = "uniform"
    low: Days
    high: Days

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError("uniform needs low <= high")
        return self

    @property
    def mean_value(self) -> float:
        """The midpoint."""
        return (self.low + self.high) / 2

    def _quantile(self, u: float) -> float:
        return self.low + (self.high - self.low) * u

    def cdf(self, x: float) -> float:
        """P(X <= x) (a step for low == high)."""
        if self.high == self.low:
            return float(x >= self.low)
        return min(1.0, max(0.0, (x - self.low) / (self.high - self.low)))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws from ``rng``."""
        return rng.uniform(self.low, self.high, n)


class Triangular(_Law):
    """``{dist: triangular, low: 1, mode: 2, high: 5}``."""

    dist: Literal["triangular"] = "triangular"
    low: Days
    mode: Days
    high: Days

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("triangular needs low <= mode <= high")
        if self.low == self.high:
            raise ValueError("triangular needs low < high (use dist: fixed for a constant)")
        return self

    @property
    def mean_value(self) -> float:
        """(low + mode + high) / 3."""
        return (self.low + self.mode + self.high) / 3

    def _quantile(self, u: float) -> float:
        lo, mode, hi = float(self.low), float(self.mode), float(self.high)
        if u < (mode - lo) / (hi - lo):
            return lo + math.sqrt(u * (hi - lo) * (mode - lo))
        return hi - math.sqrt((1.0 - u) * (hi - lo) * (hi - mode))

    def cdf(self, x: float) -> float:
        """P(X <= x)."""
        lo, mode, hi = float(self.low), float(self.mode), float(self.high)
        if x <= lo:
            return 0.0
        if x >= hi:
            return 1.0
        if x <= mode:
            return (x - lo) ** 2 / ((hi - lo) * (mode - lo))
        return 1.0 - (hi - x) ** 2 / ((hi - lo) * (hi - mode))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws from ``rng``."""
        return rng.triangular(self.low, self.mode, self.high, n)


class Gamma(_Law):
    """``{dist: gamma, mean: 2, cv: 0.5}``: shape 1/cv**2; cv 0 or mean 0 is the mean."""

    dist: Literal["gamma"] = "gamma"
    mean: Days
    cv: GammaCV

    @model_validator(mode="after")
    def _drawable(self) -> Gamma:
        if 0 < self.cv < MIN_GAMMA_CV:
            raise _bad(
                "cv",
                f"must be 0 or in [{MIN_GAMMA_CV:g}, {MAX_GAMMA_CV:g}] (the gamma shape "
                f"1/cv**2 must be at most {MIN_GAMMA_CV**-2:g} to draw), got {self.cv:g}",
            )
        return self

    @property
    def mean_value(self) -> float:
        """The mean."""
        return float(self.mean)

    @property
    def _shape(self) -> float:
        return 1.0 / self.cv**2

    def _quantile(self, u: float) -> float:
        if not self.mean or not self.cv:
            return float(self.mean)
        return float(special.gammaincinv(self._shape, u)) * self.mean / self._shape

    def cdf(self, x: float) -> float:
        """P(X <= x) (a step at the mean when it is constant)."""
        if not self.mean or not self.cv:
            return float(x >= self.mean)
        return float(special.gammainc(self._shape, max(0.0, x) * self._shape / self.mean))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws from ``rng`` (none when constant)."""
        if not self.mean or not self.cv:
            return np.full(n, float(self.mean))
        return rng.gamma(self._shape, self.mean / self._shape, n)


_KINDS: dict[str, type[_Law]] = {
    kind.model_fields["dist"].default: kind
    for kind in (Fixed, Exponential, Lognormal, Uniform, Triangular, Gamma)
}


def _one_of(names: Sequence[str]) -> str:
    """``'a', 'b' or 'c'``."""
    quoted = [repr(n) for n in names]
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}" if len(quoted) > 1 else quoted[0]


def _dist_error(data: dict[str, Any], errors: list[ErrorDetails]) -> FieldError:
    """One line for the failed validation of a distribution mapping, as pydantic saw it."""
    first = errors[0]
    if first["type"] == "union_tag_not_found":
        return _bad("dist", "required key is missing")
    if first["type"] == "union_tag_invalid":
        return _bad("dist", f"Input should be {_one_of(list(_KINDS))} (got {data['dist']!r})")
    kind = _KINDS[str(first["loc"][0])]  # inside the kind's model: its tag, then the key

    def shape(e: ErrorDetails) -> bool:  # a parameter missing, or one of another kind
        return e["type"] == "missing" or (
            e["type"] == "extra_forbidden" and e["loc"][-1] in DIST_PARAMETERS
        )

    needed = kind.parameters()
    other = [e for e in errors if not shape(e)]
    if other and other[0]["type"] == "extra_forbidden":
        takes = f"dist '{data['dist']}' takes {', '.join(needed)}"
        return _bad(str(other[0]["loc"][-1]), f"unknown key ({takes})")
    if other:
        return _bad(*_describe(other[0], other[0]["loc"][1:]))
    missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing"]
    extra = sorted(str(e["loc"][-1]) for e in errors if e["type"] == "extra_forbidden")
    return _bad(
        "",
        f"dist '{data['dist']}' takes exactly {', '.join(needed)}"
        + (f"; missing {', '.join(missing)}" if missing else "")
        + (f"; unexpected {', '.join(extra)}" if extra else ""),
    )


def _dist_input(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A bare number is a fixed value and a parameter set to None is absent (as in a dump)."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    ):
        value = {"dist": "fixed", "value": value}
    elif isinstance(value, dict):
        value = {k: v for k, v in value.items() if v is not None}
    elif not isinstance(value, _Law):
        raise ValueError("expected a number or a mapping {dist: ..., ...}")
    try:
        return handler(value)
    except ValidationError as exc:
        raise _dist_error(value, exc.errors()) from None


Dist = Annotated[
    Fixed | Exponential | Lognormal | Uniform | Triangular | Gamma,
    Field(discriminator="dist"),
    WrapValidator(_dist_input),
]
"""A non-negative random duration or quantity: ``{dist: gamma, mean: 2, cv: 0.5}``, one
model per kind (chosen by ``dist``), or a bare number for a fixed value."""

_DIST_ADAPTER: TypeAdapter[Dist] = TypeAdapter(Dist)


def as_dist(data: Any) -> Dist:
    """``data`` (a number or a ``{dist: ...}`` mapping) validated as a distribution."""
    return _DIST_ADAPTER.validate_python(data)


def fixed(value: float) -> Fixed:
    """A degenerate distribution at ``value``."""
    return Fixed(value=value)


# --------------------------------------------------------------------------- sections


class CutPolicy(_Model):
    """Output cuts that deepen gradually as storage fills, and come back as gradually.

    The cut aimed at grows from none at ``start_fill`` to ``max_fraction`` of output at
    ``full_fill``; the cut in force moves toward it by at most ``max_fraction`` per
    ``deepen_days`` (wells shut in one by one) and per ``restart_days`` back (restarts take
    longer). Zero days: the cut follows the fill at once.
    """

    enabled: bool = False
    start_fill: Probability = 0.9
    full_fill: Probability = 1.0
    max_fraction: Probability = 0.3
    deepen_days: Days = 0.0
    restart_days: Days = 0.0

    @model_validator(mode="after")
    def _ramp(self) -> CutPolicy:
        if self.full_fill < self.start_fill:
            raise _bad("full_fill", f"must be >= start_fill ({self.start_fill:g})")
        return self

    def aimed(self, fill: float) -> float:
        """The share of output the operator aims to cut at storage ``fill``."""
        if not self.enabled or fill < self.start_fill:
            return 0.0
        if fill >= self.full_fill:
            return self.max_fraction
        return self.max_fraction * (fill - self.start_fill) / (self.full_fill - self.start_fill)


class Production(_Model):
    """Crude available for export and how it reaches storage."""

    export_bpd: Barrels
    step_days: PositiveDays = 1.0
    cut: CutPolicy = CutPolicy()


class Terminal(_Model):
    """Onshore storage and the loading berths."""

    storage_capacity_bbl: PositiveBarrels
    storage_init_bbl: Barrels = 0.0
    storage_min_bbl: Barrels = 0.0  # working inventory (tank bottoms) never loaded
    berths: PositiveCount = 1
    loading_rate_bpd: Annotated[Real, Field(ge=MIN_LOADING_RATE_BPD, le=MAX_BBL)]
    berth_overhead_days: Days = 0.0
    licensed_first: bool = False  # licensed tankers jump the berth queue

    @model_validator(mode="after")
    def _init_fits(self) -> Terminal:
        if self.storage_init_bbl > self.storage_capacity_bbl:
            raise _bad(
                "storage_init_bbl",
                f"must be <= storage_capacity_bbl ({self.storage_capacity_bbl:g}), "
                f"got {self.storage_init_bbl:g}",
            )
        if self.storage_min_bbl > self.storage_init_bbl:
            raise _bad(
                "storage_min_bbl",
                f"must be <= storage_init_bbl ({self.storage_init_bbl:g}), "
                f"got {self.storage_min_bbl:g}",
            )
        return self


class TankerGroup(_Model):
    """``count`` tankers of one class and status (closed fleet)."""

    tanker_class: str = Field(alias="class")
    status: Status
    count: TankerCount
    voyage_days: Dist = fixed(30.0)  # round trip from clearing the zone back to port

    model_config = _ALIASED


class ArrivalMix(_Model):
    """One kind of arriving tanker in an open fleet, with its relative weight."""

    tanker_class: str = Field(alias="class")
    status: Status
    weight: PseudoCount = 1.0

    model_config = _ALIASED


class InitialGroup(_Model):
    """``count`` tankers of one class and status placed in a state at day 0."""

    tanker_class: str = Field(alias="class")
    status: Status
    count: TankerCount
    cargo_fraction: Probability = 1.0  # share of the class capacity on board
    # loaded_waiting only: how long each had already waited at day 0 (its clocks run from then)
    waited_days: Dist = fixed(0.0)

    model_config = _ALIASED


InitialGroups = Annotated[tuple[InitialGroup, ...], BeforeValidator(_as_tuple)]


class Initial(_Model):
    """The state at day 0; tankers of a closed fleet not placed here start at sea."""

    loaded_waiting: InitialGroups = ()
    loading: InitialGroups = ()
    waiting_berth: InitialGroups = ()
    waiting_outside: InitialGroups = ()  # empty, at anchor outside: decide at day 0 to come in
    # Seizures and escapes the owners already know of at day 0 (e.g. the first seizure).
    known_seizures: Count = 0
    known_escapes: Count = 0

    def groups(self) -> Iterable[tuple[str, InitialGroup]]:
        """Every (state, group) pair."""
        for state in INITIAL_STATES:
            for group in getattr(self, state):
                yield state, group


class Fleet(_Model):
    """The tankers: a closed cycling fleet or an open Poisson stream."""

    mode: Literal["closed", "open"] = "closed"
    classes: dict[str, PositiveBarrels]  # class name -> cargo capacity in bbl
    tankers: Annotated[tuple[TankerGroup, ...], BeforeValidator(_as_tuple)] = ()
    arrival_rate_per_day: Annotated[Real, Field(ge=0.0)] = 0.0
    arrival_mix: Annotated[tuple[ArrivalMix, ...], BeforeValidator(_as_tuple)] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Fleet:
        known = set(self.classes)
        lists: dict[str, Sequence[TankerGroup | ArrivalMix]] = {
            "tankers": self.tankers,
            "arrival_mix": self.arrival_mix,
        }
        for name, groups in lists.items():
            for i, g in enumerate(groups):
                if g.tanker_class not in known:
                    raise _bad(
                        f"{name}.{i}.class",
                        f"'{g.tanker_class}' is not one of fleet.classes "
                        f"({', '.join(sorted(known))})",
                    )
        if self.mode == "closed" and not any(g.count for g in self.tankers):
            raise _bad("tankers", "mode 'closed' needs at least one tanker")
        if self.mode == "open" and (self.arrival_rate_per_day > 0 and not self.arrival_mix):
            raise _bad("arrival_mix", "mode 'open' with arrivals needs at least one entry")
        return self


GroupName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class OwnerGroup(_Model):
    """Owners of one kind of tanker: one belief, and traits each tanker draws for itself.

    The belief is Beta(prior_a + news_weight * seizures heard, prior_b + news_weight *
    escapes heard). Each tanker draws a quantile once for each threshold, so it keeps its
    rank when a threshold's distribution changes (by a sweep point or a timeline entry).
    """

    statuses: Annotated[tuple[Status, ...], BeforeValidator(_as_tuple)]
    prior_a: PseudoCount = 1.0
    prior_b: PseudoCount = 19.0
    news_weight: Annotated[Real, Field(ge=0.0, le=MAX_COUNT)] = 1.0  # per seizure or escape heard
    risk_threshold: Dist = fixed(0.05)  # a loaded tanker sails while the belief is below it
    turnback_threshold: Dist = fixed(0.2)  # an inbound tanker comes in while below it
    patience_days: Dist = fixed(30.0)  # a loaded tanker sails after waiting this long
    outside_days: Dist = fixed(0.0)  # an inbound tanker waits outside this long, then turns back
    go_dark_prob: Probability = 0.0  # share of departures sailing dark (AIS off)


class Offer(_Model):
    """The operator's inducement to come in and load when its tanks fill.

    At storage fill f the pressure is (f - from_fill) / (full_fill - from_fill), clipped to
    [0, 1]; an inbound tanker then comes in while the belief is below its turn-back
    threshold times (1 + premium * pressure).
    """

    from_fill: Probability = 1.0
    full_fill: Probability = 1.0
    premium: Annotated[Real, Field(ge=0.0, le=MAX_COUNT)] = 0.0

    @model_validator(mode="after")
    def _ramp(self) -> Offer:
        if self.full_fill < self.from_fill:
            raise _bad("full_fill", f"must be >= from_fill ({self.from_fill:g})")
        return self

    def factor(self, fill: float) -> float:
        """The multiple of a tanker's turn-back threshold at storage ``fill``."""
        if self.premium == 0 or fill <= self.from_fill:
            return 1.0
        if fill >= self.full_fill:
            return 1.0 + self.premium
        return 1.0 + self.premium * (fill - self.from_fill) / (self.full_fill - self.from_fill)


class Breakout(_Model):
    """Loaded targets waiting in port sail out together, hoping to overwhelm the navy."""

    group: PositiveCount | None = (
        None  # when this many have waited min_wait_days (checked on every change)
    )
    min_wait_days: Days = 0.0
    day: Days | None = None  # once, on this day (a timeline entry can set it)
    after_escapes: PositiveCount | None = None  # once, when owners have heard of this many escapes


def _default_groups() -> dict[str, OwnerGroup]:
    return {"owners": OwnerGroup(statuses=("sanctioned", "unsanctioned"))}


class Behaviour(_Model):
    """Owners of targetable tankers: groups with their own beliefs, the offer, breakouts."""

    news_lag_days: Days = 0.0
    groups: dict[GroupName, OwnerGroup] = Field(default_factory=_default_groups)
    offer: Offer = Offer()
    breakout: Breakout = Breakout()

    @model_validator(mode="before")
    @classmethod
    def _known_groups(cls, data: Any) -> Any:
        """A group with no ``statuses`` is most likely a misspelt name: say which exist."""
        groups = data.get("groups") if isinstance(data, dict) else None
        if isinstance(groups, dict):
            known = [n for n, g in groups.items() if isinstance(g, dict) and "statuses" in g]
            for name, group in groups.items():
                if isinstance(group, dict) and "statuses" not in group:
                    raise _bad(
                        f"groups.{name}",
                        f"not a group of this scenario ({', '.join(known) or 'none'}); a new "
                        "group needs statuses: [...]",
                    )
        return data

    @model_validator(mode="after")
    def _cover(self) -> Behaviour:
        seen: dict[str, str] = {}
        for name, group in self.groups.items():
            for status in group.statuses:
                if status in seen:
                    raise _bad(
                        f"groups.{name}.statuses",
                        f"'{status}' is already in group '{seen[status]}' (a status belongs "
                        "to one group)",
                    )
                seen[status] = name
        missing = [s for s in ("sanctioned", "unsanctioned") if s not in seen]
        if missing:
            raise _bad(
                "groups",
                f"every status the navy may target needs a group; none has {', '.join(missing)}",
            )
        return self

    def group_of(self, status: str) -> str | None:
        """The name of the group owning tankers of ``status`` (None: no group)."""
        for name, group in self.groups.items():
            if status in group.statuses:
                return name
        return None


class Navy(_Model):
    """The blockading force: detection, boarding teams and the interdiction zone."""

    enabled: bool = True
    targets: Literal["sanctioned", "unlicensed"] = "sanctioned"
    detection_prob: Probability = 1.0
    territorial_transit_days: Dist = fixed(0.5)
    exposure_days: Dist = fixed(2.0)
    boarding_teams: Count = 1
    boarding_days: Dist = fixed(1.0)
    escort_days: Dist = fixed(0.0)
    board_success_prob: Probability = 1.0
    dark_detection_prob: Probability = 1.0  # detection of a departure sailing dark
    pursuit_prob: Probability = 0.0  # share of detected targets chased beyond the zone
    pursuit_days: Dist = fixed(0.0)  # how long a chase lasts after the zone

    def targets_status(self, status: str) -> bool:
        """Whether a tanker of this status is a target."""
        if not self.enabled or status == "licensed":
            return False
        return self.targets == "unlicensed" or status == "sanctioned"


class Court(_Model):
    """Seizure warrants: one per tanker, queued for ``capacity`` judges."""

    policy: Literal["none", "on_departure", "on_loading", "blanket"] = "none"
    capacity: PositiveCount = 1
    delay_days: Dist = fixed(2.0)
    approval_prob: Probability = 1.0
    validity_days: PositiveDays = 14.0
    renew: bool = False  # re-apply as soon as a warrant of a tanker still around expires


class WaitPolicy(_Model):
    """The wait-time policy: go into territorial waters after T days of waiting."""

    enter_waters_after_days: Days | None = None
    in_waters_success_prob: Probability = 1.0


UsdPerBbl = Annotated[Real, Field(ge=0.0, le=MAX_USD_PER_BBL)]


class Market(_Model):
    """What the target's exported crude sells for: a benchmark price less its discount.

    Revenue is arithmetic on the barrels exported (``revenue_usd``, docs/model.md "Market"):
    nothing here draws a random number or changes a barrel. Without a price it is NaN.
    """

    price_usd_per_bbl: UsdPerBbl | None = None  # the benchmark (Brent in the scenario)
    discount_usd_per_bbl: UsdPerBbl = 0.0  # what the target's crude sells below it

    @property
    def net_usd_per_bbl(self) -> float:
        """What a barrel exported earns: price - discount, never below 0 (NaN: no price).

        A draw of the discount above the price (independent uncertain ranges that overlap)
        earns nothing rather than failing the replication.
        """
        if self.price_usd_per_bbl is None:
            return math.nan
        return max(0.0, self.price_usd_per_bbl - self.discount_usd_per_bbl)


_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
DASK_ADDRESS = re.compile(rf"^(?:(?:tcp|tls|ucx|ws|wss)://)?{_HOST}:(?P<port>[0-9]{{1,5}})$")
MAX_PORT = 65535


def is_dask_address(address: str) -> bool:
    """Whether ``address`` looks like a dask scheduler address."""
    if address.startswith("inproc://"):
        return len(address) > len("inproc://") and not any(c.isspace() for c in address)
    match = DASK_ADDRESS.match(address)
    return match is not None and 1 <= int(match["port"]) <= MAX_PORT


class Experiment(_Model):
    """How many replications, where, and when to stop."""

    seed: Annotated[int, BeforeValidator(_whole), Field(ge=0)] = 20251210
    replications: Replications = 100
    workers: Annotated[int, BeforeValidator(_whole), Field(ge=1, le=MAX_WORKERS)] | None = None
    executor: Literal["serial", "processes", "dask"] = "processes"
    baseline: bool = True
    target_rel_halfwidth: Annotated[Real, Field(gt=0.0)] | None = None
    target_halfwidth: Annotated[Real, Field(gt=0.0)] | None = None  # absolute, metric units
    min_replications: Replications = 100  # a target is first checked after this many
    max_replications: Replications = 10_000
    batch_size: Replications = 100
    # stop on the paired difference against a finished run folder, or "sweep" (job 0)
    reference: Annotated[str, Field(min_length=1)] | None = None
    dask_address: str | None = None
    progress: bool | None = None  # None: only on a terminal
    posterior: str | None = None  # a posterior.parquet: uncertain keys drawn from it

    @field_validator("seed")
    @classmethod
    def _seed(cls, v: int) -> int:
        if v >= MAX_SEED:
            raise ValueError("must be < 2**64 (seeds are stored as 64-bit integers)")
        return v

    @field_validator("dask_address")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is not None and not is_dask_address(v):
            raise ValueError(
                "expected a dask scheduler address: tcp://HOST:PORT, tls://HOST:PORT, "
                "ucx://HOST:PORT, inproc://... or HOST:PORT"
            )
        return v

    @model_validator(mode="after")
    def _max(self) -> Experiment:
        if self.target_rel_halfwidth is not None and self.target_halfwidth is not None:
            raise _bad(
                "target_halfwidth",
                "give one precision target: target_rel_halfwidth (a share of the mean) or "
                "target_halfwidth (in the metric's units), not both",
            )
        if self.target is not None and self.max_replications < self.first_look:
            raise _bad(
                "max_replications",
                f"must be >= replications and min_replications ({self.first_look}) when a "
                f"precision target is set, got {self.max_replications}",
            )
        return self

    @property
    def target(self) -> float | None:
        """The precision target set (relative or absolute), if any."""
        return self.target_rel_halfwidth if self.target_halfwidth is None else self.target_halfwidth

    @property
    def first_look(self) -> int:
        """Replications before a precision target is first checked."""
        return max(self.replications, self.min_replications)


def _size(n_bytes: float) -> str:
    """``n_bytes`` in a readable binary unit: '1.4 MiB', '134 GiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n_bytes < 1024 or unit == "TiB":
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1024
    raise AssertionError("unreachable")


def max_horizon_days(worlds: int) -> int:
    """The longest horizon whose sample of daily series fits :data:`SAMPLE_BUDGET_BYTES`."""
    return int(SAMPLE_BUDGET_BYTES // (BYTES_PER_WORLD_DAY * worlds * SAMPLE_REPLICATIONS))


def _horizon_error(horizon: float, worlds: int) -> ValueError | None:
    """The horizon's memory estimate, as an error if over :func:`max_horizon_days`."""
    limit = max_horizon_days(worlds)
    if horizon <= limit:
        return None
    per_day = BYTES_PER_WORLD_DAY * worlds
    days = math.ceil(horizon)
    return _bad(
        "horizon_days",
        f"{horizon:g} days needs ~{_size(days * per_day)} per replication for the daily "
        f"series ({DAILY_COLUMNS} columns x {BYTES_PER_VALUE} bytes x {worlds} world(s) a "
        f"day) and ~{_size(days * per_day * SAMPLE_REPLICATIONS)} for the experiment's sample "
        f"of {SAMPLE_REPLICATIONS} replications; at most {limit} days (the sample's budget is "
        f"{_size(SAMPLE_BUDGET_BYTES)})",
    )


def _steps_error(horizon: float, step: float) -> ValueError | None:
    """Too many production steps per replication (:data:`MAX_PRODUCTION_STEPS`)."""
    steps = horizon / step
    if steps <= MAX_PRODUCTION_STEPS:
        return None
    return _bad(
        "production.step_days",
        f"{step:g} days over horizon_days {horizon:g} is {steps:.3g} production steps per "
        f"replication (~{steps * STEP_SECONDS:.3g} s at ~{STEP_SECONDS * 1e6:g} us each); "
        f"at least {horizon / MAX_PRODUCTION_STEPS:.3g} days (at most "
        f"{MAX_PRODUCTION_STEPS:,} steps)",
    )


def _visits_error(cfg: Config) -> ValueError | None:
    """A closed-fleet voyage of mean 0, or too many arrivals at port (:data:`MAX_VISITS`)."""
    groups = [(i, g) for i, g in enumerate(cfg.fleet.tankers) if g.count]
    h, size = cfg.horizon_days, sum(g.count for _, g in groups)
    floor = size * h / MAX_VISITS
    for i, g in groups:
        if g.voyage_days.mean_value <= 0:
            return _bad(
                f"fleet.tankers.{i}.voyage_days",
                "a closed-fleet voyage must take time (mean 0: a tanker turned back "
                f"re-arrives at the same instant for ever); the mean must be >= {floor:.3g} days",
            )
    visits = sum(g.count * h / g.voyage_days.mean_value for _, g in groups)
    if visits <= MAX_VISITS:
        return None
    i, g = min(groups, key=lambda ig: ig[1].voyage_days.mean_value)
    return _bad(
        f"fleet.tankers.{i}.voyage_days",
        f"mean {g.voyage_days.mean_value:.3g} days gives ~{visits:.3g} arrivals at port per "
        f"replication (sum of count x horizon_days / mean voyage; ~{VISIT_SECONDS * 1e6:g} us "
        f"each: ~{visits * VISIT_SECONDS:.3g} s); at most {MAX_VISITS:,} (every mean voyage "
        f">= {floor:.3g} days)",
    )


def _tankers_error(cfg: Config) -> ValueError | None:
    """Too many tankers in a replication (:data:`MAX_TANKERS`)."""
    fleet, h = cfg.fleet, cfg.horizon_days
    if fleet.mode == "closed":
        size = sum(g.count for g in fleet.tankers)
        if size <= MAX_TANKERS:
            return None
        return _bad(
            "fleet.tankers",
            f"{size:,} tankers in all (~{_size(size * TANKER_BYTES)} per replication at "
            f"~{_size(TANKER_BYTES)} each); at most {MAX_TANKERS:,}",
        )
    placed = cfg.initial_count()
    expected = placed + fleet.arrival_rate_per_day * h
    if expected <= MAX_TANKERS:
        return None
    return _bad(
        "fleet.arrival_rate_per_day",
        f"{fleet.arrival_rate_per_day:g} a day over {h:g} days is ~{expected:.3g} tankers per "
        f"replication (each a Tanker and a SimPy process: ~{_size(expected * TANKER_BYTES)}, "
        f"~{expected * TANKER_SECONDS:.3g} s); at most "
        f"{max(0.0, MAX_TANKERS - placed) / h:.4g} a day ({MAX_TANKERS:,} tankers)",
    )


def _renewals_error(cfg: Config) -> ValueError | None:
    """Renewed warrants that expire too often (:data:`MAX_VISITS`)."""
    court = cfg.court
    if not (court.renew and court.policy != "none" and cfg.navy.enabled):
        return None
    fleet, h = cfg.fleet, cfg.horizon_days
    tankers = (
        sum(g.count for g in fleet.tankers)
        if fleet.mode == "closed"
        else cfg.initial_count() + fleet.arrival_rate_per_day * h
    )
    renewals = tankers * h / court.validity_days
    if renewals <= MAX_VISITS:
        return None
    return _bad(
        "court.validity_days",
        f"{court.validity_days:g} days with renew gives up to ~{renewals:.3g} warrants per "
        f"replication (tankers x horizon_days / validity_days); at most {MAX_VISITS:,} "
        f"(validity_days >= {tankers * h / MAX_VISITS:.3g})",
    )


def _supply_error(cfg: Config) -> ValueError | None:
    """More barrels in a replication than the daily aggregate can hold (:data:`MAX_SUPPLY_BBL`)."""
    classes = cfg.fleet.classes
    parts = {
        "terminal.storage_init_bbl": cfg.terminal.storage_init_bbl,
        "initial": sum(
            g.count * classes.get(g.tanker_class, 0.0) * g.cargo_fraction
            for state, g in cfg.initial.groups()
            if state in ("loaded_waiting", "loading")
        ),
        "production.export_bpd": cfg.production.export_bpd * cfg.horizon_days,
    }
    supply = sum(parts.values())
    if supply <= MAX_SUPPLY_BBL:
        return None
    key = max(parts, key=lambda k: parts[k])
    return _bad(
        key,
        f"a replication's supply (storage and cargo at day 0 + export_bpd x horizon_days) "
        f"of {supply:.3g} bbl is over {MAX_SUPPLY_BBL:g} bbl, the most the daily aggregate "
        f"holds exactly (below {AGGREGATE_MAX_ABS:.3g} with a safety margin)",
    )


class Config(_Model):
    """A complete, validated scenario."""

    name: str = "scenario"
    description: str = ""
    start_date: dt.date = dt.date(2025, 12, 10)
    horizon_days: Annotated[Real, Field(gt=0.0)] = 90.0
    production: Production
    terminal: Terminal
    fleet: Fleet
    behaviour: Behaviour = Behaviour()
    navy: Navy = Navy()
    court: Court = Court()
    policy: WaitPolicy = WaitPolicy()
    initial: Initial = Initial()
    market: Market = Market()
    experiment: Experiment = Experiment()
    timeline: Annotated[tuple[TimelineEntry, ...], BeforeValidator(_as_tuple)] = ()
    uncertain: dict[str, Dist] = Field(default_factory=dict)  # key -> its distribution

    @field_validator("start_date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v)
            except ValueError as exc:
                raise ValueError("expected an ISO date YYYY-MM-DD") from exc
        return v

    @model_validator(mode="after")
    def _combinations(self) -> Config:
        fleet = self.fleet
        for state in INITIAL_STATES:
            for i, g in enumerate(getattr(self.initial, state)):
                if state != "loaded_waiting" and g.waited_days != fixed(0.0):
                    raise _bad(
                        f"initial.{state}.{i}.waited_days",
                        "only tankers in loaded_waiting have waited before day 0",
                    )
                if g.tanker_class not in fleet.classes:
                    raise _bad(
                        f"initial.{state}.{i}.class",
                        f"'{g.tanker_class}' is not one of fleet.classes "
                        f"({', '.join(sorted(fleet.classes))})",
                    )
        if fleet.mode == "closed":
            available: dict[tuple[str, str], int] = {}
            for g in fleet.tankers:
                key: tuple[str, str] = (g.tanker_class, g.status)
                available[key] = available.get(key, 0) + g.count
            placed: dict[tuple[str, str], int] = {}
            for _, g in self.initial.groups():
                key = (g.tanker_class, g.status)
                placed[key] = placed.get(key, 0) + g.count
            for key, n in placed.items():
                if n > available.get(key, 0):
                    raise _bad(
                        "initial",
                        f"places {n} {key[1]} {key[0]} tankers but fleet.tankers has only "
                        f"{available.get(key, 0)}",
                    )
        largest = max(self.fleet.classes.values())
        room = self.terminal.storage_capacity_bbl - self.terminal.storage_min_bbl
        if largest > room:
            raise _bad(
                "fleet.classes",
                f"the largest cargo ({largest:g} bbl) must fit in storage "
                f"(terminal.storage_capacity_bbl - storage_min_bbl = {room:g})",
            )
        return self

    @model_validator(mode="after")
    def _limits(self) -> Config:
        """Refuse what would exhaust memory or time (see :data:`LIMITS`)."""
        checks = (
            _horizon_error(self.horizon_days, 2 if self.experiment.baseline else 1),
            _steps_error(self.horizon_days, self.production.step_days),
            _tankers_error(self),
            _visits_error(self) if self.fleet.mode == "closed" else None,
            _renewals_error(self),
            _supply_error(self),
        )
        for error in checks:
            if error is not None:
                raise error
        return self

    def initial_count(self) -> int:
        """How many tankers are placed at day 0."""
        return sum(g.count for _, g in self.initial.groups())

    def baseline(self) -> Config:
        """The same world without the blockade (navy disabled), for paired comparisons.

        Its timeline keeps every change but the navy's switching on (``navy.enabled``)."""
        timeline = []
        for entry in self.timeline:
            kept = {k: v for k, v in entry.changes.items() if not k.startswith("navy.enabled")}
            if kept:
                timeline.append(entry.model_copy(update={"changes": kept}))
        return self.model_copy(
            update={
                "navy": self.navy.model_copy(update={"enabled": False}),
                "timeline": tuple(timeline),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain, YAML-friendly mapping that validates back to this config."""
        return self.model_dump(mode="json", by_alias=True)

    @model_validator(mode="after")
    def _timeline(self) -> Config:
        """Every timeline entry can be applied (:func:`sim.timeline.timeline_error`)."""
        error = timeline_error(self)
        if error is not None:
            raise error
        return self

    @model_validator(mode="after")
    def _uncertain(self) -> Config:
        """Every uncertain key names a number and its range validates (:mod:`sim.uncertain`)."""
        from sim import uncertain

        error = uncertain.check(self)
        if error is not None:
            raise error
        return self


# --------------------------------------------------------------------------- loading


def scenarios_dir() -> Path:
    """The bundled scenario tree (``sim/scenarios`` in a wheel, ``scenarios/`` in a checkout)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "scenarios", here.parent / "scenarios"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"bundled scenarios not found next to {here}")


def _format_loc(loc: Sequence[int | str]) -> str:
    """A pydantic location as the dotted key path a user types (``fleet.tankers.1.count``)."""
    return ".".join(str(p) for p in loc if not str(p).startswith(("function-", "constrained-")))


def _describe(err: ErrorDetails, loc: Sequence[int | str] | None = None) -> tuple[str, str]:
    """(the key path, what is wrong) of one pydantic error; ``loc`` instead of its own."""
    parts = err["loc"] if loc is None else loc
    key = _format_loc([p for p in parts if not str(p).startswith(("function-", "tagged"))])
    error = err.get("ctx", {}).get("error")
    if isinstance(error, FieldError):
        return ".".join(p for p in (key, error.key) if p), error.message
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return key, f"unknown key (not allowed at {key.rpartition('.')[0] or 'the top level'})"
    if err["type"] == "literal_error":
        return key, f"{msg} (got {err.get('input')!r})"
    if err["type"] == "missing":
        return key, "required key is missing"
    got = err.get("input")
    return key, msg + ("" if isinstance(got, dict | list | tuple) else f" (got {got!r})")


def _first_error(exc: ValidationError) -> str:
    """The first error of ``exc`` as one line: ``key.path: what is wrong``."""
    key, message = _describe(exc.errors()[0])
    return f"{key}: {message}" if key else message


def validate(data: dict[str, Any]) -> Config:
    """Validate a plain mapping into a :class:`Config`, raising :class:`ConfigError`."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc)) from None
