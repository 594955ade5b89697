"""Sensitivity analysis (sim.sensitivity): spec, paths, validation, Morris/Sobol, CLI.

Runs are tiny (30-day horizon, 2-3 replications, a few trajectories) to stay fast.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli.sensitivity import sensitivity_main
from sim.compose import config_groups
from sim.config import scenarios_dir
from sim.sensitivity import (
    INDEX_COLUMNS,
    Parameter,
    SensitivityError,
    SensitivityResult,
    SensitivitySpec,
    analyse,
    apply_values,
    evaluate_function,
    evaluate_scenario,
    format_indices,
    indices_chart,
    load_spec,
    point_values,
    resolve_parameters,
    run_sensitivity,
    sample,
)
from sim.sensitivity.analyse import NOISE_WARNING, noise_mask
from sim.sensitivity.evaluate import BLOCKADE_SECTIONS, baseline_world
from sim.sensitivity.plots import NOISE_HATCH, NOISE_LABEL

SHORT = ["horizon_days=30"]


@pytest.fixture(scope="module")
def cfg30() -> sim.Config:
    return sim.load_config("venezuela_dec2025", overrides=SHORT)


def small_spec(**changes) -> dict:
    spec = {
        "parameters": {
            "navy.boarding_teams": {"range": [1, 6], "integer": True},
            "behaviour.groups.shadow.risk_threshold.median": [0.02, 0.15],
            "court.delay_days.median": [0.5, 7.0],
        },
        "n": 3,
        "replications": 2,
    }
    spec.update(changes)
    return spec


# --------------------------------------------------------------------------- the spec


def test_default_spec_loads_resolves_and_cites_sources(venezuela):
    spec = load_spec()
    assert spec.method == "morris"
    assert spec.outputs == ("export_decline", "seizures")
    assert spec.names == [
        "navy.boarding_teams",
        "navy.detection_prob",
        "court.delay_days.median",
        "behaviour.groups.shadow.patience_days.median",
        "behaviour.groups.shadow.risk_threshold.median",
        "policy.enter_waters_after_days",
    ]
    params = {p.path: p for p in resolve_parameters(spec, venezuela)}
    assert params["navy.boarding_teams"].integer is True
    assert (params["navy.boarding_teams"].low, params["navy.boarding_teams"].high) == (1, 8)
    assert params["navy.detection_prob"].integer is False
    # Every parameter's block in the YAML says why its range is what it is.
    text = (scenarios_dir() / "sensitivity" / "default.yaml").read_text()
    blocks = re.split(r"\n  (?=[a-z_.]+:\n)", text.split("\nparameters:\n", 1)[1])
    assert len(blocks) == len(spec.parameters)
    for block in blocks:
        assert "# source:" in block or "# assumption:" in block, block


def test_scenarios_still_compose_with_the_sensitivity_group():
    assert "sensitivity" in config_groups(scenarios_dir())
    cfg = sim.load_config("venezuela_dec2025", overrides=["navy.boarding_teams=2"])
    assert cfg.navy.boarding_teams == 2
    assert sim.load_config("validation/v1_md1").name


def test_spec_from_mapping_and_overrides():
    spec = load_spec(small_spec())
    assert isinstance(spec, SensitivitySpec)
    assert spec.replace(method="sobol", n=4).method == "sobol"
    assert spec.replace(n=None).n == 3  # None leaves the spec's value


# --------------------------------------------------------------------------- paths and values


def test_apply_values_sets_plain_keys_distribution_parameters_and_whole_distributions(cfg30):
    c = apply_values(
        cfg30,
        {
            "navy.boarding_teams": 5,
            "court.delay_days.median": 3.0,
            "navy.exposure_days": 2.5,
            "policy.enter_waters_after_days": 14.0,
        },
    )
    assert c.navy.boarding_teams == 5
    assert c.court.delay_days.dist == "lognormal"
    assert c.court.delay_days.median == 3.0
    assert c.court.delay_days.sigma == cfg30.court.delay_days.sigma  # kept
    assert c.navy.exposure_days.dist == "fixed" and c.navy.exposure_days.value == 2.5
    assert c.policy.enter_waters_after_days == 14.0
    assert cfg30.navy.boarding_teams != 5  # the original is untouched


def test_integer_parameters_round_half_up():
    p = Parameter("navy.boarding_teams", 1, 8, integer=True)
    assert [p.value_of(x) for x in (1.0, 2.5, 3.33, 5.67, 8.0)] == [1, 3, 3, 6, 8]
    values = point_values([p], np.array([[3.3333], [5.6667]]))
    assert values["navy.boarding_teams"].tolist() == [3, 6]


@pytest.mark.parametrize(
    ("parameters", "pattern"),
    [
        (
            {"navy.boarding_team": [1, 4]},
            r"navy\.boarding_team.*unknown config key.*boarding_teams",
        ),
        ({"court.delay_days.mean": [1, 4]}, r"court\.delay_days\.mean.*lognormal.*median, sigma"),
        ({"navy.detection_prob": [0.5, 1.5]}, r"navy\.detection_prob.*high end.*1\.5"),
        ({"navy.boarding_teams": [-2, 4]}, r"navy\.boarding_teams.*low end"),
        ({"court.policy": [0, 1]}, r"court\.policy.*not numeric"),
        ({"navy": [0, 1]}, r"navy.*section"),
        ({"navy.boarding_teams": [4, 1]}, r"navy\.boarding_teams.*low < high"),
    ],
)
def test_bad_parameters_fail_before_running_naming_the_parameter(cfg30, parameters, pattern):
    with pytest.raises(SensitivityError, match=pattern):
        run_sensitivity(cfg30, spec={"parameters": parameters}, n=2, replications=1)


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"outputs": ["export_drop"]}, r"outputs: unknown output 'export_drop'"),
        ({"method": "fast"}, r"method: must be one of morris, sobol"),
        ({"n": 1}, r"n: must be an integer >= 2"),
        ({"replications": 0}, r"replications"),
        ({"bogus": 1}, r"unknown key 'bogus'"),
    ],
)
def test_bad_specs_are_one_clear_error(cfg30, changes, pattern):
    with pytest.raises(SensitivityError, match=pattern):
        run_sensitivity(cfg30, spec=small_spec(**changes))


def test_a_point_that_breaks_the_schema_names_its_parameters(cfg30):
    # uniform low/high each valid alone, but some points have low > high.
    spec = {
        "parameters": {
            "navy.exposure_days.low": [1.0, 3.5],  # the scenario's high is 4
            "navy.exposure_days.high": [2.5, 6.0],  # the scenario's low is 2
        }
    }
    with pytest.raises(SensitivityError, match=r"sample point \d+: .*navy\.exposure_days"):
        run_sensitivity(cfg30, spec=spec, n=10, replications=1, executor="serial")


def test_sobol_needs_a_power_of_two(cfg30):
    with pytest.raises(SensitivityError, match="power of 2"):
        run_sensitivity(cfg30, spec=small_spec(), method="sobol", n=6)


# --------------------------------------------------------------------------- the analysis code


def linear(point: dict) -> dict:
    """y = 10 x1 + x2 + 0 x3 (module level, so process executors could pickle it)."""
    return {"y": 10 * point["x1"] + point["x2"] + 0 * point["x3"]}


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_known_function_is_ranked_right(method):
    params = [Parameter(f"x{i}", 0.0, 1.0) for i in (1, 2, 3)]
    X = sample(params, method, 16 if method == "morris" else 256, seed=1)
    Y = evaluate_function(linear, point_values(params, X), ["y"])
    t = analyse(params, X, Y, method, seed=1).set_index("parameter")
    assert t["rank"].to_dict() == {"x1": 1, "x2": 2, "x3": 3}
    if method == "morris":
        assert t.loc["x1", "mu_star"] == pytest.approx(10.0)
        assert t.loc["x2", "mu_star"] == pytest.approx(1.0)
        assert t.loc["x3", "mu_star"] == 0.0
    else:
        assert t.loc["x1", "ST"] == pytest.approx(100 / 101, abs=0.1)
        assert abs(t.loc["x3", "ST"]) < 1e-12


def test_morris_on_a_tiny_run_gives_one_finite_ranked_row_per_parameter(cfg30, tmp_path):
    res = run_sensitivity(cfg30, n=2, replications=2, executor="serial", out_dir=tmp_path)
    k = 6
    assert res.method == "morris"
    assert len(res.samples) == 2 * (k + 1)
    assert list(res.samples.columns) == ["point", *load_spec().names, "export_decline", "seizures"]
    for output in ("export_decline", "seizures"):
        t = res.table(output)
        assert len(t) == k
        assert list(t.index) == list(range(1, k + 1))
        assert sorted(t["parameter"]) == sorted(load_spec().names)
        assert np.isfinite(t[list(INDEX_COLUMNS["morris"])].to_numpy()).all()
        assert t["mu_star"].is_monotonic_decreasing
    assert res.samples["navy.boarding_teams"].dtype.kind == "i"
    # The result folder.
    for name in (
        "samples.parquet",
        "samples.csv",
        "indices.parquet",
        "indices.csv",
        "spec.yaml",
        "config.yaml",
        "manifest.json",
        "plots/sensitivity_indices.png",
        "plots/sensitivity_morris.png",
    ):
        assert (tmp_path / name).is_file(), name
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "samples.parquet"), res.samples)
    assert not list(tmp_path.glob(".*tmp*"))
    assert "behaviour.groups.shadow.risk_threshold.median" in str(res)
    assert load_spec(tmp_path / "spec.yaml").names == load_spec().names


def test_same_call_gives_identical_tables_whatever_the_workers(cfg30):
    kw = {"spec": small_spec(), "n": 3, "replications": 2}
    a = run_sensitivity(cfg30, executor="serial", **kw)
    b = run_sensitivity(cfg30, executor="serial", **kw)
    c = run_sensitivity(cfg30, executor="processes", workers=2, **kw)
    for other in (b, c):
        pd.testing.assert_frame_equal(a.indices, other.indices, check_exact=True)
        pd.testing.assert_frame_equal(a.samples, other.samples, check_exact=True)
    assert c.manifest["workers"] == 2


def test_a_parameter_without_effect_ranks_last(cfg30):
    """With seize-on-sight (no warrants) the court delay is never drawn: exactly no effect
    under common random numbers, so it must rank last for both outputs."""
    cfg = sim.load_config("venezuela_dec2025", overrides=[*SHORT, "court.policy=none"])
    res = run_sensitivity(cfg, spec=small_spec(), n=3, replications=2, executor="serial")
    for output in ("export_decline", "seizures"):
        t = res.table(output).reset_index().set_index("parameter")
        assert t.loc["court.delay_days.median", "mu_star"] == 0.0
        assert t.loc["court.delay_days.median", "rank"] == 3
        assert t.loc["behaviour.groups.shadow.risk_threshold.median", "mu_star"] > 0.0


def test_sobol_on_a_tiny_run(cfg30):
    res = run_sensitivity(
        cfg30, spec=small_spec(), method="sobol", n=2, replications=1, executor="serial"
    )
    assert len(res.samples) == 2 * (3 + 2)
    assert list(res.table("seizures").columns) == ["parameter", *INDEX_COLUMNS["sobol"]]
    # Two base samples cannot resolve a share: the noisy estimates are starred, not clipped.
    text = str(res)
    for output in res.outputs:
        noisy = noise_mask(res.table(output), "sobol")
        k = int(noisy.to_numpy().sum())
        assert k > 0
        warning = NOISE_WARNING.format(k=k, total=noisy.size, n=2)
        assert warning in text and "raise --n (now 2)" in warning
    starred = len(re.findall(r"\d\*", text))  # a starred number, not the warning
    flagged = sum(int(noise_mask(res.table(o), "sobol").to_numpy().sum()) for o in res.outputs)
    assert starred == flagged


def test_noise_mask_flags_negative_impossible_and_unresolved_estimates():
    """The brief's -0.14 ± 0.54, a share above 1, and 0.1 ± 0.2 are noise; 0.5 ± 0.05 and an
    exact 0 ± 0 (a constant output) are not."""
    t = pd.DataFrame(
        {
            "S1": [-0.14, 0.5, 0.1, 1.2, 0.0],
            "S1_conf": [0.54, 0.05, 0.2, 0.05, 0.0],
            "ST": [0.3, 0.6, 0.05, 0.9, 0.0],
            "ST_conf": [0.1, 0.05, 0.01, 0.95, 0.0],
        }
    )
    mask = noise_mask(t, "sobol")
    assert mask["S1"].tolist() == [True, False, True, True, False]
    assert mask["ST"].tolist() == [False, False, False, True, False]
    assert noise_mask(t.assign(mu_star=1.0), "morris").shape == (5, 0)


def test_resolved_sobol_indices_carry_no_warning_and_noisy_ones_are_hatched():
    params = [Parameter(f"x{i}", 0.0, 1.0) for i in (1, 2, 3)]

    def result(n: int) -> SensitivityResult:
        X = sample(params, "sobol", n, seed=1)
        Y = evaluate_function(linear, point_values(params, X), ["y"])
        return SensitivityResult(
            method="sobol",
            parameters=tuple(params),
            outputs=("y",),
            indices=analyse(params, X, Y, "sobol", seed=1),
            samples=pd.DataFrame(),
            X=X,
            manifest={"n": n, "points": len(X)},
        )

    big, small = result(1024), result(4)
    assert "sampling noise" not in format_indices(big)
    assert "x3" in format_indices(big)
    chart = indices_chart(big)
    assert not chart.legends
    noisy = int(noise_mask(small.table("y"), "sobol").to_numpy().sum())
    assert noisy > 0 and "raise --n (now 4)" in format_indices(small)
    chart = indices_chart(small)
    assert [t.get_text() for t in chart.legends[0].get_texts()] == [NOISE_LABEL]
    hatched = [p for p in chart.axes[0].patches if p.get_hatch() == NOISE_HATCH]
    assert len(hatched) == noisy


# --------------------------------------------------------------------------- shared baselines


def test_the_baseline_ignores_the_blockade_sections(cfg30):
    """Guards evaluate's sharing of baselines: the no-blockade world must not depend on the
    navy, court, policy or behaviour sections."""
    assert set(BLOCKADE_SECTIONS) == {"navy", "court", "policy", "behaviour"}
    extreme = apply_values(
        sim.load_config(
            "venezuela_dec2025",
            overrides=[*SHORT, "court.policy=blanket", "navy.targets=sanctioned"],
        ),
        {
            "navy.boarding_teams": 9,
            "navy.detection_prob": 0.1,
            "court.delay_days.median": 9.0,
            "behaviour.groups.shadow.risk_threshold.median": 0.5,
            "behaviour.groups.shadow.turnback_threshold.median": 0.01,
            "behaviour.groups.shadow.patience_days.median": 1.0,
            "policy.enter_waters_after_days": 1.0,
        },
    )
    shared = baseline_world(extreme, cfg30)
    assert shared.to_dict() == cfg30.baseline().to_dict()
    for i in range(2):
        own = sim.simulate(extreme.baseline(), seed=11, replication=i).metrics
        assert sim.simulate(shared, seed=11, replication=i).metrics == own


def test_shared_and_own_baselines_give_the_same_outputs(cfg30):
    spec = resolve_parameters(load_spec(small_spec()), cfg30)
    values = point_values(spec, sample(spec, "morris", 2, seed=5))
    a, sa = evaluate_scenario(cfg30, values, replications=2, executor="serial")
    b, sb = evaluate_scenario(
        cfg30, values, replications=2, executor="serial", share_baseline=False
    )
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert sa["baseline_worlds"] == 1 < sb["baseline_worlds"]


def test_a_failing_world_names_its_point_and_how_to_reproduce_it(cfg30, monkeypatch):
    from sim.experiment import ReplicationFailed
    from sim.model.world import World

    original = World.run

    def flaky(self: World) -> sim.Replication:
        if self.streams._seed.spawn_key == (1,) and self.cfg.navy.boarding_teams == 6:
            raise ZeroDivisionError("boom")
        return original(self)

    monkeypatch.setattr(World, "run", flaky)
    values = pd.DataFrame({"navy.boarding_teams": [2, 6]})
    with pytest.raises(ReplicationFailed) as info:
        evaluate_scenario(cfg30, values, ["seizures"], replications=2, root=7, executor="serial")
    err = info.value
    assert (err.replication, err.seed, err.world) == (1, 7, "blockade")
    assert str(err) == (
        "sample point 1 (navy.boarding_teams=6; blockade world, root seed 7): replication 1 "
        "failed with ZeroDivisionError: boom. Reproduce it with cfg_k = "
        "sim.sensitivity.apply_values(cfg, {'navy.boarding_teams': 6}); "
        "sim.simulate(cfg_k, seed=7, replication=1)."
    )
    assert "Traceback of the failing replication" in err.__notes__[0]


# --------------------------------------------------------------------------- command line


def test_cli_prints_the_ranked_table(tmp_path, capsys):
    spec = tmp_path / "mini.yaml"
    spec.write_text(
        "parameters:\n"
        "  navy.boarding_teams: {range: [1, 4], integer: true}\n"
        "  behaviour.groups.shadow.risk_threshold.median: [0.02, 0.15]\n"
    )
    code = sensitivity_main(
        [
            "--spec",
            str(spec),
            "--n",
            "2",
            "--replications",
            "1",
            "--workers",
            "1",
            "--executor",
            "serial",
            "--out",
            str(tmp_path / "out"),
            "horizon_days=30",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Morris screening of venezuela_dec2025" in out
    assert "export_decline" in out and "seizures" in out
    assert "behaviour.groups.shadow.risk_threshold.median" in out
    assert (tmp_path / "out" / "samples.parquet").is_file()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--method", "fast"], "--method"),
        (["--n", "x"], "--n"),
        (["--n", "1"], "n: must be an integer >= 2"),
        (["--workers", "0", "horizon_days=30"], "workers"),
        (["navy.boarding_team=2"], "navy.boarding_team"),
        (["--spec", "nope"], "nope"),
        (["--bogus"], "--bogus"),
        (["notanoverride"], "key=value"),
    ],
)
def test_cli_bad_arguments_exit_2_with_one_line(tmp_path, capsys, argv, needle):
    code = sensitivity_main([*argv, "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("blockade sensitivity: error:")
    assert needle in err
    assert not (tmp_path / "x").exists()


def test_cli_without_salib_is_one_line_naming_the_extra(monkeypatch, tmp_path, capsys):
    import importlib.util

    from sim.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "SALib" else real(name, *a)
    )
    assert main(["sensitivity", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("blockade: error: blockade sensitivity:")
    assert "needs SALib" in err and "pip install 'blockade-sim[sensitivity]'" in err
    assert not (tmp_path / "x").exists()
