"""Replications that stream: partial results of a run as its chunks finish.

``run_experiment`` returns once every replication is done; the explorer shows the numbers as
they come in. :func:`stream` hands chunks of replication indices to an executor with the
runner's own task (:func:`sim.experiment.runner.run_chunk`) and submit-and-wait loop
(:func:`sim.experiment.executors.as_completed`) and folds each finished chunk the way the
runner does: one row per replication in :func:`~sim.experiment.runner.replication_columns`
order and the order-independent :class:`~sim.experiment.stats.DailyAggregate`. Replication
``i`` depends only on (config, root seed, ``i``), so the last snapshot of a stream holds the
same rows, summary and daily series as ``run_experiment(cfg, replications=n)``
(``tests/test_explore_session.py`` checks it).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Config
from sim.experiment import seeds
from sim.experiment.executors import Executor, as_completed
from sim.experiment.runner import (
    ExperimentError,
    ExperimentResult,
    ReplicationFailed,
    month_columns,
    replication_rows,
    run_chunk,
)
from sim.experiment.stats import DailyAggregate, summarize
from sim.metrics import HEADLINES, METRIC_KEYS
from sim.model.ledger import TIMESERIES_COLUMNS

__all__ = ["CHART_SECONDS", "Ahead", "ChartClock", "Fold", "Snapshot", "chunk_size", "stream"]

#: The largest chunk a stream sends: small enough that results arrive often.
MAX_CHUNK = 50
#: Tasks per worker a stream aims for: the last ones are small, so no worker waits long for
#: the other at the end of a run.
TASKS_PER_WORKER = 12
#: Seconds between two redraws of the charts while a run streams in (each costs ~0.8 s of
#: CPU that the workers would otherwise have); none in a run's last ones.
CHART_SECONDS = 2.0
#: A redraw waits at least this many times as long as the last one took (a busy machine).
CHART_SPACING = 3.0


@dataclass
class ChartClock:
    """When a running run's charts are redrawn: a wait of :data:`CHART_SECONDS` (or
    :data:`CHART_SPACING` times what the last drawing took, if longer: a busy machine) after
    the last drawing, and only while the run should last that long again by its pace so far
    (its finished charts come soon, and drawing costs the workers a core). ``cost`` starts at
    what the session's last drawing took."""

    every: float = CHART_SECONDS
    cost: float = 0.0
    last: float = field(default_factory=lambda: time.monotonic())

    def due(self, done: int, total: int, seconds: float) -> bool:
        """Whether a running run's snapshot after ``seconds`` with ``done`` of ``total``
        replications is a chart step."""
        wait = max(self.every, CHART_SPACING * self.cost)
        if done <= 0 or time.monotonic() - self.last < wait:
            return False
        return seconds * (total - done) / done >= wait

    def drawn(self, started: float) -> None:
        """A running run's charts were drawn from ``started`` (``time.monotonic``) to now."""
        self.last = time.monotonic()
        self.cost = self.last - started


@dataclass(frozen=True)
class Snapshot:
    """A run so far: its result over the replications done, and how far it has come.

    A finished run's result is the batch run's. A running one's carries what the page shows
    of it: every row, the summary of the headline's metrics and, when ``charts`` (a chart
    step, :class:`ChartClock`), the daily series; else an empty ``timeseries``.
    """

    result: ExperimentResult
    done: int
    total: int
    seconds: float
    charts: bool = False

    @property
    def finished(self) -> bool:
        """Whether every replication asked for is in."""
        return self.done >= self.total


