"""One folder, one config: locks on the resolved path, foreign folders refused, sweeps labelled.

The CLI resolves every output folder (``${now:...}`` and other interpolations included)
before Hydra starts, locks it and checks it; a sweep folder holds one sweep (``sweep.json``)
and its table counts only that sweep's jobs.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import BIN, blockade, ok, refused

import sim
from sim.experiment.lock import FolderBusy, folder_lock
from sim.experiment.store import RunFolderMismatch

FAST = ["experiment.replications=4", "experiment.executor=serial", "horizon_days=10"]


def small(seed: int) -> sim.Config:
    return sim.load_config(overrides=[*FAST, f"experiment.seed={seed}", "horizon_days=8"])


# --------------------------------------------------------------------------- API


def _race(args: tuple[int, str, object]) -> str:
    seed, out, barrier = args
    barrier.wait()  # type: ignore[attr-defined]
    try:
        sim.run_experiment(small(seed), replications=6, executor="serial", out_dir=out)
    except (FolderBusy, RunFolderMismatch) as exc:
        return f"refused: {type(exc).__name__}"
    return "ok"


def _race_child(seed: int, out: str, barrier: object, results: object) -> None:
    results.put((seed, _race((seed, out, barrier))))  # type: ignore[attr-defined]


def test_two_configs_started_together_into_one_folder_one_is_refused(tmp_path):
    ctx = mp.get_context("fork")
    solo = {s: sim.run_experiment(small(s), replications=6, executor="serial") for s in (1, 2)}
    for attempt in range(20):
        out = str(tmp_path / f"try{attempt}")
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_race_child, args=(s, out, barrier, results)) for s in (1, 2)]
        for p in procs:
            p.start()
        outcome = dict(results.get(timeout=120) for _ in procs)
        for p in procs:
            p.join(timeout=60)
        winners = [s for s, r in outcome.items() if r == "ok"]
        assert len(winners) == 1, outcome
        rows = sim.load_results(out).replications
        expected = solo[winners[0]].replications
        assert (rows["seed"] == winners[0]).all()
        pd.testing.assert_frame_equal(rows, expected, check_dtype=False)


def test_a_folder_in_use_is_refused_at_once(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    def other_run() -> None:
        sim.run_experiment(small(1), replications=2, executor="serial", out_dir=tmp_path / "busy")

    with (
        folder_lock(tmp_path / "busy"),
        ThreadPoolExecutor(1) as pool,
        pytest.raises(FolderBusy, match="in use"),
    ):
        pool.submit(other_run).result(timeout=60)
    other_run()  # free again once released (re-entrant within one thread)


def test_a_foreign_folder_is_never_written_into(tmp_path):
    folder = tmp_path / "theirs"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"not": "ours"}')
    with pytest.raises(RunFolderMismatch, match="not a blockade result folder"):
        sim.run_experiment(small(1), replications=2, out_dir=folder)
    assert (folder / "manifest.json").read_text() == '{"not": "ours"}'
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "manifest.json"
    ]


# --------------------------------------------------------------------------- CLI


def test_an_interpolated_run_folder_is_checked_before_hydra_writes(tmp_path):
    run_dir = "hydra.run.dir=out/${oc.select:name,x}"
    ok(blockade(*FAST, run_dir, cwd=tmp_path))
    folder = tmp_path / "out" / "venezuela_dec2025"
    before = (folder / ".hydra" / "overrides.yaml").read_text()
    refused(blockade(*FAST, "navy.boarding_teams=2", run_dir, cwd=tmp_path), "different config")
    assert (folder / ".hydra" / "overrides.yaml").read_text() == before


def test_a_foreign_run_folder_is_refused_on_the_command_line(tmp_path):
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "manifest.json").write_text("{}")
    refused(blockade(*FAST, "hydra.run.dir=theirs", cwd=tmp_path), "not a blockade result")
    assert (tmp_path / "theirs" / "manifest.json").read_text() == "{}"
    assert not (tmp_path / "theirs" / ".hydra").exists()


def test_a_default_folder_taken_by_another_run_gets_a_suffix(tmp_path):
    import contextlib

    from sim.cli.app import Plan, _claim

    taken = tmp_path / "2026-12-01_10-00-00"
    sim.run_experiment(small(1), replications=2, executor="serial", out_dir=taken)
    for cfg in (small(2), small(1)):  # another config, or the same: never shared
        plan = Plan([], "hydra.run.dir", taken, default_dir=True, configs=(cfg,))
        with contextlib.ExitStack() as held:
            claimed = _claim(plan, held)
            assert claimed.folder == tmp_path / "2026-12-01_10-00-00-2"
            assert claimed.hydra_argv == [f"hydra.run.dir='{claimed.folder}'"]
    fresh = Plan([], "hydra.run.dir", tmp_path / "new", default_dir=True, configs=(small(1),))
    with contextlib.ExitStack() as held:
        assert _claim(fresh, held).folder == tmp_path / "new"


def sweep(cwd: Path, values: str, sweep_dir: str = "sw") -> subprocess.CompletedProcess[str]:
    return blockade(
        "-m", *FAST, f"navy.boarding_teams={values}", f"hydra.sweep.dir={sweep_dir}", cwd=cwd
    )


@pytest.mark.parametrize("sweep_dir", ["sw", "sw/${oc.select:name,x}"], ids=["literal", "interp"])
def test_another_sweep_into_a_sweep_folder_is_refused(tmp_path, sweep_dir):
    ok(sweep(tmp_path, "1,2", sweep_dir))
    folder = tmp_path / sweep_dir.replace("${oc.select:name,x}", "venezuela_dec2025")
    table = (folder / "sweep.csv").read_text()
    hydra_files = (folder / "0" / ".hydra" / "overrides.yaml").read_text()
    refused(sweep(tmp_path, "3,4", sweep_dir), "hydra.sweep.dir", "another sweep")
    refused(sweep(tmp_path, "1", sweep_dir), "another sweep")  # a subset is another sweep too
    assert (folder / "sweep.csv").read_text() == table
    assert (folder / "0" / ".hydra" / "overrides.yaml").read_text() == hydra_files


def test_a_sweep_labels_its_jobs_and_counts_only_them(tmp_path):
    from sim.sweep_table import aggregate_sweep

    ok(sweep(tmp_path, "1,2,3"))
    folder = tmp_path / "sw"
    plan = json.loads((folder / "sweep.json").read_text())
    assert plan["status"] == "complete" and plan["swept_keys"] == ["navy.boarding_teams"]
    for job in plan["jobs"]:
        manifest = json.loads((folder / job["dir"] / "manifest.json").read_text())
        assert manifest["sweep_id"] == plan["sweep_id"] and manifest["sweep_job"] == job["job"]
        assert manifest["config_hash"] == job["config_hash"]
    # The same sweep again resumes: nothing recomputed, the same table.
    before = pd.read_csv(folder / "sweep.csv")
    ok(sweep(tmp_path, "1,2,3"))
    pd.testing.assert_frame_equal(pd.read_csv(folder / "sweep.csv"), before)
    # A job folder that holds another config's run (copied over it) is never counted.
    manifest_path = folder / "1" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "config_hash": "0" * 64}))
    table = aggregate_sweep(folder, write=False)
    assert table["job"].tolist() == [0, 2]


def test_an_interrupted_sweep_resumes_to_the_uninterrupted_table(tmp_path):
    import signal
    import time

    args = ["-m", "experiment.replications=200", "experiment.executor=serial", "horizon_days=30"]
    args += ["navy.boarding_teams=1,2"]
    ok(blockade(*args, "hydra.sweep.dir=whole", cwd=tmp_path))
    cmd = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "sim"]
    proc = subprocess.Popen(
        [*cmd, *args, "hydra.sweep.dir=cut"], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not (tmp_path / "cut" / "1" / "parts").is_dir() and proc.poll() is None:
        assert time.monotonic() < deadline, "job 1 never started"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the sweep finished before it could be interrupted")
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert "stopped early; 1 of 2" in err
    assert json.loads((tmp_path / "cut" / "sweep.json").read_text())["status"] == "partial"
    ok(blockade(*args, "hydra.sweep.dir=cut", cwd=tmp_path))
    whole, cut = (pd.read_csv(tmp_path / d / "sweep.csv") for d in ("whole", "cut"))
    pd.testing.assert_frame_equal(whole, cut)


def test_pool_workers_do_not_outlive_a_killed_run(tmp_path):
    import os
    import signal
    import time

    cmd = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "sim"]
    args = ["experiment.replications=2000", "experiment.workers=2", "horizon_days=60"]
    proc = subprocess.Popen(
        [*cmd, *args, "hydra.run.dir=out"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 120
    while not (tmp_path / "out" / "parts").is_dir() and proc.poll() is None:
        assert time.monotonic() < deadline, "no chunk was committed"
        time.sleep(0.02)
    if not children.exists():
        pytest.skip("no /proc children list on this system")
    workers = [int(p) for p in children.read_text().split()]
    assert workers, "the run started no pool workers"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{w}").exists() for w in workers):
        alive = [w for w in workers if Path(f"/proc/{w}/status").exists()]
        zombie = all("State:\tZ" in Path(f"/proc/{w}/status").read_text() for w in alive)
        if zombie:
            break
        assert time.monotonic() < deadline, f"workers {alive} outlived the killed run"
        time.sleep(0.1)
