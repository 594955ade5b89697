"""The report's one-page summary, its title, and its "model vs what happened" table."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from cli_helpers import blockade, ok
from test_analysis import _Page, _parse

import sim
from sim.analysis import briefing, observed, tables, write_report
from sim.analysis.tables import show
from sim.calibration import load_observations
from sim.calibration.checks import predictive_table
from sim.cli import main
from sim.describe import OVERRIDES_FILE, describe_run, report_title
from sim.experiment.notes import tail_note
from sim.experiment.stats import paired_difference
from sim.experiment.summary_json import summary_from_json
from sim.formatting import fmt_number
from sim.metrics import metric

SMALL = ["horizon_days=30", "uncertain={}"]  # the point scenario; O1-O4's windows fit
BUNDLED = Path(sim.__file__).resolve().parent.parent / "scenarios" / "observations"


def _run(overrides: list[str], out: Path, n: int = 6) -> sim.ExperimentResult:
    cfg = sim.load_config("venezuela_dec2025", overrides)
    return sim.run_experiment(
        cfg, replications=n, workers=1, executor="serial", out_dir=out, progress=False
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of the bundled scenario from Python (no Hydra record), its report written."""
    out = tmp_path_factory.mktemp("summary") / "run"
    _run(SMALL, out)
    write_report(out)
    return out


@pytest.fixture(scope="module")
def page(run_dir: Path) -> _Page:
    return _parse(run_dir / "report.html")


def _section(html: str) -> str:
    """The summary section's text (tags dropped)."""
    start = html.index("<section class='summary'")
    part = _Page()
    part.feed(html[start : html.index("</section>", start)])
    return " ".join("".join(part.text).split())


def _table(page: _Page, first: str) -> list[list[str]]:
    return next(t for t in page.tables if t and t[0] and t[0][0] == first and len(t[0]) == 8)


# --------------------------------------------------------------------------- the summary


