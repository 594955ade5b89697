"""Where chunks of replications run: ``serial``, ``processes`` or ``dask``.

All three expose the same small interface (``submit``, ``wait_first``, ``close``) and run the
same top-level task function, so they return the same numbers: a replication depends only
on (config, root seed, index). ``dask`` is imported only when asked for.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import math
import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

__all__ = [
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "as_completed",
    "available_cpus",
    "check_executor",
    "chunk_size",
    "make_executor",
    "map_ordered",
]

EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask")


#: The largest share of a task's time its overhead may take (scheduling, pickling, the trip).
OVERHEAD_SHARE = 0.05


def chunk_size(sec_per_rep: float, overhead_seconds: float, share: float = OVERHEAD_SHARE) -> int:
    """The fewest replications per task whose per-task overhead is at most ``share`` of it.

    A task of ``n`` replications of ``r`` seconds each costs ``n*r + o`` with an overhead of
    ``o`` seconds, so ``o / (n*r + o) <= share``  <=>  ``n >= o * (1 - share) / (share * r)``.
    """
    if not sec_per_rep > 0 or overhead_seconds < 0 or not 0 < share < 1:
        raise ValueError(
            "chunk_size: sec_per_rep must be > 0, overhead_seconds >= 0 and 0 < share < 1 "
            f"(got {sec_per_rep!r}, {overhead_seconds!r}, {share!r})"
        )
    return max(1, math.ceil(overhead_seconds * (1.0 - share) / (share * sec_per_rep) - 1e-9))


def available_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Executor:
    """Common interface: submit tasks, wait for the first to finish, close."""

    name = "base"
    workers = 1
    # Seconds of work per task at least: how often the main process folds in and writes
    # results (each chunk is a commit), whatever the executor's own overhead.
    task_seconds = 0.25
    # Seconds each task costs beyond its work (submitting, pickling, the round trip).
    overhead_seconds = 0.0

    def chunk_for(self, sec_per_rep: float) -> int:
        """Replications per task: at least :attr:`task_seconds` of work, and enough that
        :attr:`overhead_seconds` is at most :data:`OVERHEAD_SHARE` of it (:func:`chunk_size`)."""
        floor = math.ceil(self.task_seconds / sec_per_rep - 1e-9)
        return max(floor, chunk_size(sec_per_rep, self.overhead_seconds))

    @property
    def max_inflight(self) -> int:
        """How many tasks to keep submitted at once (bounds memory, keeps workers busy)."""
        return 2 * self.workers

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        raise NotImplementedError

    def share(self, value: Any) -> Any:
        """``value`` as an argument of many tasks: sent to the workers once where that pays."""
        return value

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        """Block until at least one of ``futures`` is done; return the done ones."""
        done, _ = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
        return set(done)

    def result(self, future: Any) -> Any:
        return future.result()

    def close(self, cancel: bool = False) -> None:
        """Release workers; ``cancel`` drops tasks not started yet."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(cancel=exc_type is not None)


class SerialExecutor(Executor):
    """Runs each task in this process when it is submitted (one at a time)."""

    name = "serial"
    task_seconds = 0.5  # only sets how often results are written

    def __init__(self) -> None:
        self.workers = 1

    @property
    def max_inflight(self) -> int:
        return 1

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise
            future.set_exception(exc)
        return future


def _mp_context() -> Any:
    """``fork`` where it is safe and cheap (Linux, no other threads), else ``forkserver``.

    Forking a process that runs other threads (a Jupyter kernel, a dask client, a progress
    monitor) can deadlock the child; the forkserver forks from a clean single-threaded
    server instead. Other platforms use their default (spawn).
    """
    methods = mp.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.experiment.runner"])
        return ctx
    return mp.get_context()


#: How often a pool worker checks that the process that started it is still alive.
PARENT_POLL_SECONDS = 1.0


