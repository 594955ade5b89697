"""ABC-SMC of the ``uncertain`` keys against an observations file, with pyabc.

The likelihood is the observations' own error model: each figure is the model's plus a normal
error of its stated uncertainty, so ``pyabc.IndependentNormalKernel(var=uncertainty**2)``
with pyabc's ``StochasticAcceptor`` and ``Temperature`` schedule samples the exact posterior
under it once the temperature reaches 1 (Wilkinson 2013; Schälte & Hasenauer 2020). The
kernel's log density is minus half the sum of the squared *scaled* distances, so a figure
weighs by how sure its source is. Each particle is one replication of its own index.

Layout of the result folder::

    config.yaml, observations.yaml   what was calibrated, against what
    abc.db                           pyabc's history (sqlite): a rerun into the folder resumes it
    manifest.json                    settings, status, timings, warnings, provenance
    posterior.parquet (+ .csv)       a column per uncertain key, plus ``weight`` (sums to 1)
    generations.csv                  per generation: temperature, samples, acceptance, ESS
    predictive.csv                   posterior predictive of each observation (and its z)
    plots/                           marginals.png, pairs.png, predictive.png
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.calibration import checks
from sim.calibration.observations import Observations
from sim.calibration.priors import check_priors, fitted, prior
from sim.calibration.simulator import Simulator, particle_config
from sim.config import Config, ConfigError
from sim.experiment.atomic import read_json, write_json_atomic, write_text_atomic
from sim.experiment.hashing import config_hash, sha256_bytes
from sim.experiment.lock import folder_lock
from sim.experiment.provenance import provenance
from sim.experiment.store import RunFolderMismatch, foreign_entries

SamplerName = Literal["serial", "multicore", "dask"]
FILES = frozenset(
    {
        "config.yaml",
        "observations.yaml",
        "abc.db",
        "manifest.json",
        "posterior.parquet",
        "posterior.csv",
        "generations.csv",
        "predictive.csv",
        "plots",
    }
)
FINAL_TEMPERATURE = 1.0


@dataclass(frozen=True)
class Settings:
    """How a calibration samples: population, budget, workers, seed."""

    population: int = 400
    max_simulations: int = 20_000
    max_generations: int = 8  # pyabc's temperature decays to 1 within this many
    sampler: SamplerName = "multicore"
    workers: int | None = None
    dask_address: str | None = None
    seed: int = 20251210
    predictive: int = 200  # posterior predictive replications
    progress: bool = False
    plots: bool = True  # marginals, pairs and predictive charts in plots/

    def __post_init__(self) -> None:
        for name, low in (("population", 20), ("max_simulations", 1), ("predictive", 10)):
            if int(getattr(self, name)) < low:
                raise ConfigError(f"{name}: must be at least {low}")
        if self.workers is not None and self.workers < 1:
            raise ConfigError("workers: must be at least 1")

    def identity(self) -> dict[str, Any]:
        """What a resumed calibration must share with the stored one."""
        return {"population": self.population, "seed": self.seed}


@dataclass
class Calibration:
    """A finished (or budget-stopped) calibration, as read from its folder."""

    folder: Path
    posterior: pd.DataFrame
    generations: pd.DataFrame
    predictive: pd.DataFrame
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [c for c in self.posterior.columns if c != "weight"]

    def __repr__(self) -> str:
        status = self.manifest.get("status")
        return f"Calibration({self.folder}, {len(self.posterior)} particles, {status})"


def _identity(cfg: Config, observations: Observations, settings: Settings) -> str:
    doc = {"config": config_hash(cfg), "observations": observations.to_dict()}
    doc |= settings.identity()
    return sha256_bytes(json.dumps(doc, sort_keys=True).encode())


def _check_folder(folder: Path, identity: str) -> dict[str, Any] | None:
    """The stored manifest of this calibration, None for a new folder; refuse anything else."""
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        foreign = foreign_entries(folder, set())
        if foreign:
            raise RunFolderMismatch(
                f"out_dir: {folder} holds {', '.join(foreign[:3])}, not a calibration; "
                "choose a new or empty folder"
            )
        return None
    doc = read_json(manifest)
    if doc.get("kind") != "calibration" or doc.get("identity") != identity:
        raise RunFolderMismatch(
            f"out_dir: {folder} holds another calibration (or run); a calibration resumes only "
            "with the same config, observations, population and seed: choose a new folder"
        )
    return dict(doc)


def _sampler(settings: Settings) -> Any:
    """A :class:`~sim.calibration.sampler.BatchSampler` on the executor ``settings`` name."""
    from sim.calibration.sampler import BatchSampler
    from sim.experiment.executors import (
        DaskExecutor,
        Executor,
        ProcessExecutor,
        SerialExecutor,
        available_cpus,
    )

    n = settings.workers or available_cpus()
    executor: Executor
    if settings.sampler == "serial":
        executor = SerialExecutor()
    elif settings.sampler == "multicore":
        executor = ProcessExecutor(n)
    else:
        executor = DaskExecutor(n, settings.dask_address, "--dask-address", "--sampler dask")
    sampler = BatchSampler(executor, settings.seed)
    sampler.show_progress = settings.progress
    return sampler


def _abc(cfg: Config, observations: Observations, settings: Settings) -> Any:
    import pyabc

    from sim.calibration.proposals import OneModel, Perturbation

    simulator = Simulator(
        particle_config(cfg, observations),
        observations,
        tuple(cfg.uncertain),
        int(cfg.experiment.seed),
    )
    return pyabc.ABCSMC(
        simulator,
        prior(cfg),
        pyabc.IndependentNormalKernel(
            var=list(observations.uncertainties**2), keys=list(observations.ids)
        ),
        population_size=settings.population,
        model_prior=OneModel(),
        transitions=Perturbation(),
        eps=pyabc.Temperature(),
        acceptor=pyabc.StochasticAcceptor(),
        sampler=_sampler(settings),
    )


@contextlib.contextmanager
def _quiet_pyabc() -> Iterator[None]:
    """pyabc logs every generation at INFO: keep its warnings only, for the run."""
    loggers = [logging.getLogger(n) for n in ("ABC", "pyabc", "Sampler", "Epsilon", "History")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _write_inputs(folder: Path, cfg: Config, observations: Observations) -> None:
    import yaml

    write_text_atomic(folder / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    write_text_atomic(
        folder / "observations.yaml", yaml.safe_dump(observations.to_dict(), sort_keys=False)
    )


def _sample(
    abc: Any,
    folder: Path,
    observations: Observations,
    settings: Settings,
    manifest: dict[str, Any],
) -> Any:
    """Run (or continue) ABC-SMC until the temperature reaches 1 or the budget is spent;
    an interruption marks the manifest so."""
    try:
        with _quiet_pyabc():
            return _run_abc(abc, folder, observations, settings)
    except BaseException:
        write_json_atomic(folder / "manifest.json", manifest | {"status": "interrupted"})
        raise


def _run_abc(abc: Any, folder: Path, observations: Observations, settings: Settings) -> Any:
    """pyabc's run, new or continued from the folder's history."""
    db = f"sqlite:///{folder / 'abc.db'}"
    np.random.seed(settings.seed % 2**32)
    random.seed(settings.seed)
    if _has_history(folder):
        abc.load(db, 1)
    else:
        abc.new(db, dict(zip(observations.ids, observations.values.tolist(), strict=True)))
    # pyabc checks the budget between generations only; a generation is cut off (and the run
    # ends) once it has cost the whole budget, via its minimum acceptance rate.
    return abc.run(
        max_total_nr_simulations=settings.max_simulations,
        max_nr_populations=settings.max_generations,
        min_acceptance_rate=settings.population / settings.max_simulations,
    )


def calibrate(
    cfg: Config,
    observations: Observations,
    out_dir: str | Path,
    settings: Settings | None = None,
) -> Calibration:
    """Fit ``cfg.uncertain`` (the priors; :func:`priors.fitted` leaves out the keys no
    observation depends on) to ``observations``; results in ``out_dir``.

    A folder holding an unfinished calibration of the same config, observations, population
    and seed is resumed from its ``abc.db``; a finished one is read back, not redone.
    """
    settings = settings or Settings(seed=int(cfg.experiment.seed))
    cfg = fitted(cfg)
    check_priors(cfg)
    folder = Path(out_dir)
    identity = _identity(cfg, observations, settings)
    with folder_lock(folder):
        stored = _check_folder(folder, identity)
        if stored is not None and stored.get("status") in checks.DONE:
            return read_calibration(folder)
        abc = _abc(cfg, observations, settings)  # first: a cluster that is not there
        manifest = _start_manifest(cfg, observations, settings, identity, stored)
        try:
            write_json_atomic(folder / "manifest.json", manifest)
            _write_inputs(folder, cfg, observations)
            started = time.perf_counter()
            history = _sample(abc, folder, observations, settings, manifest)
        finally:
            abc.sampler.stop()
        seconds = time.perf_counter() - started
        return checks.finish(folder, cfg, observations, settings, history, manifest, seconds)


def _history(folder: Path) -> Any:
    """pyabc's history in ``folder`` (its ``abc.db``)."""
    import pyabc

    return pyabc.History(f"sqlite:///{folder / 'abc.db'}")


