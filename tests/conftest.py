"""Shared fixtures: the bundled scenario, and the root seed of the statistical tests."""

from __future__ import annotations

import pytest

import sim

# Root seed of every statistical test: replication i uses SeedSequence(ROOT_SEED, (i,)).
ROOT_SEED = 20251210


@pytest.fixture(scope="session")
def venezuela() -> sim.Config:
    """The reference scenario as bundled (closed fleet)."""
    return sim.load_config("venezuela_dec2025")


@pytest.fixture(scope="session")
def validation():
    """Load a validation config by name, with optional overrides (cached per call)."""
    cache: dict[tuple[str, tuple[str, ...]], sim.Config] = {}

    def load(name: str, *overrides: str) -> sim.Config:
        key = (name, overrides)
        if key not in cache:
            cache[key] = sim.load_config(f"validation/{name}", overrides=list(overrides))
        return cache[key]

    return load


@pytest.fixture(scope="session")
def root_seed() -> int:
    return ROOT_SEED
