"""The SeedSequence tree of an experiment: one seed per replication.

Replication ``i`` of root seed ``s`` uses ``SeedSequence(s, spawn_key=(i,))`` (see
``sim.model.world.seed_sequence``), so its numbers depend only on ``(s, i)``: never on the
executor, the worker count, the chunking or the order in which replications finish. Inside a
replication every purpose and entity draws from its own named stream, and the no-blockade
baseline of replication ``i`` uses the same streams (common random numbers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

import numpy as np

from sim.model.world import seed_sequence

__all__ = ["chunked", "replication_seed", "reproduce_hint", "sample_key", "sample_keys"]


def replication_seed(root: int, replication: int) -> np.random.SeedSequence:
    """The SeedSequence of ``replication`` under root seed ``root``."""
    return seed_sequence(root, replication)


def sample_key(root: int, replication: int) -> int:
    """A 64-bit hash of ``(root, replication)``; the smallest keys form the quantile sample.

    It is a pure function of the pair, so the bottom-k sample of the daily series is the same
    set of replications whatever the executor, chunking or completion order.
    """
    digest = hashlib.blake2b(
        f"{int(root)}:{int(replication)}".encode(), digest_size=8, person=b"blockade-sample"
    ).digest()
    return int.from_bytes(digest, "little")


def sample_keys(root: int, replications: Iterable[int]) -> np.ndarray:
    """:func:`sample_key` of each replication, as ``uint64``."""
    return np.array([sample_key(root, i) for i in replications], dtype=np.uint64)


def chunked(indices: Iterable[int], size: int) -> Iterator[list[int]]:
    """Consecutive runs of at most ``size`` indices."""
    chunk: list[int] = []
    for i in indices:
        chunk.append(int(i))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def reproduce_hint(root: int, replication: int, baseline: bool = False) -> str:
    """The call that reproduces one replication in a session."""
    cfg = "cfg.baseline()" if baseline else "cfg"
    return f"sim.simulate({cfg}, seed={int(root)}, replication={int(replication)})"
