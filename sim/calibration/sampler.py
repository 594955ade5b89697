"""pyabc's sampler on the project's executors: particles in batches, each seeded by its number.

pyabc's own samplers cost a calibration dearly when a particle takes milliseconds: the
multicore sampler forks its workers again every generation, the Dask sampler keeps one task
per core in flight (each idle for a round trip), polls every 10 ms and unpickles the whole
model in every task, and both seed their workers from the OS, so no two runs agree.
:class:`BatchSampler` instead

- runs on one :mod:`sim.experiment.executors` executor (``serial``, ``processes`` or
  ``dask``) for the whole calibration, through the one submit-and-wait loop
  (:func:`~sim.experiment.executors.as_completed`, ``2 x workers`` tasks in flight);
- pickles each generation's ``simulate_one`` once (shared with the workers once on Dask),
  and a worker unpickles it once per generation (:func:`run_batch` keeps the last);
- sizes batches like experiment chunks (:func:`~sim.experiment.executors.chunk_size`: the
  executor's measured per-task overhead at most 5% of a batch), capped so a generation
  still spreads over every worker;
- seeds particle ``j`` of generation ``t`` from ``SeedSequence([seed, t + 1, j])`` and keeps
  the first ``n`` accepted in particle order, so a calibration's numbers are the same on
  every executor, worker count and batch size (the particles simulated after the ``n``-th
  accepted one are dropped and not counted, as by pyabc's own parallel samplers).
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import cloudpickle
import numpy as np
from jabbar import jabbar
from pyabc.sampler import Sampler

from sim.experiment.executors import Executor, as_completed, chunk_size

#: A batch holds at least this much work (seconds), whatever the executor's overhead.
MIN_BATCH_SECONDS = 0.02
#: Particles per batch before any has been timed.
FIRST_BATCH = 2

_loaded: dict[str, Callable[[], Any]] = {}  # the last generation's simulate_one, by token
# pyabc draws from numpy's global generator: worker threads of one process (a Dask worker
# with several threads) take turns, so that each particle's draws are its own.
_one_at_a_time = threading.Lock()


def particle_seed(seed: int, t: int, j: int) -> np.ndarray:
    """The words numpy's global generator is seeded with for particle ``j`` of generation
    ``t`` (``t = -1``: pyabc's calibration sample from the prior)."""
    return np.random.SeedSequence([int(seed), int(t) + 1, int(j)]).generate_state(4)


def run_batch(
    token: str, blob: bytes, seed: int, t: int, first: int, size: int
) -> tuple[list[Any], float]:
    """The worker task: particles ``first .. first + size - 1`` of generation ``t``, and the
    seconds they took. numpy's global generator is left as it was found."""
    with _one_at_a_time:
        simulate_one = _loaded.get(token)
        if simulate_one is None:
            _loaded.clear()
            simulate_one = _loaded[token] = cloudpickle.loads(blob)
        state = np.random.get_state()
        started = time.perf_counter()
        try:
            particles = []
            for j in range(first, first + size):
                np.random.seed(particle_seed(seed, t, j))
                particles.append(simulate_one())
        finally:
            np.random.set_state(state)
        return particles, time.perf_counter() - started


class _Generation:
    """One call's bookkeeping: batches sent, particles back, when enough are accepted."""

    def __init__(self, n: int, max_eval: float, workers: int, sec: float | None) -> None:
        self.n, self.max_eval, self.workers = n, max_eval, workers
        self.batches: list[tuple[int, int]] = []  # (first particle, size) by batch number
        self.done: dict[int, list[Any]] = {}
        self.accepted = 0  # in every finished batch
        self.finished = 0  # particles in every finished batch
        self.sec_per_particle = sec  # the last generation's, until this one's are timed

    def size(self, overhead: float) -> int:
        """Particles in the next batch: enough for the overhead (see the module docstring),
        at most ``n / (4 x workers)``, and once the acceptance rate is known at most half a
        worker's share of the particles still needed, so the tail a generation drops (the
        batches in flight once it has ``n``) stays small."""
        r = self.sec_per_particle
        if r is None or r <= 0:
            return FIRST_BATCH
        want = max(math.ceil(MIN_BATCH_SECONDS / r), chunk_size(r, overhead))
        cap = math.ceil(self.n / (4 * self.workers))
        if self.accepted:
            sent = self.batches[-1][0] + self.batches[-1][1] if self.batches else 0
            needed = (self.n - self.accepted) * self.finished / self.accepted
            cap = min(
                cap, math.ceil(max(0.0, needed - (sent - self.finished)) / (2 * self.workers))
            )
        return max(1, min(want, cap))

    def args(self, token: str, blob: Any, seed: int, t: int, overhead: float) -> Iterator[tuple]:
        """A task's arguments while more particles may be needed."""
        first = 0
        while self.accepted < self.n and first < self.max_eval:
            size = self.size(overhead)
            if math.isfinite(self.max_eval):
                size = min(size, int(self.max_eval) - first)
            self.batches.append((first, size))
            yield token, blob, seed, t, first, size
            first += size

    def finish(self, i: int, particles: list[Any], seconds: float) -> None:
        self.done[i] = particles
        self.finished += len(particles)
        self.accepted += sum(1 for p in particles if p.accepted)
        rate = seconds / max(1, len(particles))
        r = self.sec_per_particle
        self.sec_per_particle = rate if r is None else 0.5 * (r + rate)

    def in_order(self) -> Iterator[Any]:
        """Finished particles in particle order, up to the first unfinished batch."""
        for i in range(len(self.batches)):
            if i not in self.done:
                return
            yield from self.done[i]

    def settled(self) -> bool:
        """Whether the finished prefix already holds ``n`` accepted particles."""
        return sum(1 for p in self.in_order() if p.accepted) >= self.n


class BatchSampler(Sampler):
    """A pyabc sampler running batches of particles on ``executor`` (closed by :meth:`stop`)."""

    def __init__(self, executor: Executor, seed: int) -> None:
        super().__init__()
        self.executor = executor
        self.seed = int(seed)
        self.stopped = False
        self.sec_per_particle: float | None = None  # measured, carried across generations

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        ex = self.executor
        gen = _Generation(n, max_eval, ex.workers, self.sec_per_particle)
        blob = ex.share(cloudpickle.dumps(simulate_one))
        tasks = gen.args(uuid.uuid4().hex, blob, self.seed, t, ex.overhead_seconds)
        with jabbar(total=n, enable=self.show_progress, keep=False) as bar:
            for i, (particles, seconds) in as_completed(ex, run_batch, tasks):
                before = gen.accepted
                gen.finish(i, particles, seconds)
                bar.inc(min(gen.accepted, n) - min(before, n))
                if gen.accepted >= n and gen.settled():
                    break  # as_completed cancels the batches still in flight
        self.sec_per_particle = gen.sec_per_particle
        sample = self._create_empty_sample()
        kept = 0
        for particle in gen.in_order():
            if sample.n_accepted >= n:
                break
            sample.append(particle)
            kept += 1
        self.nr_evaluations_ = kept
        if sample.n_accepted < n:
            sample.ok = False
        return sample

    def stop(self) -> None:
        """Close the executor (a cluster at an address is left running); once."""
        if not self.stopped:
            self.stopped = True
            self.executor.close()
