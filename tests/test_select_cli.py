"""``blockade select`` and ``blockade robust`` end to end on a tiny real sweep."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import blockade, ok, refused_in_process

# Two policies, 4 replications of 20 days each, one uncertain key drawn per replication.
SWEEP = [
    "-m",
    "experiment.replications=4",
    "experiment.executor=serial",
    "horizon_days=20",
    "uncertain={court.delay_days.median: {dist: uniform, low: 1, high: 5}}",
    "policy=wait_outside,seize_on_sight",
]
NAMES = ("policy=wait_outside", "policy=seize_on_sight")
# n0 = 6 > the 4 replications held: the first stage itself extends both folders.
ARGS = ["--delta", "2", "--n0", "6", "--max-replications", "12", "--batch", "3"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("select")
    ok(blockade(*SWEEP, "hydra.sweep.dir=sw", "--plots", cwd=work))  # select redraws them
    return work / "sw"


@pytest.fixture
def sweep(built: Path, tmp_path: Path) -> Path:
    """A fresh copy of the sweep for a test that may extend it."""
    return Path(shutil.copytree(built, tmp_path / "sw"))


def reps(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "replications.parquet")


def test_select_extends_the_folders_in_contention_and_writes_selection_json(sweep, capsys):
    before = {job: reps(sweep / job) for job in ("0", "1")}
    plot = sweep / "0" / "plots" / "distributions.png"
    drawn_at = plot.stat().st_mtime_ns
    proc = ok(blockade("select", "sw", *ARGS, cwd=sweep.parent))
    doc = json.loads((sweep / "selection.json").read_text())
    assert doc["metric"] == "export_decline" and doc["delta"] == 2 and doc["delta_unit"] == "pp"
    assert doc["settings"]["delta"] == pytest.approx(0.02)  # 2 pp, stored as a fraction
    assert doc["best"] in NAMES and [a["name"] for a in doc["alternatives"]] == list(NAMES)
    for alt in doc["alternatives"]:
        folder = sweep / alt["folder"]
        now = reps(folder)
        assert len(now) == alt["replications_in_folder"] >= 6
        assert alt["replications_added"] == len(now) - 4
        assert 6 <= alt["n"] <= len(now)
        old = before[alt["folder"]]
        # extended, not rerun: the first four replications are the ones that were there
        pd.testing.assert_frame_equal(now.iloc[:4].reset_index(drop=True), old)
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["sweep_id"] == json.loads((sweep / "sweep.json").read_text())["sweep_id"]
        assert manifest["replications_done"] == len(now)
    table = pd.read_parquet(sweep / "sweep.parquet")
    assert table["replications"].tolist() == [len(reps(sweep / j)) for j in ("0", "1")]
    assert plot.stat().st_mtime_ns > drawn_at  # the extended folder's plots are redrawn
    out = proc.stdout
    assert "Export decline (%)" in out and "indifference zone 2 pp" in out
    assert all(name in out for name in NAMES) and "Selection written to sw/selection.json" in out
    assert ("selected" in out) == doc["guaranteed"]
    # what a report shows of it: the same statement and rows, read back from selection.json
    from sim.decision.present import stored_selection

    shown = stored_selection(sweep)
    assert shown is not None and shown[0] == doc["statement"]
    assert sorted(r.cells[0] for r in shown[1].rows) == sorted(NAMES)
    assert stored_selection(sweep / "0") is None
    # Again: the folders hold enough now, so nothing is added and the answer is the same.
    from sim.cli import main

    assert main(["select", str(sweep), *ARGS]) == 0  # in this process: faster
    assert "Replications added: none" in capsys.readouterr().out
    redo = json.loads((sweep / "selection.json").read_text())
    assert [(a["n"], a["mean"]) for a in redo["alternatives"]] == [
        (a["n"], a["mean"]) for a in doc["alternatives"]
    ]


def test_select_over_run_folders_writes_next_to_them_or_in_out(sweep, capsys):
    from sim.cli import main

    status = main(["select", str(sweep / "0"), str(sweep / "1"), "--delta", "50", "--n0", "4"])
    out = capsys.readouterr().out
    assert status == 0, out
    doc = json.loads((sweep / "selection.json").read_text())  # the runs' common parent
    assert doc["stop"] in ("one_left", "tied") and doc["guaranteed"]
    assert all(a["replications_added"] == 0 for a in doc["alternatives"])  # 4 held, n0 = 4
    assert (
        main(
            [
                "select",
                str(sweep / "0"),
                str(sweep / "1"),
                "--delta",
                "50",
                "--n0",
                "4",
                "--out",
                str(sweep / "picked"),
            ]
        )
        == 0
    )
    assert json.loads((sweep / "picked" / "selection.json").read_text()) == doc | {
        "alternatives": [a | {"folder": "../" + a["folder"]} for a in doc["alternatives"]]
    }


def test_robust_gives_regret_and_satisficing_of_the_shared_draws(sweep):
    proc = ok(blockade("robust", "sw", "--target", "export_decline>=80", cwd=sweep.parent))
    a, b = reps(sweep / "0"), reps(sweep / "1")
    key = "court.delay_days.median"
    assert np.array_equal(a[key], b[key])  # the same draws: common random numbers
    values = np.vstack([a["export_decline"], b["export_decline"]])
    regret = values.max(axis=0) - values
    csv = pd.read_csv(sweep / "robustness.csv")
    assert csv["policy"].tolist() == list(NAMES)
    assert csv["regret mean (pp)"].tolist() == pytest.approx(100 * regret.mean(axis=1), rel=1e-3)
    met = (values >= 0.8).mean(axis=1)
    assert csv["meets export_decline >= 80% (%)"].tolist() == pytest.approx(100 * met, rel=1e-3)
    assert key in proc.stdout and "regret mean (pp)" in proc.stdout
    from sim.decision.objective import Objective
    from sim.decision.robustness import sweep_robustness

    df = sweep_robustness(sweep, Objective("export_decline", True))
    assert df["regret_mean"].tolist() == pytest.approx(regret.mean(axis=1))


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--delta", "0"], "--delta"),
        (["--delta", "-1"], "must be a positive number of pp (got -1)"),
        (["--delta", "2", "--alpha", "0.9"], "--alpha"),
        (["--delta", "2", "--metric", "nope"], "nope"),
        (["--delta", "2", "--metric", "days_to_storage_full"], "time to an event"),
        (["--delta", "2", "--metric", "team_utilization"], "--maximize or --minimize"),
        (["--delta", "2", "--n0", "1"], "--n0"),
        ([], "--delta"),
    ],
)
def test_select_mistakes_are_one_line(built, capsys, args, key):
    refused_in_process(capsys, key, "select", str(built), *args)


def test_folder_mistakes_are_one_line(built, tmp_path, capsys):
    refused_in_process(
        capsys, "sweep folder", "select", str(built), str(built / "0"), "--delta", "2"
    )
    refused_in_process(
        capsys, "no such folder", "select", str(tmp_path / "x"), str(built / "0"), "--delta", "2"
    )
    refused_in_process(capsys, "not a finished", "robust", str(tmp_path), str(built / "0"))
    refused_in_process(capsys, "write 60 for 60%", "robust", str(built), "--target", ">=0.6")


def test_the_sweep_table_and_report_carry_regret_and_satisficing(built, tmp_path):
    from sim.analysis import write_report

    table = pd.read_parquet(built / "sweep.parquet")
    values = np.vstack([reps(built / str(d))["export_decline"].to_numpy() for d in table.run_dir])
    regret = values.max(axis=0) - values  # larger decline is better; same draw per column
    assert table["export_decline_mean_regret"].to_numpy() == pytest.approx(regret.mean(axis=1))
    assert table["export_decline_best_share"].to_numpy() == pytest.approx(
        (regret == 0).mean(axis=1)
    )
    met = (values >= 0.5).mean(axis=1)  # the summaries' tail: a decline of at least 50%
    assert table["export_decline_target_share"].to_numpy() == pytest.approx(met)
    csv = pd.read_csv(built / "sweep.csv")
    assert csv["Export decline mean regret (pp)"].to_numpy() == pytest.approx(
        100 * regret.mean(axis=1), rel=1e-3
    )
    assert "meets export_decline >= 50% (% of draws)" in csv.columns
    html = write_report(shutil.copytree(built, tmp_path / "sw")).read_text()
    assert "Robustness across the shared draws" in html and "policy=seize_on_sight" in html
