"""The ``blockade`` command, run as a subprocess: single runs, sweeps, compare, error exits."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import blockade, ok

import sim

# Small, fast experiments: 8 replications of 20 days, in-process.
FAST = ["experiment.replications=8", "experiment.executor=serial", "horizon_days=20"]
RUN_PLOT_NAMES = (
    "exports_fan",
    "storage_shut_ins",
    "stranded_waiting",
    "distributions",
    "timeline",
)
RESULT_FILES = (
    "config.yaml",
    "replications.parquet",
    "timeseries.parquet",
    "summary.json",
    "manifest.json",
)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def run_a(work: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One finished single run (the default navy)."""
    proc = ok(blockade(*FAST, "hydra.run.dir=run_a", cwd=work))
    return work / "run_a", proc


@pytest.fixture(scope="module")
def run_b(work: Path) -> Path:
    """The same scenario with a single boarding team (same root seed), via ``python -m sim``."""
    ok(blockade(*FAST, "navy.boarding_teams=1", "hydra.run.dir=run_b", cwd=work, module=True))
    return work / "run_b"


def test_single_run_writes_the_result_folder_and_prints_the_summary(run_a):
    folder, proc = run_a
    for name in RESULT_FILES:
        assert (folder / name).is_file(), name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["replications_done"] == 8
    reps = pd.read_parquet(folder / "replications.parquet")
    assert len(reps) == 8 and "export_decline" in reps.columns
    out = proc.stdout
    for label in (
        "Export decline",
        "Exported (thousand bpd)",
        "Exported, no blockade (thousand bpd)",
        "Seizures",
        "Seized",
        "Stranded",
        "Shut in",
        "Days to storage full",
        "Turnbacks",
        "95% CI",
    ):
        assert label in out, label
    assert "Replications: 8" in out
    assert "Results: run_a" in out
    assert "Plots and report: blockade report run_a  (or run with --plots)" in out
    assert proc.stderr.strip() == ""
    assert not (folder / "plots").exists()  # drawn on demand: --plots or blockade report


def test_plots_flag_draws_the_plots(tmp_path):
    proc = ok(blockade(*FAST, "--plots", "hydra.run.dir=drawn", cwd=tmp_path))
    folder = tmp_path / "drawn"
    for name in RUN_PLOT_NAMES:
        assert (folder / "plots" / f"{name}.png").stat().st_size > 1000, name
    assert "Plots: drawn/plots  (report: blockade report drawn)" in proc.stdout
    assert not (folder / ".hydra" / "overrides.yaml").read_text().count("plots")


def test_report_draws_the_run_plots(run_a, tmp_path):
    folder = tmp_path / "run_a"  # a copy: run_a itself stays as the run left it
    shutil.copytree(run_a[0], folder)
    proc = ok(blockade("report", "run_a", cwd=tmp_path))
    for name in RUN_PLOT_NAMES:
        assert (folder / "plots" / f"{name}.png").stat().st_size > 1000, name
    html = (folder / "report.html").read_text()
    assert "report.html" in proc.stdout and html.count("data:image/png;base64,") >= 5


