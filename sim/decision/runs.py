"""Run folders as the alternatives of a decision: read, pair, extend.

An alternative is one finished run folder: a point of a sweep (named by its swept overrides,
``policy=enter_after_14d``) or a folder given by the user (named by its path). They are
paired on replication number, which is common random numbers only if they share the root
seed: replication ``i`` of every config uses ``SeedSequence(seed, (i,))`` and so the same
streams and the same uncertain draws (:mod:`sim.experiment.seeds`, :mod:`sim.uncertain`).

:class:`RunSource` gives a folder's replications to :func:`sim.decision.select.select_best`
and extends a folder when the procedure needs more: ``run_experiment`` on the folder's own
config resumes it and runs only the missing replications (:mod:`sim.experiment.store`).
The extension runs exactly the replications asked for: the stopping target and the
reference of the stored config are execution settings (left out of the config hash,
:data:`sim.experiment.hashing.EXECUTION_KEYS`) and are switched off for it, so the
extended folder's manifest records no target. A sweep point keeps its sweep id and job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Config
from sim.decision.objective import check_mean_defined
from sim.decision.robustness import Point
from sim.decision.select import SelectionError

__all__ = [
    "Alternative",
    "RunSource",
    "extension_config",
    "from_folders",
    "from_sweep",
    "is_sweep",
    "metric_values",
]

#: Manifest fields a sweep's job writes (``sim.cli.app``) that an extension must keep.
SWEEP_FIELDS: tuple[str, ...] = ("sweep_id", "sweep_job")


@dataclass
class Alternative:
    """One finished run folder and what it holds (reloaded after an extension)."""

    name: str
    folder: Path
    config: Config
    manifest: dict[str, Any]
    replications: pd.DataFrame
    added: int = 0  # replications an extension added

    @property
    def uncertain(self) -> list[str]:
        """The uncertain keys drawn per replication (one column each)."""
        return [k for k in self.config.uncertain if k in self.replications.columns]

    def point(self) -> Point:
        """This alternative as a :class:`~sim.decision.robustness.Point`."""
        return Point(self.name, self.replications, tuple(self.uncertain))


def _load(name: str, folder: Path) -> Alternative:
    """The alternative in ``folder``; a folder that is not a finished run is refused."""
    from sim.experiment import load_results

    try:
        res = load_results(folder)
    except (FileNotFoundError, ValueError) as exc:
        raise SelectionError(str(exc).splitlines()[0]) from None
    reps = res.replications.sort_values("replication", kind="stable").reset_index(drop=True)
    return Alternative(name, Path(folder), res.config, dict(res.manifest), reps)


def is_sweep(folder: str | Path) -> bool:
    """Whether ``folder`` is a sweep folder (it holds the sweep's plan)."""
    from sim.sweep_table import PLAN_FILE

    return (Path(folder) / PLAN_FILE).is_file()


def from_sweep(sweep_dir: str | Path) -> list[Alternative]:
    """The finished points of the sweep in ``sweep_dir``, named by their swept overrides."""
    from sim.sweep_table import load_sweep

    folder = Path(sweep_dir)
    try:
        df = load_sweep(folder)
    except FileNotFoundError as exc:
        raise SelectionError(f"{exc}; a sweep is tabulated when its points finish") from None
    return [
        _load(name, folder / str(run_dir))
        for name, run_dir in zip(point_names(df), df["run_dir"], strict=True)
    ]


def point_names(df: pd.DataFrame) -> list[str]:
    """Each point of a sweep table named by its swept overrides (``policy=wait_outside``)."""
    from sim.sweep_table import labels, swept_keys

    keys = swept_keys(df)
    shown = {k: labels(df[k]).tolist() for k in keys}
    return [
        ", ".join(f"{k}={shown[k][n]}" for k in keys) or f"job {df['job'].iloc[n]}"
        for n in range(len(df))
    ]


def from_folders(
    folders: Sequence[str | Path], names: Sequence[str] | None = None
) -> list[Alternative]:
    """The run ``folders`` (each a finished run), named by ``names`` or their paths."""
    resolved = [Path(f).resolve() for f in folders]
    twice = [str(f) for f, r in zip(folders, resolved, strict=True) if resolved.count(r) > 1]
    if twice:
        raise SelectionError(f"{twice[0]}: given twice; each run folder is one alternative")
    shown = list(names) if names is not None else [str(f) for f in folders]
    return [_load(n, Path(f)) for n, f in zip(shown, folders, strict=True)]


def check_paired(alternatives: Sequence[Alternative]) -> None:
    """Refuse alternatives that do not share their root seed (no common random numbers)."""
    seeds = {a.config.experiment.seed for a in alternatives}
    if len(seeds) > 1:
        listed = ", ".join(f"{a.name}: {a.config.experiment.seed}" for a in alternatives)
        raise SelectionError(
            f"the runs do not share a root seed ({listed}); pairing replications needs the "
            "same experiment.seed (common random numbers)"
        )


def metric_values(alt: Alternative, metric: str) -> np.ndarray:
    """``metric`` of every replication of ``alt``, in replication order (checked present)."""
    check_mean_defined(metric)
    if metric not in alt.replications.columns:
        hint = " (it needs experiment.baseline: true)" if metric == "export_decline" else ""
        raise SelectionError(
            f"--metric: {alt.name} has no metric {metric!r}{hint}; docs/metrics.md lists them"
        )
    return alt.replications[metric].to_numpy(dtype=float)


def extension_config(cfg: Config, executor: str | None, workers: int | None) -> Config:
    """``cfg`` as an extension runs it: no stopping target, no reference (execution settings
    only, so the config hash is unchanged), and the executor asked for."""
    update: dict[str, Any] = {"target_rel_halfwidth": None, "target_halfwidth": None}
    update["reference"] = None
    if executor is not None:
        update["executor"] = executor
    if workers is not None:
        update["workers"] = workers
    return cfg.model_copy(update={"experiment": cfg.experiment.model_copy(update=update)})


@dataclass
class RunSource:
    """Run folders as a :class:`sim.decision.select.Source` of ``metric`` values."""

    alternatives: list[Alternative]
    metric: str
    executor: str | None = None
    workers: int | None = None
    progress: bool | None = None
    on_extend: Callable[[list[str], int], None] | None = None  # told before each extension
    _values: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_paired(self.alternatives)
        self._values = [metric_values(a, self.metric) for a in self.alternatives]

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.alternatives]

    def available(self, i: int) -> int:
        """Replications 0, 1, ... of alternative ``i`` without a gap."""
        reps = self.alternatives[i].replications["replication"].to_numpy()
        gaps = np.flatnonzero(reps != np.arange(len(reps)))
        return int(gaps[0]) if gaps.size else len(reps)

    def values(self, i: int, n: int) -> np.ndarray:
        return self._values[i][:n]

    def extend(self, alternatives: Sequence[int], n: int) -> None:
        """Run each folder of ``alternatives`` up to ``n`` replications (resuming it)."""
        if self.on_extend is not None:
            self.on_extend([self.alternatives[i].name for i in alternatives], n)
        for i in alternatives:
            self._extend_one(i, n)

    def _extend_one(self, i: int, n: int) -> None:
        from sim.experiment import run_experiment
        from sim.experiment.store import RunFolder

        alt = self.alternatives[i]
        before = len(alt.replications)
        cfg = extension_config(alt.config, self.executor, self.workers)
        extra = {k: alt.manifest[k] for k in SWEEP_FIELDS if k in alt.manifest}
        res = run_experiment(
            cfg, replications=n, out_dir=alt.folder, progress=self.progress, manifest_extra=extra
        )
        lost = {k: v for k, v in alt.manifest.items() if k not in res.manifest}
        manifest = dict(res.manifest)
        if lost:  # fields another command recorded: keep them
            manifest |= lost
            RunFolder(alt.folder).write_manifest(manifest)
        alt.manifest = manifest
        alt.replications = res.replications.sort_values("replication").reset_index(drop=True)
        alt.added += len(alt.replications) - before
        self._values[i] = metric_values(alt, self.metric)
