"""blockade-sim: a Monte Carlo discrete-event simulator of a naval blockade of oil tankers.

The names below are imported on first use (PEP 562), so ``import sim`` (and every
``blockade`` command, which imports its package first) does not pay for the model,
pandas, scipy or the calibration machinery it may never touch.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.calibration import calibrate
    from sim.compose import load_config
    from sim.config import Config, ConfigError
    from sim.experiment import ExperimentResult, load_results, run_experiment
    from sim.metrics import METRIC_KEYS
    from sim.model.world import Replication, simulate

#: Each public name and the module it lives in.
_LAZY: dict[str, str] = {
    "METRIC_KEYS": "sim.metrics",
    "Config": "sim.config",
    "ConfigError": "sim.config",
    "ExperimentResult": "sim.experiment",
    "Replication": "sim.model.world",
    "calibrate": "sim.calibration",
    "load_config": "sim.compose",
    "load_results": "sim.experiment",
    "run_experiment": "sim.experiment",
    "simulate": "sim.model.world",
}

__all__ = [
    "METRIC_KEYS",
    "Config",
    "ConfigError",
    "ExperimentResult",
    "Replication",
    "calibrate",
    "load_config",
    "load_results",
    "run_experiment",
    "simulate",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import a public name's module (or the subpackage ``sim.<name>``) on first use."""
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"sim.{name}") is not None:
        return importlib.import_module(f"sim.{name}")  # ``sim.config`` as before
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
