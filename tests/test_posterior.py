"""``experiment.posterior``: uncertain keys drawn together from a weighted sample."""

from __future__ import annotations

import pandas as pd
import pytest
from cli_helpers import blockade, refused

import sim
from sim.config import ConfigError
from sim.experiment.hashing import config_hash

DELAY = "court.delay_days.median"
TEAMS = "navy.boarding_teams"
BOTH = (
    f"uncertain={{{DELAY}: {{dist: uniform, low: 1, high: 5}}, "
    f"{TEAMS}: {{dist: uniform, low: 1, high: 5}}}}"
)


def sample(path, rows: list[tuple[float, float, float]]) -> str:
    pd.DataFrame(rows, columns=[DELAY, TEAMS, "weight"]).to_parquet(path)
    return str(path)


def config(*overrides: str) -> sim.Config:
    return sim.load_config("venezuela_dec2025", [*overrides, "horizon_days=30"])


def run(cfg: sim.Config, n: int = 40) -> pd.DataFrame:
    return sim.run_experiment(cfg, replications=n, workers=1, executor="serial").replications


def test_rows_are_drawn_whole_and_by_weight(tmp_path) -> None:
    path = sample(tmp_path / "p.parquet", [(1.5, 2, 1.0), (4.5, 4, 3.0), (3.0, 3, 0.0)])
    rows = run(config(BOTH, f"experiment.posterior={path}"))
    pairs = set(zip(rows[DELAY], rows[TEAMS], strict=True))
    assert pairs <= {(1.5, 2.0), (4.5, 4.0)}  # whole rows; the zero-weight row never
    share = (rows[DELAY] == 4.5).mean()
    assert 0.75 - 3 * (0.75 * 0.25 / 40) ** 0.5 <= share <= 0.75 + 3 * (0.75 * 0.25 / 40) ** 0.5


def test_a_row_is_reproduced_by_simulate_alone(tmp_path) -> None:
    path = sample(tmp_path / "p.parquet", [(1.5, 2, 1.0), (4.5, 4, 1.0)])
    cfg = config(BOTH, f"experiment.posterior={path}")
    rows = run(cfg, 6)
    for i in range(6):
        rep = sim.simulate(cfg, seed=cfg.experiment.seed, replication=i, record_events=False)
        assert rep.metrics["seizures"] == rows.loc[i, "seizures"]


def test_a_key_fixed_or_not_uncertain_keeps_the_config_value(tmp_path) -> None:
    path = sample(tmp_path / "p.parquet", [(1.5, 2, 1.0), (4.5, 4, 1.0)])
    one = f"uncertain={{{DELAY}: {{dist: uniform, low: 1, high: 5}}}}"
    rows = run(config(one, f"experiment.posterior={path}"), 10)
    assert set(rows[DELAY]) <= {1.5, 4.5}
    assert TEAMS not in rows.columns  # the sample's other column: held at the scenario's 3
    point = run(config("uncertain={}", f"experiment.posterior={path}"), 4)
    assert DELAY not in point.columns


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (None, "no such file"),
        ("not parquet", "not a parquet file"),
        ([(1.5, 2, -1.0)], "weights must be >= 0"),
    ],
)
def test_a_bad_sample_is_one_line(tmp_path, rows, message: str) -> None:
    path = tmp_path / "p.parquet"
    if isinstance(rows, str):
        path.write_text(rows)
    elif rows is not None:
        sample(path, rows)
    with pytest.raises(ConfigError, match=f"experiment.posterior: .*{message}"):
        config(BOTH, f"experiment.posterior={path}")


def test_columns_that_are_not_uncertain_keys_are_not_drawn(tmp_path) -> None:
    """A column no uncertain key names (a misspelling, a key fixed here) draws nothing."""
    path = tmp_path / "p.parquet"
    pd.DataFrame({"navy.boarding_tems": [9.0], "weight": [1.0]}).to_parquet(path)
    with_it = run(config(BOTH, f"experiment.posterior={path}"), 6)
    without = run(config(BOTH, "experiment.posterior=null"), 6)
    pd.testing.assert_frame_equal(with_it, without)


def test_the_sample_content_is_part_of_the_run_identity(tmp_path) -> None:
    path = sample(tmp_path / "p.parquet", [(1.5, 2, 1.0)])
    before = config_hash(config(BOTH, f"experiment.posterior={path}"))
    sample(tmp_path / "p.parquet", [(2.5, 2, 1.0)])
    assert config_hash(config(BOTH, f"experiment.posterior={path}")) != before


def test_cli_refuses_a_missing_posterior_in_one_line(tmp_path) -> None:
    proc = blockade(f"experiment.posterior={tmp_path / 'nope.parquet'}", cwd=tmp_path)
    refused(proc, "experiment.posterior", "no such file")
