"""Issue 13's defects 1, 2, 3 (CLI half), 5, 6 and 8: each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.analysis.assumptions import AssumptionRow, assumption_rows

SCENARIO = "venezuela_dec2025"


def _rows(overrides: list[str], manifest: dict | None = None) -> dict[str, AssumptionRow]:
    cfg = sim.load_config(SCENARIO, overrides).to_dict()
    return {r.key: r for r in assumption_rows(cfg, manifest)[0]}


# --------------------------------------------------------------------------- defect 1


def test_a_value_set_over_an_empty_mapping_is_shown_with_no_borrowed_basis() -> None:
    """The file's ``breakout: {}`` (no coordinated breakout) must not stand for a run that set
    ``behaviour.breakout.group=4``: the row shows 4, says it was an override, and does not
    give the file's reason as this value's basis."""
    recorded = {"policy": None, "overrides": ["behaviour.breakout.group=4"]}
    for manifest in (recorded, None):  # recorded by the CLI, or not (a run from Python)
        row = _rows(["behaviour.breakout.group=4"], manifest)["behaviour.breakout"]
        assert row.overridden and row.kind == "override", row
        assert "group: 4" in row.value and row.file_value == "{}"
        assert "no coordinated breakout" not in row.note
        text = row.explanation()
        assert text.startswith("set by an override in this run"), text
        assert "scenario file: {} (no coordinated breakout" in text


def test_a_policy_file_value_is_shown_with_the_policy_files_basis() -> None:
    """``policy=enter_after_14d`` sets enter_waters_after_days, which the scenario file says is
    null ("US forces wait for vessels to leave waters"): the row shows 14 and the policy
    file's own source."""
    for manifest in ({"policy": "enter_after_14d", "overrides": []}, None):
        rows = _rows(["policy=enter_after_14d"], manifest)
        row = rows["policy.enter_waters_after_days"]
        assert (row.value, row.file_value, row.overridden) == ("14", "null", True), row
        assert row.kind == "source" and row.note.startswith("F4 (officials"), row
        assert "US forces wait" not in row.note
        assert row.explanation().startswith("set by policy/enter_after_14d.yaml: F4 (officials")
        assert "scenario file: null (F4 (US forces wait" in row.explanation()
        # the policy's other keys equal the scenario's: those rows are the file's, unchanged
        assert not rows["court.policy"].overridden and rows["court.policy"].kind == "source"


def test_an_override_on_top_of_a_policy_is_an_override() -> None:
    overrides = ["policy=enter_after_14d", "policy.enter_waters_after_days=20"]
    manifest = {"policy": "enter_after_14d", "overrides": ["policy.enter_waters_after_days=20"]}
    row = _rows(overrides, manifest)["policy.enter_waters_after_days"]
    assert (row.value, row.kind, row.note) == ("20", "override", "")


def test_an_uncertain_key_fixed_by_an_override_is_not_shown_as_drawn() -> None:
    rows = _rows(["court.delay_days.median=3"])
    row = rows["uncertain.court.delay_days.median"]
    assert row.overridden and row.value == "not drawn in this run", row
    assert rows["court.delay_days"].overridden and "median: 3" in rows["court.delay_days"].value


def test_the_default_run_has_no_overridden_row() -> None:
    rows = _rows([])
    assert rows and not any(r.overridden for r in rows.values())
    assert all(r.kind in ("source", "assumption") for r in rows.values())


# --------------------------------------------------------------------------- defects 2 and 6

#: A user's scenario file that composes (the smallest valid one).
GOOD = """\
# @package _global_
name: mine
horizon_days: 12
production: {export_bpd: 100000}
terminal: {storage_capacity_bbl: 5000000, storage_init_bbl: 1000000, loading_rate_bpd: 500000}
fleet:
  mode: open
  classes: {Aframax: 700000}
  arrival_rate_per_day: 0.2
  arrival_mix: [{class: Aframax, status: sanctioned}]
"""

