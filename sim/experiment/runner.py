"""run_experiment: replications in chunks, a paired baseline, sequential stopping, a store.

The main process hands chunks of replication indices to an executor, folds each finished
chunk into the metric rows and a bounded daily aggregate, commits it to the result folder,
and decides when to stop. Results never depend on the executor, the worker count, the
chunking or the order chunks finish in: replication ``i`` uses ``SeedSequence(seed,
spawn_key=(i,))``, rows are sorted by index, and the daily aggregate is order-independent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import inspect
import logging
import math
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from sim.config import Config, ConfigError
from sim.experiment import monthly, seeds
from sim.experiment.executors import Executor, as_completed, check_executor, make_executor
from sim.experiment.hashing import config_hash
from sim.experiment.lock import folder_lock
from sim.experiment.provenance import provenance
from sim.experiment.reference import (
    SWEEP,
    Reference,
    check_reference,
    load_reference,
    target_metric,
)
from sim.experiment.stats import DailyAggregate, halfwidth, rel_halfwidth, summarize
from sim.experiment.store import RunFolder, RunFolderUnwritable, RunIdentity
from sim.experiment.summary_json import summary_to_json
from sim.metrics import export_decline
from sim.model.ledger import TIMESERIES_COLUMNS
from sim.model.world import METRIC_KEYS

__all__ = [
    "ExperimentError",
    "ExperimentResult",
    "ReplicationFailed",
    "load_results",
    "replication_columns",
    "run_chunk",
    "run_experiment",
]

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

MAX_CHUNK = 1000


class ExperimentError(RuntimeError):
    """An experiment could not finish (a worker died, a replication raised, ...)."""


class ReplicationFailed(ExperimentError):
    """A replication raised; the message says how to reproduce it in a session."""

    def __init__(
        self,
        message: str,
        replication: int,
        seed: int,
        world: str,
        remote_traceback: str = "",
    ) -> None:
        super().__init__(message)
        self.replication = replication
        self.seed = seed
        self.world = world
        self.remote_traceback = remote_traceback

    @classmethod
    def of(
        cls,
        failure: Mapping[str, Any],
        root: int,
        what: str,
        hint: str,
        saved: str = "",
        world: str | None = None,
    ) -> ReplicationFailed:
        """The error of the ``failure`` record of :func:`run_chunk`: ``what`` failed, and
        ``hint``, the call that reproduces it; its traceback in a note."""
        exc = cls(
            f"{what} failed with {failure['error']}. Reproduce it with {hint}{saved}.",
            failure["replication"],
            root,
            failure["world"] if world is None else world,
            failure["traceback"],
        )
        exc.add_note("Traceback of the failing replication:\n" + failure["traceback"].rstrip())
        return exc


@dataclass(frozen=True)
class ExperimentResult:
    """Everything one experiment produced (also what :func:`load_results` reads back).

    - ``replications``: one row per replication, sorted: ``replication``, ``seed`` (the root
      seed), every metric, and with the baseline ``baseline_<metric>`` and
      ``export_decline = 1 - exported_bbl / baseline_exported_bbl`` and
      ``revenue_lost_usd = baseline_revenue_usd - revenue_usd``, then one column per uncertain
      key and the monthly sums (``month_YYYY_MM_<quantity>``, :mod:`sim.experiment.monthly`).
    - ``summary``: indexed by metric (the monthly sums left out): mean, std, ci_low, ci_high
      (95% t), p05, p50, p95, n;
      ``summary.attrs`` holds the stopping outcome (also in ``manifest``).
    - ``timeseries``: world ('blockade' | 'baseline'), day, date and, per daily column ``c``,
      ``c_mean``, ``c_p05``, ``c_p50``, ``c_p95``.
    - ``manifest``: provenance, timing and the stopping outcome.
    - ``monthly`` (a property, computed on first use): the calendar months of the run with
      the mean, p05 and p95 of the per-replication monthly sums (``monthly.csv``).
    """

    config: Config
    replications: pd.DataFrame
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    manifest: dict[str, Any]
    out_dir: Path | None = None
    #: The daily aggregate's state (its per-replication sample) of a run without a folder,
    #: for the charts' bands (:func:`sim.analysis.sample.daily_sample`); a folder keeps it.
    daily_state: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        return (
            f"ExperimentResult(config={self.config.name!r}, "
            f"replications={len(self.replications)}, out_dir={self.out_dir!r})"
        )

    @functools.cached_property
    def monthly(self) -> pd.DataFrame:
        """The monthly table (:func:`sim.experiment.monthly.table`; empty for a folder written
        before the monthly sums were kept)."""
        cfg = self.config
        return monthly.table(
            self.replications, cfg.start_date, cfg.horizon_days, cfg.experiment.baseline
        )


def month_spans(cfg: Config) -> list[monthly.Month]:
    """The calendar months of a run of ``cfg``."""
    return monthly.months(cfg.start_date, monthly.run_days(cfg.horizon_days))


def replication_columns(
    baseline: bool, parameters: Sequence[str] = (), months: Sequence[str] = ()
) -> list[str]:
    """Column order of ``ExperimentResult.replications``: then one column per uncertain key,
    then the monthly sums ``months`` (:func:`sim.experiment.monthly.columns`)."""
    cols = ["replication", "seed", *METRIC_KEYS]
    if baseline:
        cols += [f"baseline_{k}" for k in METRIC_KEYS] + ["export_decline", "revenue_lost_usd"]
    return [*cols, *parameters, *months]


# --------------------------------------------------------------------------- the task


def run_chunk(cfg: Config, root: int, indices: Sequence[int], baseline: bool) -> dict[str, Any]:
    """Run replications ``indices`` of ``cfg`` (and their baselines): the worker task.

    Never raises for a failing replication: it returns what finished before it and a
    ``failure`` record, so the main process can save those and report the failure.
    """
    from sim.model.world import draw, run_world, seed_sequence

    t0 = time.perf_counter()
    worlds = ["blockade", "baseline"] if baseline else ["blockade"]
    n = len(indices)
    spans = month_spans(cfg)
    metrics = np.empty((n, len(worlds), len(METRIC_KEYS)), dtype=float)
    drawn = np.empty((n, len(cfg.uncertain)), dtype=float)  # the same in both worlds
    sums = np.empty((n, len(worlds), len(spans), len(monthly.SUMMED)), dtype=float)
    series: np.ndarray | None = None
    failure = None
    done = 0
    for j, i in enumerate(indices):
        ss = seed_sequence(root, int(i))
        for w, world in enumerate(worlds):
            try:
                if w == 0:
                    c, values = draw(cfg, ss)
                else:  # the baseline of the drawn config is the drawn config of the baseline
                    c = c.baseline()
                rep = run_world(c, ss, values, record_events=False)
            except Exception as exc:
                failure = {
                    "replication": int(i),
                    "world": world,
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(),
                }
                break
            metrics[j, w] = [rep.metrics[k] for k in METRIC_KEYS]
            drawn[j] = [rep.parameters[k] for k in cfg.uncertain]
            sums[j, w] = monthly.sums(rep.daily, spans, rep.net_usd_per_bbl)
            ts = rep.daily  # columns in TIMESERIES_COLUMNS order
            if series is None:
                series = np.empty((n, len(worlds), *ts.shape), dtype=float)
            series[j, w] = ts
        if failure:
            break
        done = j + 1
    return {
        "indices": np.asarray(indices[:done], dtype=np.int64),
        "metrics": metrics[:done],
        "parameters": drawn[:done],
        "monthly": sums[:done],
        "series": series[:done] if series is not None else None,
        "failure": failure,
        "seconds": time.perf_counter() - t0,
    }


# --------------------------------------------------------------------------- the run


def _seed_dtype(root: int) -> type:
    if root < 2**63:
        return np.int64
    if root < 2**64:
        return np.uint64
    raise ValueError(f"experiment.seed: must be < 2**64 to be stored (got {root})")


@dataclass(frozen=True)
class _Settings:
    """The checked arguments of one :func:`run_experiment` call."""

    replications: int  # the first look (at least ``min_replications`` with a target)
    max_replications: int
    executor: str
    workers: int
    chunk_size: int | None
    show_progress: bool
    target: float | None
    reference: Reference | None


def _settings(
    cfg: Config,
    replications: int | None,
    workers: int | None,
    executor: str | None,
    chunk_size: int | None,
    progress: bool | None,
    reference: Reference | None,
    out_dir: str | Path | None,
) -> _Settings:
    """Check the arguments (``None``: from ``cfg.experiment``) before anything runs."""
    if not isinstance(cfg, Config):
        raise TypeError(
            f"cfg must be a sim.Config (from sim.load_config), got {type(cfg).__name__}"
        )
    exp = cfg.experiment
    n0 = _positive("replications", exp.replications if replications is None else replications)
    name, w = check_executor(
        exp.executor if executor is None else executor,
        exp.workers if workers is None else workers,
    )
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"chunk_size: must be a positive integer (got {chunk_size!r})")
    show = exp.progress if progress is None else progress
    target = exp.target
    if target is not None:
        n0 = max(n0, exp.min_replications)  # no look at the target before the minimum
    n_max = max(exp.max_replications, n0) if target is not None else n0
    _seed_dtype(exp.seed)
    ref = _resolve_reference(cfg, reference, out_dir)
    if target is not None and ref is not None and ref.limit is not None:
        n_max = min(n_max, ref.limit)  # >= n0: check_reference refused a shorter one
    return _Settings(
        replications=n0,
        max_replications=n_max,
        executor=name,
        workers=w,
        chunk_size=chunk_size,
        show_progress=bool(sys.stderr.isatty() if show is None else show),
        target=target,
        reference=ref,
    )


def _positive(key: str, n: Any) -> int:
    """``n`` as an int, or a ValueError naming ``key``."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"{key}: must be a positive integer (got {n!r})")
    return int(n)


