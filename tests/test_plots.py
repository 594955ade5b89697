"""How the run charts respond: no date offset text, bands from each replication's own series,
exact cumulative means, the end bars, and observations drawn where and at what they say."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import sim
from sim.analysis import plots
from sim.analysis._common import date_axis, new_figure, value_limits
from sim.analysis.sample import daily_sample
from sim.calibration import ObservationsError, load_observations, parse_observations
from sim.experiment.atomic import read_npz
from sim.formatting import fmt_number

SMALL = ["horizon_days=30", "uncertain={}"]
OBSERVED = Path(__file__).resolve().parents[1] / "scenarios/observations/venezuela_dec2025.yaml"
TIME_CHARTS: dict[str, Callable[..., Figure]] = {
    "exports_fan": plots.exports_fan_chart,
    "cumulative_exports": plots.cumulative_exports_chart,
    "cumulative_seizures": plots.cumulative_seizures_chart,
    "storage": plots.storage_chart,
    "stranded": plots.stranded_chart,
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished folder of the bundled scenario: 8 replications of 30 days."""
    out = tmp_path_factory.mktemp("plots") / "run"
    cfg = sim.load_config("venezuela_dec2025", SMALL)
    sim.run_experiment(
        cfg, replications=8, workers=1, executor="serial", out_dir=out, progress=False
    )
    return out


@pytest.fixture(scope="module")
def result(run_dir: Path) -> sim.ExperimentResult:
    return sim.load_results(run_dir)


def _labelled(ax: Axes, label: str) -> Any:
    """The artist of ``ax`` whose label is ``label``."""
    found = [a for a in [*ax.lines, *ax.collections] if a.get_label() == label]
    assert found, f"no artist labelled {label!r}; have {[a.get_label() for a in ax.lines]}"
    return found[0]


def _band_y(band: PolyCollection) -> np.ndarray:
    return np.concatenate([p.vertices[:, 1] for p in band.get_paths()])


def _day(result: sim.ExperimentResult, x: Any) -> float:
    """A date on a chart as a day of the run."""
    return float(mdates.date2num(x) - mdates.date2num(pd.Timestamp(result.config.start_date)))


# --------------------------------------------------------------------------- defect 4


def test_the_plain_concise_formatter_prints_an_offset_and_ours_does_not() -> None:
    """The control first: matplotlib's ConciseDateFormatter writes "2026-Jan" aside, so the
    offset checks below can fail; the shared date axis writes nothing there."""
    days = pd.date_range("2025-12-10", periods=30, freq="D")
    for ours in (False, True):
        fig = new_figure()
        ax = fig.add_subplot()
        ax.plot(days, np.arange(30))
        if ours:
            date_axis(ax.xaxis)
        else:
            locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        fig.canvas.draw()
        offset = ax.xaxis.get_offset_text().get_text()
        assert (offset == "") if ours else ("2026" in offset), offset


@pytest.mark.parametrize("name", sorted(TIME_CHARTS))
def test_no_time_chart_has_a_date_offset(result: sim.ExperimentResult, name: str) -> None:
    fig = TIME_CHARTS[name](result)
    fig.canvas.draw()
    for ax in fig.axes:
        assert ax.xaxis.get_offset_text().get_text() == ""
    bottom = fig.axes[-1]
    assert bottom.get_xlabel() == "date (10 Dec 2025 – 8 Jan 2026)"  # the dates, in words


def test_the_timeline_date_axis_has_no_offset(result: sim.ExperimentResult) -> None:
    fig = plots.run_timeline_chart(result)
    fig.canvas.draw()
    tops = [child for child in fig.axes[0].child_axes]
    assert tops, "the timeline has a calendar axis on top"
    for top in tops:
        labels = [t.get_text() for t in top.xaxis.get_ticklabels()]
        assert any(labels), "the calendar axis has tick labels"
        assert top.xaxis.get_offset_text().get_text() == ""