def test_report_of_a_missing_folder_exits_2(tmp_path):
    proc = blockade("report", "nowhere", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "nowhere" in proc.stderr


def test_default_run_folder_is_named_by_scenario(tmp_path):
    ok(blockade(*FAST, "experiment.replications=2", cwd=tmp_path))
    runs = list((tmp_path / "results" / "runs" / "venezuela_dec2025").iterdir())
    assert len(runs) == 1 and (runs[0] / "summary.json").is_file()


def test_two_point_sweep_writes_the_sweep_table(tmp_path):
    from sim.sweep_table import aggregate_sweep

    proc = ok(
        blockade(
            "-m", *FAST, "navy.boarding_teams=1,3", "hydra.sweep.dir=sw", "--plots", cwd=tmp_path
        )
    )
    sweep = tmp_path / "sw"
    table = pd.read_parquet(sweep / "sweep.parquet")  # exact; sweep.csv is rounded
    assert len(table) == 2
    assert sorted(table["navy.boarding_teams"]) == [1, 3]
    assert set(table["horizon_days"]) == {20}
    for col in ("export_decline_mean", "export_decline_ci_low", "export_decline_ci_high"):
        assert col in table.columns
    assert "seizures_mean" in table.columns and "exported_bbl_ci_high" in table.columns
    assert (table["export_decline_ci_low"] <= table["export_decline_mean"]).all()
    # the spread of single runs beside the interval of the mean
    assert (table["export_decline_p05"] <= table["export_decline_ci_low"]).all()
    assert (table["export_decline_p95"] >= table["export_decline_ci_high"]).all()
    assert "one run, p05 to p95" in proc.stdout
    # the tail probability, from each point's replications
    for job, share in zip(table["job"], table["export_decline_p_tail"], strict=True):
        reps = pd.read_parquet(sweep / str(job) / "replications.parquet")
        assert share == pytest.approx((reps["export_decline"] < 0.5).mean())
    assert "P(< 50%)" in proc.stdout
    readable = pd.read_csv(sweep / "sweep.csv")  # for a spreadsheet: headings, %, rounded
    assert readable.columns[0] == "navy.boarding_teams" and len(readable) == 2
    assert readable["Export decline (%) mean"].tolist() == pytest.approx(
        (100 * table["export_decline_mean"]).tolist(), rel=1e-3
    )
    for job in ("0", "1"):
        assert (sweep / job / "summary.json").is_file()
        assert (sweep / job / ".hydra" / "overrides.yaml").is_file()
    # Paired: every point ran replication i with the same seed.
    seeds = [pd.read_parquet(sweep / j / "replications.parquet")["seed"] for j in ("0", "1")]
    assert seeds[0].tolist() == seeds[1].tolist()
    # The aggregation also works on its own and matches what the sweep wrote.
    again = aggregate_sweep(sweep, write=False)
    assert again["export_decline_mean"].tolist() == pytest.approx(
        table["export_decline_mean"].tolist()
    )
    assert "sweep.csv" in proc.stdout
    # --plots: sweep plots (one swept key: line plots) and every point's run plots.
    assert "Plots: sw/plots  (report: blockade report sw)" in proc.stdout
    assert list((sweep / "plots").glob("lines_export-decline*.png"))
    for job in ("0", "1"):
        assert (sweep / job / "plots" / "exports_fan.png").stat().st_size > 0
    report = ok(blockade("report", "sw", cwd=tmp_path))
    assert (sweep / "report.html").is_file() and "report.html" in report.stdout


@pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_joblib_launcher") is None,
    reason="hydra-joblib-launcher not installed",
)
def test_sweep_with_the_joblib_launcher(tmp_path):
    ok(
        blockade(
            "-m",
            *FAST,
            "experiment.replications=4",
            "navy.detection_prob=0.5,0.9",
            "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2",
            "hydra.sweep.dir=sw",
            cwd=tmp_path,
        )
    )
    table = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert sorted(table["navy.detection_prob"]) == [0.5, 0.9]
    assert table["replications"].tolist() == [4, 4]
    assert not list((tmp_path / "sw").glob("**/*.png"))  # no --plots: none drawn


def test_compare_prints_a_paired_difference_table(run_a, run_b, work):
    folder_a, _ = run_a
    proc = ok(blockade("compare", str(folder_a), str(run_b), "--csv", "cmp.csv", cwd=work))
    assert "B - A" in proc.stdout and "95% CI" in proc.stdout
    assert "Export decline" in proc.stdout and "Seizures" in proc.stdout
    table = pd.read_csv(work / "cmp.csv", index_col="metric")
    assert {"mean", "ci_low", "ci_high", "n"} <= set(table.columns)
    assert table.loc["seizures", "n"] == 8
    a = pd.read_parquet(folder_a / "replications.parquet")
    b = pd.read_parquet(run_b / "replications.parquet")
    assert table.loc["seizures", "mean"] == pytest.approx((b["seizures"] - a["seizures"]).mean())
    assert "Pairs: 8 replications run in both (A has 8, B has 8)." in proc.stdout


def test_compare_says_how_many_replications_it_paired(run_a, work):
    """A run of 5 against one of 8: 5 pairs, and the 3 left out are named."""
    folder_a, _ = run_a
    ok(blockade(*FAST, "experiment.replications=5", "hydra.run.dir=run_five", cwd=work))
    proc = ok(blockade("compare", str(folder_a), "run_five", cwd=work))
    assert "Pairs: 5 replications run in both (A has 8, B has 5); left out: 3 of A's" in (
        proc.stdout
    )


