"""A damaged result folder is diagnosed (one line, what to do) and repaired by re-running."""

from __future__ import annotations

import json
import logging
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.experiment import ExperimentResult, run_experiment
from sim.experiment.store import RunFolder, read_json, sha256_file, write_json_atomic

N, CHUNK = 30, 10


@pytest.fixture(scope="module")
def cfg() -> sim.Config:
    return sim.load_config("venezuela_dec2025", ["horizon_days=30"])


@pytest.fixture(scope="module")
def fresh(cfg: sim.Config) -> ExperimentResult:
    """The uninterrupted result every repaired folder must reproduce exactly."""
    return run_experiment(cfg, replications=N, executor="serial", progress=False)


def assert_same(a: ExperimentResult, b: ExperimentResult) -> None:
    pd.testing.assert_frame_equal(a.replications, b.replications, check_exact=True)
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)


def unfinished(cfg: sim.Config, out: Path) -> Path:
    """A folder with every chunk committed but nothing consolidated (a run cut short)."""

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RunFolder, "consolidate", stop)
        with pytest.raises(KeyboardInterrupt):
            run_experiment(cfg, replications=N, executor="serial", out_dir=out, chunk_size=CHUNK)
    assert sorted(p.name for p in (out / "parts").glob("*.parquet")) == [
        "chunk-00000000.parquet",
        "chunk-00000010.parquet",
        "chunk-00000020.parquet",
    ]
    return out


def resume(cfg: sim.Config, out: Path, caplog: pytest.LogCaptureFixture) -> ExperimentResult:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="sim.experiment.store"):
        return run_experiment(cfg, replications=N, executor="serial", out_dir=out)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    lines = [r.getMessage() for r in caplog.records if r.name == "sim.experiment.store"]
    assert all("\n" not in line for line in lines)
    return lines


def test_commit_records_name_checksums_config_seed_and_replications(cfg, tmp_path) -> None:
    out = unfinished(cfg, tmp_path)
    record = read_json(out / "parts" / "chunk-00000010.json")
    assert record["format"] == 1
    assert record["first_replication"] == 10
    assert record["replications"] == list(range(10, 20))
    assert record["config_hash"] == sim.experiment.config_hash(cfg)
    assert record["root_seed"] == cfg.experiment.seed
    assert record["sha256"] == {
        "parquet": sha256_file(out / "parts" / "chunk-00000010.parquet"),
        "npz": sha256_file(out / "parts" / "chunk-00000010.npz"),
    }


def test_a_complete_run_records_the_checksums_of_its_consolidated_files(cfg, tmp_path) -> None:
    res = run_experiment(cfg, replications=N, executor="serial", out_dir=tmp_path)
    sums = read_json(tmp_path / "manifest.json")["checksums"]
    assert sums == {
        "replications.parquet": sha256_file(tmp_path / "replications.parquet"),
        "state/aggregate.npz": sha256_file(tmp_path / "state" / "aggregate.npz"),
    }
    assert res.manifest["checksums"] == sums


def test_a_clean_resume_warns_nothing(cfg, fresh, tmp_path, caplog) -> None:
    out = unfinished(cfg, tmp_path)
    res = resume(cfg, out, caplog)
    assert warnings(caplog) == []
    assert res.manifest["replications_computed"] == 0
    assert_same(res, fresh)


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_chunk_is_recomputed_with_one_warning(cfg, fresh, tmp_path, caplog, damage):
    out = unfinished(cfg, tmp_path)
    chunk = out / "parts" / "chunk-00000010.parquet"
    data = chunk.read_bytes()
    chunk.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"not parquet" * 50)
    res = resume(cfg, out, caplog)
    assert warnings(caplog) == [
        f"{out.resolve()}: parts/chunk-00000010.parquet is damaged (checksum mismatch of "
        "chunk-00000010.parquet); its 10 replications will be recomputed"
    ]
    assert res.manifest["replications_computed"] == CHUNK
    assert_same(res, fresh)


