"""A shared scenario folder or an override can set values, never run code or read the environment.

Each payload creates a marker file when Hydra (or ``logging``) acts on it. A control test
proves the payload is live by handing it to Hydra/logging directly; every route through
``blockade`` or ``sim.load_config`` must refuse it before it runs: exit 2, one line, no marker.
"""

from __future__ import annotations

import logging.config
from pathlib import Path

import pytest
from cli_helpers import blockade, refused, refused_in_process

import sim

FAST = ["experiment.replications=2", "experiment.executor=serial", "horizon_days=5"]


def scenario(folder: Path, name: str, body: str) -> None:
    (folder / "scenario").mkdir(parents=True, exist_ok=True)
    text = f"# @package _global_\ndefaults:\n  - venezuela_dec2025\n{body}"
    (folder / "scenario" / f"{name}.yaml").write_text(text)


@pytest.fixture
def shared(tmp_path: Path) -> tuple[Path, Path]:
    """A colleague's scenario folder with one payload per route, and the marker it aims at."""
    folder, marker = tmp_path / "shared", tmp_path / "marker"
    handler = f"{{class: logging.FileHandler, filename: '{marker}'}}"
    target = f"_target_: logging.FileHandler\n      filename: '{marker}'"
    scenario(folder, "callback", f"hydra:\n  callbacks:\n    x:\n      {target}\n")
    factory = f"{{'()': logging.FileHandler, filename: '{marker}'}}"
    scenario(folder, "factory", f"hydra:\n  job_logging:\n    filters:\n      x: {factory}\n")
    scenario(folder, "handler", f"hydra:\n  job_logging:\n    handlers:\n      x: {handler}\n")
    scenario(folder, "hydra_log", f"hydra:\n  hydra_logging:\n    handlers:\n      x: {handler}\n")
    scenario(folder, "env_set", "hydra:\n  job:\n    env_set:\n      PYTHONPATH: /tmp\n")
    scenario(folder, "run_dir", f"hydra:\n  run:\n    dir: '{tmp_path / 'elsewhere'}'\n")
    scenario(folder, "launcher", "hydra:\n  launcher:\n    _target_: logging.FileHandler\n")
    scenario(folder, "env", "description: ${oc.env:HOME}\n")
    scenario(folder, "now", "name: ${now:%Y}\n")
    scenario(folder, "hydra_ref", "description: ${hydra.runtime.cwd}\n")
    (folder / "hydra" / "job_logging").mkdir(parents=True)
    (folder / "hydra" / "job_logging" / "evil.yaml").write_text(
        f"version: 1\nhandlers:\n  x: {handler}\nroot:\n  handlers: [x]\n"
    )
    return folder, marker


def test_the_payloads_are_live_when_handed_to_hydra_directly(tmp_path):
    from hydra.utils import instantiate

    marker = tmp_path / "marker"
    instantiate({"_target_": "logging.FileHandler", "filename": str(marker)}).close()
    assert marker.exists()
    marker.unlink()
    logging.config.dictConfig(
        {
            "version": 1,
            "incremental": False,
            "disable_existing_loggers": False,
            "handlers": {"x": {"class": "logging.FileHandler", "filename": str(marker)}},
        }
    )
    assert marker.exists()


SCENARIO_ROUTES = [
    ("callback", "hydra.callbacks.x"),
    ("factory", "hydra.job_logging.filters"),
    ("handler", "hydra.job_logging.handlers.x"),
    ("hydra_log", "hydra.hydra_logging.handlers.x"),
    ("env_set", "hydra.job.env_set"),
    ("run_dir", "hydra.run.dir"),
    ("launcher", "hydra.launcher._target_"),
    ("env", "description"),
    ("now", "name"),
    ("hydra_ref", "description"),
]


@pytest.mark.parametrize(("name", "key"), SCENARIO_ROUTES, ids=[r[0] for r in SCENARIO_ROUTES])
def test_a_shared_scenario_folder_cannot_run_code_or_read_the_environment(
    shared, name, key, capsys, monkeypatch
):
    folder, marker = shared
    monkeypatch.chdir(folder.parent)
    with pytest.raises(sim.ConfigError, match=key.replace(".", r"\.")):
        sim.load_config(name, config_dir=folder)
    for mode in ([], ["-m"], ["--cfg", "job"]):
        refused_in_process(
            capsys, key, *mode, "--config-dir", str(folder), f"scenario={name}", *FAST
        )
    assert not marker.exists()
    assert not (folder.parent / "elsewhere").exists() and not (folder.parent / "results").exists()


def test_a_shared_folder_is_refused_end_to_end_in_a_fresh_process(shared):
    folder, marker = shared
    for name, key in SCENARIO_ROUTES[:3]:
        proc = blockade("--config-dir", str(folder), f"scenario={name}", *FAST, cwd=folder.parent)
        refused(proc, key)
    assert not marker.exists() and not (folder.parent / "results").exists()


