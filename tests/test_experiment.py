"""run_experiment: executors agree bit for bit, resume, stopping, CRN, failures."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim.experiment import ExperimentResult, ReplicationFailed, RunFolderMismatch, run_experiment
from sim.experiment.executors import (
    SerialExecutor,
    as_completed,
    check_executor,
    make_executor,
    map_ordered,
)
from sim.experiment.stats import DailyAggregate, rel_halfwidth
from sim.model.ledger import TIMESERIES_COLUMNS
from sim.model.world import World

SMALL = [
    "horizon_days=30",
    "uncertain={}",
]  # the point scenario: ~7 ms per replication and its baseline


@pytest.fixture(scope="module")
def cfg() -> sim.Config:
    return sim.load_config("venezuela_dec2025", SMALL)


@pytest.fixture(scope="module")
def serial40(cfg: sim.Config, tmp_path_factory: pytest.TempPathFactory) -> ExperimentResult:
    out = tmp_path_factory.mktemp("serial40")
    return run_experiment(cfg, replications=40, executor="serial", out_dir=out, progress=False)


def assert_same(a: ExperimentResult, b: ExperimentResult) -> None:
    pd.testing.assert_frame_equal(a.replications, b.replications, check_exact=True)
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)


def test_result_shape(cfg: sim.Config, serial40: ExperimentResult) -> None:
    reps = serial40.replications
    assert reps["replication"].tolist() == list(range(40))
    assert (reps["seed"] == cfg.experiment.seed).all()
    for m in sim.METRIC_KEYS:
        assert m in reps and f"baseline_{m}" in reps and m in serial40.summary.index
    expected = 1 - reps["exported_bbl"] / reps["baseline_exported_bbl"]
    assert np.array_equal(reps["export_decline"], expected)
    assert {"export_decline", "baseline_exported_bbl"} <= set(serial40.summary.index)
    assert not {"replication", "seed"} & set(serial40.summary.index)
    ts = serial40.timeseries
    assert set(ts["world"]) == {"blockade", "baseline"}
    assert len(ts) == 2 * 30
    for c in TIMESERIES_COLUMNS:
        for stat in ("mean", "p05", "p50", "p95"):
            assert f"{c}_{stat}" in ts
    m = serial40.manifest
    assert m["replications_done"] == 40 and m["root_seed"] == cfg.experiment.seed
    assert m["target_met"] is None and m["status"] == "complete"
    for key in ("package_version", "python", "numpy", "simpy", "hydra", "pandas", "config_hash"):
        assert m[key]
    for f in ("config.yaml", "replications.parquet", "timeseries.parquet", "summary.json"):
        assert (serial40.out_dir / f).is_file()


def test_rows_are_exactly_the_single_replications(cfg: sim.Config, serial40) -> None:
    root = cfg.experiment.seed
    for i in (0, 17, 39):
        row = serial40.replications.iloc[i]
        rep = sim.simulate(cfg, seed=root, replication=i, record_events=False)
        base = sim.simulate(cfg.baseline(), seed=root, replication=i, record_events=False)
        for m in sim.METRIC_KEYS:
            a, b = row[m], rep.metrics[m]
            assert a == b or (math.isnan(a) and math.isnan(b)), m
            assert row[f"baseline_{m}"] == base.metrics[m] or math.isnan(base.metrics[m])
    # The daily mean is the mean of the replications' series (to the 2**-16 grid).
    series = [
        sim.simulate(cfg, seed=root, replication=i, record_events=False).timeseries
        for i in range(40)
    ]
    mean = np.mean([s["storage_bbl"].to_numpy() for s in series], axis=0)
    got = serial40.timeseries.query("world == 'blockade'")["storage_bbl_mean"].to_numpy()
    assert np.allclose(got, mean, rtol=1e-14, atol=1e-4)


def test_executors_agree_bit_for_bit(cfg: sim.Config, serial40: ExperimentResult) -> None:
    procs = run_experiment(cfg, replications=40, workers=2, executor="processes", progress=False)
    assert procs.manifest["workers"] == 2 and procs.manifest["chunks"] > 2
    assert_same(serial40, procs)
    dask = run_experiment(cfg, replications=40, workers=2, executor="dask", progress=False)
    assert dask.manifest["executor"] == "dask" and dask.manifest["workers"] == 2
    assert_same(serial40, dask)


def test_worker_count_chunking_and_prefix_independence(cfg, serial40) -> None:
    one = run_experiment(
        cfg, replications=40, workers=1, executor="processes", progress=False, chunk_size=3
    )
    assert_same(serial40, one)
    odd = run_experiment(cfg, replications=40, executor="serial", progress=False, chunk_size=7)
    assert_same(serial40, odd)
    prefix = run_experiment(cfg, replications=25, executor="serial", progress=False)
    pd.testing.assert_frame_equal(
        prefix.replications, serial40.replications.iloc[:25], check_exact=True
    )


def test_quantile_sample_is_order_independent_when_it_evicts(cfg, monkeypatch) -> None:
    monkeypatch.setattr(DailyAggregate, "CAPACITY", 6)
    a = run_experiment(cfg, replications=30, executor="serial", progress=False, chunk_size=4)
    b = run_experiment(cfg, replications=30, workers=2, executor="processes", progress=False)
    assert a.manifest["timeseries_sample"] == 6
    assert_same(a, b)


def test_resume_after_killed_run(cfg: sim.Config, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    n = 120
    (tmp_path / "cfg.json").write_text(json.dumps(cfg.to_dict()))
    code = textwrap.dedent(
        f"""
        import json, sim
        from sim.config import validate
        cfg = validate(json.load(open({str(tmp_path / "cfg.json")!r})))
        sim.run_experiment(cfg, replications={n}, executor="serial", out_dir={str(out)!r},
                           progress=False, chunk_size=4)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while len(list((out / "parts").glob("chunk-*.parquet"))) < 3:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no chunk was written"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "replications.parquet").exists()
    assert sim.experiment.store.read_json(out / "manifest.json")["status"] == "running"

    resumed = run_experiment(cfg, replications=n, workers=2, executor="processes", out_dir=out)
    done_before = resumed.manifest["resumed_from"]
    assert 12 <= done_before < n
    assert resumed.manifest["replications_computed"] == n - done_before
    assert not (out / "parts").exists()
    fresh = run_experiment(cfg, replications=n, workers=2, executor="processes", progress=False)
    assert_same(resumed, fresh)


