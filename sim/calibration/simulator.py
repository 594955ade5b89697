"""One ABC particle: set the keys, run one replication, return the observed figures."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim import uncertain
from sim.config import Config, ConfigError
from sim.model.world import simulate

if TYPE_CHECKING:
    from sim.calibration.observations import Observations

#: Replication indices a particle draws from (pyabc's generator picks one per particle).
INDICES = 2**31 - 1


def needed_horizon(cfg: Config, observations: Observations) -> int:
    """The days a particle must simulate: to the last window's end, or the whole horizon when
    an observation is a whole-run metric. Days before it do not depend on the horizon."""
    if any(ob.metric is not None for ob in observations.items):
        return int(cfg.horizon_days)
    last = max(float(ob.window[1]) for ob in observations.items if ob.window is not None)
    return min(int(cfg.horizon_days), math.ceil(last))


def particle_config(cfg: Config, observations: Observations) -> Config:
    """``cfg`` with nothing uncertain left and the horizon cut to :func:`needed_horizon`."""
    point = cfg.model_copy(update={"uncertain": {}})
    data = point.to_dict()
    data["horizon_days"] = needed_horizon(cfg, observations)
    from sim.config import validate

    try:
        return validate(data)
    except ConfigError:  # e.g. a timeline entry after the cut: keep the whole horizon
        return point


@dataclass(frozen=True)
class Simulator:
    """The pyabc model: parameters in, the observations' figures (by id) out. Picklable."""

    cfg: Config  # a :func:`particle_config`
    observations: Observations
    keys: tuple[str, ...]
    seed: int
    data: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", self.cfg.to_dict())

    def figures(self, values: Mapping[str, float], replication: int) -> np.ndarray:
        """The observations' figures of one replication with the keys set to ``values``."""
        cfg = uncertain.with_values(self.cfg, uncertain.rounded(self.data, values))
        rep = simulate(cfg, seed=self.seed, replication=replication, record_events=False)
        return self.observations.of(rep)

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, float]:
        # The sampler seeds numpy's global generator for each particle by its number
        # (sampler.py): the replication index comes from it as the particle does.
        replication = int(np.random.randint(0, INDICES))
        values = {key: float(parameters[key]) for key in self.keys}
        figures = self.figures(values, replication)
        return dict(zip(self.observations.ids, figures.tolist(), strict=True))
