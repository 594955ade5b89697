"""Stopping on the paired difference against a reference run (``experiment.reference``)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import blockade, ok, refused

import sim
from sim.experiment import run_experiment
from sim.experiment.reference import growing_reference, run_when_free
from sim.experiment.stats import halfwidth

SMALL = [  # the point scenario: the CRN arithmetic below is measured on it
    "horizon_days=30",
    "uncertain={}",
    "experiment.executor=serial",
    "experiment.progress=false",
]
#: Stopping on small batches: first look after 20 replications, then every 20.
QUICK = {"replications": 20, "min_replications": 20, "batch_size": 20, "max_replications": 400}


def _cfg(*overrides: str, **exp: Any) -> sim.Config:
    cfg = sim.load_config("venezuela_dec2025", [*SMALL, *overrides])
    return cfg.model_copy(update={"experiment": cfg.experiment.model_copy(update=exp)})


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 replications of the scenario (three boarding teams) in a run folder."""
    out = tmp_path_factory.mktemp("reference")
    run_experiment(_cfg(), replications=200, out_dir=out)
    return out


def test_common_random_numbers_make_the_difference_stop_sooner(reference: Path) -> None:
    """Two teams instead of three: the level needs ~380 runs for +-0.3 points, the paired
    difference (sd ~1 point against ~3) stops within the first 100."""
    two = _cfg("navy.boarding_teams=2", target_halfwidth=0.003, **QUICK)
    level = run_experiment(two)
    paired = run_experiment(
        two.model_copy(
            update={"experiment": two.experiment.model_copy(update={"reference": str(reference)})}
        )
    )
    n = len(paired.replications)
    assert paired.manifest["target_met"] is True and n <= 100 < len(level.replications)
    ref = sim.load_results(reference).replications.set_index("replication")["export_decline"]
    diff = paired.replications.set_index("replication")["export_decline"] - ref.iloc[:n]
    m = paired.manifest
    assert m["achieved_halfwidth"] == pytest.approx(halfwidth(diff.to_numpy()))
    assert m["achieved_halfwidth"] <= 0.003
    assert m["achieved_on"] == "export_decline - reference" and m["pairs"] == n
    assert m["stop_reason"] == "target_met" and m["reference"]["path"] == str(reference)
    assert m["difference_mean"] == pytest.approx(diff.mean())
    assert halfwidth(diff.iloc[: n - 20].to_numpy()) > 0.003  # the first batch that met it
    assert paired.summary.attrs["achieved_on"] == m["achieved_on"]


def test_a_run_never_pairs_beyond_the_reference(reference: Path) -> None:
    """An unreachable target stops at the reference's 200 replications, and says why."""
    cfg = _cfg("navy.boarding_teams=2", target_halfwidth=1e-9, reference=str(reference), **QUICK)
    res = run_experiment(cfg)
    assert len(res.replications) == 200 and res.manifest["target_met"] is False
    assert res.manifest["stop_reason"] == "reference_exhausted"
    assert res.manifest["pairs"] == 200


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"seed": 1}, "root seed"),
        ({"min_replications": 300}, "holds 200 replications"),
    ],
)
def test_a_reference_that_cannot_pair_is_refused(reference: Path, change, words) -> None:
    cfg = _cfg(target_halfwidth=0.01, reference=str(reference), **change)
    with pytest.raises(sim.ConfigError, match=rf"^experiment\.reference: .*{words}"):
        run_experiment(cfg)


def test_a_reference_without_the_target_metric_is_refused(tmp_path: Path) -> None:
    """A reference run without its baseline has no export_decline to pair with."""
    alone = _cfg(baseline=False)
    run_experiment(alone, replications=20, out_dir=tmp_path)
    cfg = _cfg(target_halfwidth=0.01, reference=str(tmp_path), **QUICK)
    with pytest.raises(sim.ConfigError, match=r"^experiment\.reference: .* has no export_decline"):
        run_experiment(cfg)