def test_summary_states_both_intervals_and_the_tail_as_summary_json(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    text = _section(html)
    summary = summary_from_json(json.loads((run_dir / "summary.json").read_text()))
    for name, unit in (("export_decline", "%"), ("exported_bbl", " million bbl")):
        s = summary.loc[name]
        ci = f"{show(name, s['ci_low'])} – {show(name, s['ci_high'])}{unit}"
        assert f"{show(name, s['mean'])}{unit} (95% CI {ci})" in text, name
        assert f"single runs {show(name, s['p05'])} to {show(name, s['p95'])}{unit}" in text
    reps = pd.read_parquet(run_dir / "replications.parquet")
    assert tail_note("export_decline", reps["export_decline"]) in text
    for part in ("Question", "Policy", "Headline", "What drives it", "Caveats"):
        assert part in text
    assert "from 2025-12-10 to 2026-01-09" in text  # 30 days
    assert "paired no-blockade baseline" in text
    assert "No parameter was drawn per replication" in text  # uncertain={}
    assert "censored at the horizon (day 30)" in text
    assert "Overrides: horizon_days=30, uncertain={}" in text  # found against the bundled file


def test_the_known_limitations_the_summary_repeats_are_in_the_model_doc() -> None:
    found = briefing.limitations()
    assert len(found) == len(briefing.LIMITATIONS)
    for wanted, line in zip(briefing.LIMITATIONS, found, strict=True):
        assert line.startswith(wanted) and "**" not in line and "](" not in line


def test_drivers_name_the_drawn_keys_and_their_share() -> None:
    """Declines driven by one drawn key: the split says so; none drawn: it says that."""
    rng = np.random.default_rng(7)
    theta = rng.uniform(0, 1, 200)
    reps = pd.DataFrame(
        {
            "export_decline": 0.5 + 0.2 * theta + rng.normal(0, 0.01, 200),
            "navy.detection_prob": theta,
        }
    )
    columns = {"export_decline": reps["export_decline"]}
    lines = briefing.drivers(reps, ["navy.detection_prob"], columns, {})
    assert lines[0] == "Drawn per replication: navy.detection_prob."
    assert lines[1].startswith("Variance split, an estimate")
    share = float(lines[2].split("about ")[1].split("%")[0])
    assert lines[2].startswith("Export decline: about") and share > 95
    assert briefing.drivers(reps, [], columns, {})[0].startswith("No parameter was drawn")
    head = reps.head(20)
    few = briefing.drivers(
        head, ["navy.detection_prob"], {"export_decline": head["export_decline"]}, {}
    )
    assert "too few replications to split (20" in few[1]


# --------------------------------------------------------------------------- the title


def _folder(tmp_path: Path, name: str, typed: list[str]) -> Path:
    folder = tmp_path / name
    (folder / ".hydra").mkdir(parents=True)
    (folder / OVERRIDES_FILE).write_text(yaml.safe_dump(typed))
    return folder


def test_title_names_the_policy_variant_and_the_overrides(tmp_path: Path) -> None:
    chosen = ["policy=enter_after_14d", "++navy.boarding_teams=5", "++experiment.replications=9"]
    cfg = sim.load_config("venezuela_dec2025", chosen[:2]).to_dict()
    desc = describe_run(None, cfg, _folder(tmp_path, "a", chosen))
    title = report_title("simulation", desc)
    assert title == (
        "Blockade simulation report — venezuela_dec2025 · policy: enter_after_14d · "
        "navy.boarding_teams=5"
    )
    assert desc.experiment == ("experiment.replications=9",)  # not in the title
    assert dict(desc.policy.settings)["policy.enter_waters_after_days"] == "14"
    default = sim.load_config("venezuela_dec2025").to_dict()
    plain = report_title("simulation", describe_run(None, default, _folder(tmp_path, "b", [])))
    assert plain == (
        "Blockade simulation report — venezuela_dec2025 · policy: the scenario's own "
        "(as wait_outside)"
    )
    # Without Hydra's record (a run from Python) the same, read from the config alone.
    assert report_title("simulation", describe_run(None, cfg)) == title
    assert report_title("simulation", describe_run(None, default)) == plain


def test_a_policy_no_variant_has_is_said_to_be_its_own() -> None:
    cfg = sim.load_config("venezuela_dec2025", ["policy.enter_waters_after_days=7"]).to_dict()
    desc = describe_run(None, cfg)
    assert desc.policy.how == "none" and not desc.policy.own
    assert desc.overrides == ("policy.enter_waters_after_days=7",)
    assert "policy: of its own (no bundled variant)" in report_title("simulation", desc)
    mine = {**cfg, "name": "my_own"}  # not bundled, and no Hydra record: not known
    assert "Overrides: not known" in briefing.policy_lines(describe_run(None, mine))[1]
    blanket = describe_run(
        None, sim.load_config("venezuela_dec2025", ["policy=blanket_warrants"]).to_dict()
    )
    assert (blanket.policy.name, blanket.policy.how, blanket.overrides) == (
        "blanket_warrants",
        "identified",
        (),
    )


def test_cli_runs_of_two_policies_have_different_titles(tmp_path: Path) -> None:
    """blockade policy=enter_after_14d then blockade report D: the title names the policy."""
    fast = [
        "experiment.replications=2",
        "horizon_days=20",
        "uncertain={}",
        "experiment.executor=serial",
    ]
    ok(blockade(*fast, "policy=enter_after_14d", "hydra.run.dir=pol", cwd=tmp_path))
    ok(blockade(*fast, "hydra.run.dir=plain", cwd=tmp_path))
    titles = {}
    for name in ("pol", "plain"):
        assert main(["report", str(tmp_path / name)]) == 0
        titles[name] = _parse(tmp_path / name / "report.html").title
    assert "policy: enter_after_14d" in titles["pol"]
    assert "policy: the scenario's own" in titles["plain"]
    assert titles["pol"] != titles["plain"]
    html = (tmp_path / "pol" / "report.html").read_text(encoding="utf-8")
    assert "Policy: variant enter_after_14d (chosen with policy=enter_after_14d)" in _section(html)


# --------------------------------------------------------------------------- observations


def _simulated_draws(run_dir: Path, obs: sim.calibration.Observations) -> pd.DataFrame:
    """Each replication simulated again from its seed: the observations' figures."""
    res = sim.load_results(run_dir)
    rows = [
        obs.of(sim.simulate(res.config, seed=res.config.experiment.seed, replication=int(i)))
        for i in res.replications["replication"]
    ]
    return pd.DataFrame(rows, columns=list(obs.ids))


def test_the_model_column_is_the_calibrations_predictive_check(run_dir: Path, page: _Page) -> None:
    res = sim.load_results(run_dir)
    obs = load_observations(BUNDLED / "venezuela_dec2025.yaml", res.config)
    expected = predictive_table(_simulated_draws(run_dir, obs), obs, res.config.experiment.seed)
    got = observed.compare(run_dir, res, obs)
    assert got is not None and got.replications == got.of == 6
    numeric = ["observed", "uncertainty", "model_mean", "model_p05", "model_p95", "z"]
    pd.testing.assert_frame_equal(got.table[numeric], expected[numeric], rtol=1e-12)
    # The report's table shows those numbers in display units, with each source row.
    table = _table(page, "id")
    assert table[0] == observed.HEADER
    for ob, row, exp in zip(obs.items, table[1:], expected.to_dict("records"), strict=True):
        unit = observed.unit_of(ob)
        assert row[0] == ob.id and row[2] == unit.unit
        assert (
            row[3] == f"{fmt_number(unit.show(ob.value))} ± {fmt_number(unit.show(ob.uncertainty))}"
        )
        assert row[4] == fmt_number(unit.show(exp["model_mean"]))
        low, high = (fmt_number(unit.show(exp[k])) for k in ("model_p05", "model_p95"))
        assert row[5] == f"{low} – {high}"
        assert row[6] == f"{exp['z']:+.1f}"
    assert table[1][7].startswith("O1: crude loaded onto ships")  # docs/sources.md's row
    assert metric("exported_bpd").unit == table[3][2]  # a rate of barrels: thousand bpd
    text = _section((run_dir / "report.html").read_text(encoding="utf-8"))
    assert "Against what happened (december_2025, 3 observations)" in text


def test_observations_by_default_only_where_they_fit(tmp_path: Path) -> None:
    """Bundled observations for a run of the bundled scenario; not for a horizon shorter
    than their windows (said in the summary), nor for a scenario of another name."""
    _run(["horizon_days=20", "uncertain={}"], tmp_path / "short", n=2)
    html = write_report(tmp_path / "short").read_text(encoding="utf-8")
    assert "Model vs what happened" not in html
    assert "The bundled observations (venezuela_dec2025.yaml) do not fit this run" in _section(html)
    assert (
        observed.bundled_path({"name": "venezuela_dec2025"}) == BUNDLED / "venezuela_dec2025.yaml"
    )
    assert observed.bundled_path({"name": "my_own"}) is None


def test_a_given_observations_file_is_shown(run_dir: Path, tmp_path: Path) -> None:
    doc = {
        "name": "mine",
        "observations": [
            {
                "id": "X1",
                "what": "seizures by day 20",
                "series": "seizures_cum",
                "window": [0, 21],
                "statistic": "last",
                "value": 3,
                "uncertainty": 1,
                "source": "F42 (docs/sources.md): an example",
            }
        ],
    }
    far = {**doc["observations"][0], "id": "X2", "value": 500}  # no run seizes 500 tankers
    doc["observations"].append(far)
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = write_report(run_dir, out=tmp_path / "r.html", observations=path)
    table = _table(_parse(out), "id")
    assert [r[0] for r in table[1:]] == ["X1", "X2"] and table[1][2] == "tankers"
    html = out.read_text(encoding="utf-8")
    assert '<tr class="far"><td>X2</td>' in html and '<tr class="far"><td>X1</td>' not in html
    text = _section(html)
    assert "Against what happened (mine, 2 observations): 1 of 2 within 2.5" in text
    assert "X2 not: the model does not reproduce it" in text
    res = sim.load_results(run_dir)
    obs = load_observations(path, res.config)
    expected = predictive_table(_simulated_draws(run_dir, obs), obs, res.config.experiment.seed)
    assert [r[4] for r in table[1:]] == [fmt_number(float(v)) for v in expected["model_mean"]]
    assert table[2][6] == f"{float(expected['z'].iloc[1]):+.1f}"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, ("cannot read",)),
        ("name: x\nobservations: [\n", ("invalid YAML",)),
        ("[1, 2]\n", ("must be a mapping",)),
        (
            "name: x\nobservations:\n- {id: A, what: w, series: exported_bbl, window: [0, 99],"
            " statistic: rate, value: 1, uncertainty: 1, source: s}\n",
            ("observations.0.window", "past the scenario's horizon"),
        ),
    ],
)
def test_a_bad_observations_file_is_one_line_and_exit_2(
    run_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    words: tuple[str, ...],
) -> None:
    path = tmp_path / "bad.yaml"
    if content is not None:
        path.write_text(content)
    out = tmp_path / "r.html"
    status = main(["report", str(run_dir), "--out", str(out), "--observations", str(path)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"blockade: error: --observations {path}")
    for word in words:
        assert word in lines[0], lines[0]
    assert not out.exists()


# --------------------------------------------------------------------------- a sweep


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two points of boarding teams on the same seeds, with the sweep table's columns."""
    folder = tmp_path_factory.mktemp("sweep")
    rows = []
    for job, teams in enumerate((0, 3)):
        res = _run(
            [f"navy.boarding_teams={teams}", "horizon_days=20", "uncertain={}"],
            folder / str(job),
            n=4,
        )
        row = {"job": job, "run_dir": str(job), "navy.boarding_teams": teams}
        for name, stats in res.summary.iterrows():
            for stat in ("mean", "ci_low", "ci_high", "p05", "p95"):
                row[f"{name}_{stat}"] = float(stats[stat])
        rows.append(row)
    pd.DataFrame(rows).to_parquet(folder / "sweep.parquet", index=False)
    return folder


def test_sweep_summary_names_the_extremes_and_their_paired_difference(sweep_dir: Path) -> None:
    html = write_report(sweep_dir).read_text(encoding="utf-8")
    text = _section(html)
    df = pd.read_parquet(sweep_dir / "sweep.parquet")
    high = int(df["export_decline_mean"].idxmax())
    low = 1 - high
    for phrase, i in (("highest", high), ("lowest", low)):
        row = df.iloc[i]
        assert f"Export decline, {phrase}: navy.boarding_teams={row['navy.boarding_teams']}" in text
        assert f"{show('export_decline', row['export_decline_mean'])}% (95% CI" in text
        assert f"single runs {show('export_decline', row['export_decline_p05'])} to" in text
    reps = [pd.read_parquet(sweep_dir / str(j) / "replications.parquet") for j in (high, low)]
    d = paired_difference(reps[0], reps[1], ["export_decline"]).loc["export_decline"]
    m = metric("export_decline").difference()
    sign = "+" if d["mean"] > 0 else ""
    assert f"{sign}{m.fmt(d['mean'])} pp (95% CI" in text and "4 pairs" in text
    assert (
        "Blockade sweep report — venezuela_dec2025 · navy.boarding_teams swept (2 points)" in html
    )
    assert not math.isnan(float(d["mean"]))


def test_a_sweep_report_refuses_observations(
    sweep_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = BUNDLED / "venezuela_dec2025.yaml"
    assert main(["report", str(sweep_dir), "--observations", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a sweep" in err[0] and "give one point's folder" in err[0]


def test_a_share_reached_is_stated_within_0_and_100_percent() -> None:
    """99 of 100 runs fill the tanks: the t-interval's 101% is cut at 100%."""
    rows = {
        "days_to_storage_full_share": [0.99, 0.9703, 1.0097, 0.99],
        "days_to_storage_full": [math.nan, math.nan, math.nan, 41.0],
    }
    summary = pd.DataFrame(rows, index=["mean", "ci_low", "ci_high", "p50"]).T
    head = tables.headline(summary, 100)
    assert head is not None
    items = dict(head.items)
    assert items["Storage full by the horizon"] == (
        "in 99.0% of replications (95% CI 97.0 – 100%); median day 41.0"
    )
