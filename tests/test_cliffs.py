"""The no-artefact-cliffs benchmark (``python -m benchmarks.cliffs``): one small sweep, the
pairing of its steps, the verdict and the command line. The numbers of 8 replications mean
nothing; the criterion itself is measured by the full run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # benchmarks/ is not part of the installed package
    sys.path.insert(0, str(REPO))

from benchmarks import cliffs  # noqa: E402

N = 8


@pytest.fixture(scope="module")
def result() -> cliffs.Result:
    sweep = cliffs.thin(next(s for s in cliffs.SWEEPS if s.key == "navy.detection_prob"), 3)
    assert sweep.values == (0.5, 0.7, 1.0)
    return cliffs.run_sweep(sweep, replications=N, workers=1)


def test_table_structure(result):
    assert [p.value for p in result.points] == [0.5, 0.7, 1.0]
    body = cliffs.rows(result)
    assert len(body) == 3
    assert all(len(row) == len(cliffs.HEADER) for row in body)
    assert body[0][5] == body[0][6] == ""  # no step into the first point
    for row in body[1:]:
        float(row[5])
        assert row[6].startswith("[") and row[6].endswith("]")
    assert sum(row[-1] == "◀ largest" for row in body) == 1
    text = cliffs.text_table(result)
    assert text.splitlines()[-1] == result.verdict.text
    assert f"{N} paired replications" in text
    md = cliffs.markdown_lines([result], figure="img/cliffs.png")
    table = [line for line in md if line.startswith("| ")]
    assert len(table) == 1 + 3  # header and one row per point
    assert "![Cliffs](img/cliffs.png)" in md
    assert any("**PASS**" in line or "**FAIL**" in line for line in md)


def test_steps_are_paired_on_the_same_seeds(result):
    frames = [p.frame for p in result.points]
    for f in frames:
        assert sorted(f["replication"]) == list(range(N))
        assert (f["seed"] == result.seed).all()
    for prev, cur in zip(result.points, result.points[1:], strict=False):
        assert cur.step is not None and cur.step["n"] == N
        diff = 100 * (cur.frame["export_decline"].mean() - prev.frame["export_decline"].mean())
        assert cur.step["mean"] == pytest.approx(diff)
        assert cur.step["ci_low"] <= cur.step["mean"] <= cur.step["ci_high"]
        # The paired interval: from the per-replication differences, not the two bands.
        d = cur.frame.set_index("replication")["export_decline"]
        d = 100 * (d - prev.frame.set_index("replication")["export_decline"])
        assert cur.step["std"] == pytest.approx(d.std(ddof=1))
    a, b = frames[0], frames[1].copy()
    b.loc[b.index[0], "seed"] = result.seed + 1
    with pytest.raises(AssertionError, match="seeds differ"):
        cliffs.paired_step(a, b, "export_decline")
    with pytest.raises(AssertionError, match="same replications"):
        cliffs.paired_step(a, frames[1].iloc[1:], "export_decline")


def test_a_lever_that_changes_nothing_is_flagged_as_a_staircase(result):
    # The scenario never goes into waters, so the in-waters success changes no decision.
    flat = cliffs.run_sweep(cliffs.parse_sweep("policy.in_waters_success_prob=0.2:0.8:3"), N, 1)
    assert flat.flat_steps == 2
    assert all(p.step["unchanged"] == N for p in flat.points[1:])
    assert flat.verdict.passed and flat.note and flat.note.startswith("staircase: 2 of 2")
    assert cliffs.text_table(flat).splitlines()[-1] == flat.note
    assert result.flat_steps == 0 and result.note is None  # detection moves most replications


def test_verdict():
    fail = cliffs.verdict([1, 2, 3, 4], [10.0, 12.0, 21.0, 20.0])
    assert not fail.passed
    assert (fail.a, fail.b, fail.index) == (2, 3, 2)
    assert fail.step_pp == pytest.approx(9.0)
    assert fail.text == "max step 9.0 pp at 2→3: FAIL (> 8 pp)"
    ok = cliffs.verdict([0.5, 0.6, 0.7], [50.0, 57.0, 52.0])
    assert ok.passed
    assert ok.text == "max step 7.0 pp at 0.5→0.6: PASS (≤ 8 pp)"
    assert not cliffs.verdict([0, 1], [30.0, 21.0]).passed  # a fall counts as much as a rise
    assert cliffs.verdict([0, 1], [30.0, 22.0]).passed  # the limit itself passes
    assert not cliffs.verdict([0, 1, 2], [30.0, float("nan"), 30.0]).passed


def test_sweep_spec_parsing():
    args = cliffs.build_parser().parse_args(
        [
            "--sweep",
            "behaviour.groups.shadow.prior_b=9:39:11",
            "--sweep",
            "navy.boarding_teams=1:8:8",
        ]
    )
    prior, teams = args.sweep
    assert prior.key == "behaviour.groups.shadow.prior_b"
    assert prior.values == (9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39)
    assert prior.overrides(12.0) == ["behaviour.groups.shadow.prior_b=12"]
    assert teams.values == tuple(range(1, 9))
    merged = cliffs.select(cliffs.SWEEPS, [prior], None)
    assert len(merged) == len(cliffs.SWEEPS)  # a declared key is replaced, not duplicated
    assert next(s for s in merged if s.key == "behaviour.groups.shadow.prior_b") is prior
    assert [s.key for s in cliffs.select(cliffs.SWEEPS, [teams], ["navy.boarding_teams"])] == [
        "navy.boarding_teams"
    ]
    assert cliffs.linspace(0.02, 0.15, 11)[1] == 0.033


@pytest.mark.parametrize(
    "spec",
    ["behaviour.groups.shadow.prior_b=9:39", "behaviour.groups.shadow.prior_b", "=1:2:3",
     "a b=1:2:3", "x=1:two:3", "x=1:2:1", "x=1:1:5", "x=1:2:3.5"],
)  # fmt: skip
def test_malformed_sweep_is_a_one_line_error(spec, capsys):
    with pytest.raises(SystemExit) as exc:
        cliffs.main(["--sweep", spec])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"{cliffs.COMMAND}: error: argument --sweep")
    assert spec in err[-1]


def test_unknown_keys_are_refused_before_running(capsys):
    with pytest.raises(SystemExit) as exc:
        cliffs.main(["--only", "navy.nope"])
    assert exc.value.code == 2
    assert "unknown sweep navy.nope" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cliffs.main(["--sweep", "navy.nope=1:2:3", "--only", "navy.nope"])
    assert exc.value.code == 2
    assert "navy.nope" in capsys.readouterr().err.strip().splitlines()[-1]


def test_command_writes_its_outputs(tmp_path, capsys):
    out = tmp_path / "out"
    code = cliffs.main(
        ["--sweep", "navy.detection_prob=0.6:1.0:2", "--only", "navy.detection_prob",
         "--replications", "3", "--workers", "1", "--json", str(out / "c.json"),
         "--markdown", str(out / "c.md"), "--figure", str(out / "img" / "c.png")]
    )  # fmt: skip
    assert code == 0
    stdout = capsys.readouterr().out
    assert "navy.detection_prob" in stdout and "max step" in stdout
    data = json.loads((out / "c.json").read_text())
    (sweep,) = data["sweeps"]
    assert [p["value"] for p in sweep["points"]] == [0.6, 1.0]
    assert sweep["points"][1]["step_pp"]["n"] == 3
    assert len(sweep["points"][0]["export_decline_values"]) == 3
    assert "![Cliffs](img/c.png)" in (out / "c.md").read_text()
    assert (out / "img" / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    leftovers = [p.name for p in out.rglob(".*")]
    assert leftovers == []  # no temp files of the atomic writes
