"""Parameter uncertainty: config keys drawn afresh for every replication.

With ``experiment.posterior: PATH`` (a ``posterior.parquet`` of ``blockade calibrate``: a
column per key plus ``weight``) the uncertain keys it holds are drawn together, as one
weighted row per replication (stream ``uncertain.posterior``); uncertain keys it lacks keep
their own distributions, and its columns that are not uncertain (fixed on the command line,
or ``uncertain={}`` for the point scenario) keep the config's value.

``uncertain: {court.delay_days.median: {dist: uniform, low: 1, high: 5}}`` draws the key for
replication i from its own stream of that replication's seed (``uncertain.KEY``), so the
paired baseline, every sweep point and ``simulate(cfg, seed, replication=i)`` alone see the
same value. Integer keys are rounded half up. A key set on the command line (``key=value``)
is fixed: it leaves ``uncertain``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.config import Config

#: Sections a replication cannot draw: they say how the experiment runs, not the world.
FIXED: tuple[str, ...] = ("experiment", "timeline", "uncertain", "name", "description")


def _leaf(data: Mapping[str, Any], key: str) -> tuple[Any, str | None]:
    """The value at dotted ``key`` of ``data``, or (None, why not)."""
    node: Any = data
    for part in key.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None, "not a config key"
    return node, None


def key_error(data: Mapping[str, Any], key: str) -> str | None:
    """Why ``key`` cannot be uncertain in a config whose plain mapping is ``data``, if so."""
    if key.split(".")[0] in FIXED:
        return f"cannot be drawn (the sections {', '.join(FIXED)} are fixed for a run)"
    value, why = _leaf(data, key)
    if why is not None:
        return why
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = "a distribution: name one of its parameters" if isinstance(value, dict) else ""
        return f"must name a number (it holds {shown or repr(value)})"
    return None


def is_integer(data: Mapping[str, Any], key: str) -> bool:
    """Whether the scenario's value at ``key`` is an integer (draws are then rounded)."""
    return isinstance(_leaf(data, key)[0], int)


def _draws(cfg: Config, data: Mapping[str, Any], seed: np.random.SeedSequence) -> dict[str, float]:
    """Replication ``seed``'s value of every uncertain key, each from its own stream."""
    from sim.model.streams import Streams

    streams = Streams(seed)
    drawn = {
        key: float(dist.draw(streams.rng(f"uncertain.{key}"), 1)[0])
        for key, dist in cfg.uncertain.items()
    }
    if cfg.experiment.posterior is not None:
        sample = load_posterior(cfg.experiment.posterior)
        row = streams.rng("uncertain.posterior").choice(len(sample), p=sample["weight"])
        values = sample.iloc[int(row)]
        drawn |= {k: float(values[k]) for k in posterior_keys(cfg, sample)}
    return rounded(data, drawn)


def posterior_keys(cfg: Config, sample: pd.DataFrame) -> list[str]:
    """The uncertain keys of ``cfg`` that the posterior ``sample`` draws."""
    return [k for k in cfg.uncertain if k in sample.columns]


def resolve_posterior(path: str) -> Path:
    """``path`` as given, or else under the bundled scenarios folder (``posterior/NAME``)."""
    from sim.config import scenarios_dir

    given = Path(path).expanduser()
    if given.is_file() or given.is_absolute():
        return given.resolve()
    bundled = scenarios_dir() / given
    return bundled.resolve() if bundled.is_file() else given.resolve()


def load_posterior(path: str) -> pd.DataFrame:
    """The weighted sample at ``path`` (weights normalised), read once per file version."""
    file = resolve_posterior(path)
    try:
        stat = file.stat()
    except OSError:
        raise ValueError(f"experiment.posterior: {path}: no such file") from None
    return _read_posterior(str(file), stat.st_mtime_ns, stat.st_size).copy()


@functools.lru_cache(maxsize=8)
def _read_posterior(file: str, mtime_ns: int, size: int) -> pd.DataFrame:
    where = f"experiment.posterior: {file}"
    try:
        sample = pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises several kinds for a file that is not parquet
        raise ValueError(f"{where}: not a parquet file ({type(exc).__name__})") from None
    if "weight" not in sample.columns or len(sample) == 0:
        raise ValueError(f"{where}: needs rows and a 'weight' column (a posterior.parquet)")
    numeric = sample.apply(pd.to_numeric, errors="coerce")
    if numeric.isna().to_numpy().any() or not np.isfinite(numeric.to_numpy(float)).all():
        raise ValueError(f"{where}: every value must be a finite number")
    w = numeric["weight"].to_numpy(float)
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"{where}: weights must be >= 0 with a positive sum")
    numeric["weight"] = w / w.sum()
    return numeric.reset_index(drop=True)


def rounded(data: Mapping[str, Any], values: Mapping[str, float]) -> dict[str, float]:
    """``values`` with the integer keys of ``data`` rounded half up (as replications draw)."""
    return {
        key: float(math.floor(value + 0.5)) if is_integer(data, key) else float(value)
        for key, value in values.items()
    }


def realise(cfg: Config, seed: np.random.SeedSequence) -> tuple[Config, dict[str, float]]:
    """Replication ``seed``'s config (every uncertain key drawn and set) and the draws."""
    data = cfg.to_dict()
    values = _draws(cfg, data, seed)
    return _validated(data, values), values


def with_values(cfg: Config, values: Mapping[str, float]) -> Config:
    """``cfg`` with each key set to its value and nothing uncertain left, validated."""
    return _validated(cfg.to_dict(), values)


def _validated(data: dict[str, Any], values: Mapping[str, float]) -> Config:
    """The plain mapping ``data`` with ``values`` set (integers kept integers), validated."""
    from sim.config import validate
    from sim.timeline import set_path

    integer = {key: is_integer(data, key) for key in values}
    data["uncertain"] = {}
    for key, value in values.items():
        set_path(data, key, int(value) if integer[key] else value)
    return validate(data)


def check(cfg: Config) -> ValueError | None:
    """The first problem of ``cfg.uncertain`` (a bad key, or a range the config refuses)."""
    from sim.config import ConfigError

    if cfg.experiment.posterior is not None:
        problem = _posterior_problem(cfg)
        if problem is not None:
            return ConfigError(problem)
    if not cfg.uncertain:
        return None
    data = cfg.to_dict()
    for key, dist in cfg.uncertain.items():
        why = key_error(data, key)
        if why is not None:
            return ConfigError(f"uncertain.{key}: {why}")
        for label, value in _ends(dist):
            try:
                with_values(cfg.model_copy(update={"uncertain": {}}), {key: value})
            except ConfigError as exc:
                return ConfigError(f"uncertain.{key}: its {label} ({value:g}) is refused: {exc}")
    return None


def _posterior_problem(cfg: Config) -> str | None:
    """Why ``experiment.posterior`` cannot be read, if so (its columns that are not
    uncertain keys are not drawn, so they need not name keys of this config)."""
    try:
        load_posterior(str(cfg.experiment.posterior))
    except ValueError as exc:
        return str(exc)
    return None


def _ends(dist: Any) -> list[tuple[str, float]]:
    """The values of ``dist`` a check tries: its bounds when it has them, else its mean."""
    if dist.dist == "uniform" or dist.dist == "triangular":
        return [("low", float(dist.low)), ("high", float(dist.high))]
    return [("mean", float(dist.mean_value))]
