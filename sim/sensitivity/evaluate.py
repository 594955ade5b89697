"""Evaluate: run the model at every sample point, in parallel on the experiment executors.

Each point's config runs ``replications`` replications with root seed ``root`` (replication
``i`` uses ``SeedSequence(root, spawn_key=(i,))``) — the same seeds at every point, so the
differences between points are not blurred by sampling noise (common random numbers) — and
each replication is paired with its no-blockade baseline on the same streams.

A task is one *world*: a distinct config (a point's blockade config, or a baseline config)
run for all replications. Worlds are deduplicated: points that round to the same config (an
integer parameter) run once, and so do baselines that differ only in the blockade's own
sections (:data:`BLOCKADE_SECTIONS`: navy, court, wait-time policy, owners' risk behaviour),
which the no-blockade world does not use (DESIGN.md: the baseline is "the world without the
blockade ... owners then face no risk and sail as soon as they are loaded"; a test guards
this). A design over those sections alone runs the baseline once. Results are assembled by
point index, so they are identical for any executor and worker count.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Config, validate
from sim.experiment.executors import check_executor, make_executor, map_ordered
from sim.experiment.runner import ExperimentError, ReplicationFailed, run_chunk
from sim.metrics import export_decline
from sim.model.world import METRIC_KEYS
from sim.sensitivity.declare import OUTPUTS, SensitivityError, apply_values

__all__ = [
    "BLOCKADE_SECTIONS",
    "baseline_world",
    "evaluate_function",
    "evaluate_scenario",
    "point_configs",
    "run_tasks",
    "world_task",
]


#: Config sections the no-blockade baseline does not use (no tanker is a target in it).
BLOCKADE_SECTIONS: tuple[str, ...] = ("navy", "court", "policy", "behaviour")

# --------------------------------------------------------------------------- tasks


def world_task(cfg: Config, root: int, replications: int) -> dict[str, Any]:
    """The worker task: replications ``0..replications-1`` of one config (no baseline).

    Returns ``metrics`` (replications x ``METRIC_KEYS``) and a ``failure`` record (or
    ``None``) from :func:`sim.experiment.runner.run_chunk`.
    """
    out = run_chunk(cfg, root, list(range(int(replications))), baseline=False)
    return {"metrics": out["metrics"][:, 0, :], "failure": out["failure"]}


def _function_task(fn: Callable[[dict[str, Any]], Mapping[str, float]], values: dict) -> dict:
    return dict(fn(values))


def _resolve_executor(
    executor: str | None, workers: int | None, cfg: Config | None = None
) -> tuple[str, int]:
    name = executor if executor is not None else (cfg.experiment.executor if cfg else "serial")
    w = workers if workers is not None else (cfg.experiment.workers if cfg else None)
    return check_executor(name, w, SensitivityError)


def run_tasks(
    fn: Callable[..., Any],
    args: Sequence[tuple[Any, ...]],
    executor: str = "serial",
    workers: int = 1,
    *,
    dask_address: str | None = None,
    progress: bool = False,
    desc: str = "sensitivity",
    describe: Callable[[int], str] | None = None,
) -> list[Any]:
    """``[fn(*a) for a in args]`` on an experiment executor; results in ``args`` order.

    At most ``executor.max_inflight`` tasks are submitted at once. A task that raises stops
    the run with an :class:`ExperimentError` naming it (``describe(i)``).
    """
    if not args:
        return []

    def failed(i: int, exc: Exception) -> ExperimentError:
        what = describe(i) if describe else f"task {i}"
        return ExperimentError(f"{what} failed: {type(exc).__name__}: {exc}")

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(args), desc=desc, unit="task", file=sys.stderr, dynamic_ncols=True)
    failed_run = True
    ex = make_executor(executor, min(int(workers), len(args)), dask_address)
    try:
        results = map_ordered(ex, fn, args, failed, bar.update if bar is not None else None)
        failed_run = False
    finally:
        if bar is not None:
            bar.close()
        ex.close(cancel=failed_run)
    return results


# --------------------------------------------------------------------------- the scenario


def _scalar(v: Any) -> float | int:
    return int(v) if isinstance(v, np.integer | int) and not isinstance(v, bool) else float(v)


def point_configs(cfg: Config, values: pd.DataFrame) -> list[Config]:
    """The validated config of every point (row of ``values``: parameter path -> value)."""
    configs = []
    for k, row in enumerate(values.itertuples(index=False, name=None)):
        point = {p: _scalar(v) for p, v in zip(values.columns, row, strict=True)}
        try:
            configs.append(apply_values(cfg, point))
        except SensitivityError as exc:
            raise SensitivityError(f"sample point {k}: {exc}") from None
    return configs


def baseline_world(point_cfg: Config, reference: Config) -> Config:
    """The baseline of ``point_cfg`` with the :data:`BLOCKADE_SECTIONS` of ``reference``.

    It simulates exactly like ``point_cfg.baseline()`` (those sections are unused without
    the blockade) but is shared by every point that differs only in them.
    """
    data = point_cfg.baseline().to_dict()
    ref = reference.baseline().to_dict()
    for section in BLOCKADE_SECTIONS:
        data[section] = ref[section]
    blockade = {k: v for k, v in ref["uncertain"].items() if k.split(".")[0] in BLOCKADE_SECTIONS}
    others = {
        k: v for k, v in data["uncertain"].items() if k.split(".")[0] not in BLOCKADE_SECTIONS
    }
    data["uncertain"] = others | blockade  # each key draws on its own stream: order is moot
    return validate(data)


@dataclass
class _Worlds:
    """The distinct configs (worlds) of a design: each runs once, for every point using it."""

    configs: list[Config] = field(default_factory=list)
    first: list[tuple[int, str]] = field(default_factory=list)  # (point, blockade | baseline)
    index: dict[str, int] = field(default_factory=dict)

    def add(self, c: Config, point: int, kind: str) -> int:
        """The world of config ``c`` (of ``point``, a ``kind`` world), added if new."""
        key = json.dumps(c.to_dict(), sort_keys=True, default=str)
        if key not in self.index:
            self.index[key] = len(self.configs)
            self.configs.append(c)
            self.first.append((point, kind))
        return self.index[key]


def _check_request(outputs: Sequence[str], replications: Any) -> None:
    for o in outputs:
        if o not in OUTPUTS:
            raise SensitivityError(f"outputs: unknown output {o!r}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise SensitivityError(f"replications: must be a positive integer (got {replications!r})")


def evaluate_scenario(
    cfg: Config,
    values: pd.DataFrame,
    outputs: Sequence[str] = ("export_decline", "seizures"),
    replications: int = 20,
    root: int | None = None,
    executor: str | None = None,
    workers: int | None = None,
    *,
    progress: bool = False,
    share_baseline: bool = True,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Mean outputs at every point of ``values`` (one column per parameter path).

    Returns the outputs table (one row per point, one column per output: its mean over the
    replications; metrics undefined in some replications, such as ``days_to_first_seizure``,
    average the replications where they are defined) and run statistics. With
    ``share_baseline`` points share baselines that differ only in :data:`BLOCKADE_SECTIONS`
    (:func:`baseline_world`); without it each point runs ``cfg_k.baseline()``.
    """
    _check_request(outputs, replications)
    root = cfg.experiment.seed if root is None else int(root)
    name, w = _resolve_executor(executor, workers, cfg)
    configs = point_configs(cfg, values)
    worlds = _Worlds()
    blockade_idx = [worlds.add(c, k, "blockade") for k, c in enumerate(configs)]
    baseline_idx = []
    if "export_decline" in outputs:
        baseline_idx = [
            worlds.add(baseline_world(c, cfg) if share_baseline else c.baseline(), k, "baseline")
            for k, c in enumerate(configs)
        ]
    failing = _Failing(values, worlds, root)
    results = run_tasks(
        world_task,
        [(c, root, replications) for c in worlds.configs],
        name,
        w,
        dask_address=cfg.experiment.dask_address,
        progress=progress,
        desc=f"{cfg.name} sensitivity",
        describe=failing.describe,
    )
    for j, res in enumerate(results):
        if res["failure"]:
            raise failing.error(j, res["failure"])
    metrics = [r["metrics"] for r in results]
    table = _outputs(metrics, blockade_idx, baseline_idx, outputs)
    stats = {
        "points": len(configs),
        "worlds": len(worlds.configs),
        "baseline_worlds": len(set(baseline_idx)),
        "simulations": len(worlds.configs) * replications,
        "executor": name,
        "workers": w,
        "root_seed": root,
    }
    return table, stats