# --------------------------------------------------------------------------- the export rate


def test_the_export_band_holds_single_replications_7_day_rates(
    result: sim.ExperimentResult,
) -> None:
    """Band: p05/p95 across replications of each one's centred 7-day rate (from the stored
    per-replication series); line: the exact mean's 7-day rate."""
    sample = daily_sample(result)
    assert sample is not None and sample.complete and sample.n == 8
    fig = plots.exports_fan_chart(result)
    (ax,) = fig.axes
    per_rep = sample.values("blockade", "exported_bbl")
    assert per_rep is not None
    rolled = pd.DataFrame(per_rep.T).rolling(7, center=True, min_periods=4).mean().to_numpy().T
    lo, hi = np.quantile(rolled, (0.05, 0.95), axis=0) / 1e3
    band = _labelled(ax, "blockade: 90% of replications (p05–p95)")
    y = _band_y(band)
    assert y.max() == pytest.approx(hi.max()) and y.min() == pytest.approx(lo.min())
    ts = result.timeseries[result.timeseries["world"] == "blockade"].sort_values("day")
    mean = ts["exported_bbl_mean"].rolling(7, center=True, min_periods=4).mean() / 1e3
    line = _labelled(ax, "blockade: mean")
    np.testing.assert_allclose(line.get_ydata(), mean.to_numpy())
    # the band is not the old smoothed daily quantiles: their upper edge is far lower
    old = ts["exported_bbl_p95"].rolling(7, min_periods=1).mean().max() / 1e3
    assert y.max() != pytest.approx(old)
    assert "across all 8 replications" in ax.get_title()


def test_without_per_replication_series_the_chart_says_mean_only(
    result: sim.ExperimentResult,
) -> None:
    bare = dataclasses.replace(result, out_dir=None)
    assert daily_sample(bare) is None
    for chart in (plots.exports_fan_chart, plots.cumulative_exports_chart):
        (ax,) = chart(bare).axes
        assert "mean only" in ax.get_title()
        assert not any("90% of replications" in str(c.get_label()) for c in ax.collections)


def test_a_run_without_a_folder_carries_its_sample_for_the_bands(
    result: sim.ExperimentResult,
) -> None:
    """In memory (a notebook, the explorer) the bands are those of the folder's run."""
    cfg = sim.load_config("venezuela_dec2025", SMALL)
    bare = sim.run_experiment(cfg, replications=8, workers=1, executor="serial", progress=False)
    sample, stored = daily_sample(bare), daily_sample(result)
    assert sample is not None and stored is not None and sample.complete and sample.n == 8
    np.testing.assert_array_equal(sample.series, stored.series)
    (ax,) = plots.exports_fan_chart(bare).axes
    assert "mean only" not in ax.get_title()


