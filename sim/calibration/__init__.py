"""Calibration of a scenario's ``uncertain`` keys to observed figures (ABC-SMC with pyabc).

Declare (:mod:`.observations`: what each figure measures, its value, uncertainty, source;
:mod:`.priors`: the ``uncertain`` distributions) → sample (:mod:`.run`: pyabc's ABC-SMC over
:mod:`.simulator`'s one-replication particles) → check (:mod:`.checks`: posterior,
generations, posterior predictive, warnings; :mod:`.plots`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sim.calibration.observations import (
    Observation,
    Observations,
    ObservationsError,
    load_observations,
    parse_observations,
)
from sim.calibration.run import Calibration, Settings, read_calibration
from sim.calibration.run import calibrate as _calibrate

if TYPE_CHECKING:
    from sim.config import Config


def calibrate(
    cfg: Config,
    observations: Observations | str | Path,
    out_dir: str | Path,
    settings: Settings | None = None,
) -> Calibration:
    """Fit ``cfg.uncertain`` to ``observations`` (an :class:`Observations` or a YAML path)."""
    if not isinstance(observations, Observations):
        observations = load_observations(observations, cfg)
    return _calibrate(cfg, observations, out_dir, settings)


__all__ = [
    "Calibration",
    "Observation",
    "Observations",
    "ObservationsError",
    "Settings",
    "calibrate",
    "load_observations",
    "parse_observations",
    "read_calibration",
]