def test_extending_a_finished_run_computes_only_new_replications(cfg, serial40, tmp_path) -> None:
    run_experiment(cfg, replications=25, executor="serial", out_dir=tmp_path, progress=False)
    more = run_experiment(cfg, replications=40, executor="serial", out_dir=tmp_path)
    assert more.manifest["resumed_from"] == 25
    assert more.manifest["replications_computed"] == 15
    assert_same(more, serial40)
    again = run_experiment(cfg, replications=40, executor="processes", out_dir=tmp_path)
    assert again.manifest["replications_computed"] == 0
    assert_same(again, serial40)


def test_mismatched_config_is_refused(cfg: sim.Config, serial40: ExperimentResult) -> None:
    other = cfg.model_copy(update={"court": cfg.court.model_copy(update={"policy": "blanket"})})
    with pytest.raises(RunFolderMismatch, match="different config") as info:
        run_experiment(other, replications=5, executor="serial", out_dir=serial40.out_dir)
    assert str(serial40.out_dir) in str(info.value)
    assert "court.policy" in str(info.value)


def test_load_results_round_trip(serial40: ExperimentResult) -> None:
    back = sim.load_results(serial40.out_dir)
    assert isinstance(back, sim.ExperimentResult)
    assert back.config == serial40.config
    assert back.manifest == serial40.manifest
    assert back.out_dir == serial40.out_dir
    assert back.summary.attrs == serial40.summary.attrs
    assert_same(back, serial40)


def test_sequential_stopping_reaches_target(cfg: sim.Config) -> None:
    exp = cfg.experiment.model_copy(
        update={
            "replications": 10,
            "min_replications": 10,
            "batch_size": 10,
            "target_rel_halfwidth": 0.01,
            "max_replications": 300,
        }
    )
    res = run_experiment(
        cfg.model_copy(update={"experiment": exp}), workers=2, executor="processes"
    )
    n = len(res.replications)
    decline = res.replications["export_decline"].to_numpy()
    assert res.manifest["target_met"] is True and res.summary.attrs["target_met"] is True
    assert n % 10 == 0 and 20 <= n < 300
    assert rel_halfwidth(decline) <= 0.01
    assert rel_halfwidth(decline[: n - 10]) > 0.01  # it stopped at the first batch that met it
    s = res.summary.loc["export_decline"]
    assert (s["ci_high"] - s["ci_low"]) / 2 <= 0.01 * abs(s["mean"])
    assert res.manifest["achieved_rel_halfwidth"] == pytest.approx(rel_halfwidth(decline))