@dataclass
class Fold:
    """The replications of one config folded in as chunks finish (any order).

    A finished chunk is kept as it came (:meth:`add` is cheap) and folded into rows and the
    daily aggregate when a result is asked for, all chunks since the last result at once: one
    frame built per snapshot, not per chunk (the aggregate does not depend on the order or
    the grouping of what it is given)."""

    cfg: Config
    rows: list[pd.DataFrame] = field(default_factory=list)
    aggregate: DailyAggregate | None = None
    done: int = 0
    pending: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        worlds = ("blockade", "baseline") if self.baseline else ("blockade",)
        days = math.ceil(self.cfg.horizon_days - 1e-12)
        self.aggregate = DailyAggregate(worlds, days, TIMESERIES_COLUMNS)

    @property
    def root(self) -> int:
        return self.cfg.experiment.seed

    @property
    def baseline(self) -> bool:
        return self.cfg.experiment.baseline

    def add(self, chunk: dict[str, Any]) -> None:
        """Take in one :func:`run_chunk` result; a failed replication raises after its
        finished neighbours are in."""
        if len(chunk["indices"]):
            self.pending.append(chunk)
            self.done += len(chunk["indices"])
        failure = chunk["failure"]
        if failure:
            self.fold()
            i, world = failure["replication"], failure["world"]
            raise ReplicationFailed.of(
                failure,
                self.root,
                f"replication {i} (root seed {self.root}, {world} world)",
                seeds.reproduce_hint(self.root, i, baseline=world == "baseline"),
            )

    def fold(self) -> None:
        """Fold the chunks taken in since the last fold into rows and the daily aggregate."""
        assert self.aggregate is not None
        if not self.pending:
            return
        chunks, self.pending = self.pending, []
        indices, metrics, drawn, sums, series = (
            np.concatenate([c[key] for c in chunks])
            for key in ("indices", "metrics", "parameters", "monthly", "series")
        )
        self.rows.append(replication_rows(self.cfg, indices, metrics, drawn, sums))
        self.aggregate.add(indices, seeds.sample_keys(self.root, indices), series)

    def result(self, total: int, seconds: float, series: bool = True) -> ExperimentResult:
        """What the replications folded in so far give: rows, summary, daily series.

        Until all ``total`` are in, the summary is of the headline's metrics (all a running
        run shows), and the daily series only with ``series`` (else an empty frame)."""
        assert self.aggregate is not None
        self.fold()
        if self.rows:
            rows = pd.concat(self.rows, ignore_index=True)
            self.rows = [rows]
        else:
            empty = np.zeros((0, 2, len(METRIC_KEYS)))
            drawn = np.zeros((0, len(self.cfg.uncertain)))
            rows = replication_rows(self.cfg, np.zeros(0, dtype=np.int64), empty, drawn)
        rows = rows.sort_values("replication", kind="stable").reset_index(drop=True)
        complete = self.done >= total
        manifest = {
            "scenario": self.cfg.name,
            "root_seed": self.root,
            "baseline": self.baseline,
            "status": "complete" if complete else "running",
            "replications_done": self.done,
            "replications": total,
            "wall_seconds": seconds,
        }
        if complete:
            summary = summarize(rows.drop(columns=month_columns(self.cfg)))  # sums: no metrics
        else:
            summary = summarize(rows[[name for name, _ in HEADLINES if name in rows.columns]])
        series = series or complete
        return ExperimentResult(
            config=self.cfg,
            replications=rows,
            summary=summary,
            timeseries=self.aggregate.frame(self.cfg.start_date) if series else pd.DataFrame(),
            manifest=manifest,
            daily_state=self.aggregate.state() if series else None,
        )


class Ahead(Executor):
    """``inner`` with up to ``inflight`` tasks submitted at once: a stream hands its workers
    every chunk at the start, so they keep working while the page draws a step (the serial
    executor, which runs a task when it is submitted, keeps its one)."""

    def __init__(self, inner: Executor, inflight: int) -> None:
        self.inner, self.name, self.workers = inner, inner.name, inner.workers
        self.inflight = inner.max_inflight if inner.name == "serial" else max(1, inflight)

    @property
    def max_inflight(self) -> int:
        return self.inflight

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.inner.submit(fn, *args)

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        return self.inner.wait_first(futures)

    def result(self, future: Any) -> Any:
        return self.inner.result(future)


def chunk_size(total: int, workers: int) -> int:
    """Replications per task: about :data:`TASKS_PER_WORKER` tasks per worker, so results
    arrive often and the workers finish close together (a task costs a worker nothing more
    than its replications; the page folds many at once)."""
    return max(1, min(MAX_CHUNK, math.ceil(total / (TASKS_PER_WORKER * max(1, workers)))))


def stream(
    cfg: Config,
    replications: int,
    executor: Executor,
    every: float = 0.5,
    clock: ChartClock | None = None,
) -> Generator[Snapshot, None, None]:
    """Snapshots of ``replications`` replications of ``cfg`` as chunks finish on ``executor``:
    at most one per ``every`` seconds, and always the last (``finished``). A running
    snapshot carries the daily series when ``clock`` says the charts are due.

    Closing the generator stops the run: chunks not started are cancelled.
    """
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications: must be a positive integer (got {replications!r})")
    fold = Fold(cfg)
    size = chunk_size(replications, executor.workers)
    chunks = list(seeds.chunked(range(replications), size))
    tasks = ((cfg, fold.root, chunk, fold.baseline) for chunk in chunks)
    ahead = Ahead(executor, len(chunks))
    started = last = time.perf_counter()

    def failed(i: int, exc: Exception) -> ExperimentError:
        first, end = chunks[i][0], chunks[i][-1]
        return ExperimentError(
            f"a worker failed while running replications {first}..{end} (root seed "
            f"{fold.root}): {type(exc).__name__}: {exc}"
        )

    for _, chunk in as_completed(ahead, run_chunk, tasks, failed):
        fold.add(chunk)
        now = time.perf_counter()
        if fold.done < replications and now - last < every:
            continue
        last, seconds = now, now - started
        charts = fold.done >= replications or (
            clock is not None and clock.due(fold.done, replications, seconds)
        )
        result = fold.result(replications, seconds, series=charts)
        yield Snapshot(result, fold.done, replications, seconds, charts)
