"""Named random streams of one replication (common random numbers across worlds)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

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
        self._words = _words_of(seed)

    def rng(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (created on first use)."""
        rng = self._rngs.get(name)
        if rng is None:
            words = self._words.get(name)
            if words is None:
                child = np.random.SeedSequence(
                    self._seed.entropy,
                    spawn_key=(*self._seed.spawn_key, _name_key(name)),
                    pool_size=self._seed.pool_size,
                )
                words = self._words[name] = child.generate_state(_PCG64_WORDS, np.uint64)
            bits = np.random.PCG64(_Seeded(words))  # type: ignore[arg-type]  # stubs omit ISeedSequence
            rng = self._rngs[name] = np.random.Generator(bits)
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


# PCG64 seeds itself from the 4 uint64 words of its SeedSequence's ``generate_state``. A
# replication's worlds (the blockade and its paired baseline, a sweep's points in one chunk)
# ask for the same streams of the same seed, and a SeedSequence costs 4x the generator it
# seeds: the words of the last few seeds are kept, so a second world's streams are cheap and
# exactly the same.
_PCG64_WORDS = 4
_RECENT_SEEDS = 4
_WORDS: dict[tuple[object, ...], dict[str, np.ndarray]] = {}


def _words_of(seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
    """The cached seeding words of ``seed``'s streams, by stream name."""
    key = (seed.entropy, seed.spawn_key, seed.pool_size)
    words = _WORDS.get(key)
    if words is None:
        if len(_WORDS) >= _RECENT_SEEDS:
            _WORDS.pop(next(iter(_WORDS)))
        words = _WORDS[key] = {}
    return words


class _Seeded(ISeedSequence):
    """The seeding words a SeedSequence gave, handed to PCG64 again without recomputing."""

    __slots__ = ("_words",)

    def __init__(self, words: np.ndarray) -> None:
        self._words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        """The stored words (PCG64 asks for exactly these: 4 of uint64)."""
        if n_words != _PCG64_WORDS or np.dtype(dtype) != np.uint64:
            raise ValueError(f"stored words are {_PCG64_WORDS} uint64, not {n_words} {dtype}")
        return self._words
