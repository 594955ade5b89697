"""blockade-sim: a Monte Carlo discrete-event simulator of a naval blockade of oil tankers."""

from sim.config import Config, ConfigError, load_config
from sim.model.world import METRIC_KEYS, Replication, simulate

__all__ = ["METRIC_KEYS", "Config", "ConfigError", "Replication", "load_config", "simulate"]
__version__ = "0.1.0"
