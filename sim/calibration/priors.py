"""The priors of a calibration: the scenario's ``uncertain`` keys as pyabc distributions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.config import ConfigError

if TYPE_CHECKING:
    import pyabc

    from sim.config import Config, Dist

#: Quantiles of an unbounded prior that must still give a valid config.
TAIL = 0.001


def scipy_args(dist: Dist) -> tuple[str, dict[str, float]]:
    """The scipy.stats name and arguments of ``dist`` (the same law as ``Dist.draw``)."""
    match dist.dist:
        case "uniform":
            return "uniform", {"loc": float(dist.low), "scale": float(dist.high - dist.low)}
        case "triangular":
            lo, mode, hi = float(dist.low), float(dist.mode), float(dist.high)
            return "triang", {"c": (mode - lo) / (hi - lo), "loc": lo, "scale": hi - lo}
        case "lognormal":
            return "lognorm", {"s": float(dist.sigma), "scale": float(dist.median)}
        case "exponential":
            return "expon", {"scale": float(dist.mean)}
        case "gamma":
            cv = float(dist.cv)
            return "gamma", {"a": 1.0 / cv**2, "scale": float(dist.mean) * cv**2}
    raise ConfigError(f"a {dist.dist} distribution cannot be a prior")


def bounds(dist: Dist) -> tuple[float, float]:
    """The prior's support: its ends when bounded, else its 0.1% and 99.9% quantiles."""
    if dist.dist in ("uniform", "triangular"):
        return float(dist.low), float(dist.high)
    return dist.ppf(TAIL), dist.ppf(1.0 - TAIL)


#: Uncertain keys no observed figure can depend on (the price only turns barrels into
#: dollars): a calibration leaves them out and keeps their ranges for the runs after it.
UNOBSERVABLE_PREFIXES: tuple[str, ...] = ("market.",)


def fitted(cfg: Config) -> Config:
    """``cfg`` with only the uncertain keys a calibration can learn about."""
    keep = {k: d for k, d in cfg.uncertain.items() if not k.startswith(UNOBSERVABLE_PREFIXES)}
    return cfg if len(keep) == len(cfg.uncertain) else cfg.model_copy(update={"uncertain": keep})


def check_priors(cfg: Config) -> None:
    """Refuse a config with nothing to calibrate, or a prior whose range the config refuses."""
    from sim import uncertain

    if not cfg.uncertain:
        raise ConfigError(
            "uncertain: the scenario declares no uncertain keys, so there is nothing to "
            "calibrate; give priors as uncertain={KEY: {dist: uniform, low: A, high: B}}"
        )
    problem = uncertain.check(cfg)
    if problem is not None:
        raise problem
    point = cfg.model_copy(update={"uncertain": {}})
    for key, dist in cfg.uncertain.items():
        if dist.dist == "fixed":
            raise ConfigError(f"uncertain.{key}: a fixed value cannot be calibrated")
        for value in bounds(dist):
            try:
                uncertain.with_values(point, {key: value})
            except ConfigError as exc:
                raise ConfigError(
                    f"uncertain.{key}: the prior reaches {value:g}, which is refused: {exc}"
                ) from None


def prior(cfg: Config) -> pyabc.Distribution:
    """The joint prior of ``cfg.uncertain`` (independent keys) for pyabc: scipy's laws,
    evaluated in closed form (:class:`~sim.calibration.proposals.Prior`)."""
    import pyabc

    from sim.calibration.proposals import Prior

    rvs: dict[str, Any] = {}
    for key, dist in cfg.uncertain.items():
        name, kwargs = scipy_args(dist)
        rvs[key] = pyabc.RV(name, **kwargs)
    return Prior(**rvs)
