"""Calendar months: exact per-replication monthly sums, monthly.csv, the report's table, and
the CSV copies of the run folder's parquet files (rewritten by every run into the folder)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis import tables
from sim.analysis.report import write_report
from sim.experiment import ExperimentResult, load_results, run_experiment
from sim.experiment import monthly as mo
from sim.experiment.store import RunFolder

SHORT = ["horizon_days=60", "uncertain={}"]  # 10 Dec 2025 + 60 days: Dec (22), Jan, Feb (7)
N = 6
CSVS = ("replications.csv", "timeseries.csv", "monthly.csv")


@pytest.fixture(scope="module")
def cfg() -> sim.Config:
    return sim.load_config("venezuela_dec2025", SHORT)


@pytest.fixture(scope="module")
def fresh(cfg: sim.Config) -> ExperimentResult:
    return run_experiment(cfg, replications=N, executor="serial", progress=False)


def test_the_months_of_a_run_say_which_days_they_cover() -> None:
    spans = mo.months(dt.date(2025, 12, 10), 90)
    assert [(m.iso, m.first_day, m.days, m.days_in_month) for m in spans] == [
        ("2025-12", 0, 22, 31),
        ("2026-01", 22, 31, 31),
        ("2026-02", 53, 28, 28),
        ("2026-03", 81, 9, 31),
    ]
    assert [m.label for m in spans] == [
        "Dec 2025 (22 of 31 days)",
        "Jan 2026",
        "Feb 2026",
        "Mar 2026 (9 of 31 days)",
    ]
    leap = mo.months(dt.date(2028, 2, 1), 29)
    assert [(m.iso, m.days, m.partial) for m in leap] == [("2028-02", 29, False)]
    assert [m.days for m in mo.months(dt.date(2025, 12, 10), mo.run_days(90.5))][-1] == 10
    assert [m.iso for m in mo.months(dt.date(2025, 12, 10), 3)] == ["2025-12"]


def _by_month(rep: sim.Replication) -> pd.DataFrame:
    """One replication's exports and seizures per calendar month, from its dated series."""
    ts = rep.timeseries
    grouped = ts.groupby(ts["date"].dt.strftime("%Y_%m"))
    out = pd.DataFrame({"exported_bbl": grouped["exported_bbl"].sum()})
    out["seizures"] = grouped["seizures_cum"].last().diff().fillna(grouped["seizures_cum"].last())
    return out


def test_each_replication_keeps_its_own_monthly_sums(cfg: sim.Config, fresh) -> None:
    """The sums in the rows are that replication's daily series summed by calendar month
    (pandas on the dates of ``simulate``), and they add up to its whole-run metrics."""
    reps = fresh.replications.set_index("replication")
    for i in (0, N - 1):
        for world, c in (("", cfg), ("baseline_", cfg.baseline())):
            rep = sim.simulate(c, seed=cfg.experiment.seed, replication=i, record_events=False)
            for key, month in _by_month(rep).iterrows():
                got = reps.loc[i, f"month_{key}_{world}exported_bbl"]
                assert got == pytest.approx(month["exported_bbl"], rel=1e-12, abs=1e-6)
                revenue = reps.loc[i, f"month_{key}_{world}revenue_usd"]
                assert revenue == pytest.approx(got * rep.net_usd_per_bbl, rel=1e-12)
                if not world:
                    assert reps.loc[i, f"month_{key}_seizures"] == month["seizures"]
    for world in ("", "baseline_"):
        exported = [f"month_{k}_{world}exported_bbl" for k in ("2025_12", "2026_01", "2026_02")]
        total = reps[f"{world}exported_bbl"]
        np.testing.assert_allclose(reps[exported].sum(axis=1), total, rtol=1e-12)
    seizures = [c for c in reps.columns if c.startswith("month_") and c.endswith("_seizures")]
    assert len(seizures) == 3 and (reps[seizures].sum(axis=1) == reps["seizures"]).all()
    assert reps["seizures"].sum() > 0  # the check saw seizures


def test_the_table_summarises_the_sums_of_single_replications(fresh) -> None:
    """Mean, p05 and p95 are those of the per-replication sums, a difference is taken
    replication by replication (not the difference of two quantiles)."""
    reps, table = fresh.replications, fresh.monthly
    assert list(table["month"]) == ["2025-12", "2026-01", "2026-02"]
    assert list(table["days"]) == [22, 31, 7] and list(table["days_in_month"]) == [31, 31, 28]
    assert list(table["first_date"]) == ["2025-12-10", "2026-01-01", "2026-02-01"]
    assert list(table["last_date"]) == ["2025-12-31", "2026-01-31", "2026-02-07"]
    jan = table.set_index("month").loc["2026-01"]
    blockade = reps["month_2026_01_exported_bbl"].to_numpy()
    baseline = reps["month_2026_01_baseline_exported_bbl"].to_numpy()
    assert jan["exported_bbl_mean"] == pytest.approx(blockade.mean(), rel=1e-12)
    assert jan["exported_bbl_p05"] == pytest.approx(np.quantile(blockade, 0.05), rel=1e-12)
    diff = blockade - baseline
    assert jan["diff_exported_bbl_p95"] == pytest.approx(np.quantile(diff, 0.95), rel=1e-12)
    assert jan["diff_exported_bbl_p95"] != pytest.approx(
        np.quantile(blockade, 0.95) - np.quantile(baseline, 0.95), rel=1e-6
    )
    assert jan["seizures_mean"] == reps["month_2026_01_seizures"].mean()


