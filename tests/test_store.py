"""The result store: config hash, atomic writes, mismatch refusal, reading back."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.experiment.store import (
    RunFolder,
    RunFolderMismatch,
    config_hash,
    read_json,
    summary_from_json,
    summary_to_json,
    write_atomic,
    write_json_atomic,
    write_parquet_atomic,
)


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


def test_config_yaml_round_trip(cfg: sim.Config, tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "run")
    folder.open(cfg)
    assert (tmp_path / "run" / "config.yaml").is_file()
    assert folder.stored_config() == cfg


def test_write_atomic_keeps_old_file_when_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_json_atomic(target, {"a": 1.5, "b": math.nan})
    assert read_json(target) == {"a": 1.5, "b": None}

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, broken)
    assert read_json(target) == {"a": 1.5, "b": None}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]


def test_parquet_write_is_exact(tmp_path: Path) -> None:
    x = np.random.default_rng(0).random(100) * 1e7
    df = pd.DataFrame({"replication": np.arange(100), "v": x, "w": 1 / 3 + x})
    write_parquet_atomic(tmp_path / "r.parquet", df)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "r.parquet"), df, check_exact=True)


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


def test_summary_json_round_trip() -> None:
    s = pd.DataFrame(
        {
            "mean": [1.0 / 3.0, math.nan],
            "std": [0.1, math.nan],
            "ci_low": [0.2, math.nan],
            "ci_high": [0.4, math.nan],
            "p05": [0.0, math.nan],
            "p50": [0.3, math.nan],
            "p95": [0.9, math.nan],
            "n": [10, 0],
        },
        index=pd.Index(["a", "b"], name="metric"),
    )
    s.attrs.update({"target_met": None, "target_metric": "a"})
    back = summary_from_json(summary_to_json(s))
    pd.testing.assert_frame_equal(back, s, check_exact=True)
    assert back.attrs == s.attrs


def test_unfinished_folder_cannot_be_loaded(cfg: sim.Config, tmp_path: Path) -> None:
    RunFolder(tmp_path).open(cfg)
    with pytest.raises(FileNotFoundError, match="resume"):
        sim.load_results(tmp_path)


def test_write_atomic_fsyncs_the_file_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import stat

    from sim.experiment import store

    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        calls.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(store.os, "fsync", fsync)
    monkeypatch.setattr(store.os, "replace", replace)
    write_json_atomic(tmp_path / "x.json", {"a": 1})
    assert calls == ["fsync file", "replace", "fsync dir"]
    assert read_json(tmp_path / "x.json") == {"a": 1}