def test_a_damaged_sample_is_not_used(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    state = copy / "state" / "aggregate.npz"
    data = bytearray(state.read_bytes())
    data[-100] ^= 0xFF
    state.write_bytes(bytes(data))
    assert daily_sample(sim.load_results(copy)) is None


# --------------------------------------------------------------------------- cumulative charts


def test_cumulative_exports_are_exact_means_with_bands_and_end_bars(
    result: sim.ExperimentResult,
) -> None:
    (ax,) = plots.cumulative_exports_chart(result).axes
    reps = result.replications
    for world, column in (
        ("blockade", "exported_bbl"),
        ("no-blockade baseline", "baseline_exported_bbl"),
    ):
        line = _labelled(ax, f"{world}: mean")
        y = np.asarray(line.get_ydata())
        assert y[0] == 0.0  # from zero at day 0
        assert _day(result, line.get_xdata()[0]) == 0.0
        assert _day(result, line.get_xdata()[-1]) == 30.0  # the end of the last day
        assert y[-1] == pytest.approx(reps[column].mean() / 1e6, rel=1e-9)
        assert (np.diff(y) >= 0).all()
        # the band's top at the horizon is p95 of every replication's total
        band = _band_y(_labelled(ax, f"{world}: 90% of replications (p05–p95)"))
        p05, p95 = np.quantile(reps[column] / 1e6, (0.05, 0.95))
        assert band.max() == pytest.approx(p95)
        end = [str(a.get_label()) for a in ax.lines if str(a.get_label()).startswith(f"{world} at")]
        assert len(end) == 1
        assert f"p05–p95 {fmt_number(p05)}–{fmt_number(p95)}" in end[0]
    lost = (reps["baseline_exported_bbl"] - reps["exported_bbl"]).mean() / 1e6
    assert f"lost by the horizon: {fmt_number(lost)} million bbl" in ax.get_title()
    low, high = ax.get_ylim()
    assert low == 0.0 and high >= reps["baseline_exported_bbl"].quantile(0.95) / 1e6


def test_cumulative_seizures_end_at_the_mean_count(result: sim.ExperimentResult) -> None:
    (ax,) = plots.cumulative_seizures_chart(result).axes
    line = _labelled(ax, "blockade: mean")
    y = np.asarray(line.get_ydata())
    assert y[0] == 0.0 and (np.diff(y) >= 0).all()
    assert y[-1] == pytest.approx(result.replications["seizures"].mean())
    assert ax.get_ylabel() == "seized since day 0 (tankers)"
    band = _band_y(_labelled(ax, "blockade: 90% of replications (p05–p95)"))
    assert band.max() == pytest.approx(result.replications["seizures"].quantile(0.95))


def test_write_run_plots_writes_the_cumulative_charts(run_dir: Path, tmp_path: Path) -> None:
    written = plots.write_run_plots(run_dir, out=tmp_path, observations=OBSERVED)
    assert [p.name for p in written] == list(plots.RUN_PLOTS)
    assert {"cumulative_exports.png", "cumulative_seizures.png"} <= {p.name for p in written}


# --------------------------------------------------------------------------- observations


def _marks(fig: Figure) -> dict[str, Line2D]:
    return {
        str(a.get_gid()).removeprefix("observation:"): a
        for ax in fig.axes
        for a in ax.lines
        if str(a.get_gid()).startswith("observation:")
    }


def test_an_export_rate_observation_spans_its_window_at_its_value(
    result: sim.ExperimentResult,
) -> None:
    obs = load_observations(OBSERVED, result.config)
    fig = plots.exports_fan_chart(result, observations=obs)
    marks = _marks(fig)
    assert set(marks) == {"O3-O4"}  # O1 (loadings) and O2 (floating storage): no such chart
    line = marks["O3-O4"]
    assert [_day(result, x) for x in line.get_xdata()] == [0.0, 22.0]
    assert list(line.get_ydata()) == pytest.approx([395.0, 395.0])  # thousand bpd
    assert "O3-O4 (sources O3, O4): 395 ± 100 thousand bpd, days 0–21" in line.get_label()
    (ax,) = fig.axes
    box = [c for c in ax.collections if not c.get_label().startswith(("blockade", "no-blockade"))]
    y = _band_y(box[-1])
    assert y.min() == pytest.approx(295.0) and y.max() == pytest.approx(495.0)
    assert ax.get_ylim()[1] >= 495.0


def test_the_same_observation_is_a_point_on_cumulative_exports(
    result: sim.ExperimentResult,
) -> None:
    fig = plots.cumulative_exports_chart(result, observations=OBSERVED)  # a path works too
    point = _marks(fig)["O3-O4"]
    assert [_day(result, x) for x in point.get_xdata()] == [22.0]
    assert list(point.get_ydata()) == pytest.approx([395_000 * 22 / 1e6])
    assert "8.69 ± 2.20 million bbl, end of day 21" in point.get_label()


def test_level_and_metric_observations_land_on_their_charts(result: sim.ExperimentResult) -> None:
    data = {
        "name": "t",
        "observations": [
            {"id": "S", "what": "seized", "metric": "seizures", "statistic": "value",
             "value": 5, "uncertainty": 1, "source": "assumption: a test figure"},
            {"id": "C", "what": "seized by day 10", "series": "seizures_cum", "window": [0, 10],
             "statistic": "last", "value": 2, "uncertainty": 1, "source": "F1 (docs/sources.md)"},
            {"id": "W", "what": "waiting", "series": "tankers_waiting", "window": [5, 15],
             "statistic": "mean", "value": 6, "uncertainty": 2, "source": "x"},
            {"id": "D", "what": "stranded day 21", "metric": "stranded_day21_bbl",
             "statistic": "value", "value": 8e6, "uncertainty": 2e6, "source": "x"},
        ],
    }  # fmt: skip
    obs = parse_observations(data, result.config)
    seized = _marks(plots.cumulative_seizures_chart(result, observations=obs))
    assert set(seized) == {"S", "C"}
    assert [_day(result, x) for x in seized["S"].get_xdata()] == [30.0]  # the horizon
    assert [_day(result, x) for x in seized["C"].get_xdata()] == [10.0]
    assert "sources F1" in seized["C"].get_label()
    fig = plots.stranded_chart(result, observations=obs)
    stranded = _marks(fig)
    assert set(stranded) == {"W", "D"}
    assert stranded["D"].axes is fig.axes[0] and stranded["W"].axes is fig.axes[1]
    assert [_day(result, x) for x in stranded["W"].get_xdata()] == [5.0, 15.0]
    assert [_day(result, x) for x in stranded["D"].get_xdata()] == [22.0]
    assert list(stranded["D"].get_ydata()) == pytest.approx([8.0])  # million bbl


def test_a_bad_observations_file_writes_no_plot(run_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nobservations:\n  - id: A\n", encoding="utf-8")
    with pytest.raises(ObservationsError, match=r"observations\.0"):
        plots.write_run_plots(run_dir, out=tmp_path / "plots", observations=bad)
    assert not (tmp_path / "plots").exists()
    assert isinstance(ObservationsError("x"), ValueError)


# --------------------------------------------------------------------------- value limits


@pytest.mark.parametrize(
    ("values", "unit", "expected"),
    [
        ([76.5, 79.5], "%", (68.0, 88.0)),  # 3 pp spread: at least 20 pp around its middle
        ([2.0, 5.0], "%", (0.0, 20.0)),  # never below 0 when the values are not
        ([97.0, 99.0], "%", (80.0, 100.0)),  # never above 100 when the values are not
        ([10.0, 80.0], "%", (10.0, 80.0)),  # a wide range as it is
        ([-3.0, 1.0], "pp", (-11.0, 9.0)),  # a difference may be negative
        ([8.0, 12.0], "tankers", (0.0, 12.0)),  # a count from zero
        ([0.0, 0.0], "tankers", (0.0, 1.0)),
    ],
)
def test_value_limits(values: list[float], unit: str, expected: tuple[float, float]) -> None:
    assert value_limits(values, unit) == pytest.approx(expected)


def test_value_limits_of_nothing() -> None:
    assert value_limits([np.nan], "%") is None


def test_a_result_may_carry_its_sample_without_a_folder(result: sim.ExperimentResult) -> None:
    """``daily_state`` (the aggregate's saved state) gives the bands with no folder at all."""

    @dataclasses.dataclass(frozen=True)
    class Carrying:
        config: Any
        replications: pd.DataFrame
        summary: pd.DataFrame
        timeseries: pd.DataFrame
        manifest: dict[str, Any]
        daily_state: dict[str, np.ndarray]
        out_dir: Path | None = None

    assert result.out_dir is not None
    state = read_npz(result.out_dir / "state" / "aggregate.npz")
    bare = Carrying(
        result.config, result.replications, result.summary, result.timeseries, {}, state
    )
    (ax,) = plots.exports_fan_chart(bare).axes
    assert "across all 8 replications" in ax.get_title()