#: (file text or bytes, words the one line must hold), by case.
BROKEN_SCENARIOS: dict[str, tuple[str | bytes, tuple[str, ...]]] = {
    "syntax": ("name: x\nhorizon_days: 5: 6\n", ("scenario/x.yaml:2:16", "invalid YAML")),
    "unclosed": ("name: [x\n", ("scenario/x.yaml:2:1", "invalid YAML")),
    "tab": ("name: x\n\thorizon_days: 5\n", ("scenario/x.yaml:2:1", "tab")),
    "list": ("- a\n- b\n", ("scenario/x.yaml", "mapping", "a list")),
    "number": ("42\n", ("scenario/x.yaml", "mapping", "a number")),
    "text": ("just words\n", ("scenario/x.yaml", "mapping", "a string")),
    "empty": ("", ("scenario/x.yaml", "empty")),
    "comment_only": ("# @package _global_\n", ("scenario/x.yaml", "empty")),
    "not_utf8": (b"name: \xff\xfe\n", ("scenario/x.yaml", "UTF-8")),
    "bad_interpolation": (GOOD + "description: ${foo\n", ("description", "${foo")),
}


def _folder(tmp_path: Path, text: str | bytes, group: str = "scenario", name: str = "x") -> Path:
    (tmp_path / group).mkdir(parents=True, exist_ok=True)
    path = tmp_path / group / f"{name}.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return tmp_path


def _one_line(message: str, words: tuple[str, ...]) -> None:
    assert "\n" not in message and "Traceback" not in message, message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("case", list(BROKEN_SCENARIOS))
def test_a_broken_scenario_file_is_one_line_naming_it(tmp_path, case, capsys, monkeypatch):
    from cli_helpers import refused_in_process

    text, words = BROKEN_SCENARIOS[case]
    folder = _folder(tmp_path, text)
    with pytest.raises(sim.ConfigError) as err:
        sim.load_config("x", config_dir=folder)
    _one_line(str(err.value), words)
    monkeypatch.chdir(tmp_path)
    refused_in_process(capsys, words[0], "--config-dir", str(folder), "scenario=x")


def test_a_broken_policy_file_is_one_line_naming_it(tmp_path, capsys, monkeypatch):
    from cli_helpers import refused_in_process

    folder = _folder(tmp_path, "court: {policy: [\n", group="policy", name="mine")
    with pytest.raises(sim.ConfigError) as err:
        sim.load_config(SCENARIO, ["policy=mine"], config_dir=folder)
    _one_line(str(err.value), ("policy/mine.yaml:2:1", "invalid YAML"))
    _folder(tmp_path, "- on_departure\n", group="policy", name="listed")
    with pytest.raises(sim.ConfigError, match=r"policy/listed\.yaml: must be a mapping"):
        sim.load_config(SCENARIO, ["policy=listed"], config_dir=folder)
    monkeypatch.chdir(tmp_path)
    refused_in_process(capsys, "policy/mine.yaml:2:1", "--config-dir", str(folder), "policy=mine")
    refused_in_process(capsys, "policy/mine.yaml", "-m", "--config-dir", str(folder), "policy=mine")


def test_a_missing_scenario_says_where_it_looked_and_what_it_expects(tmp_path, capsys):
    from cli_helpers import refused_in_process

    (tmp_path / "x.yaml").write_text(GOOD)  # at the top of the folder, not in scenario/
    with pytest.raises(sim.ConfigError) as err:
        sim.load_config("x", config_dir=tmp_path)
    message = str(err.value)
    _one_line(message, (f"{tmp_path}/scenario/x.yaml", "DIR/scenario/NAME.yaml", "venezuela"))
    assert f"{tmp_path}/x.yaml" in message and "move it" in message
    refused_in_process(capsys, "scenario/x.yaml", "--config-dir", str(tmp_path), "scenario=x")
    # Without a folder: the bundled ones, and where one's own go.
    with pytest.raises(sim.ConfigError) as err:
        sim.load_config("nope")
    _one_line(str(err.value), ("scenario=nope", "venezuela_dec2025", "--config-dir DIR"))
    # A policy variant: DIR/policy/NAME.yaml.
    with pytest.raises(sim.ConfigError) as err:
        sim.load_config(SCENARIO, ["policy=nope"], config_dir=tmp_path)
    _one_line(str(err.value), (f"{tmp_path}/policy/nope.yaml", "enter_after_14d"))