def _watch_parent(parent: int) -> None:
    """Exit once ``parent`` is gone: a ``kill -9`` of the run would orphan the pool's workers."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _worker_start() -> None:
    """Pool worker initializer: watch the parent (the run, or the forkserver) in a thread."""
    threading.Thread(
        target=_watch_parent, args=(os.getppid(),), daemon=True, name="watch-parent"
    ).start()


class ProcessExecutor(Executor):
    """A ``concurrent.futures.ProcessPoolExecutor`` of ``workers`` processes."""

    name = "processes"
    task_seconds = 0.2
    overhead_seconds = 55e-6  # measured: a pool's per-task cost on Linux (fork)

    def __init__(self, workers: int) -> None:
        self.workers = int(workers)
        self.pool = cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=_mp_context(), initializer=_worker_start
        )

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        return self.pool.submit(fn, *args)

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)


#: Seconds to wait for a dask scheduler to answer before saying it cannot be reached.
DASK_CONNECT_SECONDS = 10.0


def dask_client(address: str, key: str = "experiment.dask_address") -> Any:
    """A dask.distributed client of the scheduler at ``address``; one line naming ``key``
    (a :class:`~sim.config.ConfigError`) when it cannot be reached."""
    from dask.distributed import Client

    from sim.config import ConfigError

    try:
        return Client(address, timeout=DASK_CONNECT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"{key}: no dask scheduler answers at {address} ({' '.join(str(exc).split())}); "
            "start one with "
            "`dask scheduler` (and `dask worker ADDRESS`) or leave the key out for a local cluster"
        ) from None


def _noop(i: int) -> int:
    return i


class DaskExecutor(Executor):
    """A dask.distributed client: of the scheduler at ``address``, or of a LocalCluster.

    A LocalCluster (``workers`` processes, one thread each) is created here and closed by
    :meth:`close`; a cluster at ``address`` is left running. The per-task overhead is
    measured on the cluster itself when the client connects (:meth:`measure_overhead`).
    """

    name = "dask"
    task_seconds = 0.05  # the floor; the measured overhead usually sets the chunk size
    overhead_seconds = 5e-3  # until measured

    def __init__(
        self,
        workers: int,
        address: str | None = None,
        key: str = "experiment.dask_address",
        what: str = "experiment.executor",
    ) -> None:
        """``key`` and ``what`` name the setting of the address and of the executor in the
        one-line messages (no scheduler there; dask not installed)."""
        from sim.extras import require

        require("dask.distributed", "dask", what)
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if address:
            self.client = dask_client(address, key)
        else:
            self.cluster = LocalCluster(
                n_workers=int(workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
        threads = self.client.nthreads()
        self.workers = max(1, sum(threads.values())) if threads else int(workers)
        self.address = address
        self.overhead_seconds = self.measure_overhead()

    def measure_overhead(self, tasks_per_worker: int = 8) -> float:
        """Seconds of worker time each task costs beyond its work: the wall time of empty
        tasks (kept :attr:`max_inflight` in flight, as a run does) times the workers, per task."""
        n = tasks_per_worker * self.workers
        list(as_completed(self, _noop, [(i,) for i in range(self.workers)]))  # warm up
        started = time.perf_counter()
        list(as_completed(self, _noop, [(i,) for i in range(n)]))
        return (time.perf_counter() - started) * self.workers / n

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def share(self, value: Any) -> Any:
        """A future of ``value`` held by every worker (tasks given it get ``value``)."""
        return self.client.scatter(value, broadcast=True)

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        from dask.distributed import wait

        done, _ = wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done)

    def close(self, cancel: bool = False) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def make_executor(name: str, workers: int, dask_address: str | None = None) -> Executor:
    """The executor called ``name`` (one of :data:`EXECUTORS`)."""
    if name == "serial":
        return SerialExecutor()
    if name == "processes":
        return ProcessExecutor(workers)
    if name == "dask":
        return DaskExecutor(workers, dask_address)
    raise ValueError(f"executor: must be one of {', '.join(EXECUTORS)} (got {name!r})")


def check_executor(
    name: str, workers: Any, error: type[ValueError] = ValueError
) -> tuple[str, int]:
    """Check an executor name and worker count (``None``: every CPU); return them.

    The ``serial`` executor always has one worker. A bad value raises ``error`` naming the
    key and what is allowed.
    """
    if name not in EXECUTORS:
        raise error(f"executor: must be one of {', '.join(EXECUTORS)} (got {name!r})")
    w = available_cpus() if workers is None else workers
    if isinstance(w, bool) or not isinstance(w, int | np.integer) or w < 1:
        raise error(f"workers: must be a positive integer (got {w!r})")
    return name, (1 if name == "serial" else int(w))


#: What a task failure becomes: ``failure(index, error)`` is raised from the error.
OnFailure = Callable[[int, Exception], Exception]


def as_completed(
    ex: Executor,
    fn: Callable[..., Any],
    args: Iterable[tuple[Any, ...]],
    failure: OnFailure | None = None,
) -> Iterator[tuple[int, Any]]:
    """``(i, fn(*args_i))`` as each task finishes, at most ``ex.max_inflight`` in flight.

    ``args`` is read only when a task can be submitted, so it may depend on the results
    yielded so far. When a task raises, nothing more is submitted, the tasks in flight are
    cancelled, and ``failure(i, error)`` (default: the error itself) is raised.
    """
    pending = iter(args)
    inflight: dict[Any, int] = {}
    submitted = 0
    try:
        while True:
            for a in _take(pending, ex.max_inflight - len(inflight)):
                inflight[ex.submit(fn, *a)] = submitted
                submitted += 1
            if not inflight:
                return
            for future in ex.wait_first(inflight):
                i = inflight.pop(future)
                yield i, _result(ex, future, i, failure)
    finally:
        for future in inflight:
            future.cancel()


def _take(items: Iterator[tuple[Any, ...]], n: int) -> Iterator[tuple[Any, ...]]:
    """Up to ``n`` more of ``items``, read one at a time."""
    for _ in range(n):
        item = next(items, None)
        if item is None:
            return
        yield item


def _result(ex: Executor, future: Any, i: int, failure: OnFailure | None) -> Any:
    try:
        return ex.result(future)
    except Exception as exc:
        if failure is None:
            raise
        raise failure(i, exc) from exc


def map_ordered(
    ex: Executor,
    fn: Callable[..., Any],
    args: Iterable[tuple[Any, ...]],
    failure: OnFailure | None = None,
    done: Callable[[], None] | None = None,
) -> list[Any]:
    """``[fn(*a) for a in args]`` on ``ex`` (see :func:`as_completed`), in ``args`` order."""
    results: dict[int, Any] = {}
    for i, value in as_completed(ex, fn, args, failure):
        results[i] = value
        if done is not None:
            done()
    return [results[i] for i in range(len(results))]
