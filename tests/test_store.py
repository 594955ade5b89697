"""The result folder: config.yaml round trip, mismatch refusal, reading back."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.experiment.store import RunFolder, RunFolderMismatch


@pytest.fixture(scope="module")
def cfg() -> sim.Config:
    return sim.load_config("venezuela_dec2025", ["horizon_days=30"])


def test_config_yaml_round_trip(cfg: sim.Config, tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "run")
    folder.open(cfg)
    assert (tmp_path / "run" / "config.yaml").is_file()
    assert folder.stored_config() == cfg


def test_mismatched_folder_is_refused_with_a_clear_message(cfg: sim.Config, tmp_path: Path) -> None:
    RunFolder(tmp_path).open(cfg)
    other = cfg.model_copy(update={"navy": cfg.navy.model_copy(update={"boarding_teams": 2})})
    with pytest.raises(RunFolderMismatch) as info:
        RunFolder(tmp_path).open(other)
    msg = str(info.value)
    assert str(tmp_path.resolve()) in msg
    assert "different config" in msg
    assert "navy.boarding_teams: 3 there, 2 now" in msg
    assert "another folder" in msg and "delete" in msg
    assert isinstance(info.value, ValueError)
    with pytest.raises(RunFolderMismatch):
        RunFolder(tmp_path).check(other)  # writes nothing
    assert RunFolder(tmp_path).stored_config() == cfg
    # Same results-relevant config, other execution settings: accepted.
    exp = cfg.experiment.model_copy(update={"executor": "serial", "replications": 5})
    RunFolder(tmp_path).open(cfg.model_copy(update={"experiment": exp}))


def test_garbage_config_yaml_is_a_mismatch(cfg: sim.Config, tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("just: [a, list\n")
    with pytest.raises(RunFolderMismatch, match="cannot be read"):
        RunFolder(tmp_path).open(cfg)


def test_unfinished_folder_cannot_be_loaded(cfg: sim.Config, tmp_path: Path) -> None:
    RunFolder(tmp_path).open(cfg)
    with pytest.raises(FileNotFoundError, match="resume"):
        sim.load_results(tmp_path)
