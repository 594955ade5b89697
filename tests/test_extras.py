"""A missing optional dependency is one line naming the setting and the extra to install."""

import pytest

import sim
from sim import extras
from sim.cli import main


@pytest.fixture
def no_dask(monkeypatch):
    real = extras.importable
    monkeypatch.setattr(extras, "importable", lambda m: not m.startswith("dask") and real(m))


def test_the_dask_executor_without_dask_names_the_key_and_the_extra(no_dask):
    cfg = sim.load_config("venezuela_dec2025", ["uncertain={}", "experiment.replications=2"])
    with pytest.raises(extras.MissingExtra) as err:
        sim.run_experiment(cfg, executor="dask", workers=1, progress=False)
    message = str(err.value)
    assert message.startswith("experiment.executor: needs dask.distributed")
    assert "pip install 'blockade-sim[dask]'" in message and "\n" not in message
    assert isinstance(err.value, ValueError)


def test_the_cli_says_it_in_one_line_with_exit_2(no_dask, tmp_path, capsys):
    argv = [
        "uncertain={}",
        "experiment.replications=2",
        "experiment.executor=dask",
        f"hydra.run.dir={tmp_path / 'run'}",
    ]
    try:
        status = main(argv)
    except SystemExit as exc:  # raised inside the Hydra job, as from the console script
        status = exc.code
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert err.count("\n") == 0 and "optional 'dask' extra" in err


def test_an_installed_module_is_not_refused():
    assert extras.missing("numpy", "none", "anything") is None
