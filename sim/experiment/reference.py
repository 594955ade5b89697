"""The reference run a run stops against: paired on replication index, checked to share seeds.

With ``experiment.reference`` and a precision target, :func:`run_experiment` stops when the
95% half-width of the per-replication difference (this run's target metric minus the
reference's) meets the target. Replication ``i`` of both runs used ``SeedSequence(seed,
(i,))``, so the difference is taken on common random numbers. A reference is either a
finished run folder (read once, never changed: the run cannot pair beyond its replication
count) or, in a sweep, the sweep's first point, which :attr:`Reference.grow` extends when a
later point needs more pairs than it holds (see ``sim.cli.app``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Config, ConfigError

__all__ = [
    "KEY",
    "SWEEP",
    "Reference",
    "check_reference",
    "growing_reference",
    "load_reference",
    "reference_of",
    "run_when_free",
    "without_reference",
]

KEY = "experiment.reference"
#: The value of ``experiment.reference`` that pairs each sweep point with the sweep's job 0.
SWEEP = "sweep"


def target_metric(cfg: Config) -> str:
    """The metric a precision target is checked on: ``export_decline`` with a baseline."""
    return "export_decline" if cfg.experiment.baseline else "exported_bbl"


@dataclass(frozen=True)
class Reference:
    """The target metric of a finished run, by replication index, and where it came from."""

    path: Path
    metric: str
    values: dict[int, float]
    config_hash: str
    grow: Callable[[int], Reference] | None = None  # extends it to >= n replications

    @property
    def replications(self) -> int:
        """How many replications the reference holds."""
        return len(self.values)

    @property
    def limit(self) -> int | None:
        """The most pairs this reference can give (None: it grows on demand)."""
        return None if self.grow is not None else self.replications

    def covering(self, n: int) -> Reference:
        """This reference, grown (if it can) to hold replications ``0..n-1``."""
        if self.grow is None or all(i in self.values for i in range(n)):
            return self
        return self.grow(n)

    def differences(self, values: dict[int, float], n: int) -> np.ndarray:
        """``values[i] - reference[i]`` for ``i < n`` held by both (NaN on either side dropped)."""
        pairs = [values[i] - self.values[i] for i in range(n) if i in values and i in self.values]
        d = np.asarray(pairs, dtype=float)
        return d[~np.isnan(d)]

    def record(self) -> dict[str, Any]:
        """What the manifest says of the reference."""
        return {
            "path": str(self.path),
            "metric": self.metric,
            "replications": self.replications,
            "config_hash": self.config_hash,
            "grows": self.grow is not None,
        }


def _refuse(message: str) -> ConfigError:
    return ConfigError(f"{KEY}: {message}")


def _read(path: Path) -> dict[str, Any]:
    """The stored pieces of the finished run folder ``path`` (one-line errors)."""
    from sim.experiment.store import RunFolder

    if not path.exists():
        raise _refuse(f"{path} does not exist (give a finished run folder)")
    if not path.is_dir():
        raise _refuse(f"{path} is not a folder (give a finished run folder)")
    try:
        parts = RunFolder(path).read()
    except (OSError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _refuse(f"not a finished run folder ({first})") from None
    if parts["manifest"].get("status") != "complete":
        raise _refuse(f"{path} holds a run that did not finish; resume it first")
    return parts


def reference_of(path: Path, stored: Config, rows: pd.DataFrame, cfg: Config) -> Reference:
    """The reference in ``rows`` (a run of ``stored``), checked to pair with a run of ``cfg``."""
    from sim.experiment.hashing import config_hash

    seed, mine = stored.experiment.seed, cfg.experiment.seed
    if seed != mine:
        raise _refuse(
            f"{path} ran with root seed {seed} and this run with {mine}: its replications "
            f"are not pairs of these (run with experiment.seed={seed})"
        )
    metric = target_metric(cfg)
    if metric not in rows.columns:
        raise _refuse(
            f"{path} has no {metric} (it ran with experiment.baseline={stored.experiment.baseline}"
            f" and this run with {cfg.experiment.baseline}): the difference needs it in both"
        )
    if "seed" in rows.columns and (rows["seed"].astype(str) != str(mine)).any():
        raise _refuse(f"{path} holds replications of another root seed than {mine}")
    reps = rows["replication"].to_numpy(dtype=np.int64).tolist()
    vals = rows[metric].to_numpy(dtype=float).tolist()
    return Reference(path, metric, dict(zip(reps, vals, strict=True)), config_hash(stored))


def load_reference(path: str | Path, cfg: Config) -> Reference:
    """The finished run folder ``path`` as the reference of a run of ``cfg`` (or ConfigError)."""
    folder = Path(path).expanduser().resolve()
    parts = _read(folder)
    ref = reference_of(folder, parts["config"], parts["replications"], cfg)
    check_reference(ref, cfg)
    return ref


def check_reference(ref: Reference, cfg: Config) -> None:
    """Refuse a fixed reference too short for the first look at the target."""
    need = cfg.experiment.first_look if cfg.experiment.target is not None else 2
    if ref.limit is not None and ref.limit < need:
        raise _refuse(
            f"{ref.path} holds {ref.replications} replications; the first look at the "
            f"paired difference needs {need} pairs (experiment.min_replications and "
            "experiment.replications): extend the reference or lower them"
        )


# --------------------------------------------------------------------------- in a sweep

#: How long a sweep point waits for another process to free the reference point's folder.
WAIT_SECONDS = 6 * 3600.0


def without_reference(cfg: Config) -> Config:
    """``cfg`` with no ``experiment.reference`` (the sweep's reference point stops on its level)."""
    exp = cfg.experiment.model_copy(update={"reference": None})
    return cfg.model_copy(update={"experiment": exp})


def run_when_free(cfg: Config, out_dir: Path, wait: float = WAIT_SECONDS, **kwargs: Any) -> Any:
    """``run_experiment(cfg, out_dir=out_dir, ...)``, waiting while another process holds it."""
    from sim.experiment.lock import FolderBusy
    from sim.experiment.runner import run_experiment

    deadline = time.monotonic() + wait
    while True:
        try:
            return run_experiment(cfg, out_dir=out_dir, **kwargs)
        except FolderBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def _stored_rows(folder: Path, ref_cfg: Config, label: Mapping[str, Any], n: int) -> Any:
    """The replications of a complete run of ``ref_cfg`` in ``folder`` with ``label`` holding
    at least ``n`` of them, else None."""
    from sim.experiment.atomic import read_json
    from sim.experiment.hashing import config_hash
    from sim.experiment.store import RunFolder

    try:
        manifest = read_json(folder / "manifest.json")
        if manifest.get("status") != "complete" or int(manifest["replications_done"]) < n:
            return None
        if manifest.get("config_hash") != config_hash(ref_cfg):
            return None
        if any(manifest.get(k) != v for k, v in label.items()):
            return None
        return RunFolder(folder).read()["replications"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def growing_reference(
    ref_cfg: Config, folder: Path, cfg: Config, label: Mapping[str, Any], progress: bool | None
) -> Reference:
    """The sweep's reference point (``ref_cfg`` in ``folder``) as a reference for ``cfg``.

    It reads the point's finished run when that holds enough replications and otherwise runs
    or resumes it to the count needed (the store resumes; the folder lock makes a point that
    runs at the same time wait), recording ``label`` (its sweep id and job) in its manifest.
    """

    def grow(n: int) -> Reference:
        rows = _stored_rows(folder, ref_cfg, label, n)
        if rows is None:
            res = run_when_free(
                ref_cfg, folder, replications=n, progress=progress, manifest_extra=label
            )
            rows = res.replications
        return replace(reference_of(folder, ref_cfg, rows, cfg), grow=grow)

    exp = cfg.experiment
    return grow(exp.first_look if exp.target is not None else exp.replications)
