"""What keeps ``blockade`` quick (issue 14), as behaviour, never as timings: what ``import
sim`` and a run import, what is composed once, and shortcuts that give the same answers."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import compose, describe, safety

FAST = ["experiment.replications=3", "experiment.executor=serial", "horizon_days=10"]
#: Modules ``import sim`` must not import (each costs 0.1-0.7 s).
HEAVY = ("pandas", "scipy", "matplotlib", "hydra", "pydantic", "pyarrow", "simpy", "numpy")


def _modules_after(code: str) -> set[str]:
    """The top-level modules imported once ``code`` has run in a fresh interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    root = Path(sim.__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root
    )
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_import_sim_imports_nothing_heavy():
    loaded = _modules_after("import sim")
    assert not [m for m in HEAVY if m in loaded]


def test_the_public_names_still_resolve_lazily():
    loaded = _modules_after("import sim\nsim.simulate, sim.Config, sim.config.fixed")
    assert {"sim.model.world", "sim.config", "pandas"} <= loaded
    assert "sim.calibration" not in loaded and "matplotlib" not in loaded
    assert set(sim.__all__) <= set(dir(sim))
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = sim.no_such_name


def test_a_small_run_imports_no_plotting_and_no_scipy_stats(tmp_path):
    out = tmp_path / "run"
    argv = [*FAST, f"hydra.run.dir={out}"]
    loaded = _modules_after(f"from sim.cli import main\nassert main({argv!r}) == 0")
    assert (out / "summary.json").is_file() and not (out / "plots").exists()
    assert "matplotlib" not in loaded and "scipy.stats" not in loaded
    assert "sim.calibration" not in loaded


def test_a_run_composes_the_tree_twice_and_the_summary_not_again(tmp_path, monkeypatch, capsys):
    """The reference Hydra node and the point: nothing more in prepare, the folder's
    reference (hydra.run.dir) or the summary's title (Hydra's own app composes apart)."""
    from sim.cli import main

    safety.reference_hydra.cache_clear()
    describe._composed.cache_clear()
    calls: list[tuple[str, ...]] = []
    real = compose.compose_tree

    def counted(overrides):
        calls.append(tuple(overrides))
        return real(overrides)

    monkeypatch.setattr(compose, "compose_tree", counted)
    assert main([*FAST, f"hydra.run.dir={tmp_path / 'run'}"]) == 0
    assert "Scenario venezuela_dec2025, no policy variant" in capsys.readouterr().out
    assert len(calls) == 2, calls


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        ["hydra.run.dir=/tmp/somewhere"],
        ["hydra.run.dir='/tmp/a b'", "hydra.verbose=true"],
        ["hydra.sweep.dir=sw", "hydra.mode=MULTIRUN", "hydra.sweep.subdir=${hydra.job.num}"],
        ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
        ["hydra.run.dir=${now:%Y-%m-%d}"],
    ],
)
def test_the_hydra_reference_is_the_one_composed(overrides):
    """The shortcut equals composing the bundled tree with the overrides (but for what Hydra
    fills in itself, which the check never compares)."""
    if any("joblib" in o for o in overrides):
        pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    node = compose.plain_dict(compose.compose_config(hydra_overrides=overrides), resolve=False)
    fast = compose.hydra_reference(overrides, node["hydra"])
    slow = compose.plain_dict(compose.compose_tree(overrides).hydra, resolve=False)
    assert not [k for k in safety._differences(fast, slow) if not k.startswith(safety.RUNTIME)]


def test_a_scenario_file_setting_hydra_is_still_refused(tmp_path):
    folder = tmp_path / "mine" / "scenario"
    folder.mkdir(parents=True)
    (folder / "sneaky.yaml").write_text(
        "# @package _global_\ndefaults:\n  - venezuela_dec2025\n  - _self_\nname: sneaky\n"
        "hydra:\n  job:\n    env_set:\n      X: '1'\n"
    )
    with pytest.raises(sim.ConfigError, match=r"hydra\.job\.env_set"):
        compose.compose_config(
            "sneaky", config_dir=tmp_path / "mine", hydra_overrides=["hydra.run.dir=out"]
        )


@pytest.mark.parametrize("overrides", [["navy.boarding_teams=3"], ["experiment.seed=5"], []])
def test_levers_untouched_are_the_scenarios_own_as_composed(overrides):
    """The summary's shortcut (overrides that set no lever leave the scenario's levers) agrees
    with comparing against the scenario composed again, for every bundled scenario."""
    levers = list(dict.fromkeys(k for _, values in describe._policy_files() for k, _ in values))
    for path in sorted((sim.config.scenarios_dir() / "scenario").glob("*.yaml")):
        data = sim.load_config(path.stem, overrides).to_dict()
        base = describe.base_config(path.stem)
        assert describe._own(data, lambda b=base: b, levers, None), path.stem  # compared
        assert describe._own(data, lambda: None, levers, tuple(overrides)), path.stem  # shortcut


def test_a_lever_set_on_the_command_line_is_compared():
    data = sim.load_config("venezuela_dec2025", ["court.policy=none"]).to_dict()
    levers = ["court.policy"]
    base = describe.base_config("venezuela_dec2025")
    assert not describe._own(data, lambda: base, levers, ("court.policy=none",))


def test_t_interval_is_scipy_stats_exactly():
    from scipy import stats as scipy_stats

    from sim.experiment.stats import t_interval

    rng = np.random.default_rng(14)
    for _ in range(500):
        n = int(rng.integers(2, 3000))
        mean, std = float(rng.normal(0, 1e3)), float(rng.lognormal(0, 3))
        confidence = float(rng.choice([0.9, 0.95, 0.99, rng.uniform(0.5, 0.999)]))
        low, high = scipy_stats.t.interval(confidence, n - 1, loc=mean, scale=std / math.sqrt(n))
        assert t_interval(mean, std, n, confidence) == (float(low), float(high))