def test_a_scenario_named_like_a_bundled_one_is_refused_not_ignored(tmp_path):
    """Hydra reads the bundled file first: a user's scenario/venezuela_dec2025.yaml would be
    silently ignored."""
    folder = _folder(tmp_path, GOOD, name=SCENARIO)
    with pytest.raises(sim.ConfigError) as err:
        sim.load_config(SCENARIO, config_dir=folder)
    _one_line(str(err.value), (f"scenario/{SCENARIO}.yaml", "bundled", "rename"))


def test_a_good_user_scenario_and_policy_still_load(tmp_path):
    folder = _folder(tmp_path, GOOD, name="mine")
    _folder(tmp_path, "# @package _global_\nnavy: {boarding_teams: 7}\n", "policy", "seven")
    cfg = sim.load_config("mine", config_dir=folder)
    assert (cfg.name, cfg.horizon_days) == ("mine", 12)
    cfg = sim.load_config(SCENARIO, ["policy=seven"], config_dir=folder)
    assert cfg.navy.boarding_teams == 7


def test_a_policy_file_without_its_package_line_is_one_line(tmp_path):
    folder = _folder(tmp_path, "navy: {boarding_teams: 2}\n", "policy", "two")
    with pytest.raises(sim.ConfigError) as err:
        sim.load_config(SCENARIO, ["policy=two"], config_dir=folder)
    _one_line(str(err.value), ("policy/two.yaml", "policy.navy", "# @package _global_"))
    _folder(tmp_path, "enter_waters_after_days: 3\n", "policy", "wait3")  # its own section
    assert (
        sim.load_config(
            SCENARIO, ["policy=wait3"], config_dir=folder
        ).policy.enter_waters_after_days
        == 3
    )


def test_the_readmes_scenario_folder_example_loads(tmp_path):
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n# (my_scenarios/\S+)\n(.*?)```", readme, re.S)
    assert [b[0] for b in blocks] == [
        "my_scenarios/scenario/my_case.yaml",
        "my_scenarios/policy/two_teams.yaml",
    ]
    for rel, body in blocks:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(body)
    folder = tmp_path / "my_scenarios"
    assert sim.load_config("my_case", config_dir=folder).navy.boarding_teams == 5
    cfg = sim.load_config("my_case", overrides=["policy=two_teams"], config_dir=folder)
    assert (cfg.name, cfg.navy.boarding_teams, cfg.horizon_days) == ("my_case", 2, 90)


# --------------------------------------------------------------------------- defect 3


def test_the_manifest_record_of_a_command_line() -> None:
    from sim.describe import manifest_fields

    fields = manifest_fields(
        ["scenario=venezuela_dec2025", "policy=enter_after_14d", "++navy.boarding_teams=4"]
    )
    assert fields == {"policy": "enter_after_14d", "overrides": ["navy.boarding_teams=4"]}
    assert manifest_fields([]) == {"policy": None, "overrides": []}
    assert manifest_fields(["~policy"])["policy"] is None


def test_run_title_names_policy_and_overrides_recorded_or_inferred() -> None:
    from sim.describe import run_title

    plain = sim.load_config(SCENARIO)
    assert run_title({"policy": None, "overrides": []}, plain) == (
        f"Scenario {SCENARIO}, no policy variant, no overrides"
    )
    recorded = {"policy": "enter_after_14d", "overrides": ["navy.boarding_teams=4"]}
    cfg = sim.load_config(SCENARIO, ["policy=enter_after_14d", "navy.boarding_teams=4"])
    title = run_title(recorded, cfg)
    assert title == f"Scenario {SCENARIO}, policy enter_after_14d, overrides: navy.boarding_teams=4"
    # how many replications and on what executor is not what was simulated: not in the title
    run_control = {**recorded, "overrides": ["experiment.replications=8", "horizon_days=20"]}
    assert run_title(run_control, cfg).endswith("overrides: horizon_days=20")
    # No record (a run from Python, an older folder): inferred from the config alone.
    inferred = run_title({}, cfg.to_dict())
    assert inferred == (
        f"Scenario {SCENARIO}, policy enter_after_14d, overrides: navy.boarding_teams=4 "
        "(inferred from its config)"
    )
    assert run_title({}, plain) == (
        f"Scenario {SCENARIO}, no policy variant, no overrides (inferred from its config)"
    )