def _has_history(folder: Path) -> bool:
    """Whether an earlier attempt left a pyabc history with at least one generation."""
    if not (folder / "abc.db").is_file():
        return False
    try:
        return int(_history(folder).max_t) >= 0
    except Exception:  # an empty or half-created database (killed at once): start again
        (folder / "abc.db").unlink()
        return False


def _start_manifest(
    cfg: Config,
    observations: Observations,
    settings: Settings,
    identity: str,
    stored: dict[str, Any] | None,
) -> dict[str, Any]:
    attempts = int(stored.get("attempts", 0)) + 1 if stored else 1
    return {
        "kind": "calibration",
        "identity": identity,
        "status": "running",
        "attempts": attempts,
        "scenario": cfg.name,
        "keys": list(cfg.uncertain),
        "observations": list(observations.ids),
        "settings": asdict(settings),
        "reproducible": attempts == 1,  # particles are seeded by number (sampler.py)
        "provenance": provenance(),
    }


def read_calibration(folder: str | Path) -> Calibration:
    """A calibration folder's results (after :func:`calibrate` finished)."""
    folder = Path(folder)
    manifest = read_json(folder / "manifest.json")
    if manifest.get("kind") != "calibration" or manifest.get("status") not in checks.DONE:
        raise RunFolderMismatch(f"{folder}: not a finished calibration folder")
    return Calibration(
        folder=folder,
        posterior=pd.read_parquet(folder / "posterior.parquet"),
        generations=pd.read_csv(folder / "generations.csv"),
        predictive=pd.read_csv(folder / "predictive.csv"),
        manifest=dict(manifest),
        warnings=list(manifest.get("warnings", [])),
    )


__all__ = ["Calibration", "Settings", "calibrate", "read_calibration"]
