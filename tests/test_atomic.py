"""Atomic writes: the old file survives a failed writer; fsync before and after the rename."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiment.atomic import read_json, write_atomic, write_json_atomic, write_parquet_atomic


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


def test_write_atomic_fsyncs_the_file_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import stat

    from sim.experiment import atomic

    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        calls.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    write_json_atomic(tmp_path / "x.json", {"a": 1})
    assert calls == ["fsync file", "replace", "fsync dir"]
    assert read_json(tmp_path / "x.json") == {"a": 1}
