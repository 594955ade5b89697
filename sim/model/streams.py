"""Named random streams of one replication (common random numbers across worlds)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable

import numpy as np

from sim.config import Dist

_BATCH = 64


def _name_key(name: str) -> int:
    # A stable integer per stream name, so adding a stream never shifts another one.
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


class Streams:
    """A family of independent generators, one per name, derived from one SeedSequence."""

    def __init__(self, seed: np.random.SeedSequence) -> None:
        self._seed = seed
        self._rngs: dict[str, np.random.Generator] = {}

    def rng(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (created on first use)."""
        rng = self._rngs.get(name)
        if rng is None:
            child = np.random.SeedSequence(
                self._seed.entropy,
                spawn_key=(*self._seed.spawn_key, _name_key(name)),
                pool_size=self._seed.pool_size,
            )
            rng = self._rngs[name] = np.random.Generator(np.random.PCG64(child))
        return rng

    def sampler(self, name: str, dist: Dist, batch: int = _BATCH) -> Callable[[], float]:
        """A zero-argument function drawing from ``dist`` on stream ``name``, in batches."""
        if dist.dist == "fixed":
            value = float(dist.value)
            return lambda: value
        return _Batched(lambda n: dist.draw(self.rng(name), n), batch)

    def family(self, name: str, dist: Dist, size: int, depth: int = 8) -> Family:
        """Per-entity samplers for ``size`` entities sharing one stream (see :class:`Family`)."""
        return Family(self, name, dist, size, depth)

    def uniform(self, name: str, batch: int = _BATCH) -> Callable[[], float]:
        """A zero-argument function drawing U(0, 1) on stream ``name``, in batches."""
        return _Batched(lambda n: self.rng(name).random(n), batch)


class Family:
    """Samplers for entities 0..size-1: entity k's j-th draw is the same in every world.

    The first ``depth`` draws of every entity come from one block drawn from stream
    ``name`` (one generator for the whole family instead of one per entity); an entity that
    needs more continues on its own stream ``name[k]``. Nothing is drawn until an entity
    asks.
    """

    def __init__(self, streams: Streams, name: str, dist: Dist, size: int, depth: int) -> None:
        self._streams = streams
        self._name = name
        self._dist = dist
        self._size = size
        self._depth = depth
        self._block: list[list[float]] = []  # entity -> its draws still to come, reversed
        self._more: dict[int, Callable[[], float]] = {}

    @property
    def size(self) -> int:
        """How many entities the family has."""
        return self._size

    def sampler(self, k: int) -> Callable[[], float]:
        """The sampler of entity ``k``."""
        dist = self._dist
        if dist.dist == "fixed":
            value = float(dist.value)
            return lambda: value
        if not 0 <= k < self._size:
            raise IndexError(f"entity {k} outside family {self._name} of {self._size}")
        return functools.partial(self.draw, k)

    def draw(self, k: int) -> float:
        """Entity ``k``'s next draw (``0 <= k < size``; a fixed dist is not drawn)."""
        if not self._block:
            rng = self._streams.rng(self._name)
            block = self._dist.draw(rng, self._size * self._depth)
            self._block = block.reshape(self._size, self._depth)[:, ::-1].tolist()
        own = self._block[k]
        if own:
            return own.pop()
        more = self._more.get(k)
        if more is None:
            more = self._more[k] = self._streams.sampler(
                f"{self._name}[{k}]", self._dist, batch=self._depth
            )
        return more()


class _Batched:
    """Serves scalars from batched draws; the stream is consumed in whole batches."""

    __slots__ = ("_batch", "_buf", "_draw")

    def __init__(self, draw: Callable[[int], np.ndarray], batch: int) -> None:
        self._draw = draw
        self._batch = batch
        self._buf: list[float] = []

    def __call__(self) -> float:
        if not self._buf:
            self._buf = self._draw(self._batch).tolist()
            self._buf.reverse()
        return self._buf.pop()
