"""pyabc's per-particle pieces, cheap: the prior's density and draws, the perturbation kernel.

pyabc evaluates the prior density three times a particle (is the proposal inside the prior,
its importance weight, the temperature scheme's records) and draws each proposal one at a
time. Through scipy's frozen distributions each call costs ~0.1 ms per key and a proposal
~1.5 ms (``np.random.choice`` with weights, a pandas row, an SVD inside
``np.random.multivariate_normal``): together more than the particle's simulation. The
classes here compute the same laws in closed form on floats: :class:`Prior` (the
:func:`~sim.calibration.priors.prior` of each key, from its scipy name and arguments),
:class:`Perturbation` (pyabc's :class:`~pyabc.MultivariateNormalTransition`, its factor of
the covariance computed once per generation) and :class:`OneModel` (the model prior of a
single model). All draw from numpy's global generator, which pyabc seeds per worker.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pyabc
from pyabc.parameters import Parameter

Density = Callable[[float], float]
Draw = Callable[[], float]
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _uniform(loc: float, scale: float) -> tuple[Density, Draw]:
    hi = loc + scale
    return (lambda x: 1.0 / scale if loc <= x <= hi else 0.0), (
        lambda: float(np.random.uniform(loc, hi))
    )


def _triang(c: float, loc: float, scale: float) -> tuple[Density, Draw]:
    def density(x: float) -> float:
        y = (x - loc) / scale
        if not 0.0 <= y <= 1.0:
            return 0.0
        return (2.0 * y / c if y < c else 2.0 * (1.0 - y) / (1.0 - c) if c < 1 else 2.0) / scale

    return density, lambda: float(np.random.triangular(loc, loc + c * scale, loc + scale))


def _lognorm(s: float, scale: float) -> tuple[Density, Draw]:
    def density(x: float) -> float:
        if x <= 0.0:
            return 0.0
        z = math.log(x / scale) / s
        return math.exp(-0.5 * z * z) / (x * s * _SQRT_2PI)

    return density, lambda: float(scale * math.exp(s * np.random.standard_normal()))


def _expon(scale: float) -> tuple[Density, Draw]:
    return (lambda x: math.exp(-x / scale) / scale if x >= 0.0 else 0.0), (
        lambda: float(np.random.exponential(scale))
    )


def _gamma(a: float, scale: float) -> tuple[Density, Draw]:
    log_norm = math.lgamma(a) + math.log(scale)

    def density(x: float) -> float:
        if x <= 0.0:
            return 0.0 if x < 0.0 or a > 1.0 else (1.0 / scale if a == 1.0 else math.inf)
        y = x / scale
        return math.exp((a - 1.0) * math.log(y) - y - log_norm)

    return density, lambda: float(np.random.gamma(a, scale))


#: scipy.stats name -> closed-form (density, draw) of its keyword arguments
#: (the names :func:`sim.calibration.priors.scipy_args` gives).
LAWS: dict[str, Callable[..., tuple[Density, Draw]]] = {
    "uniform": _uniform,
    "triang": _triang,
    "lognorm": _lognorm,
    "expon": _expon,
    "gamma": _gamma,
}


class Prior(pyabc.Distribution):
    """Independent keys (pyabc ``RV`` values, as pyabc's own) with a closed-form density and
    draw per key; anything else pyabc asks of it goes to the scipy distributions."""

    def __init__(self, *args: Any, **rvs: Any) -> None:
        super().__init__(*args, **rvs)
        self._laws = {key: LAWS[rv.name](**rv.kwargs) for key, rv in self.items()}
        self._names = sorted(self._laws)

    def pdf(self, x: Mapping[str, float]) -> float:
        if sorted(x) != self._names:
            raise ValueError(f"prior: parameters {sorted(x)} are not {self._names}")
        density = 1.0
        for key, (law, _) in self._laws.items():
            density *= law(float(x[key]))
            if density == 0.0:
                return 0.0
        return density

    def rvs(self, *args: Any, **kwargs: Any) -> Parameter:
        if args or kwargs:  # a size or a random state: scipy's own
            return super().rvs(*args, **kwargs)
        return Parameter({key: draw() for key, (_, draw) in self._laws.items()})

    def __reduce__(self) -> tuple[Any, ...]:
        return (_prior_of, (dict(self),))


def _prior_of(rvs: dict[str, Any]) -> Prior:
    return Prior(**rvs)


class OneModel(pyabc.RVBase):
    """The model prior of a calibration's one model: always model 0 (pyabc's default is a
    scipy ``randint(0, 1)``, ~0.1 ms a call, asked twice a particle)."""

    def copy(self) -> OneModel:
        return OneModel()

    def rvs(self, *args: Any, **kwargs: Any) -> int:
        return 0

    def pmf(self, x: Any, *args: Any, **kwargs: Any) -> float:
        return 1.0 if int(x) == 0 else 0.0

    def pdf(self, x: Any, *args: Any, **kwargs: Any) -> float:
        return self.pmf(x)

    def cdf(self, x: Any, *args: Any, **kwargs: Any) -> float:
        return 1.0 if float(x) >= 0.0 else 0.0


class Perturbation(pyabc.MultivariateNormalTransition):
    """pyabc's multivariate normal kernel around a weighted resample of the last generation,
    drawn from a covariance factor and cumulative weights computed once per :meth:`fit`."""

    def fit(self, X: Any, w: np.ndarray) -> None:
        super().fit(X, w)
        values, vectors = np.linalg.eigh(self.cov)  # a singular covariance is allowed
        self._factor = vectors * np.sqrt(np.clip(values, 0.0, None))
        cumulative = np.cumsum(self.w)
        self._cumulative = (cumulative / cumulative[-1]).tolist()
        self._columns = list(X.columns)

    def rvs_single(self) -> Parameter:
        i = min(
            bisect.bisect_right(self._cumulative, np.random.random_sample()), len(self._X_arr) - 1
        )
        x = self._X_arr[i] + self._factor @ np.random.standard_normal(len(self._columns))
        return Parameter(dict(zip(self._columns, x.tolist(), strict=True)))
