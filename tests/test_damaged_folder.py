"""A damaged result folder is diagnosed (one line, what to do) and repaired by re-running."""

from __future__ import annotations

import base64
import errno
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
import sim.cli
from sim.experiment import ExperimentResult, run_experiment
from sim.experiment.atomic import read_json, write_json_atomic
from sim.experiment.hashing import sha256_file
from sim.experiment.store import RunFolder, RunFolderDamaged, RunFolderUnwritable

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
    # The child pauses before its second commit (the first chunk is stored and counted) and
    # says so with a marker file, so SIGTERM always arrives mid-run: no race with the run.
    out, n, marker = tmp_path / "run", 60, tmp_path / "paused"
    (tmp_path / "cfg.json").write_text(json.dumps(cfg.to_dict()))
    code = textwrap.dedent(
        f"""
        import json, pathlib, sim, time
        from sim.config import validate
        from sim.experiment.store import RunFolder
        real, commits = RunFolder.commit_part, []
        def commit_part(self, *args, **kwargs):
            if commits:
                pathlib.Path({str(marker)!r}).write_text("paused")
                time.sleep(60)
            commits.append(1)
            return real(self, *args, **kwargs)
        RunFolder.commit_part = commit_part
        cfg = validate(json.load(open({str(tmp_path / "cfg.json")!r})))
        sim.run_experiment(cfg, replications={n}, executor="serial", out_dir={str(out)!r},
                           progress=False, chunk_size=2)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the run ended before it paused"
            assert time.monotonic() < deadline, "the run never paused after its first chunk"
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


# --------------------------------------------------------------------------- one-line errors

CLI_FAST = ["experiment.replications=8", "experiment.executor=serial", "horizon_days=20"]


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("blockade: error: ") and "\n" not in err, err
    assert "Traceback" not in err
    return err


def exit_status(argv: list[str]) -> int:
    """``blockade ARGV`` in-process: the status main returns, or the one a Hydra job exits with."""
    try:
        return sim.cli.main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def refuse_chunks(monkeypatch: pytest.MonkeyPatch, error: OSError) -> None:
    """Every chunk write fails with ``error`` (the other files are written)."""
    from sim.experiment import store

    real = store.write_bytes_atomic

    def writer(path: str | Path, data: bytes) -> Path:
        if "chunk-" in Path(path).name:
            raise error
        return real(path, data)

    monkeypatch.setattr(store, "write_bytes_atomic", writer)


def test_a_full_disk_is_one_line_saying_what_to_do(tmp_path, monkeypatch, capsys) -> None:
    out = tmp_path / "run"
    refuse_chunks(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    code = exit_status([*CLI_FAST, f"hydra.run.dir={out}"])
    assert code == 2
    err = one_line_error(capsys)
    assert "no space left on the device" in err and "Free some space" in err
    assert f"run the same config into {out.resolve()} again" in err
    assert read_json(out / "manifest.json")["status"] == "failed"


def test_a_full_disk_in_the_api_resumes_once_there_is_space(cfg, fresh, tmp_path, monkeypatch):
    with pytest.MonkeyPatch.context() as mp:
        refuse_chunks(mp, OSError(errno.ENOSPC, "No space left on device"))
        with pytest.raises(RunFolderUnwritable, match="no space left") as info:
            run_experiment(cfg, replications=N, executor="serial", out_dir=tmp_path)
    assert isinstance(info.value.__cause__, OSError)
    assert_same(run_experiment(cfg, replications=N, executor="serial", out_dir=tmp_path), fresh)


@pytest.mark.parametrize(
    "error",
    [PermissionError(errno.EACCES, "Permission denied"), OSError(errno.EROFS, "Read-only")],
)
def test_a_read_only_folder_is_one_line(tmp_path, monkeypatch, capsys, error) -> None:
    # Tests run as root, whom chmod does not stop: the refusal is simulated.
    from sim.experiment import store

    def refuse(path: str | Path, text: str) -> Path:
        raise error

    monkeypatch.setattr(store, "write_text_atomic", refuse)  # config.yaml, the first file
    code = exit_status([*CLI_FAST, f"hydra.run.dir={tmp_path / 'run'}"])
    assert code == 2
    err = one_line_error(capsys)
    assert "cannot write" in err and "Choose a folder you can write to" in err


def test_a_full_disk_while_writing_a_report_is_one_line(cfg, tmp_path, monkeypatch, capsys):
    run_experiment(cfg, replications=4, executor="serial", out_dir=tmp_path, progress=False)
    from sim.analysis import report

    def full(path: str | Path, text: str) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report, "write_text_atomic", full)
    assert sim.cli.main(["report", str(tmp_path)]) == 2
    assert "no space left on the device" in one_line_error(capsys)


@pytest.fixture
def finished(cfg: sim.Config, tmp_path: Path) -> Path:
    out = tmp_path / "done"
    run_experiment(cfg, replications=N, executor="serial", out_dir=out, progress=False)
    return out


@pytest.mark.parametrize(
    ("file", "content"),
    [
        ("summary.json", "{ truncated"),
        ("summary.json", "[1, 2]"),
        ("summary.json", '{"metrics": 3}'),
        ("manifest.json", "{ truncated"),
        ("manifest.json", "[1, 2]"),
        ("manifest.json", b"\xff\xfe binary".decode("latin-1")),
    ],
)
def test_a_corrupt_json_file_is_one_line_in_report_compare_and_load(
    finished, capsys, file, content
) -> None:
    (finished / file).write_text(content, encoding="latin-1")
    for argv in (["report", str(finished)], ["compare", str(finished), str(finished)]):
        assert sim.cli.main(argv) == 2, argv
        err = one_line_error(capsys)
        assert f"{finished.resolve() / file} is damaged" in err
        assert f"re-run the same config into {finished.resolve()} to rebuild it" in err
    with pytest.raises(RunFolderDamaged, match="to rebuild it") as info:
        sim.load_results(finished)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("file", ["summary.json", "manifest.json"])
def test_re_running_rebuilds_a_corrupt_json_file(cfg, fresh, finished, caplog, file) -> None:
    (finished / file).write_text("{ truncated")
    again = resume(cfg, finished, caplog)
    assert again.manifest["replications_computed"] == (0 if file == "summary.json" else N)
    back = sim.load_results(finished)
    assert_same(back, fresh)
    assert sim.cli.main(["report", str(finished)]) == 0


def test_a_damaged_replications_table_is_caught_on_load(finished) -> None:
    table = finished / "replications.parquet"
    rows = pd.read_parquet(table)
    rows.loc[0, "seizures"] += 1  # a valid table, with one number changed
    rows.to_parquet(table, index=False)
    with pytest.raises(RunFolderDamaged, match=r"replications\.parquet is damaged \(checksum"):
        sim.load_results(finished)


# --------------------------------------------------------------------------- the report


def test_report_out_refuses_run_files_and_foreign_files(finished, capsys) -> None:
    config = (finished / "config.yaml").read_bytes()
    assert exit_status(["report", str(finished), "--out", str(finished / "config.yaml")]) == 2
    assert "a path ending in .html" in one_line_error(capsys)
    assert (finished / "config.yaml").read_bytes() == config
    foreign = finished / "notes.html"
    foreign.write_text("<html>my notes</html>")
    assert exit_status(["report", str(finished), "--out", str(foreign)]) == 2
    assert "is not a report written by blockade-sim" in one_line_error(capsys)
    assert foreign.read_text() == "<html>my notes</html>"


def test_report_out_overwrites_its_own_reports(finished, capsys) -> None:
    out = finished / "mine.html"
    assert exit_status(["report", str(finished), "--out", str(out)]) == 0
    assert '<meta name="generator" content="blockade-sim ' in out.read_text()[:2000]
    assert exit_status(["report", str(finished), "--out", str(out)]) == 0  # our own: replaced
    legacy = finished / "old.html"  # a report from before the generator mark
    legacy.write_text("<html><body><p class='meta'>Generated x by blockade-sim.</p></body></html>")
    assert exit_status(["report", str(finished), "--out", str(legacy)]) == 0
    assert "generator" in legacy.read_text()


def test_the_report_embeds_only_the_projects_own_pngs(finished, tmp_path, caplog) -> None:
    from sim.analysis import write_report
    from sim.analysis.report import PNG_SIGNATURE

    write_report(finished)  # draws the plots
    plots = finished / "plots"
    secret = tmp_path / "secret.txt"
    secret.write_bytes(PNG_SIGNATURE + b"TOP-SECRET-BYTES" * 8)
    (plots / "x.png").symlink_to(secret)  # an unknown name, and a symlink
    (plots / "exports_fan.png").unlink()
    (plots / "exports_fan.png").symlink_to(secret)  # a known name, but a symlink
    (plots / "distributions.png").write_text("not a png")  # a known name, not a PNG
    (plots / "lines_fake__key.png").write_bytes(b"GIF89a")  # a sweep name in a run folder
    with caplog.at_level(logging.WARNING, logger="sim.analysis.report"):
        html = write_report(finished).read_text()
    encoded = base64.b64encode(secret.read_bytes()).decode()
    assert encoded[:40] not in html and "TOP-SECRET" not in html
    skipped = [r.getMessage() for r in caplog.records if r.name == "sim.analysis.report"]
    assert any("x.png: not embedded" in m and "not a plot name" in m for m in skipped)
    assert any("lines_fake__key.png: not embedded" in m for m in skipped)
    assert all("\n" not in m for m in skipped)
    # The known plots that were not the project's own were drawn again and embedded.
    for name in ("exports_fan.png", "distributions.png"):
        assert not (plots / name).is_symlink()
        assert (plots / name).read_bytes().startswith(PNG_SIGNATURE)
        assert f"<code>{name}</code>" in html
    assert secret.read_bytes().startswith(PNG_SIGNATURE + b"TOP-SECRET")


def test_plot_checks(tmp_path) -> None:
    from sim.analysis import report

    plots = tmp_path / "plots"
    plots.mkdir()
    good = plots / "heatmap_export-decline__navy-boarding-teams__policy.png"
    good.write_bytes(report.PNG_SIGNATURE + b"rest")
    assert report._plot_problem(good, plots, report._is_sweep_plot) is None
    assert report._plot_problem(good, plots, report._is_run_plot) is not None
    text = plots / "lines_a__b.png"
    text.write_text("<svg/>")
    assert report._plot_problem(text, plots, report._is_sweep_plot) == "not a PNG file"
    link = plots / "lines_c__d.png"
    link.symlink_to(good)
    assert "symlink" in str(report._plot_problem(link, plots, report._is_sweep_plot))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "lines_e__f.png").write_bytes(report.PNG_SIGNATURE)
    (tmp_path / "linked").symlink_to(elsewhere, target_is_directory=True)
    sneaky = tmp_path / "linked" / "lines_e__f.png"
    assert report._plot_problem(sneaky, tmp_path / "linked", report._is_sweep_plot) == (
        "outside the plots folder"
    )