def test_an_npz_copied_over_another_is_caught(cfg, fresh, tmp_path, caplog) -> None:
    out = unfinished(cfg, tmp_path)
    parts = out / "parts"
    shutil.copyfile(parts / "chunk-00000000.npz", parts / "chunk-00000010.npz")
    res = resume(cfg, out, caplog)
    (line,) = warnings(caplog)
    assert "parts/chunk-00000010.parquet is damaged (checksum mismatch of chunk-00000010.npz)" in (
        line
    )
    assert res.manifest["replications_computed"] == CHUNK
    assert_same(res, fresh)  # the timeseries too: the stray daily sums were not folded in


def test_a_chunk_of_another_seed_is_never_used(cfg, fresh, tmp_path, caplog) -> None:
    other = cfg.model_copy(update={"experiment": cfg.experiment.model_copy(update={"seed": 99})})
    theirs = unfinished(other, tmp_path / "theirs")
    out = unfinished(cfg, tmp_path / "ours")
    for suffix in (".parquet", ".npz", ".json"):  # what two runs sharing a folder leave
        name = f"chunk-00000020{suffix}"
        shutil.copyfile(theirs / "parts" / name, out / "parts" / name)
    res = resume(cfg, out, caplog)
    (line,) = warnings(caplog)
    assert "parts/chunk-00000020.parquet is of another config (config hash" in line
    assert res.manifest["replications_computed"] == CHUNK
    assert_same(res, fresh)
    assert set(res.replications["seed"]) == {cfg.experiment.seed}


def test_rows_of_another_seed_are_caught_even_with_a_matching_record(cfg, fresh, tmp_path, caplog):
    other = cfg.model_copy(update={"experiment": cfg.experiment.model_copy(update={"seed": 99})})
    theirs = unfinished(other, tmp_path / "theirs")
    out = unfinished(cfg, tmp_path / "ours")
    parts = out / "parts"
    for suffix in (".parquet", ".npz"):
        shutil.copyfile(theirs / "parts" / f"chunk-00000020{suffix}", parts / f"x{suffix}")
        (parts / f"x{suffix}").replace(parts / f"chunk-00000020{suffix}")
    record = read_json(parts / "chunk-00000020.json")  # re-signed: only the rows tell
    record["sha256"] = {
        "parquet": sha256_file(parts / "chunk-00000020.parquet"),
        "npz": sha256_file(parts / "chunk-00000020.npz"),
    }
    write_json_atomic(parts / "chunk-00000020.json", record)
    res = resume(cfg, out, caplog)
    (line,) = warnings(caplog)
    assert f"chunk-00000020.parquet is rows of another root seed (not {cfg.experiment.seed})" in (
        line
    )
    assert_same(res, fresh)


def test_a_misnamed_chunk_is_recomputed(cfg, fresh, tmp_path, caplog) -> None:
    out = unfinished(cfg, tmp_path)
    parts = out / "parts"
    for suffix in (".parquet", ".npz", ".json"):
        (parts / f"chunk-00000020{suffix}").rename(parts / f"chunk-00000021{suffix}")
    res = resume(cfg, out, caplog)
    (line,) = warnings(caplog)
    assert "chunk-00000021.parquet is misnamed (its record starts at replication 20)" in line
    assert_same(res, fresh)


def test_chunks_of_an_older_version_without_records_are_recomputed(cfg, fresh, tmp_path, caplog):
    out = unfinished(cfg, tmp_path)
    for record in (out / "parts").glob("*.json"):
        record.unlink()
    res = resume(cfg, out, caplog)
    lines = warnings(caplog)
    assert len(lines) == 3 and all("is unrecorded (no commit record" in x for x in lines)
    assert res.manifest["replications_computed"] == N
    assert_same(res, fresh)


def test_an_unreadable_commit_record_is_recomputed(cfg, fresh, tmp_path, caplog) -> None:
    out = unfinished(cfg, tmp_path)
    (out / "parts" / "chunk-00000000.json").write_text("{ not json")
    res = resume(cfg, out, caplog)
    (line,) = warnings(caplog)
    assert "chunk-00000000.parquet is unrecorded (its commit record" in line
    assert res.manifest["replications_computed"] == CHUNK
    assert_same(res, fresh)


