"""blockade-sim: a Monte Carlo discrete-event simulator of a naval blockade of oil tankers."""

from sim.calibration import calibrate
from sim.compose import load_config
from sim.config import Config, ConfigError
from sim.experiment import ExperimentResult, load_results, run_experiment
from sim.metrics import METRIC_KEYS
from sim.model.world import Replication, simulate

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
