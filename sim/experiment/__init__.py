"""Many replications: seeds, executors, the runner, statistics and the result store."""

from sim.experiment.hashing import config_hash
from sim.experiment.runner import (
    ExperimentError,
    ExperimentResult,
    ReplicationFailed,
    load_results,
    run_experiment,
)
from sim.experiment.stats import paired_difference, summarize
from sim.experiment.store import RunFolderMismatch

__all__ = [
    "ExperimentError",
    "ExperimentResult",
    "ReplicationFailed",
    "RunFolderMismatch",
    "config_hash",
    "load_results",
    "paired_difference",
    "run_experiment",
    "summarize",
]