def test_sequential_stopping_stops_at_max(cfg: sim.Config) -> None:
    exp = cfg.experiment.model_copy(
        update={
            "replications": 10,
            "min_replications": 10,
            "batch_size": 7,
            "target_rel_halfwidth": 1e-6,
            "max_replications": 30,
            "baseline": False,
        }
    )
    res = run_experiment(cfg.model_copy(update={"experiment": exp}), executor="serial")
    assert len(res.replications) == 30
    assert res.manifest["target_met"] is False
    assert res.manifest["target_metric"] == "exported_bbl"
    assert "export_decline" not in res.replications
    assert "baseline_exported_bbl" not in res.summary.index
    assert set(res.timeseries["world"]) == {"blockade"}


def test_crn_pays_off_on_default_scenario() -> None:
    """Sweep points share seeds: the paired difference between two policies is much less
    variable than the unpaired one (replication i against replication i+1)."""
    a = sim.load_config("venezuela_dec2025")
    b = sim.load_config("venezuela_dec2025", ["navy.boarding_teams=4"])
    ra = run_experiment(a, replications=40, workers=2, executor="processes", progress=False)
    rb = run_experiment(b, replications=40, workers=2, executor="processes", progress=False)
    da = ra.replications["export_decline"].to_numpy()
    db = rb.replications["export_decline"].to_numpy()
    paired = np.var(da - db, ddof=1)
    unpaired = np.var(da - np.roll(db, 1), ddof=1)
    assert paired < 0.4 * unpaired
    diff = sim.experiment.paired_difference(ra.replications, rb.replications, ["export_decline"])
    assert diff.loc["export_decline", "n"] == 40


def test_failing_replication_is_named_and_finished_chunks_are_kept(
    cfg: sim.Config, serial40: ExperimentResult, tmp_path: Path, monkeypatch
) -> None:
    original = World.run

    def flaky(self: World) -> sim.Replication:
        if self.streams._seed.spawn_key == (23,):
            raise ZeroDivisionError("boom")
        return original(self)

    monkeypatch.setattr(World, "run", flaky)
    monkeypatch.setattr(DailyAggregate, "CAPACITY", 6)
    root = cfg.experiment.seed
    with pytest.raises(ReplicationFailed) as info:
        run_experiment(
            cfg, replications=40, executor="serial", out_dir=tmp_path, chunk_size=5, progress=False
        )
    err = info.value
    assert isinstance(err, RuntimeError)
    assert err.replication == 23 and err.seed == root
    msg = str(err)
    assert "replication 23" in msg and str(root) in msg and "ZeroDivisionError: boom" in msg
    assert f"sim.simulate(cfg, seed={root}, replication=23)" in msg
    assert str(tmp_path) in msg
    saved = pd.concat(pd.read_parquet(p) for p in (tmp_path / "parts").glob("*.parquet"))
    assert sorted(saved["replication"]) == list(range(23))
    manifest = sim.experiment.store.read_json(tmp_path / "manifest.json")
    assert manifest["status"] == "failed" and "replication 23" in manifest["error"]

    monkeypatch.setattr(World, "run", original)
    resumed = run_experiment(cfg, replications=40, executor="serial", out_dir=tmp_path)
    assert resumed.manifest["replications_computed"] == 17
    fresh = run_experiment(cfg, replications=40, workers=2, executor="processes")
    assert_same(resumed, fresh)  # both with the evicting 6-replication quantile sample
    pd.testing.assert_frame_equal(resumed.replications, serial40.replications, check_exact=True)


def test_progress_bar_only_when_asked(cfg: sim.Config, capsys) -> None:
    run_experiment(cfg, replications=3, executor="serial", progress=False)
    assert capsys.readouterr().err == ""
    run_experiment(cfg, replications=3, executor="serial")  # not a terminal: silent
    assert capsys.readouterr().err == ""
    run_experiment(cfg, replications=3, executor="serial", progress=True)
    assert "3/3" in capsys.readouterr().err


def test_bad_arguments(cfg: sim.Config) -> None:
    with pytest.raises(ValueError, match="executor"):
        run_experiment(cfg, replications=2, executor="threads")
    with pytest.raises(ValueError, match="replications"):
        run_experiment(cfg, replications=0)
    with pytest.raises(ValueError, match="workers"):
        run_experiment(cfg, replications=2, workers=0, executor="processes")
    with pytest.raises(TypeError, match=r"sim\.Config"):
        run_experiment({"name": "x"})  # type: ignore[arg-type]


