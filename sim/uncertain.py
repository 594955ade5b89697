"""Parameter uncertainty: config keys drawn afresh for every replication.

``uncertain: {court.delay_days.median: {dist: uniform, low: 1, high: 5}}`` draws the key for
replication i from its own stream of that replication's seed (``uncertain.KEY``), so the
paired baseline, every sweep point and ``simulate(cfg, seed, replication=i)`` alone see the
same value. Integer keys are rounded half up. A key set on the command line (``key=value``)
is fixed: it leaves ``uncertain``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

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
    out = {}
    for key, dist in cfg.uncertain.items():
        value = float(dist.draw(streams.rng(f"uncertain.{key}"), 1)[0])
        out[key] = float(math.floor(value + 0.5)) if is_integer(data, key) else value
    return out


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


def _ends(dist: Any) -> list[tuple[str, float]]:
    """The values of ``dist`` a check tries: its bounds when it has them, else its mean."""
    if dist.dist == "uniform" or dist.dist == "triangular":
        return [("low", float(dist.low)), ("high", float(dist.high))]
    return [("mean", float(dist.mean_value))]