@pytest.mark.parametrize("file", ["replications.parquet", "state/aggregate.npz"])
def test_a_damaged_consolidated_file_is_recomputed(cfg, fresh, tmp_path, caplog, file) -> None:
    run_experiment(cfg, replications=N, executor="serial", out_dir=tmp_path, progress=False)
    target = tmp_path / file
    target.write_bytes(target.read_bytes()[:-100])
    res = resume(cfg, tmp_path, caplog)
    (line,) = warnings(caplog)
    assert "state/aggregate.npz (with replications.parquet) is damaged (checksum mismatch" in line
    assert line.endswith(f"its {N} replications will be recomputed")
    assert res.manifest["replications_computed"] == N
    assert_same(res, fresh)


def test_a_consolidated_result_of_an_older_version_is_recomputed(cfg, fresh, tmp_path, caplog):
    run_experiment(cfg, replications=N, executor="serial", out_dir=tmp_path, progress=False)
    manifest = read_json(tmp_path / "manifest.json")
    del manifest["checksums"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    res = resume(cfg, tmp_path, caplog)
    (line,) = warnings(caplog)
    assert "is not recorded in manifest.json (an older version" in line
    assert_same(res, fresh)


def test_the_checksums_survive_an_interrupted_extension(cfg, fresh, tmp_path, caplog) -> None:
    run_experiment(cfg, replications=20, executor="serial", out_dir=tmp_path, progress=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RunFolder, "consolidate", lambda *a, **k: (_ for _ in ()).throw(OSError("x")))
        with pytest.raises(OSError):
            run_experiment(cfg, replications=N, executor="serial", out_dir=tmp_path)
    assert "checksums" in read_json(tmp_path / "manifest.json")
    res = resume(cfg, tmp_path, caplog)
    assert warnings(caplog) == []
    assert res.manifest["replications_computed"] == 0
    assert_same(res, fresh)


def test_sigterm_writes_interrupted_and_the_run_resumes(cfg, tmp_path) -> None:
    out, n = tmp_path / "run", 60
    (tmp_path / "cfg.json").write_text(json.dumps(cfg.to_dict()))
    code = textwrap.dedent(
        f"""
        import json, sim
        from sim.config import validate
        cfg = validate(json.load(open({str(tmp_path / "cfg.json")!r})))
        sim.run_experiment(cfg, replications={n}, executor="serial", out_dir={str(out)!r},
                           progress=False, chunk_size=2)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list((out / "parts").glob("chunk-*.parquet")):
            assert proc.poll() is None, "the run ended before it could be terminated"
            assert time.monotonic() < deadline, "no chunk was written"
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode != 0, err
    manifest = read_json(out / "manifest.json")
    assert manifest["status"] == "interrupted", err
    assert manifest["error"] == "terminated by SIGTERM"
    assert 0 < manifest["replications_done"] < n
    resumed = run_experiment(cfg, replications=n, executor="serial", out_dir=out)
    assert resumed.manifest["resumed_from"] >= 2
    fresh = run_experiment(cfg, replications=n, workers=2, executor="processes", progress=False)
    assert_same(resumed, fresh)


def test_the_sigterm_handler_is_restored_and_never_replaces_another(cfg) -> None:
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    run_experiment(cfg, replications=2, executor="serial", progress=False)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

    def mine(signum: int, frame: object) -> None:
        pass

    seen = []
    previous = signal.signal(signal.SIGTERM, mine)
    try:
        real = sim.experiment.runner._Run.ensure

        def ensure(self: object, n: int) -> None:
            seen.append(signal.getsignal(signal.SIGTERM))
            real(self, n)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(sim.experiment.runner._Run, "ensure", ensure)
            run_experiment(cfg, replications=2, executor="serial", progress=False)
        assert seen == [mine]
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)
