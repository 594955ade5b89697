"""Single replications' daily series, from the sample a finished run folder keeps.

``timeseries.parquet`` holds each day's mean and quantiles across replications; a band of a
quantity built from several days (a 7-day rate, a running total) needs each replication's
own series. The run folder keeps them for the bottom-k sample of its replications
(``state/aggregate.npz``, :class:`sim.experiment.stats.DailyAggregate`: every replication
up to its capacity of 2000, beyond that a hash-chosen subset, the same whatever the order
the replications finished in). :func:`daily_sample` reads it back, checked against the
checksum the manifest records, or returns None (no folder, an older or damaged file). A
result computed without a folder has no such file: it would need to carry the aggregate's
state itself (``result.daily_state``, read first when present).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiment.atomic import read_npz
from sim.experiment.hashing import sha256_file
from sim.experiment.stats import QUANTILES
from sim.experiment.store import AGGREGATE_FILE

__all__ = ["DailySample", "daily_sample", "sample_of_state"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DailySample:
    """Daily series of some replications: ``series[k, world, day, column]``."""

    worlds: tuple[str, ...]
    columns: tuple[str, ...]
    replications: np.ndarray  # the replication index of each row of ``series``
    series: np.ndarray
    of: int  # replications in the run

    @property
    def n(self) -> int:
        """Replications in the sample."""
        return len(self.replications)

    @property
    def complete(self) -> bool:
        """Whether the sample holds every replication of the run."""
        return self.n >= self.of

    def values(self, world: str, column: str) -> np.ndarray | None:
        """Replications x days of ``column`` in ``world`` (None if the sample lacks either)."""
        if world not in self.worlds or column not in self.columns:
            return None
        return self.series[:, self.worlds.index(world), :, self.columns.index(column)]

    def describe(self) -> str:
        """``all 40 replications`` or ``a sample of 2000 of 5000 replications``."""
        if self.complete:
            return f"all {self.n} replications"
        return f"a sample of {self.n} of {self.of} replications"


def quantile_band(values: np.ndarray, qs: Sequence[float] = QUANTILES) -> np.ndarray:
    """The quantiles ``qs`` (the summaries' p05, p50, p95) across the first axis."""
    return np.nanquantile(values, qs, axis=0)


def sample_of_state(state: Any) -> DailySample | None:
    """The sample of a saved :meth:`DailyAggregate.state`, or None if it holds none."""
    sample = DailySample(
        worlds=tuple(str(w) for w in state["worlds"]),
        columns=tuple(str(c) for c in state["columns"]),
        replications=np.asarray(state["sample_reps"], dtype=np.int64),
        series=np.asarray(state["sample"], dtype=float),
        of=int(state["n"]),
    )
    if sample.series.ndim != 4 or sample.n == 0:
        return None
    return sample


def _of_folder(folder: Path, manifest: dict[str, Any]) -> DailySample | None:
    """The sample in ``folder``'s aggregate file, if its checksum is the manifest's."""
    path = folder / AGGREGATE_FILE
    expected = (manifest.get("checksums") or {}).get(AGGREGATE_FILE)
    if not path.is_file() or expected is None:
        return None
    try:
        if sha256_file(path) != expected:
            log.warning("%s: checksum differs from the manifest's; no per-replication bands", path)
            return None
        return sample_of_state(read_npz(path))
    except (OSError, KeyError, ValueError) as exc:
        log.warning("%s: unreadable (%s); no per-replication bands", path, exc)
        return None


def daily_sample(result: Any) -> DailySample | None:
    """The per-replication daily sample of ``result``, or None if unavailable.

    From ``result.daily_state`` (a :meth:`DailyAggregate.state` mapping) if the result
    carries one, else from its folder's ``state/aggregate.npz``.
    """
    state = getattr(result, "daily_state", None)
    if state is not None:
        return sample_of_state(state)
    folder = getattr(result, "out_dir", None)
    if folder is None:
        return None
    return _of_folder(Path(folder), getattr(result, "manifest", None) or {})