def test_resume_after_a_crash_while_consolidating(cfg, serial40, tmp_path, monkeypatch) -> None:
    from sim.experiment import store

    real = store.write_parquet_atomic

    def crash(path, df):  # the aggregate is saved, the final table is not
        if Path(path).name == "replications.parquet":
            raise OSError("disk full")
        return real(path, df)

    monkeypatch.setattr(store, "write_parquet_atomic", crash)
    with pytest.raises(OSError, match="disk full"):
        run_experiment(cfg, replications=40, executor="serial", out_dir=tmp_path, chunk_size=9)
    assert (tmp_path / "state" / "aggregate.npz").is_file()
    assert (tmp_path / "parts").is_dir()
    monkeypatch.setattr(store, "write_parquet_atomic", real)
    again = run_experiment(cfg, replications=40, executor="serial", out_dir=tmp_path)
    assert again.manifest["replications_computed"] == 0
    assert_same(again, serial40)


def _sequential(cfg: sim.Config, **exp: Any) -> sim.ExperimentResult:
    settings = cfg.experiment.model_copy(update={"batch_size": 10, "max_replications": 400, **exp})
    return run_experiment(cfg.model_copy(update={"experiment": settings}), executor="serial")


def test_an_absolute_target_stops_at_the_first_batch_that_meets_it(cfg: sim.Config) -> None:
    """target_halfwidth 0.006 (0.6 points of decline): the 95% half-width of the mean."""
    from sim.experiment.stats import halfwidth

    res = _sequential(cfg, replications=10, min_replications=10, target_halfwidth=0.006)
    decline = res.replications["export_decline"].to_numpy()
    n = len(decline)
    assert res.manifest["target_met"] is True and 20 <= n < 400
    assert halfwidth(decline) <= 0.006 < halfwidth(decline[: n - 10])
    assert res.manifest["achieved_halfwidth"] == pytest.approx(halfwidth(decline))


def test_a_target_is_not_checked_before_the_minimum(cfg: sim.Config) -> None:
    """An easy target met by 10 replications still runs the default minimum of 100."""
    res = _sequential(cfg, replications=10, target_halfwidth=0.5)
    assert len(res.replications) == 100 and res.manifest["target_met"] is True


def test_one_precision_target_at_a_time() -> None:
    with pytest.raises(sim.ConfigError, match=r"^experiment\.target_halfwidth: give one"):
        sim.load_config(
            "venezuela_dec2025",
            ["experiment.target_halfwidth=0.01", "experiment.target_rel_halfwidth=0.01"],
        )


# --------------------------------------------------------------------------- the executor loop


def _square_or_fail(x: int) -> int:
    if x == 3:
        raise ZeroDivisionError("three")
    return x * x


@pytest.mark.parametrize("name", ["serial", "processes"])
def test_map_ordered_keeps_the_order_of_its_arguments(name: str) -> None:
    with make_executor(name, 2) as ex:
        assert map_ordered(ex, _square_or_fail, [(x,) for x in (5, 4, 2, 1, 0)]) == [
            25,
            16,
            4,
            1,
            0,
        ]


def test_a_failing_task_stops_the_loop_with_the_error_of_its_index() -> None:
    read: list[int] = []

    def args() -> Iterator[tuple[int]]:
        for x in range(10):
            read.append(x)
            yield (x,)

    def failure(i: int, exc: Exception) -> Exception:
        return ValueError(f"task {i}: {exc}")

    seen = []
    with make_executor("serial", 1) as ex, pytest.raises(ValueError, match="task 3: three"):
        for i, value in as_completed(ex, _square_or_fail, args(), failure):
            seen.append((i, value))
    assert seen == [(0, 0), (1, 1), (2, 4)]
    assert read == [0, 1, 2, 3]  # nothing is submitted after the failure


def test_at_most_max_inflight_tasks_are_submitted() -> None:
    class Counting(SerialExecutor):
        inflight = 2

        @property
        def max_inflight(self) -> int:
            return self.inflight

        def __init__(self) -> None:
            super().__init__()
            self.waits: list[int] = []

        def wait_first(self, futures: Iterable[Any]) -> set[Any]:
            futures = list(futures)
            self.waits.append(len(futures))
            return {futures[0]}

    ex = Counting()
    assert map_ordered(ex, _square_or_fail, [(x,) for x in (0, 1, 2, 4, 5)]) == [0, 1, 4, 16, 25]
    assert max(ex.waits) == 2


def test_check_executor_names_the_key_and_what_is_allowed() -> None:
    assert check_executor("serial", 8) == ("serial", 1)
    assert check_executor("processes", 3) == ("processes", 3)
    with pytest.raises(ValueError, match=r"^executor: must be one of serial, processes, dask"):
        check_executor("threads", 2)
    with pytest.raises(ValueError, match=r"^workers: must be a positive integer \(got 0\)"):
        check_executor("processes", 0)
