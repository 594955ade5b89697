"""Which observations the CLI draws on a run's charts: the scenario's bundled file when it
fits the run, nothing otherwise."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import sim
import sim.analysis
from sim.analysis.observed import default_observations
from sim.cli import app


def test_the_reference_scenario_brings_its_december_observations() -> None:
    obs = default_observations(sim.load_config("venezuela_dec2025"))
    assert obs is not None and obs.ids == ("O1", "O2", "O3-O4")


def test_a_run_the_bundled_file_does_not_fit_draws_none() -> None:
    short = sim.load_config("venezuela_dec2025", overrides=["horizon_days=20"])
    assert default_observations(short) is None  # its windows reach day 22


def test_a_scenario_without_a_bundled_file_draws_none() -> None:
    cfg = sim.load_config("venezuela_dec2025", overrides=["name=elsewhere"])
    assert default_observations(cfg) is None


def test_the_cli_passes_them_to_the_plots(monkeypatch: Any, tmp_path: Any, capsys: Any) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(sim.analysis, "write_run_plots", lambda res, **kw: seen.update(kw))
    monkeypatch.setattr(app, "short_decline", lambda res: "71%")
    res = SimpleNamespace(config=sim.load_config("venezuela_dec2025"))
    app._show(res, tmp_path, (3, ("++navy.boarding_teams=4",)), plots=False)
    assert seen == {}  # plots are drawn only when asked
    app._show(res, tmp_path, (3, ("++navy.boarding_teams=4",)), plots=True)
    assert seen["observations"].ids == ("O1", "O2", "O3-O4")
    assert capsys.readouterr().out == "[3] navy.boarding_teams=4: 71%\n" * 2