def test_the_cli_refuses_a_bad_reference_in_one_line(reference: Path, tmp_path: Path) -> None:
    args = ["horizon_days=30", "experiment.target_halfwidth=0.01", f"hydra.run.dir={tmp_path}/o"]
    refused(
        blockade(*args, f"experiment.reference={tmp_path}/none", cwd=tmp_path),
        "experiment.reference",
        "does not exist",
    )
    (tmp_path / "empty").mkdir()
    refused(
        blockade(*args, f"experiment.reference={tmp_path}/empty", cwd=tmp_path),
        "experiment.reference",
        "not a finished run folder",
    )
    refused(
        blockade(*args, f"experiment.reference={reference}", "experiment.seed=3", cwd=tmp_path),
        "experiment.reference",
        "root seed",
    )
    refused(
        blockade(*args, "experiment.reference=sweep", cwd=tmp_path), "experiment.reference", "-m"
    )
    assert not (tmp_path / "o").exists()  # refused before anything ran


def _manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text())


def test_sweep_points_stop_on_their_difference_against_job_0(tmp_path: Path) -> None:
    """Job 0 stops on its level (~40 runs for +-1 point); job 1 (a slower court, whose
    difference spreads more) needs ~100 pairs, so it extends job 0 to them."""
    proc = blockade(
        "-m",
        "court.delay_days.median=1.5,5",
        "horizon_days=30",
        "uncertain={}",
        "experiment.reference=sweep",
        "experiment.target_halfwidth=0.01",
        *(f"experiment.{k}={v}" for k, v in QUICK.items()),
        "experiment.executor=serial",
        f"hydra.sweep.dir={tmp_path}/sw",
        cwd=tmp_path,
    )
    ok(proc)
    first, second = _manifest(tmp_path / "sw" / "0"), _manifest(tmp_path / "sw" / "1")
    assert first["achieved_on"] == "level" and first["reference"] is None
    assert second["achieved_on"] == "export_decline - reference"
    assert second["reference"]["path"] == str(tmp_path / "sw" / "0")
    assert second["stop_reason"] == "target_met" and second["achieved_halfwidth"] <= 0.01
    assert first["replications_done"] >= second["pairs"] == second["replications_done"]
    assert first["resumed_from"] > 0 and first["sweep_job"] == 0  # extended by job 1
    table = (tmp_path / "sw" / "sweep.csv").read_text().splitlines()
    assert len(table) == 3  # both points counted: job 0's manifest still names the sweep


def test_a_point_that_starts_first_runs_the_reference_itself(tmp_path: Path) -> None:
    """With parallel jobs a later point may start before job 0: it runs job 0's replications
    into job 0's folder (with job 0's label), and job 0 then resumes them."""
    ref_cfg, cfg = _cfg(), _cfg("navy.boarding_teams=2", target_halfwidth=0.01, **QUICK)
    label = {"sweep_id": "s", "sweep_job": 0}
    ref = growing_reference(ref_cfg, tmp_path / "0", cfg, label, progress=False)
    assert ref.replications == 20 and _manifest(tmp_path / "0")["sweep_id"] == "s"
    again = run_when_free(ref_cfg, tmp_path / "0", replications=20, manifest_extra=label)
    assert again.manifest["replications_computed"] == 0


def test_a_busy_reference_folder_is_waited_for(tmp_path: Path) -> None:
    from sim.experiment.lock import folder_lock

    held, free = threading.Event(), threading.Event()

    def hold() -> None:
        with folder_lock(tmp_path):
            held.set()
            time.sleep(1.0)
        free.set()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait()
    res = run_when_free(_cfg(), tmp_path, replications=5)
    thread.join()
    assert free.is_set() and len(res.replications) == 5


def test_a_run_is_not_its_own_reference(reference: Path) -> None:
    cfg = _cfg(target_halfwidth=0.01, reference=str(reference))
    with pytest.raises(sim.ConfigError, match=r"^experiment\.reference: .* own folder"):
        run_experiment(cfg, out_dir=reference)
