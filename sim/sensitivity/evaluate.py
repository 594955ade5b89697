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
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Config, validate
from sim.experiment.executors import EXECUTORS, available_cpus, make_executor
from sim.experiment.runner import ExperimentError, ReplicationFailed, run_chunk
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
    if name not in EXECUTORS:
        raise SensitivityError(f"executor: must be one of {', '.join(EXECUTORS)} (got {name!r})")
    w = workers if workers is not None else (cfg.experiment.workers if cfg else None)
    if w is None:
        w = available_cpus()
    if isinstance(w, bool) or not isinstance(w, int | np.integer) or w < 1:
        raise SensitivityError(f"workers: must be a positive integer (got {w!r})")
    return name, (1 if name == "serial" else int(w))


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
    results: list[Any] = [None] * len(args)
    if not args:
        return results
    ex = make_executor(executor, min(int(workers), len(args)), dask_address)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(args), desc=desc, unit="task", file=sys.stderr, dynamic_ncols=True)
    failed = True
    try:
        pending = list(range(len(args)))[::-1]
        inflight: dict[Any, int] = {}
        while pending or inflight:
            while pending and len(inflight) < ex.max_inflight:
                i = pending.pop()
                inflight[ex.submit(fn, *args[i])] = i
            for future in ex.wait_first(inflight):
                i = inflight.pop(future)
                try:
                    results[i] = ex.result(future)
                except Exception as exc:
                    what = describe(i) if describe else f"task {i}"
                    raise ExperimentError(f"{what} failed: {type(exc).__name__}: {exc}") from exc
                if bar is not None:
                    bar.update(1)
        failed = False
    finally:
        if bar is not None:
            bar.close()
        ex.close(cancel=failed)
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


def _world_key(cfg: Config) -> str:
    return json.dumps(cfg.to_dict(), sort_keys=True, default=str)


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
    for o in outputs:
        if o not in OUTPUTS:
            raise SensitivityError(f"outputs: unknown output {o!r}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise SensitivityError(f"replications: must be a positive integer (got {replications!r})")
    root = cfg.experiment.seed if root is None else int(root)
    name, w = _resolve_executor(executor, workers, cfg)
    configs = point_configs(cfg, values)
    need_baseline = "export_decline" in outputs

    worlds: dict[str, int] = {}
    world_cfgs: list[Config] = []
    world_point: list[tuple[int, str]] = []  # (first point, "blockade" | "baseline")

    def world_of(c: Config, k: int, kind: str) -> int:
        key = _world_key(c)
        if key not in worlds:
            worlds[key] = len(world_cfgs)
            world_cfgs.append(c)
            world_point.append((k, kind))
        return worlds[key]

    blockade_idx = [world_of(c, k, "blockade") for k, c in enumerate(configs)]
    baseline_idx = (
        [
            world_of(baseline_world(c, cfg) if share_baseline else c.baseline(), k, "baseline")
            for k, c in enumerate(configs)
        ]
        if need_baseline
        else []
    )

    def describe(j: int) -> str:
        k, kind = world_point[j]
        point = ", ".join(f"{p}={_show(values.iloc[k][p])}" for p in values.columns)
        return f"sample point {k} ({point}; {kind} world, root seed {root})"

    results = run_tasks(
        world_task,
        [(c, root, replications) for c in world_cfgs],
        name,
        w,
        dask_address=cfg.experiment.dask_address,
        progress=progress,
        desc=f"{cfg.name} sensitivity",
        describe=describe,
    )
    for j, res in enumerate(results):
        if res["failure"]:
            f = res["failure"]
            k, kind = world_point[j]
            point = {p: _scalar(values.iloc[k][p]) for p in values.columns}
            world = "cfg_k.baseline()" if kind == "baseline" else "cfg_k"
            exc = ReplicationFailed(
                f"{describe(j)}: replication {f['replication']} failed with {f['error']}. "
                f"Reproduce it with cfg_k = sim.sensitivity.apply_values(cfg, {point!r}); "
                f"sim.simulate({world}, seed={root}, replication={f['replication']})",
                f["replication"],
                root,
                kind,
                f["traceback"],
            )
            exc.add_note("Traceback of the failing replication:\n" + f["traceback"].rstrip())
            raise exc

    exported = METRIC_KEYS.index("exported_bbl")
    table: dict[str, np.ndarray] = {o: np.empty(len(configs)) for o in outputs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN metric at a point -> NaN
        for k in range(len(configs)):
            m = results[blockade_idx[k]]["metrics"]
            for o in outputs:
                if o == "export_decline":
                    base = results[baseline_idx[k]]["metrics"][:, exported]
                    with np.errstate(divide="ignore", invalid="ignore"):
                        per_rep = np.where(base != 0.0, 1.0 - m[:, exported] / base, np.nan)
                else:
                    per_rep = m[:, METRIC_KEYS.index(o)]
                table[o][k] = np.nanmean(per_rep) if np.isfinite(per_rep).any() else np.nan
    stats = {
        "points": len(configs),
        "worlds": len(world_cfgs),
        "baseline_worlds": len(set(baseline_idx)),
        "simulations": len(world_cfgs) * replications,
        "executor": name,
        "workers": w,
        "root_seed": root,
    }
    return pd.DataFrame(table, columns=list(outputs)), stats


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