def test_a_logging_config_of_the_shared_folder_cannot_be_chosen(shared, capsys, monkeypatch):
    folder, marker = shared
    monkeypatch.chdir(folder.parent)
    refused_in_process(
        capsys, "hydra/job_logging", "--config-dir", str(folder), "hydra/job_logging=evil", *FAST
    )
    assert not marker.exists()


def command_line_routes(marker: Path) -> list[tuple[list[str], str]]:
    m = f"'{marker}'"
    handler = f"{{class: logging.FileHandler, filename: {m}}}"
    factory = f"{{'()': logging.FileHandler, filename: {m}}}"
    return [
        (
            ["+hydra.callbacks.x._target_=logging.FileHandler", f"+hydra.callbacks.x.filename={m}"],
            "hydra.callbacks.x",
        ),
        ([f"+hydra.job_logging.handlers.x={handler}"], "hydra.job_logging.handlers.x"),
        ([f"+hydra.job_logging.filters.x={factory}"], "hydra.job_logging.filters.x"),
        ([f"+hydra.hydra_logging.handlers.x={handler}"], "hydra.hydra_logging.handlers.x"),
        (["hydra.launcher._target_=logging.FileHandler"], "hydra.launcher._target_"),
        (["+hydra.launcher.setup=[touch]"], "hydra.launcher.setup"),
        (["hydra.sweeper._target_=logging.FileHandler"], "hydra.sweeper._target_"),
        (["+hydra.job.env_set.PYTHONPATH=/tmp"], "hydra.job.env_set.PYTHONPATH"),
        (["hydra.output_subdir=../../x"], "hydra.output_subdir"),
        (["hydra.run.dir=out/${oc.env:HOME}"], "hydra.run.dir"),
        (["navy.boarding_teams=${oc.env:HOME}"], "navy.boarding_teams"),
        (["description=${oc.env:PATH}"], "description"),
        (["hydra/launcher=no_such"], "hydra/launcher"),
        (["hydra/help=default"], "hydra/help"),
    ]


def test_command_line_overrides_cannot_run_code(tmp_path, capsys, monkeypatch):
    marker = tmp_path / "marker"
    monkeypatch.chdir(tmp_path)
    for overrides, key in command_line_routes(marker):
        for mode in ([], ["-m"], ["--cfg", "job"]):
            refused_in_process(capsys, key, *mode, *overrides, *FAST)
    assert not marker.exists() and not (tmp_path / "results").exists()


def test_command_line_payload_is_refused_in_a_fresh_process(tmp_path):
    marker = tmp_path / "marker"
    overrides, key = command_line_routes(marker)[0]
    refused(blockade(*overrides, *FAST, cwd=tmp_path), key)
    assert not marker.exists() and not (tmp_path / "results").exists()


def test_load_config_refuses_hydra_keys_and_resolvers():
    for override, key in (
        ("hydra.run.dir=x", "hydra.run.dir"),
        ("+hydra.callbacks.x._target_=logging.FileHandler", "hydra.callbacks.x._target_"),
        ("description=${oc.env:HOME}", "description"),
        ("description=${oc.decode:'1'}", "description"),
        ("description='${ oc.env : HOME }'", "description"),
    ):
        with pytest.raises(sim.ConfigError, match=key.replace(".", r"\.")):
            sim.load_config(overrides=[override])


def test_plain_references_between_values_still_work():
    cfg = sim.load_config(overrides=["navy.boarding_teams=${terminal.berths}"])
    assert cfg.navy.boarding_teams == cfg.terminal.berths


def test_experimental_rerun_is_refused(capsys):
    refused_in_process(capsys, "--experimental-rerun", "--experimental-rerun", "config.pickle")


def test_output_folder_and_launcher_are_still_set_on_the_command_line(tmp_path):
    proc = blockade(*FAST, "hydra/launcher=basic", "hydra.run.dir=mine", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "mine" / "summary.json").is_file()


def test_a_broken_yaml_file_in_a_shared_folder_is_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "broken.yaml").write_text("name: [unclosed\n  x: : :\n")
    with pytest.raises(sim.ConfigError, match=r"broken\.yaml:2:4: invalid YAML"):
        sim.load_config("broken", config_dir=tmp_path)
    monkeypatch.chdir(tmp_path)
    refused_in_process(capsys, "broken.yaml", "--config-dir", str(tmp_path), "scenario=broken")


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"overrides": "navy.boarding_teams=2"}, "did you mean"),
        ({"scenario": None}, "scenario"),
        ({"config_dir": 5}, "config_dir"),
        ({"overrides": [3]}, "overrides"),
    ],
    ids=["str-overrides", "no-scenario", "int-config-dir", "int-override"],
)
def test_load_config_arguments_of_the_wrong_type_are_one_line(kwargs, key):
    with pytest.raises(sim.ConfigError, match=key):
        sim.load_config(**kwargs)
