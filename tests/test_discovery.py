"""Scenario discovery (sim.discovery): known boxes, sweep tables, real samples, CLI."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli.discover import discovery_main
from sim.discovery import (
    DiscoveryError,
    RuleTable,
    discover,
    format_rules,
    infer_inputs,
)
from sim.sensitivity import run_sensitivity


def box_table(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({c: rng.uniform(size=n) for c in ("a", "b", "c")})
    df["y"] = ((df["a"] > 0.5) & (df["b"] < 0.3)).astype(float)
    return df


def bounds(rule) -> dict[str, tuple[str, float]]:
    return {c.column: (c.op, c.value) for c in rule.conditions}


def test_recovers_a_known_box():
    df = box_table()
    table = discover(df, ["a", "b", "c"], "y", 0.5)
    assert isinstance(table, RuleTable)
    best = table[0]
    found = bounds(best)
    assert set(found) == {"a", "b"}
    assert found["a"][0] == ">" and found["a"][1] == pytest.approx(0.5, abs=0.03)
    assert found["b"][0] == "<=" and found["b"][1] == pytest.approx(0.3, abs=0.03)
    assert best.coverage == pytest.approx(1.0, abs=0.02)
    assert best.density == pytest.approx(1.0, abs=0.02)
    truth = ((df["a"] > 0.5) & (df["b"] < 0.3)).to_numpy()
    assert (best.mask(df) == truth).mean() > 0.98
    assert table.base_rate == pytest.approx(truth.mean())
    assert list(table.table.columns) == ["rule", "density", "coverage", "n", "n_interest"]
    text = format_rules(table)
    assert re.search(r"\ba > 0\.(49|50|51)\d*\b", text), text
    assert re.search(r"\bb <= 0\.(29|30)\d*\b", text), text
    assert " AND " in best.text


def test_noisy_output_still_finds_the_box_and_rules_are_sorted_by_density():
    df = box_table(800, seed=3)
    rng = np.random.default_rng(4)
    df["out"] = 2.0 * df["y"] + rng.normal(0, 0.35, len(df))
    table = discover(df, ["a", "b", "c"], "out", 1.0, max_depth=3)
    assert table[0].density > 0.8 and table[0].coverage > 0.6
    densities = [r.density for r in table.rules]
    assert densities == sorted(densities, reverse=True)
    assert all(r.density > table.base_rate for r in table.rules)
    assert sum(r.n for r in table.leaves) == table.n_cases  # leaves partition the cases


def test_sweep_table_with_categorical_and_integer_inputs():
    rows = []
    for policy in ("none", "on_departure", "blanket"):
        for teams in range(1, 9):
            for days in (None, 14.0, 30.0):
                decline = 0.8 if (policy == "blanket" and teams >= 4) else 0.3
                rows.append(
                    {
                        "job": len(rows),
                        "run_dir": str(len(rows)),
                        "court.policy": policy,
                        "navy.boarding_teams": teams,
                        "policy.enter_waters_after_days": days,
                        "replications": 20,
                        "target_met": None,
                        "export_decline_mean": decline,
                        "export_decline_ci_low": decline - 0.05,
                        "export_decline_ci_high": decline + 0.05,
                        "seizures_mean": teams,
                    }
                )
    df = pd.DataFrame(rows)
    assert infer_inputs(df) == [
        "court.policy",
        "navy.boarding_teams",
        "policy.enter_waters_after_days",
    ]
    table = discover(df, output="export_decline", threshold=0.5)
    assert table.column == "export_decline_mean"
    assert table[0].text == "court.policy == blanket AND navy.boarding_teams >= 4"
    assert (table[0].coverage, table[0].density) == (1.0, 1.0)
    below = discover(df, output="export_decline", threshold=0.5, direction="below")
    assert below.n_interest == len(df) - table.n_interest
    assert below[0].density == 1.0


def test_null_category_and_two_category_columns_read_naturally():
    rows = [
        {"court.policy": policy, "policy.enter_waters_after_days": days, "teams": teams}
        for policy in ("none", "on_departure")
        for days in (None, 14.0, 30.0)
        for teams in (1, 2, 3)
    ]
    df = pd.DataFrame(rows)
    df["export_decline"] = np.where(df["policy.enter_waters_after_days"].isna(), 0.9, 0.2)
    table = discover(df, output="export_decline", threshold=0.5, max_depth=3)
    assert [r.text for r in table.rules] == ["policy.enter_waters_after_days == null"]
    df["export_decline"] = np.where(df["court.policy"] == "on_departure", 0.9, 0.2)
    table = discover(df, output="export_decline", threshold=0.5)
    assert [r.text for r in table.rules] == ["court.policy == on_departure"]


def test_nothing_or_everything_of_interest():
    df = box_table(50)
    none = discover(df, ["a", "b"], "y", 5.0)
    assert len(none) == 0 and "No case is of interest" in str(none)
    everything = discover(df, ["a", "b"], "y", -1.0)
    assert len(everything) == 1 and everything[0].text == "(all cases)"
    assert everything[0].coverage == everything[0].density == 1.0


def test_missing_values_are_dropped_and_counted():
    df = box_table(200)
    df.loc[:9, "y"] = np.nan
    table = discover(df, ["a", "b"], "y", 0.5)
    assert table.dropped == 10 and table.n_cases == 190
    assert "10 row(s) with missing values dropped" in str(table)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"output": "nope"}, r"output 'nope': no column 'nope' or 'nope_mean'"),
        ({"inputs": ["a", "zz"]}, r"input 'zz': not a column"),
        ({"inputs": ["a", "y"]}, r"input 'y': is the output itself"),
        ({"direction": "sideways"}, r"direction"),
        ({"max_depth": 0}, r"max_depth"),
        ({"threshold": float("nan")}, r"threshold"),
    ],
)
def test_bad_arguments_name_the_problem(kwargs, pattern):
    args = {"inputs": ["a", "b"], "output": "y", "threshold": 0.5, **kwargs}
    with pytest.raises(DiscoveryError, match=pattern):
        discover(box_table(40), **args)


# --------------------------------------------------------------------------- real samples


@pytest.fixture(scope="module")
def sens_dir(tmp_path_factory):
    cfg = sim.load_config("venezuela_dec2025", overrides=["horizon_days=30"])
    out = tmp_path_factory.mktemp("sens")
    res = run_sensitivity(cfg, n=4, replications=2, executor="serial", out_dir=out)
    return out, res


def test_real_samples_table_gives_rules(sens_dir):
    _, res = sens_dir
    names = [p.path for p in res.parameters]
    threshold = float(res.samples["export_decline"].median())
    table = discover(res.samples, names, "export_decline", threshold)
    assert table.n_cases == len(res.samples)
    assert len(table) >= 1
    for r in table.rules:
        assert 0 < r.coverage <= 1 and 0 < r.density <= 1
        assert any(name in r.text for name in names)
    assert infer_inputs(res.samples) == [n for n in names if res.samples[n].nunique() > 1]
    same = discover(res, None, "export_decline", threshold)  # the result object itself
    assert same.table.equals(discover(res.samples, None, "export_decline", threshold).table)


def test_cli_on_a_sensitivity_folder(sens_dir, capsys, tmp_path):
    out, res = sens_dir
    threshold = f"{float(res.samples['seizures'].median()):.3f}"
    csv = tmp_path / "rules.csv"
    code = discovery_main(
        [str(out), "--output", "seizures", "--threshold", threshold, "--csv", str(csv)]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert f"Cases with seizures > {float(threshold):g}" in printed
    assert pd.read_csv(csv).columns.tolist() == ["rule", "density", "coverage", "n", "n_interest"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--output", "export_decline"], "--threshold"),
        (["--threshold", "x"], "--threshold"),
        (["--threshold", "0.5", "--output", "nope"], "nope"),
        (["--threshold", "0.5", "--max-depth", "0"], "max_depth"),
    ],
)
def test_cli_bad_arguments_exit_2_with_one_line(sens_dir, capsys, argv, needle):
    out, _ = sens_dir
    code = discovery_main([str(out), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("blockade discover: error:")
    assert needle in err


def test_cli_missing_table_exits_2(tmp_path, capsys):
    assert discovery_main([str(tmp_path / "none"), "--threshold", "0.5"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert discovery_main([str(tmp_path), "--threshold", "0.5"]) == 2
    assert "samples.parquet" in capsys.readouterr().err


def test_cli_without_scikit_learn_is_one_line(monkeypatch, capsys, tmp_path):
    """A missing 'discover' extra: one line naming the extra, exit 2, before any import."""
    import sim.extras

    real = sim.extras.importable
    monkeypatch.setattr(sim.extras, "importable", lambda m: m != "sklearn" and real(m))
    code = discovery_main([str(tmp_path), "--threshold", "0.5"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("blockade discover: error: blockade discover")
    assert "sklearn" in err and "'discover' extra" in err
    with pytest.raises(sim.extras.MissingExtra, match="discover"):
        discover(box_table(40), ["a", "b"], "y", 0.5)