def month_columns(cfg: Config) -> list[str]:
    """The monthly sums among a run's replication rows (:mod:`sim.experiment.monthly`)."""
    return monthly.columns(month_spans(cfg), cfg.experiment.baseline)


def row_columns(cfg: Config) -> list[str]:
    """The columns of a run's replication rows, in order."""
    return replication_columns(cfg.experiment.baseline, list(cfg.uncertain), month_columns(cfg))


def replication_rows(
    cfg: Config,
    indices: np.ndarray,
    metrics: np.ndarray,
    drawn: np.ndarray | None = None,
    sums: np.ndarray | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """The rows of replications ``indices`` of ``cfg`` from what :func:`run_chunk` returned
    (``metrics``, the ``parameters`` drawn, the ``monthly`` sums): the one builder of rows.
    ``columns`` is :func:`row_columns` (given when the caller holds it)."""
    n, root, baseline = len(indices), cfg.experiment.seed, cfg.experiment.baseline
    columns = columns if columns is not None else row_columns(cfg)
    data: dict[str, Any] = {
        "replication": indices.astype(np.int64),
        "seed": np.full(n, root, dtype=_seed_dtype(root)),
    }
    for k, key in enumerate(METRIC_KEYS):
        data[key] = metrics[:, 0, k]
    if baseline:
        for k, key in enumerate(METRIC_KEYS):
            data[f"baseline_{key}"] = metrics[:, 1, k]
        exported, revenue = (METRIC_KEYS.index(k) for k in ("exported_bbl", "revenue_usd"))
        data["export_decline"] = export_decline(metrics[:, 0, exported], metrics[:, 1, exported])
        data["revenue_lost_usd"] = metrics[:, 1, revenue] - metrics[:, 0, revenue]
    for k, key in enumerate(cfg.uncertain):
        data[key] = drawn[:, k] if drawn is not None else np.zeros(n)
    months = month_columns(cfg)
    flat = monthly.flatten(sums, baseline) if sums is not None else None
    for k, name in enumerate(months):
        data[name] = flat[:, k] if flat is not None else np.zeros(n)
    return pd.DataFrame(data, columns=columns)


@dataclass
class _Run:
    cfg: Config
    settings: _Settings
    folder: RunFolder | None
    identity: RunIdentity
    workers: int
    reference: Reference | None = None
    base: dict[str, Any] = field(default_factory=dict)  # the manifest's fixed fields
    started: float = field(default_factory=time.perf_counter)
    resumed: int = 0
    rows: list[pd.DataFrame] = field(default_factory=list)
    done: set[int] = field(default_factory=set)
    target_values: dict[int, float] = field(default_factory=dict)
    aggregate: DailyAggregate | None = None
    executor: Executor | None = None
    sec_per_rep: float | None = None
    computed: int = 0
    chunks: int = 0
    bar: Any = None

    @property
    def root(self) -> int:
        return self.cfg.experiment.seed

    @property
    def baseline(self) -> bool:
        return self.cfg.experiment.baseline

    @property
    def target_metric(self) -> str:
        return target_metric(self.cfg)

    def new_aggregate(self) -> DailyAggregate:
        worlds = ("blockade", "baseline") if self.baseline else ("blockade",)
        days = math.ceil(self.cfg.horizon_days - 1e-12)
        return DailyAggregate(worlds, days, TIMESERIES_COLUMNS, capacity=DailyAggregate.CAPACITY)

    def manifest(self, status: str, **fields: Any) -> dict[str, Any]:
        """The manifest of this run in state ``status`` (running, failed, ..., complete)."""
        return {
            **self.base,
            "workers": self.workers,
            "status": status,
            "resumed_from": self.resumed,
            **fields,
        }

    # ------------------------------------------------------------------ folding in

    def add_rows(self, frame: pd.DataFrame) -> None:
        self.rows.append(frame)
        if len(self.rows) > 64:  # many small frames cost more than their rows
            self.rows = [pd.concat(self.rows, ignore_index=True)]
        reps = frame["replication"].to_numpy(dtype=np.int64)
        self.done.update(int(i) for i in reps)
        vals = frame[self.target_metric].to_numpy(dtype=float)
        self.target_values.update(zip(reps.tolist(), vals.tolist(), strict=True))

    @functools.cached_property
    def month_columns(self) -> list[str]:
        """The monthly sums of this run's replication rows."""
        return month_columns(self.cfg)

    @functools.cached_property
    def columns(self) -> list[str]:
        """The columns of this run's replication rows, in order."""
        return row_columns(self.cfg)

    def frame_of(
        self,
        indices: np.ndarray,
        metrics: np.ndarray,
        drawn: np.ndarray | None = None,
        sums: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """The rows of replications ``indices`` from what :func:`run_chunk` returned."""
        return replication_rows(self.cfg, indices, metrics, drawn, sums, self.columns)

    def commit(self, result: dict[str, Any]) -> None:
        indices = result["indices"]
        if len(indices):
            self.store(result)
        if result["seconds"] > 0 and len(indices):
            rate = result["seconds"] / len(indices)
            self.sec_per_rep = rate if self.sec_per_rep is None else 0.5 * (self.sec_per_rep + rate)
        failure = result["failure"]
        if failure:
            self.fail(failure)

    def store(self, result: dict[str, Any]) -> None:
        """Fold the replications of a chunk in and save them to the folder."""
        assert self.aggregate is not None
        indices = result["indices"]
        frame = self.frame_of(indices, result["metrics"], result["parameters"], result["monthly"])
        keys = seeds.sample_keys(self.root, indices)
        hi, lo, count = self.aggregate.quantize(result["series"])
        self.aggregate.merge_sums(hi, lo, count, len(indices))
        taken = self.aggregate.offer(indices, keys, result["series"])
        if self.folder is not None:
            piece = self.aggregate.piece(
                (hi, lo, count),
                len(indices),
                keys[taken],
                indices[taken],
                result["series"][taken],
            )
            self.folder.commit_part(frame, piece, indices, self.identity)
        self.add_rows(frame)
        self.computed += len(indices)
        self.chunks += 1
        if self.bar is not None:
            self.bar.update(len(indices))

    def fail(self, failure: dict[str, Any]) -> None:
        i, world = failure["replication"], failure["world"]
        saved = (
            f"; the {len(self.done)} replications finished so far are saved in {self.folder.path}"
            if self.folder is not None
            else ""
        )
        raise ReplicationFailed.of(
            failure,
            self.root,
            f"replication {i} (root seed {self.root}, {world} world)",
            seeds.reproduce_hint(self.root, i, baseline=world == "baseline"),
            saved,
        )

    # ------------------------------------------------------------------ computing

    def next_size(self, pending: int) -> int:
        if self.settings.chunk_size:
            return self.settings.chunk_size
        assert self.executor is not None
        ex = self.executor
        want = 4 if self.sec_per_rep is None else ex.chunk_for(self.sec_per_rep)
        if ex.workers > 1:  # keep the last wave balanced across workers
            want = min(want, math.ceil(pending / (2 * ex.workers)))
        return max(1, min(want, MAX_CHUNK))

    def tasks(self, missing: list[int], sent: list[list[int]]) -> Iterator[tuple[Any, ...]]:
        """The arguments of one :func:`run_chunk` per chunk, sized as results come in."""
        pending = deque(missing)
        while pending:
            size = min(self.next_size(len(pending)), len(pending))
            chunk = [pending.popleft() for _ in range(size)]
            sent.append(chunk)
            yield self.cfg, self.root, chunk, self.baseline

    def compute(self, missing: list[int]) -> None:
        if not missing:
            return
        if self.executor is None:
            self.executor = make_executor(
                self.settings.executor, self.workers, self.cfg.experiment.dask_address
            )
            self.workers = self.executor.workers
        sent: list[list[int]] = []

        def failed(i: int, exc: Exception) -> ExperimentError:
            chunk = sent[i]
            return ExperimentError(
                f"a worker failed while running replications {chunk[0]}..{chunk[-1]} "
                f"(root seed {self.root}): {type(exc).__name__}: {exc}. Reproduce one "
                f"with {seeds.reproduce_hint(self.root, chunk[0])}"
            )

        for _, result in as_completed(self.executor, run_chunk, self.tasks(missing, sent), failed):
            self.commit(result)

    def ensure(self, n: int) -> None:
        if self.bar is not None:
            self.bar.total = max(n, len(self.done))
            self.bar.refresh()
        self.compute([i for i in range(n) if i not in self.done])

    def achieved(self, n: int) -> float:
        """The precision of the first ``n`` replications: of the level, or of the paired
        difference against the reference (grown first, in a sweep, to hold ``n``)."""
        if self.reference is not None:
            self.reference = self.reference.covering(n)
            return precision(self.cfg, self.reference.differences(self.target_values, n))
        vals = np.array([self.target_values[i] for i in range(n) if i in self.target_values])
        return precision(self.cfg, vals)

    def measured(self) -> np.ndarray:
        """What the final precision is measured on: every level value, or every pair."""
        if self.reference is None:
            return np.array([self.target_values[i] for i in sorted(self.target_values)])
        n = max(self.target_values, default=-1) + 1
        return self.reference.differences(self.target_values, n)


def precision(cfg: Config, values: np.ndarray) -> float:
    """The half-width the precision target is checked against: relative, or absolute with
    ``experiment.target_halfwidth``."""
    if cfg.experiment.target_halfwidth is not None:
        return halfwidth(values)
    return rel_halfwidth(values)


def _stop_reason(met: bool | None, n: int, n_max: int, reference: Reference | None) -> str | None:
    """Why a run with a target stopped: target_met, reference_exhausted or max_replications."""
    if met is None:
        return None
    if met:
        return "target_met"
    limit = None if reference is None else reference.limit
    return (
        "reference_exhausted" if limit is not None and n >= n_max == limit else "max_replications"
    )


def _resolve_reference(
    cfg: Config, reference: Reference | None, out_dir: str | Path | None
) -> Reference | None:
    """The reference run to pair with: given, or loaded from ``experiment.reference``."""
    name = cfg.experiment.reference
    if reference is None and name is not None:
        if name == SWEEP:
            raise ConfigError(
                f"experiment.reference: '{SWEEP}' pairs the points of a sweep (blockade -m "
                "...); outside a sweep give a finished run folder"
            )
        reference = load_reference(name, cfg)
    if reference is None:
        return None
    check_reference(reference, cfg)
    if out_dir is not None and Path(out_dir).expanduser().resolve() == reference.path:
        raise ConfigError(f"experiment.reference: {reference.path} is this run's own folder")
    return reference


def _progress_bar(show: bool, total: int, initial: int, desc: str) -> Any:
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(
        total=total, initial=initial, desc=desc, unit="rep", file=sys.stderr, dynamic_ncols=True
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _mean(values: np.ndarray) -> float:
    """The mean of the non-NaN ``values`` (NaN if none)."""
    x = values[~np.isnan(values)]
    return float(x.mean()) if x.size else math.nan


def _finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def sigterm_as_interrupt() -> Callable[[], None]:
    """Make SIGTERM raise KeyboardInterrupt, like SIGINT; returns what restores the old handler.

    Only in the main thread and only over the default handler: a handler someone installed
    is left alone. A forked worker that inherits it dies of SIGTERM as it would have.
    """
    in_main = threading.current_thread() is threading.main_thread()
    if not in_main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return lambda: None
    owner = os.getpid()

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != owner:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise KeyboardInterrupt("terminated by SIGTERM")

    previous = signal.signal(signal.SIGTERM, handler)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def _locks_out_dir(fn: Callable[P, R]) -> Callable[P, R]:
    """Hold the lock of the call's ``out_dir`` (if any) while ``fn`` runs."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        out_dir = signature.bind(*args, **kwargs).arguments.get("out_dir")
        with folder_lock(out_dir) if out_dir is not None else contextlib.nullcontext():
            return fn(*args, **kwargs)

    return wrapper


@_locks_out_dir
def run_experiment(
    cfg: Config,
    replications: int | None = None,
    workers: int | None = None,
    executor: str | None = None,
    out_dir: str | Path | None = None,
    progress: bool | None = None,
    *,
    chunk_size: int | None = None,
    manifest_extra: Mapping[str, Any] | None = None,
    reference: Reference | None = None,
) -> ExperimentResult:
    """Run many replications of ``cfg`` and summarize them.

    Arguments left ``None`` come from ``cfg.experiment``. With ``experiment.baseline`` every
    replication also runs with the navy disabled on the same random streams, giving a paired
    ``export_decline``. With ``experiment.target_rel_halfwidth`` set, batches of
    ``experiment.batch_size`` are added after the first ``replications`` until the 95%
    half-width of ``export_decline`` (``exported_bbl`` without a baseline) is within that
    fraction of its mean (or, with ``experiment.target_halfwidth``, within that many of the
    metric's units), never before ``experiment.min_replications``, or
    ``experiment.max_replications`` is reached.

    With ``experiment.reference`` (a finished run folder of the same root seed) or a given
    ``reference`` (:class:`~sim.experiment.reference.Reference`; the CLI gives a sweep's
    first point), the target is checked on the paired difference instead: this run's target
    metric minus the reference's, replication by replication (common random numbers). A
    folder reference also caps the run at its replication count; the manifest's
    ``stop_reason`` says ``reference_exhausted`` when that, not the target, stopped it.

    With ``out_dir`` every finished chunk is saved at once; running the same config into the
    same folder again resumes it (only missing replications are computed), a different
    config raises :class:`~sim.experiment.store.RunFolderMismatch`. ``chunk_size`` fixes the
    replications per task (default: sized from measured speed); it never changes results.
    The folder is locked while the run writes to it: another run into it is refused
    (:class:`~sim.experiment.lock.FolderBusy`). ``manifest_extra`` adds provenance fields to
    ``manifest.json`` (the CLI records a sweep's id and job number).

    Raises :class:`ReplicationFailed` (a ``RuntimeError``) naming the replication, its seed
    and how to reproduce it when a replication raises.
    """
    s = _settings(cfg, replications, workers, executor, chunk_size, progress, reference, out_dir)
    run = _open(cfg, s, out_dir, manifest_extra)
    n = _run_until_stop(run)
    return _finish(run, n)


def _open(
    cfg: Config, s: _Settings, out_dir: str | Path | None, extra: Mapping[str, Any] | None
) -> _Run:
    """A new run: its fixed manifest fields and, in a folder, what an earlier run saved."""
    exp = cfg.experiment
    run = _Run(
        cfg=cfg,
        settings=s,
        folder=RunFolder(out_dir) if out_dir is not None else None,
        identity=RunIdentity.of(cfg),
        workers=s.workers,
        reference=s.reference,
    )
    run.aggregate = run.new_aggregate()
    run.base = {
        **provenance(),
        "scenario": cfg.name,
        "root_seed": exp.seed,
        "baseline": exp.baseline,
        "executor": s.executor,
        "workers": run.workers,
        "config_hash": config_hash(cfg),
        "target_metric": run.target_metric,
        "target_rel_halfwidth": exp.target_rel_halfwidth,
        "target_halfwidth": exp.target_halfwidth,
        "min_replications": exp.min_replications if s.target is not None else None,
        "reference": None if s.reference is None else s.reference.record(),
        "started": _now(),
        **(extra or {}),
    }
    if run.folder is not None:
        _resume(run, run.folder)
    return run


def _resume(run: _Run, folder: RunFolder) -> None:
    """Open ``folder`` for ``run`` and fold in the replications it already holds."""
    assert run.aggregate is not None
    folder.open(run.cfg)
    stored = folder.load_progress(run.identity)
    if stored.checksums:  # the consolidated files stay valid until consolidated again
        run.base["checksums"] = stored.checksums
    for state in stored.aggregates:
        run.aggregate.merge_state(state)
    for frame in stored.rows:
        run.add_rows(frame[run.columns])
    run.resumed = len(run.done)
    folder.write_manifest(run.manifest("running"))


def _run_until_stop(run: _Run) -> int:
    """Compute batches until the target or the maximum; the replications the run holds.

    On an error or an interrupt the folder's manifest records it before it propagates.
    """
    s = run.settings
    n = s.replications
    run.bar = _progress_bar(
        s.show_progress, n, len([i for i in run.done if i < n]), run.cfg.name or "replications"
    )
    finished_ok = False
    restore_sigterm = sigterm_as_interrupt()
    try:
        n = _batches(run)
        if run.done and max(run.done) >= n:
            log.warning(
                "%s already holds %d replications; using all of them (asked for %d)",
                run.folder.path if run.folder else "the folder",
                len(run.done),
                n,
            )
            n = max(run.done) + 1
            run.ensure(n)
        finished_ok = True
    except BaseException as exc:
        if run.folder is not None:
            _record_failure(run, run.folder, exc)
        raise
    finally:
        restore_sigterm()
        if run.bar is not None:
            run.bar.close()
        if run.executor is not None:
            run.executor.close(cancel=not finished_ok)
    return n


def _batches(run: _Run) -> int:
    """The first look, then a batch at a time until the target is met; the last look."""
    s, n = run.settings, run.settings.replications
    while True:
        run.ensure(n)
        if s.target is None:
            return n
        rel = run.achieved(n)
        if run.bar is not None:
            run.bar.set_postfix_str(f"half-width {rel:.3g} (target {s.target:.3g})")
        if (not math.isnan(rel) and rel <= s.target) or n >= s.max_replications:
            return n
        n = min(n + run.cfg.experiment.batch_size, s.max_replications)


def _record_failure(run: _Run, folder: RunFolder, exc: BaseException) -> None:
    """Write the manifest of a run that stopped early, unless the folder cannot be written."""
    status = "failed" if isinstance(exc, Exception) else "interrupted"
    error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    manifest = run.manifest(status, error=error, replications_done=len(run.done))
    try:
        folder.write_manifest(manifest)
    except RunFolderUnwritable as err:  # the error being raised already says so
        log.warning("could not record the run's status in the manifest: %s", err)


def _stopping(run: _Run, n: int, replications: int) -> dict[str, Any]:
    """The stopping outcome: the precision reached on what it is measured on, and why."""
    s, exp = run.settings, run.cfg.experiment
    values = run.measured()
    reached = precision(run.cfg, values)
    met = None if s.target is None else bool(not math.isnan(reached) and reached <= s.target)
    paired = s.reference is not None
    return {
        "target_metric": run.target_metric,
        "target_rel_halfwidth": exp.target_rel_halfwidth,
        "target_halfwidth": exp.target_halfwidth,
        "achieved_halfwidth": _finite_or_none(halfwidth(values)),
        "target_met": met,
        "achieved_rel_halfwidth": _finite_or_none(rel_halfwidth(values)),
        "achieved_on": f"{run.target_metric} - reference" if paired else "level",
        "pairs": len(values) if paired else None,
        "difference_mean": _finite_or_none(_mean(values)) if paired else None,
        "stop_reason": _stop_reason(met, n, s.max_replications, run.reference),
        "replications": replications,
    }


def _finish(run: _Run, n: int) -> ExperimentResult:
    """Summarize the run, write the complete manifest and consolidate the folder."""
    cfg, folder, aggregate = run.cfg, run.folder, run.aggregate
    assert aggregate is not None
    rows = (
        pd.concat(run.rows, ignore_index=True)
        if run.rows
        else run.frame_of(np.zeros(0, dtype=np.int64), np.zeros((0, 2, len(METRIC_KEYS))))
    )
    rows = rows.sort_values("replication", kind="stable").reset_index(drop=True)
    stopping = _stopping(run, n, len(rows))
    summary = summarize(rows.drop(columns=run.month_columns))  # sums, not metrics
    summary.attrs.update(stopping)
    timeseries = aggregate.frame(cfg.start_date)
    manifest = run.manifest(
        "complete",
        finished=_now(),
        wall_seconds=time.perf_counter() - run.started,
        replications_done=len(rows),
        replications_computed=run.computed,
        chunks=run.chunks,
        **{k: v for k, v in stopping.items() if k != "replications"},
        reference=None if run.reference is None else run.reference.record(),
        max_replications=run.settings.max_replications if run.settings.target is not None else None,
        timeseries_sample=aggregate.filled,
        out_dir=str(folder.path) if folder else None,
    )
    result = ExperimentResult(
        config=cfg,
        replications=rows,
        summary=summary,
        timeseries=timeseries,
        manifest=manifest,
        out_dir=folder.path if folder else None,
    )
    if folder is None:
        return replace(result, daily_state=aggregate.state())
    folder.write_config(cfg)
    written = folder.consolidate(
        rows, aggregate.state(), timeseries, summary_to_json(summary), manifest, result.monthly
    )
    return replace(result, manifest=written)


def load_results(path: str | Path) -> ExperimentResult:
    """Read a finished result folder back into an :class:`ExperimentResult`."""
    folder = RunFolder(path)
    parts = folder.read()
    return ExperimentResult(
        config=parts["config"],
        replications=parts["replications"],
        summary=parts["summary"],
        timeseries=parts["timeseries"],
        manifest=parts["manifest"],
        out_dir=folder.path,
    )
