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
import os
from collections.abc import Mapping
from dataclasses import dataclass
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
        sample = _posterior_arrays(cfg.experiment.posterior)
        row = int(streams.rng("uncertain.posterior").choice(sample.rows, p=sample.weight))
        drawn |= {k: float(sample.columns[k][row]) for k in cfg.uncertain if k in sample.columns}
    return rounded(data, drawn)


def posterior_keys(cfg: Config, sample: pd.DataFrame) -> list[str]:
    """The uncertain keys of ``cfg`` that the posterior ``sample`` draws."""
    return [k for k in cfg.uncertain if k in sample.columns]


def resolve_posterior(path: str) -> Path:
    """``path`` as given, or else under the bundled scenarios folder (``posterior/NAME``)."""
    return _resolved(path, os.getcwd())


@functools.lru_cache(maxsize=64)
def _resolved(path: str, cwd: str) -> Path:
    # Cached: every replication's config names its posterior, and resolving it (is_file,
    # resolve) cost more than drawing from it. _version forgets it when the file is gone.
    from sim.config import scenarios_dir

    given = Path(path).expanduser()
    if given.is_file() or given.is_absolute():
        return given.resolve()
    bundled = scenarios_dir() / given
    return bundled.resolve() if bundled.is_file() else given.resolve()


def load_posterior(path: str) -> pd.DataFrame:
    """The weighted sample at ``path`` (weights normalised), read once per file version."""
    return _read_posterior(*_version(path)).copy()


def _version(path: str) -> tuple[str, int, int]:
    """(file, mtime, size) of the posterior at ``path``: the key of the caches below."""
    try:
        file = resolve_posterior(path)
        stat = file.stat()
    except OSError:
        _resolved.cache_clear()  # it may be found elsewhere now
        file = resolve_posterior(path)
        try:
            stat = file.stat()
        except OSError:
            raise ValueError(f"experiment.posterior: {path}: no such file") from None
    return str(file), stat.st_mtime_ns, stat.st_size


@dataclass(frozen=True)
class _Arrays:
    """A posterior sample as arrays, for a draw per replication without pandas."""

    rows: int
    weight: np.ndarray
    columns: dict[str, np.ndarray]


def _posterior_arrays(path: str) -> _Arrays:
    """The posterior at ``path`` as :class:`_Arrays` (read once per file version)."""
    return _arrays(*_version(path))


@functools.lru_cache(maxsize=8)
def _arrays(file: str, mtime_ns: int, size: int) -> _Arrays:
    sample = _read_posterior(file, mtime_ns, size)
    columns = {str(c): sample[c].to_numpy(float) for c in sample.columns}
    return _Arrays(len(sample), columns["weight"], columns)


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
    data = _plain(cfg)
    values = _draws(cfg, data, seed)
    return _validated(cfg, data, values), values


def with_values(cfg: Config, values: Mapping[str, float]) -> Config:
    """``cfg`` with each key set to its value and nothing uncertain left, validated."""
    return _validated(cfg, _plain(cfg), values)


_PLAIN: dict[int, tuple[Config, dict[str, Any]]] = {}
_PLAIN_SIZE = 8


def _plain(cfg: Config) -> dict[str, Any]:
    """``cfg.to_dict()``, made once per config object (callers must not change it).

    A replication draws afresh from the same config thousands of times; dumping it each time
    cost a fifth of a replication. The entry holds ``cfg`` so its ``id`` is not reused.
    """
    hit = _PLAIN.get(id(cfg))
    if hit is not None and hit[0] is cfg:
        return hit[1]
    if len(_PLAIN) >= _PLAIN_SIZE:
        _PLAIN.pop(next(iter(_PLAIN)))
    data = cfg.to_dict()
    _PLAIN[id(cfg)] = (cfg, data)
    return data


def _validated(cfg: Config, data: Mapping[str, Any], values: Mapping[str, float]) -> Config:
    """``cfg`` with ``values`` set (integers kept integers) and nothing uncertain, validated.

    Only the top-level sections a key falls in are validated again from their plain form;
    the others are passed as the validated models they are (pydantic does not validate a
    model instance again), and every check across sections runs as in a full validation.
    """
    from sim.config import validate

    fields: dict[str, Any] = {name: getattr(cfg, name) for name in type(cfg).model_fields}
    fields["uncertain"] = {}
    for key, value in values.items():
        _put(fields, data, key, int(value) if is_integer(data, key) else value)
    return validate(fields)


def _put(fields: dict[str, Any], data: Mapping[str, Any], key: str, value: Any) -> None:
    """Set dotted ``key`` (checked by :func:`key_error`) in ``fields``, copying the plain
    containers on its path from ``data``: the cached plain config is never changed."""
    section, *inner = key.split(".")
    if not inner:
        fields[section] = value
        return
    node = fields[section]
    node = fields[section] = dict(node if isinstance(node, dict) else data[section])
    for part in inner[:-1]:
        index = int(part) if isinstance(node, list) else part
        child = node[index]
        node[index] = child = list(child) if isinstance(child, list) else dict(child)
        node = child
    node[int(inner[-1]) if isinstance(node, list) else inner[-1]] = value


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
        _posterior_arrays(str(cfg.experiment.posterior))
    except ValueError as exc:
        return str(exc)
    return None


def _ends(dist: Any) -> list[tuple[str, float]]:
    """The values of ``dist`` a check tries: its bounds when it has them, else its mean."""
    if dist.dist == "uniform" or dist.dist == "triangular":
        return [("low", float(dist.low)), ("high", float(dist.high))]
    return [("mean", float(dist.mean_value))]