@dataclass(frozen=True)
class _Failing:
    """What a failing world's error says: its point, its world and how to reproduce it."""

    values: pd.DataFrame
    worlds: _Worlds
    root: int

    def describe(self, j: int) -> str:
        k, kind = self.worlds.first[j]
        point = ", ".join(f"{p}={_show(self.values.iloc[k][p])}" for p in self.values.columns)
        return f"sample point {k} ({point}; {kind} world, root seed {self.root})"

    def error(self, j: int, failure: dict[str, Any]) -> ReplicationFailed:
        k, kind = self.worlds.first[j]
        point = {p: _scalar(self.values.iloc[k][p]) for p in self.values.columns}
        world = "cfg_k.baseline()" if kind == "baseline" else "cfg_k"
        r = failure["replication"]
        hint = (
            f"cfg_k = sim.sensitivity.apply_values(cfg, {point!r}); "
            f"sim.simulate({world}, seed={self.root}, replication={r})"
        )
        return ReplicationFailed.of(
            failure, self.root, f"{self.describe(j)}: replication {r}", hint, world=kind
        )


def _outputs(
    metrics: Sequence[np.ndarray],
    blockade_idx: Sequence[int],
    baseline_idx: Sequence[int],
    outputs: Sequence[str],
) -> pd.DataFrame:
    """Each output's mean over the replications at every point (``metrics``: per world)."""
    exported = METRIC_KEYS.index("exported_bbl")
    table: dict[str, np.ndarray] = {o: np.empty(len(blockade_idx)) for o in outputs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN metric at a point -> NaN
        for k, world in enumerate(blockade_idx):
            m = metrics[world]
            for o in outputs:
                if o == "export_decline":
                    base = metrics[baseline_idx[k]][:, exported]
                    per_rep = export_decline(m[:, exported], base)
                else:
                    per_rep = m[:, METRIC_KEYS.index(o)]
                table[o][k] = np.nanmean(per_rep) if np.isfinite(per_rep).any() else np.nan
    return pd.DataFrame(table, columns=list(outputs))


def _show(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float | np.floating) else str(v)


# --------------------------------------------------------------------------- any function


def evaluate_function(
    fn: Callable[[dict[str, Any]], Mapping[str, float]],
    values: pd.DataFrame,
    outputs: Sequence[str],
    executor: str = "serial",
    workers: int = 1,
) -> pd.DataFrame:
    """``fn(point) -> {output: value}`` at every row of ``values`` (parameter -> value).

    The same evaluation path as the scenario without the simulator: for testing the
    analysis on known functions, or for screening any model. ``fn`` must be picklable
    (a module-level function) for the ``processes`` and ``dask`` executors.
    """
    name, w = _resolve_executor(executor, workers)
    rows = [
        {p: _scalar(v) for p, v in zip(values.columns, row, strict=True)}
        for row in values.itertuples(index=False, name=None)
    ]
    results = run_tasks(
        _function_task,
        [(fn, r) for r in rows],
        name,
        w,
        describe=lambda k: f"sample point {k} ({rows[k]})",
    )
    missing = [o for o in outputs if any(o not in r for r in results)]
    if missing:
        raise SensitivityError(f"outputs: the function did not return {missing[0]!r}")
    return pd.DataFrame({o: [float(r[o]) for r in results] for o in outputs})
