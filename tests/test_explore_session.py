"""The explorer without its page: streamed runs, choices as overrides, the reference, views."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim import extras
from sim.analysis.tables import headline
from sim.cli import main
from sim.cli.explore import bind_port, is_loopback, origins
from sim.experiment.executors import Executor, make_executor
from sim.experiment.runner import month_columns
from sim.experiment.stats import summarize
from sim.explore import session as session_module
from sim.explore import stream as stream_module
from sim.explore.session import Choice, Engine, Session, difference, lever_specs, range_specs
from sim.explore.stream import ChartClock, chunk_size, stream
from sim.explore.views import Steps, View, difference_html, headline_html, status_text
from sim.metrics import metric

SCENARIO = "venezuela_dec2025"
N = 12


@pytest.fixture(scope="module")
def cfg() -> sim.Config:
    return sim.load_config(SCENARIO, ["horizon_days=30"])


@pytest.fixture(scope="module")
def batch(cfg: sim.Config) -> sim.ExperimentResult:
    return sim.run_experiment(cfg, replications=N, executor="serial", progress=False)


@pytest.fixture(scope="module")
def session() -> Session:
    return Session(Engine("serial"))


def test_a_streamed_run_is_the_batch_run_on_any_executor(cfg, batch) -> None:
    """Chunks finishing in any order on two processes fold into the rows, summary and daily
    series of run_experiment; every snapshot on the way holds batch rows, unchanged."""
    ex = make_executor("processes", 2)
    try:
        snaps = list(stream(cfg, N, ex, every=0.0))
    finally:
        ex.close()
    assert len(snaps) == N / chunk_size(N, 2) and snaps[-1].finished
    assert [s.done for s in snaps] == sorted(s.done for s in snaps)
    last = snaps[-1].result
    pd.testing.assert_frame_equal(last.replications, batch.replications)
    pd.testing.assert_frame_equal(last.summary, batch.summary)
    pd.testing.assert_frame_equal(last.timeseries, batch.timeseries)
    first = snaps[0].result.replications.set_index("replication")
    expected = batch.replications.set_index("replication").loc[first.index]
    pd.testing.assert_frame_equal(first, expected)
    assert snaps[0].result.manifest["status"] == "running"
    assert last.manifest["status"] == "complete"


def test_chunks_folded_all_at_once_are_the_batch_run(cfg, batch) -> None:
    """One snapshot at the end: every chunk folded in one go gives the same result."""
    (last,) = list(stream(cfg, N, make_executor("serial", 1), every=1e9))
    pd.testing.assert_frame_equal(last.result.replications, batch.replications)
    pd.testing.assert_frame_equal(last.result.summary, batch.summary)
    pd.testing.assert_frame_equal(last.result.timeseries, batch.timeseries)
    assert last.charts and last.result.daily_state is not None and batch.daily_state is not None
    assert last.result.daily_state.keys() == batch.daily_state.keys()
    for key, value in batch.daily_state.items():
        assert np.array_equal(last.result.daily_state[key], value), key


class Deferred(Executor):
    """Tasks run only when waited for, oldest first: how many were in flight at most."""

    name = "deferred"
    workers = 2

    def __init__(self) -> None:
        self.queue: list[tuple[Future, Any, tuple]] = []
        self.most = 0

    def submit(self, fn, *args):
        future: Future = Future()
        self.queue.append((future, fn, args))
        self.most = max(self.most, len(self.queue))
        return future

    def wait_first(self, futures):
        future, fn, args = self.queue.pop(0)
        future.set_result(fn(*args))
        return {future}


def test_a_stream_hands_its_workers_every_chunk_at_once(cfg, batch) -> None:
    """The workers never wait for the page: all chunks are submitted before the first result
    is taken (the runner's as_completed would keep 2 x workers)."""
    ex = Deferred()
    snaps = list(stream(cfg, N, ex, every=0.0))
    assert ex.most == len(snaps) == N / chunk_size(N, ex.workers) > ex.max_inflight
    pd.testing.assert_frame_equal(snaps[-1].result.replications, batch.replications)


def test_a_running_snapshot_carries_what_the_page_shows(cfg) -> None:
    """Its rows, the summary of the headline's metrics (the headline the whole summary gives)
    and no daily series unless the charts are due; the finished one has them all."""
    clock = ChartClock(every=0.0)
    snaps = list(stream(cfg, 40, make_executor("serial", 1), every=0.0, clock=clock))
    running, last = snaps[0].result, snaps[-1].result
    assert not snaps[0].finished and snaps[0].charts  # due: every=0 and 0 s per chart so far
    months = month_columns(cfg)
    full = summarize(running.replications.drop(columns=months))
    assert set(running.summary.index) < set(full.index)
    pd.testing.assert_frame_equal(running.summary, full.loc[running.summary.index])
    assert headline(running.summary, 10) == headline(full, 10)
    assert not running.timeseries.empty and running.daily_state is not None
    quiet = next(stream(cfg, 40, make_executor("serial", 1), every=0.0))  # no clock: no series
    assert not quiet.charts and quiet.result.timeseries.empty and quiet.result.daily_state is None
    assert snaps[-1].charts and last.daily_state is not None
    pd.testing.assert_frame_equal(last.summary, summarize(last.replications.drop(columns=months)))


def test_the_chart_clock_skips_a_busy_machine_and_the_end_of_a_run(monkeypatch) -> None:
    now = [100.0]
    monkeypatch.setattr(stream_module.time, "monotonic", lambda: now[0])
    clock = ChartClock(every=2.0)  # made at 100
    now[0] = 101.0
    assert not clock.due(10, 100, 1.0)  # 1 s since the start
    now[0] = 102.0
    assert clock.due(10, 100, 2.0)  # 2 s since, 18 s to go
    assert not clock.due(90, 100, 2.0)  # 0.2 s to go: the finished charts come soon
    assert not clock.due(0, 100, 2.0)
    clock.drawn(101.0)  # drawing took 1 s: the next waits 3 s
    now[0] = 104.5
    assert not clock.due(10, 100, 4.5)
    now[0] = 105.0
    assert clock.due(10, 100, 5.0)
    busy = ChartClock(every=2.0, cost=2.0)  # the session's last drawing took 2 s: wait 6
    now[0] = 110.0
    assert not busy.due(10, 100, 5.0)
    now[0] = 111.0
    assert busy.due(50, 100, 11.0) and not busy.due(70, 100, 11.0)  # 11 s to go, 4.7 s


def test_closing_a_stream_stops_it(cfg) -> None:
    steps = stream(cfg, 40, make_executor("serial", 1), every=0.0)
    first = next(steps)
    steps.close()
    assert first.done == chunk_size(40, 1) < 40 and not first.finished
    with pytest.raises(StopIteration):
        next(steps)


def test_levers_are_the_validation_levers_at_the_config_values(session) -> None:
    base = session.base(SCENARIO, "enter_after_14d")
    specs = {s.key: s for s in lever_specs(base)}
    assert specs["navy.boarding_teams"].value == base.navy.boarding_teams
    assert specs["navy.boarding_teams"].integer
    # a distribution's lever moves its median, so its spread stays the scenario's
    assert specs["court.delay_days.median"].value == base.court.delay_days.median
    wait = specs["policy.enter_waters_after_days"]
    assert wait.value == 14 and ("never", None) in wait.options
    assert specs["navy.detection_prob"].uncertain and not specs["navy.boarding_teams"].uncertain


def test_a_moved_lever_reaches_the_config_and_leaves_uncertain(session) -> None:
    choice = Choice(
        levers=(("navy.detection_prob", 0.5), ("court.delay_days.median", 3.0)),
        replications=N,
    )
    cfg = session.configure(choice)
    base = session.base(SCENARIO, None)
    assert cfg.navy.detection_prob == 0.5
    assert cfg.court.delay_days.median == 3.0
    assert cfg.court.delay_days.sigma == base.court.delay_days.sigma
    assert "navy.detection_prob" not in cfg.uncertain
    assert "court.delay_days.median" not in cfg.uncertain
    assert "behaviour.offer.premium" in cfg.uncertain
    assert session.configure(Choice(policy="enter_after_14d")).policy.enter_waters_after_days == 14
    never = Choice(policy="enter_after_14d", levers=(("policy.enter_waters_after_days", None),))
    assert session.configure(never).policy.enter_waters_after_days is None


def test_ranges_mode_draws_from_the_sliders_ranges(session) -> None:
    base = session.base(SCENARIO, None)
    ranges = tuple((r.key, r.low, r.high) for r in range_specs(base))
    assert {k for k, _, _ in ranges} == set(base.uncertain)
    moved = (("navy.detection_prob", 0.6, 0.7), *ranges[2:])
    cfg = session.configure(Choice(draws="ranges", ranges=moved))
    assert cfg.experiment.posterior is None
    assert (
        cfg.uncertain["navy.detection_prob"].low,
        cfg.uncertain["navy.detection_prob"].high,
    ) == (
        0.6,
        0.7,
    )
    assert set(cfg.uncertain) == set(base.uncertain)  # the keys without a slider stay too
    assert session.configure(Choice(draws="fixed")).uncertain == {}


@pytest.mark.parametrize(
    ("choice", "words"),
    [
        (
            Choice(draws="ranges", ranges=(("navy.detection_prob", 0.5, 1.2),)),
            "uncertain.navy.detection_prob",
        ),
        (Choice(levers=(("navy.boarding_teams", -1),)), "navy.boarding_teams"),
        (Choice(policy="no_such_policy"), "no_such_policy"),
        (Choice(replications=0), "replications"),
        (Choice(draws="sometimes"), "draws"),
    ],
)
def test_a_mistake_is_one_config_error_line_naming_the_key(session, choice, words) -> None:
    with pytest.raises(sim.ConfigError) as err:
        session.configure(choice)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_configs_composed_from_many_threads_at_once_are_each_right(session) -> None:
    """Two pages (or two quick slider moves) validate at the same time: Hydra's global state
    must not make one of them fail."""
    from concurrent.futures import ThreadPoolExecutor

    teams = [1, 2, 4, 5, 6, 7, 8, 0]
    choices = [Choice(levers=(("navy.boarding_teams", n),)) for n in teams]
    with ThreadPoolExecutor(4) as pool:
        configs = list(pool.map(session.configure, choices))
    assert [c.navy.boarding_teams for c in configs] == teams


def test_a_config_is_composed_once_per_distinct_overrides(monkeypatch) -> None:
    """The check of a change composes its config; Run and the same sliders again reuse it."""
    from sim.explore import session as module

    composed: list[tuple[str, tuple[str, ...]]] = []
    real = module.load_config

    def counting(scenario, overrides, config_dir=None):
        composed.append((scenario, tuple(overrides)))
        return real(scenario, overrides, config_dir)

    monkeypatch.setattr(module, "load_config", counting)
    fresh = Session(Engine("serial"))
    two = Choice(levers=(("navy.boarding_teams", 2),))
    first = fresh.configure(two)
    assert fresh.configure(Choice(levers=(("navy.boarding_teams", 2),))) is first
    assert fresh.configure(Choice()) is fresh.base(SCENARIO, None)  # no overrides: the base
    assert fresh.configure(Choice(levers=(("navy.boarding_teams", 3),))) is not first
    assert fresh.configure(two) is first
    assert composed == [
        (SCENARIO, ()),
        (SCENARIO, ("navy.boarding_teams=2",)),
        (SCENARIO, ("navy.boarding_teams=3",)),
    ]
    with pytest.raises(sim.ConfigError):
        fresh.configure(Choice(levers=(("navy.boarding_teams", -1),)))
    with pytest.raises(sim.ConfigError):  # a mistake is not kept: composed (and refused) again
        fresh.configure(Choice(levers=(("navy.boarding_teams", -1),)))
    assert composed[-2:] == [(SCENARIO, ("navy.boarding_teams=-1",))] * 2


def test_the_config_cache_keeps_the_latest(monkeypatch) -> None:
    from sim.explore import session as module

    monkeypatch.setattr(module, "CONFIG_CACHE", 2)
    fresh = Session(Engine("serial"))
    configs = [fresh.configure(Choice(levers=(("navy.boarding_teams", n),))) for n in (1, 2, 3)]
    assert fresh.configure(Choice(levers=(("navy.boarding_teams", 3),))) is configs[2]
    again = fresh.configure(Choice(levers=(("navy.boarding_teams", 1),)))  # dropped: composed
    assert again is not configs[0] and again == configs[0]


def test_the_first_finished_run_is_the_reference_and_later_runs_are_paired(session) -> None:
    fresh = Session(session.engine)
    base = [s for s in fresh.run(Choice(levers=(("horizon_days", 30),), replications=N))]
    assert fresh.reference is base[-1].result and fresh.difference(base[-1].result) is None
    fewer = Choice(levers=(("horizon_days", 30), ("navy.boarding_teams", 0)), replications=N)
    this = list(fresh.run(fewer))[-1].result
    diff = fresh.difference(this)
    assert diff is not None and diff.pairs == N
    ref = fresh.reference.replications
    by_hand = this.replications["export_decline"] - ref["export_decline"]
    row = diff.table.loc["export_decline"]
    assert row["mean"] == pytest.approx(by_hand.mean())
    assert row["this"] - row["reference"] == pytest.approx(by_hand.mean())
    assert row["ci_high"] < 0  # no boarding teams, far fewer seizures: a smaller decline
    assert fresh.use_as_reference() and fresh.reference is this


def test_a_reference_of_another_seed_is_refused(batch) -> None:
    other = sim.load_config(SCENARIO, ["horizon_days=30", "experiment.seed=7"])
    res = sim.run_experiment(other, replications=2, executor="serial", progress=False)
    with pytest.raises(sim.ConfigError, match="root seed"):
        difference(res, batch)


def test_the_views_say_the_registry_numbers(batch) -> None:
    html = headline_html(batch)
    s = batch.summary.loc["export_decline"]
    m = metric("export_decline")
    assert f"{m.fmt(s['mean'])}% (95% CI {m.fmt(s['ci_low'])} – {m.fmt(s['ci_high'])}%)" in html
    assert f"single runs {m.fmt(s['p05'])} to {m.fmt(s['p95'])}%" in html
    assert 'data-status="complete"' in html and f'data-n="{N}"' in html
    table = difference_html(difference(batch, batch, "ref <b>"))
    assert "ref &lt;b&gt;" in table  # escaped
    assert "0 pp" in table and f'data-pairs="{N}"' in table


def _views(session: Session, choice: Choice) -> list[View]:
    steps = Steps.start(session, choice)
    views = []
    while (view := steps.next()) is not None:
        views.append(view)
    return views


def test_a_run_as_the_page_shows_it_ends_with_its_charts(session, monkeypatch) -> None:
    """Every step has the headline; the last has the charts, drawn alike on the workers of
    one pool that the session's runs share (made once, not per run)."""
    choice = Choice(levers=(("horizon_days", 30),), replications=4)
    views = _views(session, choice)
    last = views[-1]
    assert last.snap.finished and 'data-status="complete"' in last.headline
    assert last.fan is not None and last.fan.startswith(b"\x89PNG")
    assert last.cumulative is not None and last.cumulative.startswith(b"\x89PNG")
    assert all(v.fan is None for v in views[:-1])  # no chart step in a run this short
    pools: list[str] = []
    real = session_module.make_executor

    def counting(name, workers):
        pools.append(name)
        return real(name, workers)

    monkeypatch.setattr(session_module, "make_executor", counting)
    pooled = Session(Engine("processes", 2))
    try:
        pooled.engine.warm()
        for _ in range(2):
            again = _views(pooled, choice)[-1]
            assert (again.fan, again.cumulative) == (last.fan, last.cumulative)
        assert pooled.chart_seconds > 0  # the next run's chart cadence starts from it
    finally:
        pooled.engine.close()
    assert pools == ["processes"]


def test_the_command_loads_what_a_run_needs_before_the_workers_fork(monkeypatch, capsys) -> None:
    """SciPy and the fonts (views.prepare) before the pool forks, so its workers have them."""
    from sim.experiment import runner
    from sim.explore import app, views

    calls: list[str] = []
    monkeypatch.setattr(views, "prepare", lambda: calls.append("prepare"))
    monkeypatch.setattr(Engine, "warm", lambda self: calls.append("warm"))
    monkeypatch.setattr(runner, "sigterm_as_interrupt", lambda: None)
    monkeypatch.setattr(app, "serve", lambda *args, **kwargs: calls.append("serve"))
    assert main(["explore", "--port", "0", "--executor", "serial"]) == 0
    assert calls == ["prepare", "warm", "serve"]
    assert capsys.readouterr().out.startswith("Explorer at http://127.0.0.1:")


def test_status_text_counts_replications(cfg) -> None:
    snap = next(stream(cfg, 4, make_executor("serial", 1), every=1e9))
    assert status_text(snap) == f"Finished: 4 replications in {snap.seconds:.1f} s"


# --------------------------------------------------------------------------- the command


def test_addresses_and_the_names_browsers_may_use() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")
    assert origins("127.0.0.1", 5006, []) == ["localhost:5006", "127.0.0.1:5006"]
    assert origins("192.0.2.1", 80, ["analyst-pc", "[::1]:81"]) == [
        "192.0.2.1:80",
        "analyst-pc:80",
        "[::1]:81",
    ]
    free = bind_port("127.0.0.1", 0)
    assert 0 < free <= 65535


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--port", "70000"], "--port"),
        (["--port", "x"], "--port"),
        (["--address", "192.0.2.1"], "cannot listen there"),  # not this machine's address
        (["--scenario", "no_such_scenario"], "no_such_scenario"),
        (["--config-dir", "/no/such/folder"], "/no/such/folder"),
        (["--executor", "threads"], "--executor"),
    ],
)
def test_a_bad_argument_is_one_line_with_exit_2(capsys, argv, words) -> None:
    assert main(["explore", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("blockade explore: error:") and "\n" not in err
    assert words in err and "Traceback" not in err


def test_without_panel_the_command_names_the_extra(monkeypatch, capsys) -> None:
    real = extras.importable
    monkeypatch.setattr(extras, "importable", lambda m: m != "panel" and real(m))
    assert main(["explore"]) == 2
    err = capsys.readouterr().err.strip()
    assert "optional 'explore' extra" in err and "\n" not in err