def test_the_summary_and_the_sweep_leave_the_monthly_sums_out(fresh) -> None:
    assert not [m for m in fresh.summary.index if str(m).startswith("month_")]
    assert "revenue_lost_usd" in fresh.summary.index


def test_without_a_baseline_the_months_hold_the_blockade_world_only() -> None:
    cfg = sim.load_config("venezuela_dec2025", [*SHORT, "experiment.baseline=false"])
    res = run_experiment(cfg, replications=2, executor="serial", progress=False)
    months = [c for c in res.replications.columns if c.startswith("month_")]
    assert months == [
        f"month_{k}_{q}"
        for k in ("2025_12", "2026_01", "2026_02")
        for q in ("exported_bbl", "seizures", "revenue_usd")
    ]
    assert [c.removesuffix("_mean") for c in res.monthly.columns if c.endswith("_mean")] == [
        "exported_bbl",
        "seizures",
        "revenue_usd",
    ]


def _csv_matches(out: Path, res: ExperimentResult) -> None:
    """Every CSV of ``out`` holds exactly what its parquet (or ``res.monthly``) holds."""
    reps = pd.read_csv(out / "replications.csv")
    pd.testing.assert_frame_equal(reps, res.replications, check_dtype=False, check_exact=True)
    ts = pd.read_csv(out / "timeseries.csv")
    assert ts["date"].iloc[0] == "2025-12-10"  # ISO dates
    parquet = pd.read_parquet(out / "timeseries.parquet")
    pd.testing.assert_frame_equal(
        ts.drop(columns="date"), parquet.drop(columns="date"), check_dtype=False, check_exact=True
    )
    month = pd.read_csv(out / "monthly.csv")
    pd.testing.assert_frame_equal(month, res.monthly, check_dtype=False, check_exact=True)


def test_a_run_folder_holds_a_csv_beside_each_parquet(cfg, fresh, tmp_path: Path) -> None:
    res = run_experiment(cfg, replications=N, executor="serial", progress=False, out_dir=tmp_path)
    assert {p.name for p in tmp_path.glob("*.csv")} == set(CSVS)
    _csv_matches(tmp_path, res)
    back = load_results(tmp_path)
    pd.testing.assert_frame_equal(back.monthly, fresh.monthly, check_exact=True)


def test_a_resumed_run_rewrites_its_csvs_and_a_damaged_one_never_stops_it(
    cfg, fresh, tmp_path: Path
) -> None:
    """Cut short after its chunks, with every CSV damaged or gone: the resume ignores them
    (the parquet files are the truth) and writes them again, equal to an uninterrupted run."""
    first = run_experiment(cfg, replications=2, executor="serial", out_dir=tmp_path)
    (tmp_path / "replications.csv").write_bytes(b"\x00garbage,\n\xff")
    (tmp_path / "monthly.csv").unlink()
    (tmp_path / "timeseries.csv").write_text("not,a\ntable")

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RunFolder, "consolidate", stop)
        with pytest.raises(KeyboardInterrupt):
            run_experiment(cfg, replications=4, executor="serial", out_dir=tmp_path, chunk_size=1)
    assert len(list((tmp_path / "parts").glob("*.parquet"))) == 2  # replications 2 and 3
    res = run_experiment(cfg, replications=N, executor="serial", out_dir=tmp_path)
    assert res.manifest["resumed_from"] == 4 and len(first.replications) == 2
    pd.testing.assert_frame_equal(res.replications, fresh.replications, check_exact=True)
    pd.testing.assert_frame_equal(res.monthly, fresh.monthly, check_exact=True)
    _csv_matches(tmp_path, res)


def test_the_report_has_the_monthly_table(cfg, tmp_path: Path) -> None:
    run_experiment(cfg, replications=3, executor="serial", progress=False, out_dir=tmp_path)
    month = tables.monthly(load_results(tmp_path).monthly)
    assert month is not None
    assert month.table.header == [
        "quantity",
        "Dec 2025 (22 of 31 days)",
        "Jan 2026",
        "Feb 2026 (7 of 28 days)",
    ]
    labels = [row.cells[0] for row in month.table.rows]
    assert labels[:3] == [
        "Exported (million bbl)",
        "Exported, no blockade (million bbl)",
        "Exported, difference (million bbl)",
    ]
    assert "Export revenue (million USD)" in labels and "Seizures (tankers)" in labels
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert "Month by month" in html and "Feb 2026 (7 of 28 days)" in html


def test_a_folder_without_monthly_sums_has_no_monthly_table(fresh) -> None:
    old = fresh.replications.drop(columns=[c for c in fresh.replications if mo.is_monthly(c)])
    cfg = fresh.config
    assert mo.table(old, cfg.start_date, cfg.horizon_days, True).empty
    assert tables.monthly(mo.table(old, cfg.start_date, cfg.horizon_days, True)) is None