def test_the_summary_header_names_the_policy_and_the_overrides(tmp_path) -> None:
    import json

    from cli_helpers import blockade, ok

    from sim.cli.summary import format_summary

    fast = ["experiment.replications=4", "experiment.executor=serial", "horizon_days=10"]
    proc = ok(blockade("policy=enter_after_14d", *fast, "hydra.run.dir=p", cwd=tmp_path))
    head = proc.stdout.splitlines()[0]
    assert head == (f"Scenario {SCENARIO}, policy enter_after_14d, overrides: horizon_days=10"), (
        proc.stdout
    )
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert manifest["policy"] == "enter_after_14d"
    assert manifest["overrides"] == fast
    # the same from the stored folder, and a default run's header differs
    assert format_summary(sim.load_results(tmp_path / "p")).splitlines()[0] == head
    cfg = sim.load_config(SCENARIO, ["horizon_days=10"])
    res = sim.run_experiment(cfg, replications=2, workers=1, executor="serial", progress=False)
    plain = format_summary(res).splitlines()[0]
    inferred = "no policy variant, overrides: horizon_days=10 (inferred from its config)"
    assert plain == f"Scenario {SCENARIO}, {inferred}"


# --------------------------------------------------------------------------- defect 5


def _decline_table(tmp_path: Path) -> Path:
    """70 cases whose decline (a fraction, as tables store it) is 0.4 + 0.4 * a."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(5)
    df = pd.DataFrame({"a": rng.uniform(size=70), "b": rng.uniform(size=70)})
    df["export_decline"] = 0.4 + 0.4 * df["a"]
    df["seizures"] = np.round(10 * df["b"])
    path = tmp_path / "cases.parquet"
    df.to_parquet(path)
    return path


def test_discover_takes_the_decline_threshold_in_percent(tmp_path, capsys) -> None:
    pytest.importorskip("sklearn")
    from sim.cli.discover import discovery_main

    table = _decline_table(tmp_path)
    assert discovery_main([str(table), "--threshold", "70"]) == 0
    out = capsys.readouterr().out
    head = out.splitlines()[0]
    assert head.startswith("Cases with export decline > 70% (export_decline > 0.7 as stored)")
    import pandas as pd

    n = int((pd.read_parquet(table)["export_decline"] > 0.7).sum())
    assert 0 < n < 70 and f": {n} of 70" in head
    assert "a >" in out  # the rule is on a
    # a count has no other unit: as given
    assert discovery_main([str(table), "--output", "seizures", "--threshold", "5"]) == 0
    assert capsys.readouterr().out.startswith("Cases with seizures > 5 tankers:")


@pytest.mark.parametrize(
    ("threshold", "words"),
    [
        ("170", ("no case is above 170%", "40", "80", "in %")),
        ("0.7", ("every case is above 0.7%", "in %")),
        ("-5", ("every case is above -5%",)),
    ],
)
def test_discover_refuses_a_threshold_outside_the_cases(tmp_path, capsys, threshold, words):
    pytest.importorskip("sklearn")
    from sim.cli.discover import discovery_main

    code = discovery_main([str(_decline_table(tmp_path)), "--threshold", threshold])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("blockade discover: error: threshold:"), err
    for word in words:
        assert word in err, err


# --------------------------------------------------------------------------- defect 8


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished two-point sweep folder (boarding teams 1 and 3), made through the API."""
    from sim.experiment.atomic import write_json_atomic
    from sim.experiment.hashing import config_hash
    from sim.sweep_table import PLAN_FILE, SweepJob, SweepPlan, aggregate_sweep

    folder = tmp_path_factory.mktemp("sweep")
    fixed = ["++horizon_days=20", "policy=enter_after_14d"]
    points = [(f"++navy.boarding_teams={t}", *fixed) for t in (1, 3)]
    configs = [sim.load_config(SCENARIO, list(p)) for p in points]
    plan = SweepPlan(
        folder,
        tuple(
            SweepJob(i, str(i), p, config_hash(c))
            for i, (p, c) in enumerate(zip(points, configs, strict=True))
        ),
    )
    write_json_atomic(folder / PLAN_FILE, plan.to_json("running"))
    for job, cfg in zip(plan.jobs, configs, strict=True):
        sim.run_experiment(
            cfg,
            replications=6,
            workers=1,
            executor="serial",
            progress=False,
            out_dir=folder / job.dir,
            manifest_extra={"sweep_id": plan.id, "sweep_job": job.job},
        )
    aggregate_sweep(folder)
    return folder