def test_compare_refuses_runs_without_a_shared_seed(run_a, work):
    folder_a, _ = run_a
    ok(blockade(*FAST, "experiment.seed=7", "hydra.run.dir=run_seed7", cwd=work))
    proc = blockade("compare", str(folder_a), "run_seed7", cwd=work)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "seed" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["navy.no_such_key=1"], "navy.no_such_key"),
        (["navy.detection_prob=1.5"], "navy.detection_prob"),
        (["navy.detection_prob=[0.5"], "navy.detection_prob"),
        (["policy=no_such_policy"], "policy"),
        (["-m", "navy.boarding_teams=2,-1"], "navy.boarding_teams"),
    ],
    ids=["unknown-key", "bad-value", "bad-syntax", "unknown-policy", "bad-sweep-point"],
)
def test_errors_exit_2_with_one_line_naming_the_key(tmp_path, args, key):
    proc = blockade(*args, *FAST, "hydra.run.dir=out", "hydra.sweep.dir=sw", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("blockade: error:") and key in lines[0]
    assert "Traceback" not in proc.stderr
    # Validation happens before Hydra runs anything: no folder was created.
    assert not (tmp_path / "out").exists() and not (tmp_path / "sw").exists()


def test_rerun_with_a_different_config_is_refused(run_a, work):
    folder, _ = run_a
    before = (folder / ".hydra" / "overrides.yaml").read_text()
    proc = blockade(*FAST, "navy.boarding_teams=2", f"hydra.run.dir={folder}", cwd=work)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "different config" in proc.stderr and "Traceback" not in proc.stderr
    assert (folder / ".hydra" / "overrides.yaml").read_text() == before


def test_rerun_with_the_same_config_resumes(tmp_path):
    ok(blockade(*FAST, "experiment.replications=4", "hydra.run.dir=out", cwd=tmp_path))
    proc = ok(blockade(*FAST, "experiment.replications=6", "hydra.run.dir=out", cwd=tmp_path))
    assert "Replications: 6" in proc.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["replications_done"] == 6
    assert len(pd.read_parquet(tmp_path / "out" / "replications.parquet")) == 6


def test_hydra_help_and_cfg_still_work(tmp_path):
    proc = ok(blockade("--help", cwd=tmp_path, module=True))
    assert "policy:" in proc.stdout and "scenario:" in proc.stdout
    proc = ok(blockade("--cfg", "job", "navy.boarding_teams=2", cwd=tmp_path))
    assert "boarding_teams: 2" in proc.stdout
    assert not (tmp_path / "results").exists()


# --------------------------------------------------------------------------- in process


def test_sweep_points_follow_hydras_job_order():
    """range() x choice(): the order Hydra 1.3's BasicSweeper launches (recorded from it),
    a repeated key keeping its first place and its last value."""
    from sim.cli.hydra_args import sweep_points
    from sim.compose import parse_overrides

    line = [
        "++navy.boarding_teams=range(1,4)",
        "++horizon_days=20",
        "policy=choice(none,strict)",
        "++navy.detection_prob=0.5",
        "++horizon_days=30",
    ]
    fixed = ["++horizon_days=30", "++navy.detection_prob=0.5"]
    expected = [
        [f"++navy.boarding_teams={n}", fixed[0], f"policy={p}", fixed[1]]
        for n in (1, 2, 3)
        for p in ("none", "strict")
    ]
    assert sweep_points(parse_overrides(line)) == expected


@pytest.mark.parametrize(
    ("sweep", "needle"),
    [("shuffle(1,2)", "shuffle"), ("interval(1,2)", "INTERVAL_SWEEP")],
)
def test_sweeps_the_plan_cannot_number_are_refused(sweep, needle):
    from sim.cli.common import CliError
    from sim.cli.hydra_args import sweep_points
    from sim.compose import parse_overrides

    with pytest.raises(CliError, match=needle):
        sweep_points(parse_overrides([f"++navy.boarding_teams={sweep}"]))


def test_hydras_flags_are_parsed_without_hydras_private_parser():
    from sim.cli.common import CliError
    from sim.cli.hydra_args import args_parser

    args = args_parser().parse_args(["-m", "-cd", "mine", "--cfg", "job", "a=1", "--info"])
    assert args.multirun and args.config_dir == "mine" and args.cfg == "job"
    assert args.overrides == ["a=1"] and args.info == "all"
    with pytest.raises(CliError, match="--bogus"):
        args_parser().parse_args(["--bogus"])


def test_a_job_runs_only_the_plans_point_of_its_number(tmp_path):
    """Hydra's job N must have the plan's overrides of job N; otherwise one line, no run."""
    import pickle

    from sim.cli.app import Job
    from sim.cli.common import CliError

    cfg = sim.load_config(overrides=["horizon_days=5"])
    job = Job((cfg, cfg), (("++a=1",), ("++a=2",)))
    job._check(1, ("++a=2",))
    for num, overrides in ((1, ("++a=1",)), (2, ("++a=3",))):
        with pytest.raises(CliError, match=f"job {num}: Hydra's overrides"):
            job._check(num, overrides)
    assert pickle.loads(pickle.dumps(job)) == job  # what the joblib launcher does


def test_no_private_hydra_module_is_imported():
    """What lets pyproject.toml leave hydra-core unpinned: only Hydra's public API is used."""
    import ast

    root = Path(__file__).resolve().parents[1]
    private = []
    for path in [*root.glob("sim/**/*.py"), *root.glob("benchmarks/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            private += [f"{path.name}: {n}" for n in names if n.startswith("hydra._internal")]
    assert private == []
