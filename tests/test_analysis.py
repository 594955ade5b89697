"""Plots and the HTML report (sim.analysis), on small real experiments."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

import sim
from sim.analysis import (
    distributions_chart,
    exports_fan_chart,
    plots,
    report,
    storage_chart,
    stranded_chart,
    sweep_heatmap,
    sweep_lines,
    swept_keys,
    timeline_chart,
    timeline_segments,
    typical_replication,
    write_report,
    write_run_plots,
    write_sweep_plots,
)
from sim.analysis._common import fmt_metric, fmt_number
from sim.analysis.plots import RUN_PLOTS
from sim.labels import key_label

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = ["horizon_days=30", "uncertain={}"]  # the point scenario


# --------------------------------------------------------------------------- fixtures


def _run(cfg: sim.Config, out: Path, n: int = 6) -> sim.ExperimentResult:
    return sim.run_experiment(
        cfg, replications=n, workers=1, executor="serial", out_dir=out, progress=False
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished result folder of the bundled scenario (6 replications, 30 days)."""
    out = tmp_path_factory.mktemp("run") / "run"
    _run(sim.load_config("venezuela_dec2025", SMALL), out)
    return out


@pytest.fixture(scope="module")
def result(run_dir: Path) -> sim.ExperimentResult:
    return sim.load_results(run_dir)


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sweep folder as the CLI lays it out: numbered point folders and the sweep table."""
    folder = tmp_path_factory.mktemp("sweep")
    rows = []
    points = [(t, p) for t in (1, 3) for p in ("none", "on_departure")]
    for job, (teams, policy) in enumerate(points):
        overrides = [
            f"navy.boarding_teams={teams}",
            f"court.policy={policy}",
            "horizon_days=20",
            "uncertain={}",
        ]
        res = _run(sim.load_config("venezuela_dec2025", overrides), folder / str(job), n=3)
        row = {
            "job": job,
            "run_dir": str(job),
            "navy.boarding_teams": teams,
            "court.policy": policy,
            "horizon_days": 20,
            "replications": len(res.replications),
            "target_met": None,
        }
        for metric, stats in res.summary.iterrows():
            for stat in ("mean", "ci_low", "ci_high"):
                row[f"{metric}_{stat}"] = float(stats[stat])
        rows.append(row)
    table = pd.DataFrame(rows)
    table.to_parquet(folder / "sweep.parquet", index=False)
    table.to_csv(folder / "sweep.csv", index=False)
    return folder


def _legend_labels(fig: Figure) -> list[str]:
    labels = []
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if legend is not None:
            labels += [t.get_text() for t in legend.get_texts()]
    return labels


def _assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC), path
    assert len(data) > 5_000, path
    with Image.open(io.BytesIO(data)) as img:
        assert img.size[0] > 300 and img.size[1] > 200


def _save(fig: Figure, tmp_path: Path, name: str) -> None:
    from sim.analysis._common import save_png

    _assert_png(save_png(fig, tmp_path / name))


# --------------------------------------------------------------------------- run plots


def test_exports_fan_chart(result: sim.ExperimentResult, tmp_path: Path) -> None:
    fig = exports_fan_chart(result)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert "Crude exports, 7-day rate" in ax.get_title()
    assert "thousand bpd" in ax.get_ylabel()
    assert ax.get_xlabel() == "date (10 Dec 2025 – 8 Jan 2026)"
    labels = _legend_labels(fig)
    for label in (
        "blockade: 90% of replications (p05–p95)",
        "blockade: mean",
        "no-blockade baseline: 90% of replications (p05–p95)",
        "no-blockade baseline: mean",
    ):
        assert label in labels
    assert any(lab.startswith("no-blockade level (baseline mean") for lab in labels)
    rate = f"{fmt_number(result.config.production.export_bpd / 1000)} thousand bpd"
    assert any(lab.startswith("pre-blockade export rate") and rate in lab for lab in labels)
    _save(fig, tmp_path, "fan.png")
    raw = exports_fan_chart(result, rolling=None)
    assert "7-day" not in raw.axes[0].get_title()


def test_storage_chart(result: sim.ExperimentResult, tmp_path: Path) -> None:
    fig = storage_chart(result)
    (ax,) = fig.axes
    assert "storage" in ax.get_title().lower()
    assert "million bbl" in ax.get_ylabel()
    labels = _legend_labels(fig)
    capacity_mbbl = result.config.terminal.storage_capacity_bbl / 1e6
    assert f"usable storage capacity: {fmt_number(capacity_mbbl)} million bbl" in labels
    assert "blockade: cumulative shut-ins (mean)" in labels
    assert "blockade: median" in labels
    capacity = [ln for ln in ax.get_lines() if ln.get_label().startswith("usable storage")]
    assert capacity[0].get_ydata()[0] == pytest.approx(capacity_mbbl)
    _save(fig, tmp_path, "storage.png")


def test_stranded_chart(result: sim.ExperimentResult, tmp_path: Path) -> None:
    fig = stranded_chart(result)
    top, bottom = fig.axes
    assert "million bbl" in top.get_ylabel()
    assert "tankers" in bottom.get_ylabel()
    assert fig.get_suptitle().startswith("Cargo stranded in port")
    for ax in (top, bottom):
        assert "blockade: p05–p95" in [t.get_text() for t in ax.get_legend().get_texts()]
    # The median line follows the stored daily median of the blockade world.
    blockade = result.timeseries[result.timeseries["world"] == "blockade"].sort_values("day")
    median = next(ln for ln in bottom.get_lines() if ln.get_label() == "blockade: median")
    np.testing.assert_allclose(median.get_ydata(), blockade["tankers_waiting_p50"])
    _save(fig, tmp_path, "stranded.png")


def test_distributions_chart(result: sim.ExperimentResult, tmp_path: Path) -> None:
    fig = distributions_chart(result)
    left, right = fig.axes
    assert left.get_xlabel() == "seizures (tankers)"
    assert "%" in right.get_xlabel()
    for ax, metric, scale in ((left, "seizures", 1.0), (right, "export_decline", 0.01)):
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any(lab.startswith("mean: ") for lab in labels)
        assert any(lab.startswith("95% CI of the mean: ") for lab in labels)
        mean_line = next(ln for ln in ax.get_lines() if ln.get_label().startswith("mean"))
        expected = result.summary.loc[metric, "mean"] / scale
        assert mean_line.get_xdata()[0] == pytest.approx(expected)
        assert sum(p.get_height() for p in ax.patches if hasattr(p, "get_height")) >= len(
            result.replications
        )
    _save(fig, tmp_path, "dist.png")


def test_plots_without_baseline(tmp_path: Path) -> None:
    cfg = sim.load_config("venezuela_dec2025", [*SMALL, "experiment.baseline=false"])
    res = _run(cfg, tmp_path / "run", n=3)
    fan = exports_fan_chart(res)
    labels = _legend_labels(fan)
    assert "blockade: mean" in labels
    assert not any("baseline" in lab for lab in labels)
    dist = distributions_chart(res)
    assert dist.axes[1].get_xlabel() == "exports (million bbl)"
    written = write_run_plots(res)
    assert {p.name for p in written} == set(RUN_PLOTS)


# --------------------------------------------------------------------------- timeline


def test_timeline_segments_phases() -> None:
    rows = [
        # tanker 0: placed waiting for a berth, loads, waits loaded, escapes
        (2.0, 0, "berth", 0.0),
        (2.0, 0, "load", 1e6),
        (4.0, 0, "loaded", 1e6),
        (9.0, 0, "depart", 1e6),
        (9.0, 0, "detected", 0.0),
        (12.0, 0, "exported", 1e6),
        # tanker 1: arrives, turns back, returns, is seized in port waters
        (1.0, 1, "arrive", 0.0),
        (1.0, 1, "turnback", 0.0),
        (5.0, 1, "arrive", 0.0),
        (6.0, 1, "berth", 0.0),
        (6.0, 1, "load", 2e6),
        (8.0, 1, "loaded", 2e6),
        (15.0, 1, "go_in", 0.0),
        (16.0, 1, "seized_in_waters", 2e6),
        # tanker 2: licensed, still at sea when the run ends
        (0.0, 2, "loaded", 7e5),
        (0.0, 2, "depart", 7e5),
    ]
    events = pd.DataFrame(rows, columns=["time", "tanker", "kind", "bbl"])
    events["status"] = events["tanker"].map({0: "sanctioned", 1: "unsanctioned", 2: "licensed"})
    events["tanker_class"] = "VLCC"
    seg, mark = timeline_segments(events, horizon=20.0)
    got = {(r.tanker, r.phase, r.start, r.end) for r in seg.itertuples()}
    assert got == {
        (0, "wait_berth", 0.0, 2.0),
        (0, "loading", 2.0, 4.0),
        (0, "wait_loaded", 4.0, 9.0),
        (0, "transit", 9.0, 12.0),
        (1, "wait_berth", 5.0, 6.0),
        (1, "loading", 6.0, 8.0),
        (1, "wait_loaded", 8.0, 16.0),
        (2, "transit", 0.0, 20.0),
    }
    assert set(map(tuple, mark[["tanker", "kind", "time"]].to_numpy().tolist())) == {
        (0, "escaped", 12.0),
        (1, "turnback", 1.0),
        (1, "go_in", 15.0),
        (1, "seized_in_waters", 16.0),
    }


def test_timeline_one_row_per_tanker(tmp_path: Path) -> None:
    cfg = sim.load_config("venezuela_dec2025", SMALL)
    rep = sim.simulate(cfg, seed=11)
    fig = timeline_chart(rep, cfg, group_quiet=False)
    ax = fig.axes[0]
    tankers = rep.events.drop_duplicates("tanker")
    expected = {
        f"#{t} {c}" for t, c in zip(tankers["tanker"], tankers["tanker_class"], strict=True)
    }
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == rep.events["tanker"].nunique()
    assert set(labels) == expected
    assert ax.get_xlim() == (0.0, 30.0)
    assert "days since 2025-12-10" in ax.get_xlabel()
    legend = _legend_labels(fig)
    for status in set(rep.events["status"]):
        assert status in legend
    assert "loaded, waiting in port" in legend
    if rep.metrics["seizures"] > 0:
        assert "seized at sea" in legend
    assert "Timeline of one replication" in ax.get_title()
    _save(fig, tmp_path, "timeline.png")
    # Long event logs are capped at max_tankers rows and say so.
    capped = timeline_chart(rep.events, cfg, max_tankers=10, group_quiet=False)
    assert len(capped.axes[0].get_yticklabels()) == 10
    assert f"10 of {len(tankers)} tankers" in capped.axes[0].get_title()


def test_typical_replication_reproduces_stored_row(result: sim.ExperimentResult) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        index, rep = typical_replication(result)
    row = result.replications.set_index("replication").loc[index]
    assert rep.metrics["exported_bbl"] == pytest.approx(row["exported_bbl"])
    decline = result.replications["export_decline"]
    assert abs(row["export_decline"] - decline.median()) == pytest.approx(
        (decline - decline.median()).abs().min()
    )


# --------------------------------------------------------------------------- writing


def test_write_run_plots(run_dir: Path) -> None:
    written = write_run_plots(run_dir)
    assert [p.name for p in written] == list(RUN_PLOTS)
    for path in written:
        assert path.parent == run_dir / "plots"
        _assert_png(path)
    assert sorted(p.name for p in (run_dir / "plots").iterdir()) == sorted(RUN_PLOTS)


def test_library_uses_no_pyplot(run_dir: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from sim.analysis import write_run_plots, write_report; "
        f"write_run_plots({str(run_dir)!r}, out={str(tmp_path)!r}); "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# --------------------------------------------------------------------------- sweeps


def test_swept_keys(sweep_dir: Path) -> None:
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert swept_keys(table) == ["navy.boarding_teams", "court.policy"]


def test_sweep_heatmap(sweep_dir: Path, tmp_path: Path) -> None:
    fig = sweep_heatmap(sweep_dir, "navy.boarding_teams", "court.policy", "export_decline")
    ax = fig.axes[0]
    assert ax.get_title().startswith("Mean export decline (%) by warrant policy and")
    assert ax.get_xlabel() == key_label("navy.boarding_teams") == "Boarding teams (teams)"
    assert ax.get_ylabel() == key_label("court.policy") == "Warrant policy"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "3"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["none", "on_departure"]
    assert len(ax.texts) == 4 and all("%" in t.get_text() for t in ax.texts)
    assert fig.axes[1].get_ylabel() == "Export decline (%)"  # the colour bar
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    cell = table[(table["navy.boarding_teams"] == 3) & (table["court.policy"] == "none")]
    value = 100 * cell["export_decline_mean"].iloc[0]
    assert any(t.get_text().startswith(f"{value:.3g}") for t in ax.texts)
    _save(fig, tmp_path, "heat.png")
    seizures = sweep_heatmap(sweep_dir, metric="seizures")
    assert "seizures (tankers)" in seizures.axes[0].get_title()


def test_sweep_lines(sweep_dir: Path, tmp_path: Path) -> None:
    fig = sweep_lines(sweep_dir, "navy.boarding_teams", "export_decline", group="court.policy")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["none", "on_departure"]
    assert ax.get_xlabel() == key_label("navy.boarding_teams")
    assert ax.get_ylabel() == "Export decline (%)"
    assert len(ax.collections) >= 2  # one CI band per group
    _save(fig, tmp_path, "lines.png")
    categorical = sweep_lines(sweep_dir, "court.policy", "seizures")
    ax = categorical.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["none", "on_departure"]
    assert "95% CI" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_write_sweep_plots(sweep_dir: Path) -> None:
    written = write_sweep_plots(sweep_dir)
    names = {p.name for p in written}
    assert "heatmap_export-decline__court-policy__navy-boarding-teams.png" in names
    assert "heatmap_seizures__court-policy__navy-boarding-teams.png" in names
    assert "lines_export-decline__navy-boarding-teams.png" in names
    assert "lines_seizures__court-policy.png" in names
    for path in written:
        _assert_png(path)


# --------------------------------------------------------------------------- report


def test_assumption_rows_of_the_bundled_scenario() -> None:
    from sim.analysis.assumptions import assumption_rows
    from sim.sources import lookup

    cfg = sim.load_config("venezuela_dec2025").to_dict()
    rows, source = assumption_rows(cfg)
    notes = {r.key: r for r in rows}
    assert source == "scenario/venezuela_dec2025.yaml"
    assert len(notes) == len(rows) > 30
    assert notes["production.export_bpd"].kind == "source"
    assert notes["production.export_bpd"].note.startswith("F11 ")
    assert notes["production.export_bpd"].value == "770000"
    assert notes["production.cut.deepen_days"].kind == "assumption"
    assert notes["fleet.tankers.1"].value.startswith("{class: VLCC, status: sanctioned")
    assert "initial.loaded_waiting.0" in notes
    # Every annotated key is a key of the loaded config, with the file's value.
    assert all(lookup(cfg, r.key)[0] for r in rows)
    assert not any(r.overridden for r in rows)
    changed = sim.load_config("venezuela_dec2025", ["navy.boarding_teams=5"]).to_dict()
    teams = {r.key: r for r in assumption_rows(changed)[0]}["navy.boarding_teams"]
    assert (teams.overridden, teams.value, teams.file_value) == (True, "5", "3")
    assert (teams.kind, teams.note) == ("override", "")  # F41 is the basis of 3, not of 5
    assert teams.explanation().startswith("set by an override in this run; scenario file: 3 (F41")
    assert teams.explanation(["navy"]).startswith("varied by the sweep; scenario file: 3 (F41")


def test_same_compares_a_file_value_with_a_run_value() -> None:
    from sim.analysis.assumptions import same

    assert same(2, {"dist": "fixed", "value": 2.0})  # a bare number is a fixed distribution
    assert not same(2, {"dist": "uniform", "low": 1, "high": 3})
    assert same({"low": 1}, {"dist": "uniform", "low": 1.0, "high": 3})  # the file's keys only
    assert not same({"low": 1}, 1)
    assert same([1, {"a": "x"}], [1.0, {"a": "x", "b": None}])
    assert not same([1, 2], [1])
    assert same(True, True) and not same(True, False) and not same(False, 0.5)
    assert same(0.1, 0.1 + 1e-15) and not same(0.1, 0.11)
    assert same("2025-12-10", "2025-12-10") and not same("a", "b")


class _Page(HTMLParser):
    """Collects what the structural checks need, and checks tags are balanced."""

    VOID: ClassVar[set[str]] = {"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.title = ""
        self.imgs: list[str] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "data", "poster") and value is not None:
                self.urls.append(value)
            if name == "style" and value and "url(" in value:
                self.urls.append(value)
        if tag == "img":
            self.imgs.append(dict(attrs).get("src") or "")
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "title":
            self.title += data
        if self._cell is not None:
            self._cell.append(data)
        self.text.append(data)


def _parse(path: Path) -> _Page:
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html>")
    page = _Page()
    page.feed(text)
    page.close()
    assert not page.errors, page.errors
    assert page.stack == [], page.stack
    # Self-contained: no external resources of any kind.
    assert not any(u.lower().lstrip().startswith(("http:", "https:", "//")) for u in page.urls)
    assert "http://" not in text and "https://" not in text
    assert not ({"script", "link", "iframe", "object", "embed"} & page.tags)
    assert "url(" not in text
    for src in page.imgs:
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data.startswith(PNG_MAGIC)
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
    return page


def test_report_of_run(run_dir: Path, result: sim.ExperimentResult) -> None:
    path = write_report(run_dir)
    assert path == run_dir / "report.html"
    page = _parse(path)
    assert "venezuela_dec2025" in page.title
    pngs = sorted((run_dir / "plots").glob("*.png"))
    assert len(pngs) == len(RUN_PLOTS)
    assert len(page.imgs) == len(pngs)
    # The summary table: a row per metric (baselines beside theirs) with a CI column.
    summary = next(
        t for t in page.tables if t and t[0][:4] == ["metric", "unit", "mean", "95% CI of the mean"]
    )
    rows = {r[0]: r for r in summary[1:]}
    metrics = [m for m in result.summary.index if not m.startswith("baseline_")]
    assert set(rows) == set(metrics)
    assert rows["export_decline"][1] == "%"
    assert rows["exported_bbl"][1] == "million bbl"
    mean = result.summary.loc["export_decline", "mean"]
    assert rows["export_decline"][2] == f"{100 * mean:.3g}"
    assert "baseline mean" in summary[0]
    # The headline gives the spread of single runs beside the interval of the mean.
    html = path.read_text()
    assert "where 90% of single runs fall (p05 to p95)" in html
    p05 = result.summary.loc["export_decline", "p05"]
    assert f"single runs {fmt_metric('export_decline', p05)} to" in html
    # Beyond the mean: the tail probability as the CLI states it, and the bimodality flag.
    below = int((result.replications["export_decline"] < 0.5).sum())
    assert f"P(export decline &lt; 50%): {below / 6:.0%} of replications ({below} of 6)" in html
    assert "Bimodality: not assessed with 6 replications (it needs 40)" in html
    assert "Variance split" not in html  # nothing was uncertain
    # Assumptions with their sources, parsed from the annotated scenario file.
    assumptions = next(
        t for t in page.tables if t and t[0] == ["key", "value", "basis", "source or reasoning"]
    )
    keyed = {r[0]: r for r in assumptions[1:]}
    assert keyed["terminal.storage_capacity_bbl"][3].startswith("F16 ")
    # ... and the rows of docs/sources.md they cite, with their text.
    cited = next(t for t in page.tables if t and t[0] == ["id", "fact", "value", "source"])
    facts = {r[0]: r for r in cited[1:]}
    assert facts["F16"][3] == "Reuters, CNN; Argus"
    assert "48M bbl usable" in facts["F16"][2]
    assert keyed["horizon_days"][1] == "30"  # overridden in this run
    assert "set by an override in this run" in keyed["horizon_days"][3]
    assert keyed["horizon_days"][2] == "override"  # not the file's "assumption"
    # The manifest: version, root seed, replications, commit.
    manifest = next(t for t in page.tables if t and t[0] == ["field", "value"])
    fields = {r[0]: r[1] for r in manifest[1:]}
    assert fields["root_seed"] == str(result.manifest["root_seed"])
    assert fields["replications_done"] == "6"
    assert "package_version" in fields and "git_commit" in fields


def test_report_escapes_everything(tmp_path: Path) -> None:
    base = sim.load_config("venezuela_dec2025", ["horizon_days=20"])
    cfg = base.model_copy(
        update={"name": "evil<b>&co", "description": "<script>alert('x')</script> & <img src=x>"}
    )
    out = tmp_path / "run"
    _run(cfg, out, n=3)
    path = write_report(out)
    page = _parse(path)
    assert page.title.startswith("Blockade simulation report — evil<b>&co · policy: ")
    assert "<script>alert('x')</script> & <img src=x>" in "".join(page.text)
    assert "b" not in page.tags
    assert len(page.imgs) == len(RUN_PLOTS)
    # No bundled scenario file of that name: the config is listed instead.
    listed = next(t for t in page.tables if t and t[0] == ["key", "value"])
    assert any(r[0] == "navy.boarding_teams" for r in listed[1:])


def test_report_of_sweep(sweep_dir: Path) -> None:
    path = write_report(sweep_dir)
    page = _parse(path)
    assert "sweep" in page.title.lower()
    pngs = sorted((sweep_dir / "plots").glob("*.png"))
    assert pngs and len(page.imgs) == len(pngs)
    per_point = next(
        t for t in page.tables if t and t[0][:3] == ["job", "navy.boarding_teams", "court.policy"]
    )
    assert len(per_point) == 1 + 4
    assert per_point[0][3] == "export_decline (%)"
    assert all("[" in row[3] for row in per_point[1:])  # mean [CI]
    assert per_point[0][-2:] == [
        "P(export decline < 50%)",
        "two clusters (the mean describes neither)",
    ]
    for row, d in zip(
        per_point[1:], pd.read_parquet(sweep_dir / "sweep.parquet")["run_dir"], strict=True
    ):
        decline = pd.read_parquet(sweep_dir / str(d) / "replications.parquet")["export_decline"]
        below = int((decline < 0.5).sum())
        assert row[-2:] == [f"{below / 3:.0%} ({below} of 3)", "not assessed (< 40 runs)"]
    assert "Variance split per point" not in path.read_text()
    varied = next(t for t in page.tables if t and t[0] == ["key", "values"])
    assert ["navy.boarding_teams", "1, 3"] in varied
    assert ["horizon_days", "20 (fixed)"] in varied


def test_shape_section_flags_two_clusters_and_splits_the_variance() -> None:
    """Declines in two clusters (10% and 70%) whose cluster is set by a drawn parameter:
    flagged bimodal, and the parameter explains 99% of the spread, of which a quadratic fit
    of the step catches most; exports are pure noise: nothing explained."""
    rng = np.random.default_rng(4)
    theta = rng.uniform(0, 1, 200)
    high = theta > 0.75
    reps = pd.DataFrame(
        {
            "replication": np.arange(200),
            "export_decline": np.where(high, 0.7, 0.1) + rng.normal(0, 0.02, 200),
            "exported_bbl": rng.normal(20e6, 1e6, 200),
            "court.delay_days.median": theta,
        }
    )
    page = _Page()
    page.feed(report.shape_section(reps, ["court.delay_days.median", "not.a.column"]))
    text = "".join(page.text)
    below = int((reps["export_decline"] < 0.5).sum())
    assert f"P(export decline < 50%): {below / 200:.0%} of replications ({below} of 200)" in text
    assert "Bimodal: export decline clusters near " in text
    assert "the mean describes neither cluster" in text
    assert "quadratic with pairwise terms fit on court.delay_days.median, 200 replications" in text
    split = {r[0]: r[2] for r in page.tables[0][1:]}
    assert set(split) == {"export_decline", "exported_bbl"}
    share = float(split["export_decline"].split("about ")[1].split("%")[0])
    assert 70 < share < 99  # a step in theta: the quadratic fit catches most of it, not all
    assert split["exported_bbl"].startswith("not distinguishable from 0")


def test_report_of_a_run_with_uncertain_keys_splits_its_variance(tmp_path: Path) -> None:
    uncertain = "uncertain={court.delay_days.median: {dist: uniform, low: 1, high: 5}}"
    cfg = sim.load_config("venezuela_dec2025", ["horizon_days=20", uncertain])
    _run(cfg, tmp_path / "run", n=40)
    page = _parse(write_report(tmp_path / "run"))
    split = next(t for t in page.tables if t and t[0][0:2] == ["metric", "label"])
    assert split[0][2] == "share of the spread between runs explained by the uncertain parameters"
    rows = {r[0]: r for r in split[1:]}
    assert rows["export_decline"][1] == "Export decline (%)"
    assert rows["export_decline"][2].startswith(("about ", "not distinguishable from 0"))
    assert "pp)" in rows["export_decline"][2]


def test_report_rejects_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_report(tmp_path / "nope")


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="chromium is not installed (Debian package `chromium`); the structural HTML "
    "checks still run",
)
def test_report_renders_in_headless_chromium(run_dir: Path, tmp_path: Path) -> None:
    report = write_report(run_dir)
    shot = tmp_path / "shot.png"
    cmd = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,2400",
        "--hide-scrollbars",
        f"--screenshot={shot}",
        report.resolve().as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.is_file(), done.stderr[-2000:]
    with Image.open(shot) as img:
        assert img.size == (1200, 2400)
        rgb = np.asarray(img.convert("RGB"))
    # A rendered page, not a blank one: text, table rules and the embedded plots' colours.
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 500
    dark = (rgb.sum(axis=2) < 200).mean()
    assert dark > 0.002


def test_timeline_changes_are_marked_on_the_time_charts(tmp_path: Path) -> None:
    """A scheduled change is a dashed line on the aggregate charts; the change a replication
    applied (scheduled or triggered) is a dashed line at its time on its Gantt."""
    entries = (
        "timeline=[{day: 20, set: {policy.enter_waters_after_days: 0}, label: go in},"
        " {when: {series: stranded_bbl, above: 12000000}, set: {navy.boarding_teams: 4}}]"
    )
    cfg = sim.load_config("venezuela_dec2025", [entries, "horizon_days=40", "uncertain={}"])
    res = _run(cfg, tmp_path / "run", n=4)
    for chart in (plots.storage_chart, plots.exports_fan_chart, plots.stranded_chart):
        assert "day 20: go in" in _legend_labels(chart(res))
    rep = sim.simulate(cfg, seed=cfg.experiment.seed, replication=0)
    fired = rep.events.loc[rep.events["kind"] == "timeline", "time"].tolist()
    assert 20.0 in fired and len(fired) == 2  # the trigger fired too, on a day of its own
    fig = timeline_chart(rep, cfg)
    dashed = {
        float(line.get_xdata()[0])  # type: ignore[index]
        for line in fig.axes[0].get_lines()
        if line.get_linestyle() == "--"
    }
    assert set(fired) <= dashed
    assert "timeline change" in _legend_labels(fig)
    segments, _ = timeline_segments(rep.events, cfg.horizon_days)
    assert (segments["tanker"] >= 0).all()  # the change is no tanker's row
    assert "wait_outside" in set(segments["phase"])