def test_sweep_csv_is_a_table_for_a_spreadsheet(small_sweep: Path) -> None:
    import math

    import pandas as pd

    from sim.metrics import HEADLINES, metric

    csv = pd.read_csv(small_sweep / "sweep.csv")
    exact = pd.read_parquet(small_sweep / "sweep.parquet")
    columns = list(csv.columns)
    assert columns[:3] == ["navy.boarding_teams", "job", "replications"], columns
    # 9 headline metrics x 5 statistics, the tail, 4 robustness columns, the keys: not 180
    assert len(columns) <= 60 < len(exact.columns), (len(columns), len(exact.columns))
    for stat in ("mean", "95% CI low", "95% CI high", "p05", "p95"):
        assert f"Export decline (%) {stat}" in columns
    assert "P(export decline < 50%) (% of runs)" in columns
    # every headline metric is there, by its heading (a time to an event: its share)
    for name, _ in HEADLINES:
        m = metric(name + "_share") if metric(name).time_to_event else metric(name)
        assert f"{m.heading} mean" in columns, name
    assert columns[-2:] == ["horizon_days", "policy"]  # the keys every point sets alike
    # in percent, to 4 significant digits, the same numbers as the exact table
    for col, stat in (("mean", "mean"), ("95% CI low", "ci_low"), ("p95", "p95")):
        shown = csv[f"Export decline (%) {col}"].tolist()
        for got, want in zip(shown, exact[f"export_decline_{stat}"], strict=True):
            assert got == pytest.approx(float(f"{100 * want:.4g}"), abs=0), (got, want)
    numbers = csv.select_dtypes("number").to_numpy().ravel()
    finite = [float(x) for x in numbers if math.isfinite(x)]
    assert finite and all(float(f"{x:.4g}") == x for x in finite)  # 4 significant digits
    # the exact table keeps every column, unrounded, the decline a fraction
    assert "export_decline_ci_low" in exact.columns and "simpy_events_mean" in exact.columns
    assert exact["export_decline_mean"].max() <= 1 and not math.isclose(
        exact["export_decline_mean"].iloc[0], round(exact["export_decline_mean"].iloc[0], 4)
    )


def test_sweep_readers_use_the_exact_table(small_sweep: Path, tmp_path: Path) -> None:
    import shutil

    from sim.sweep_table import load_sweep, sweep_metrics

    assert "export_decline" in sweep_metrics(load_sweep(small_sweep))
    copy = tmp_path / "copy"
    shutil.copytree(small_sweep, copy)
    (copy / "sweep.parquet").unlink()
    with pytest.raises(FileNotFoundError, match=r"sweep\.parquet.*sweep\.csv is the readable"):
        load_sweep(copy)


def test_a_run_of_an_own_scenario_without_a_record_says_so(tmp_path) -> None:
    from sim.describe import run_title

    cfg = sim.load_config("mine", config_dir=_folder(tmp_path, GOOD, name="mine"))
    assert run_title({}, cfg) == "Scenario mine (policy variant and overrides not recorded)"
    assert run_title({"policy": "p", "overrides": ["a=1"]}, cfg) == (
        "Scenario mine, policy p, overrides: a=1"
    )


@pytest.mark.parametrize(
    ("name", "where", "hint"),
    [
        ("x.yaml", "", "did you mean scenario=x?"),
        ("X", "", "did you mean scenario=x?"),
        ("x", "scenario", "give --config-dir the folder that holds scenario/"),
    ],
)
def test_a_misspelt_scenario_gets_a_hint(tmp_path, name, where, hint):
    _folder(tmp_path, GOOD)
    with pytest.raises(sim.ConfigError) as err:
        sim.load_config(name, config_dir=tmp_path / where)
    _one_line(str(err.value), (f"scenario={name}", hint))
