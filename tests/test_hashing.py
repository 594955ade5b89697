"""The config hash: execution settings and prose left out, everything else counted."""

from __future__ import annotations

import pytest

import sim
from sim.experiment.hashing import config_difference, config_hash


@pytest.fixture(scope="module")
def cfg() -> sim.Config:
    return sim.load_config("venezuela_dec2025", ["horizon_days=30"])


def test_config_hash_ignores_execution_keys_only(cfg: sim.Config) -> None:
    h = config_hash(cfg)
    assert len(h) == 64 and h == config_hash(cfg)
    exp = cfg.experiment.model_copy(
        update={"executor": "dask", "workers": 7, "replications": 3, "progress": True}
    )
    assert config_hash(cfg.model_copy(update={"experiment": exp})) == h
    seed = cfg.experiment.model_copy(update={"seed": 1})
    assert config_hash(cfg.model_copy(update={"experiment": seed})) != h
    no_base = cfg.experiment.model_copy(update={"baseline": False})
    assert config_hash(cfg.model_copy(update={"experiment": no_base})) != h
    other = cfg.model_copy(update={"navy": cfg.navy.model_copy(update={"boarding_teams": 2})})
    assert config_hash(other) != h
    assert config_hash(cfg.model_copy(update={"description": "other words"})) == h


def test_config_difference_names_the_first_differing_key(cfg: sim.Config) -> None:
    assert config_difference(cfg, cfg) is None
    other = cfg.model_copy(update={"navy": cfg.navy.model_copy(update={"boarding_teams": 2})})
    assert config_difference(cfg, other) == "navy.boarding_teams: 3 there, 2 now"
