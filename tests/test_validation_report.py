"""Smoke test of the validation report generator (``python -m benchmarks.validation``).

Runs it with ``--quick`` (a few replications of everything) into a temporary folder and
checks the page has every section, every analytic row and its figures. The numbers of a
quick run mean nothing; the statistical checks live in tests/test_validation.py.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from filelock import FileLock

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def report(tmp_path_factory, worker_id) -> tuple[str, Path]:
    """The quick report, generated once for the whole run (a minute of work): the first
    xdist worker to ask writes it under a lock in the run's shared temporary folder."""
    if str(REPO) not in sys.path:  # benchmarks/ is not part of the installed package
        sys.path.insert(0, str(REPO))
    from benchmarks import validation

    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    out = shared / "validation-report" / "validation.md"
    with FileLock(str(shared / "validation-report.lock")):
        if not out.exists():
            out.parent.mkdir(exist_ok=True)
            validation.main(["--quick", "--out", str(out), "--workers", "2"])
    return out.read_text(encoding="utf-8"), out.parent


def test_sections_and_provenance(report):
    text, _ = report
    for heading in (
        "## 1. Analytic cases",
        "## 2. Venezuela baseline against the facts",
        "## 3. Face validity",
        "## 4. Cliffs",
        "## 5. Known limitations",
    ):
        assert heading in text
    assert "python -m benchmarks.validation" in text
    assert re.search(r"git commit `[0-9a-f]{7,}", text)
    assert re.search(r"Generated \d{4}-\d{2}-\d{2}", text)
    assert "quick smoke run" in text


def test_analytic_table_rows(report):
    text, _ = report
    rows = [line for line in text.splitlines() if re.match(r"\| V[1-4] \|", line)]
    cases = [row.split("|")[1].strip() for row in rows]
    # V1 at three loads, V2 five variants, V3 share/count/dispersion, V4 berth queue + room.
    assert cases.count("V1") == 3
    assert cases.count("V2") == 5
    assert cases.count("V3") == 3
    assert cases.count("V4") == 6
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 7
        float(cells[2].replace(",", ""))  # theory
        float(cells[3].replace(",", ""))  # simulation
        assert cells[4].startswith("[") and cells[4].endswith("]")
        assert cells[6] in ("yes", "**no**")


def test_baseline_and_face_validity(report):
    text, _ = report
    for label in ("baseline exports", "Chevron, baseline", "Chevron, blockade"):
        assert re.search(rf"\| {label} \| .*\| \d+k \|", text)
    for key in (
        "navy.boarding_teams",
        "navy.detection_prob",
        "court.delay_days",
        "policy.enter_waters_after_days",
        "behaviour.groups.shadow.patience_days",
    ):
        assert f"(`{key}`)" in text
    assert text.count("Expected because") == 5


def test_figures_exist_and_are_small(report):
    text, folder = report
    links = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text)
    assert len(links) == 4
    for link in links:
        png = folder / link
        assert png.is_file(), link
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size < 200_000


def test_cliffs(report):
    from benchmarks import cliffs

    text, _ = report
    section = text.split("## 4. Cliffs", 1)[1].split("## 5. Known limitations", 1)[0]
    for sweep in cliffs.SWEEPS:
        assert f"### {sweep.label} (`{sweep.key}`)" in section
    verdicts = re.findall(r"^max step .* pp at .*: \*\*(PASS|FAIL)\*\* \([≤>] 8 pp\)(;|$)", section,
                          re.MULTILINE)  # fmt: skip
    assert len(verdicts) == len(cliffs.SWEEPS)
    # quick: three points per sweep, so a header, a rule and three rows per table
    assert section.count("\n|---|") == len(cliffs.SWEEPS)
    assert len(re.findall(r"^\| (\*\*)?[0-9.]+(\*\*)? \|", section, re.MULTILINE)) == 3 * len(
        cliffs.SWEEPS
    )
    assert "![Cliffs](img/validation/cliffs.png)" in section


def test_the_limitations_are_those_of_the_model_page(report):
    from sim.validation.report import known_limitations

    text, _ = report
    items = known_limitations()
    assert len(items) >= 10
    assert items[0].startswith("**One terminal, one storage pool, one berth queue.**")
    section = text.split("## 5. Known limitations", 1)[1].split("Revealed by", 1)[0]
    assert [line[2:] for line in section.splitlines() if line.startswith("- ")] == items
