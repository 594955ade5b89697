"""The cheap paths of a replication give exactly the numbers of the plain ones: a config
drawn once for a replication's two worlds, drawn keys validated section by section, and
stream seeds remembered between worlds."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import uncertain
from sim.config import validate
from sim.experiment.runner import run_chunk
from sim.metrics import METRIC_KEYS
from sim.model import streams
from sim.model.streams import Streams
from sim.model.world import seed_sequence
from sim.timeline import set_path

SEED = 11
TIMELINE = "timeline=[{day: 10, set: {navy.boarding_teams: 0, navy.enabled: false}}]"


def scenario(*overrides: str) -> sim.Config:
    return sim.load_config("venezuela_dec2025", [*overrides, "horizon_days=45"])


@pytest.mark.parametrize(
    "overrides", [[], ["policy=enter_after_14d", TIMELINE]], ids=["default", "timeline"]
)
def test_a_chunk_gives_what_simulate_gives_for_both_worlds(overrides: list[str]) -> None:
    """run_chunk draws a replication's config once and runs its baseline from it: each world's
    metrics and draws equal simulate's of the config and of cfg.baseline()."""
    cfg = scenario(*overrides)
    out = run_chunk(cfg, SEED, [0, 3, 4], baseline=True)
    kept = [j for j, k in enumerate(METRIC_KEYS) if k != "simpy_events"]
    for row, i in enumerate([0, 3, 4]):
        for world, c in enumerate([cfg, cfg.baseline()]):
            rep = sim.simulate(c, seed=SEED, replication=i, record_events=False)
            expected = np.array([rep.metrics[k] for k in METRIC_KEYS])
            np.testing.assert_array_equal(out["metrics"][row, world, kept], expected[kept])
        assert list(out["parameters"][row]) == list(rep.parameters.values())


def full_validation(cfg: sim.Config, values: dict[str, float]) -> sim.Config:
    """What realise did before it validated only the sections it changed."""
    data = cfg.to_dict()
    data["uncertain"] = {}
    for key, value in values.items():
        set_path(data, key, int(value) if uncertain.is_integer(data, key) else value)
    return validate(data)


def test_a_drawn_config_is_the_one_a_full_validation_gives() -> None:
    """For 30 seeds of the bundled scenario (posterior and ranges, an integer key among them)
    the drawn config equals the fully validated one, and the config drawn from is unchanged."""
    data = scenario().to_dict()
    data["uncertain"]["navy.boarding_teams"] = {"dist": "uniform", "low": 1, "high": 6}
    cfg = validate(data)
    before = cfg.to_dict()
    for r in range(30):
        drawn, values = uncertain.realise(cfg, seed_sequence(SEED, r))
        assert "navy.boarding_teams" in values and len(values) > 1
        assert drawn == full_validation(cfg, values), r
        assert isinstance(drawn.navy.boarding_teams, int)
    assert cfg.to_dict() == before


@pytest.mark.parametrize(
    "values, key",
    [
        ({"navy.detection_prob": 1.5}, "navy.detection_prob"),  # a field's own bound
        (  # a check across sections: the largest cargo no longer fits in the room left
            {"terminal.storage_capacity_bbl": 23e6, "terminal.storage_min_bbl": 21.5e6},
            "fleet.classes",
        ),
    ],
)
def test_a_drawn_value_is_still_checked_by_every_validator(values: dict, key: str) -> None:
    """Sections not drawn are not validated again, but the drawn ones and the checks across
    sections are."""
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        uncertain.with_values(scenario(), values)


def direct(seed: np.random.SeedSequence, name: str) -> np.random.Generator:
    """A stream's generator built the plain way, from its child SeedSequence."""
    child = np.random.SeedSequence(
        seed.entropy,
        spawn_key=(*seed.spawn_key, streams._name_key(name)),
        pool_size=seed.pool_size,
    )
    return np.random.Generator(np.random.PCG64(child))


def test_remembered_stream_seeds_give_the_same_numbers() -> None:
    """A second Streams of the same seed (the paired baseline's) reuses the seeding words and
    draws what a generator built from the child SeedSequence draws; other seeds differ."""
    names = ["arrivals", "navy.detect", "uncertain.posterior"]
    for r in range(6):  # more seeds than are remembered
        seed = seed_sequence(SEED, r)
        for streams_ in (Streams(seed), Streams(seed_sequence(SEED, r))):
            for name in names:
                got = streams_.rng(name).random(5)
                assert np.array_equal(got, direct(seed, name).random(5)), (r, name)
    assert len(streams._WORDS) <= streams._RECENT_SEEDS
    a = Streams(seed_sequence(SEED, 0)).rng("arrivals").random(3)
    assert not np.array_equal(a, Streams(seed_sequence(SEED, 1)).rng("arrivals").random(3))
