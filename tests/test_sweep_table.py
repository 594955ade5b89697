"""The sweep table's one owner (sim.sweep_table): the plan's record, the fallback, the walker;
and the registry rules its readers rely on (differences of percentages, per-day metrics)."""

from __future__ import annotations

import json

import pandas as pd

from sim.metrics import metric, per_day_source
from sim.sweep_table import (
    OVERRIDES_ATTR,
    SWEPT_ATTR,
    SweepJob,
    SweepPlan,
    fixed_overrides,
    infer_override_columns,
    load_sweep,
    override_columns,
    point_dirs,
    swept_keys,
)


def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "job": [0, 1],
            "run_dir": ["0", "1"],
            "navy.boarding_teams": [2, 4],
            "experiment.replications": [5, 5],
            "note": ["x", "y"],  # a column no plan wrote: only a guess takes it for a key
            "replications": [5, 5],
            "target_met": [None, None],
            "export_decline_mean": [0.1, 0.2],
            "export_decline_p_tail": [1.0, 1.0],
        }
    )


def test_without_a_record_the_columns_are_inferred_in_one_place():
    df = table()
    assert infer_override_columns(df) == ["navy.boarding_teams", "experiment.replications", "note"]
    assert override_columns(df) == infer_override_columns(df)
    assert swept_keys(df) == ["navy.boarding_teams", "note"]


def test_the_plans_record_names_the_parameter_columns():
    df = table()
    df.attrs[OVERRIDES_ATTR] = ["navy.boarding_teams", "experiment.replications"]
    df.attrs[SWEPT_ATTR] = ["navy.boarding_teams"]
    assert override_columns(df) == ["navy.boarding_teams", "experiment.replications"]
    assert swept_keys(df) == ["navy.boarding_teams"]
    assert fixed_overrides(df) == {"experiment.replications": "5"}


def test_a_sweep_folder_gives_its_table_the_plans_record(tmp_path):
    jobs = tuple(
        SweepJob(i, str(i), ("navy.boarding_teams=" + t, "++experiment.replications=5"), "h")
        for i, t in enumerate(("2", "4"))
    )
    plan = SweepPlan(tmp_path, jobs)
    assert plan.override_keys == ["navy.boarding_teams", "experiment.replications"]
    (tmp_path / "sweep.json").write_text(json.dumps(plan.to_json("complete")))
    table().to_csv(tmp_path / "sweep.csv", index=False)
    df = load_sweep(tmp_path)
    assert swept_keys(df) == ["navy.boarding_teams"]
    assert "note" not in override_columns(df)


def test_point_folders_are_finished_runs(tmp_path):
    for name, marker in (("0", "summary.json"), ("1", "manifest.json"), ("2", "summary.json")):
        (tmp_path / name).mkdir()
        (tmp_path / name / marker).write_text("{}")
    assert [p.name for p in point_dirs(tmp_path)] == ["0", "2"]


def test_a_difference_of_percentages_is_in_percentage_points():
    assert metric("export_decline").heading == "Export decline (%)"
    assert metric("diff_export_decline").heading == "Export decline, difference (pp)"
    assert metric("export_decline").difference().unit == "pp"
    assert metric("diff_seizures").unit == "tankers"
    assert metric("baseline_exported_bpd").label == "Exported, no blockade"


def test_per_day_metrics_name_their_source():
    assert per_day_source("exported_bpd") == "exported_bbl"
    assert per_day_source("baseline_exported_bpd") == "baseline_exported_bbl"
    assert per_day_source("seizures") is None
