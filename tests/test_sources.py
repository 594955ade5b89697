"""Every citation resolves inside the repository, and every real-world value has one.

docs/sources.md is parsed into its rows (id -> fact, value, source). A *real-world
parameter* is every value of ``scenarios/scenario/*.yaml`` and ``scenarios/policy/*.yaml``
(:func:`sim.sources.value_keys`: the leaves, list items, ``uncertain`` entries; not the labels
``name`` and ``description``). Where each comes from is data: the sources file
``scenarios/sources/<group>/<name>.yaml`` maps dotted keys to ``source: IDS ...`` or
``assumption: reason``, a key covering everything below it; every value must be covered and
every key must be a key of the file. In ``scenarios/sensitivity/*.yaml`` every parameter's entry
holds a ``# source:`` or ``# assumption:`` comment (the spec has no field for it yet). A source
starts with an id; an assumption gives a reason. Every id named anywhere in ``scenarios/``
(sources files and validation configs included) and ``docs/`` must be a row of
docs/sources.md. Problems are reported as ``file: what``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sim.sources import (
    ID,
    Fact,
    SourcesError,
    cited_ids,
    load_annotations,
    lookup,
    parse_sources,
    sources_file,
    uncovered,
)

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "docs" / "sources.md"
MARK = re.compile(r"#\s*(?P<kind>source|assumption)\s*:(?P<note>.*)$")
GROUPS = ("scenario", "policy")


@pytest.fixture(scope="module")
def facts() -> dict[str, Fact]:
    """The rows of docs/sources.md."""
    return parse_sources(SOURCES)


def _where(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    return str(path.relative_to(REPO) if path.is_relative_to(REPO) else path)


def unsourced(path: Path) -> list[str]:
    """Every problem of a scenario file's sources: a bad entry, an uncovered value, a stale key."""
    side = sources_file(path)
    if not side.is_file():
        return [f"{_where(path)}: no sources file {_where(side)}"]
    try:
        annotations = load_annotations(side)
    except SourcesError as exc:
        return [str(exc)]
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems = [
        f"{_where(path)}: {key}: a real-world value with neither source nor assumption in "
        f"{_where(side)}"
        for key in uncovered(data, annotations)
    ]
    problems += [
        f"{_where(side)}: {a.key}: not a key of {_where(path)}"
        for a in annotations
        if not lookup(data, a.key)[0]
    ]
    return problems


def unmarked_entries(path: Path) -> list[str]:
    """Parameters of a sensitivity spec whose entry has no well-formed source or assumption."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = re.split(
        r"\n  (?=[a-z_.]+:\n)", path.read_text(encoding="utf-8").split("\nparameters:\n", 1)[1]
    )
    by_name = {e.split(":", 1)[0].strip(): e for e in entries}
    problems = []
    for name in spec["parameters"]:
        marks = [MARK.search(line) for line in by_name.get(name, "").splitlines()]
        good = [m for m in marks if m and _well_formed(m.group("kind"), m.group("note"))]
        if not good:
            problems.append(f"{_where(path)}: {name}: no '# source: ID' or '# assumption: reason'")
    return problems


def _well_formed(kind: str, note: str) -> bool:
    note = note.strip()
    return bool(ID.match(note)) if kind == "source" else bool(note.strip("( )"))


def unknown_ids(path: Path, facts: dict[str, Fact]) -> list[str]:
    """``file:line`` of every id named in ``path`` that is not a row of docs/sources.md."""
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        missing = [i for i in cited_ids(line) if i not in facts]
        if missing:
            problems.append(
                f"{_where(path)}:{number}: cites {', '.join(missing)}, not in docs/sources.md"
            )
    return problems


def _scenario_files(folder: str) -> list[Path]:
    return sorted((REPO / "scenarios" / folder).glob("*.yaml"))


def _report(problems: list[str]) -> None:
    assert not problems, "\n" + "\n".join(problems)


# --------------------------------------------------------------------------- the table


def test_sources_has_every_id_with_fact_value_and_source(facts):
    ranges = [("F", 1, 5), ("F", 10, 20), ("F", 30, 37), ("F", 40, 48), ("F", 60, 65)]
    expected = {f"{p}{i}" for p, lo, hi in ranges for i in range(lo, hi + 1)}
    expected |= {f"V{i}" for i in range(1, 5)} | {f"O{i}" for i in range(1, 5)} | {"B1"}
    assert set(facts) == expected
    for fact in facts.values():
        assert fact.fact and fact.value and fact.source, fact
    assert facts["F11"].source == "S&P Global factbox, 17 Dec 2025"
    assert "770k bpd" in facts["F11"].value
    assert facts["O3"].source == "Reuters/LSEG monthly report, early Jan 2026"


def test_cited_ids_reads_lists_ranges_and_possessives():
    assert cited_ids("F17, F18, F35: swings; F1's 11M; F10-F12; V2 and O3; F1 again") == [
        "F17",
        "F18",
        "F35",
        "F1",
        "F10",
        "F12",
        "V2",
        "O3",
    ]
    assert cited_ids("Beta(1, 19), b >= 31, 0F1, FF2") == []


# --------------------------------------------------------------------------- the scenarios


@pytest.mark.parametrize("group", GROUPS)
def test_every_real_world_value_has_a_source_or_an_assumption(group):
    files = _scenario_files(group)
    assert files
    _report([p for path in files for p in unsourced(path)])


def test_every_sensitivity_range_cites_a_source_or_an_assumption():
    files = _scenario_files("sensitivity")
    assert files
    _report([p for path in files for p in unmarked_entries(path)])


def test_every_id_cited_in_scenarios_and_docs_exists(facts):
    files = sorted((REPO / "scenarios").rglob("*.yaml")) + sorted((REPO / "docs").glob("*.md"))
    files.append(REPO / "README.md")
    _report([p for path in files for p in unknown_ids(path, facts)])


def test_validation_configs_cite_their_closed_form(facts):
    for path in _scenario_files("validation"):
        case = path.stem.split("_")[0].upper()
        assert case in facts, path
        assert f"{case} (docs/sources.md)" in path.read_text(encoding="utf-8"), path


def test_nothing_points_outside_the_repository():
    old = ["../" + "shared", "FACTS" + ".md", "shared " + "FACTS", "# source: " + "FACTS"]
    roots = ["scenarios", "docs", "sim", "benchmarks", "notebooks", "tests", "README.md"]
    paths = [p for r in roots for p in ([REPO / r] if r.endswith(".md") else (REPO / r).rglob("*"))]
    problems = [
        f"{_where(path)}:{number}: {needle!r}"
        for path in paths
        if path.suffix in {".py", ".md", ".yaml", ".ipynb"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for needle in old
        if needle in line
    ]
    _report(problems)


# --------------------------------------------------------------------------- the checker itself


def _scenario(tmp_path: Path, text: str, sources: str) -> Path:
    path = tmp_path / "scenario" / "x.yaml"
    side = tmp_path / "sources" / "scenario" / "x.yaml"
    for file, body in ((path, text), (side, sources)):
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(body, encoding="utf-8")
    return path


def test_checker_names_each_uncovered_value_and_stale_key(tmp_path, facts):
    path = _scenario(
        tmp_path,
        "name: x\n"
        "navy:\n"
        "  boarding_teams: 3\n"
        "  detection_prob: 0.9\n"
        "  classes: {VLCC: 2000000}\n"
        "fleet:\n"
        "  tankers:\n"
        "    - {class: VLCC, count: 2}\n"
        "    - {class: Aframax, count: 1}\n"
        "uncertain:\n"
        "  navy.detection_prob: {dist: uniform, low: 0.8, high: 1.0}\n",
        "navy.boarding_teams: {source: F41}\n"
        "navy.classes: {assumption: a parent covers its children}\n"
        "fleet.tankers.0: {source: F31 (one item)}\n"
        "navy.gone: {assumption: a key the file does not have}\n"
        "targets: {source: F999 (no such row)}\n",
    )
    side = tmp_path / "sources" / "scenario" / "x.yaml"
    assert [p.split(": ")[1] for p in unsourced(path)] == [
        "navy.detection_prob",
        "fleet.tankers.1.class",
        "fleet.tankers.1.count",
        "uncertain.navy.detection_prob",
        "navy.gone",
        "targets",
    ]
    assert unknown_ids(side, facts) == [f"{side}:5: cites F999, not in docs/sources.md"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{source: trust me}", "a source must start with a row id"),
        ("{assumption: ''}", "an assumption must give its reason"),
        ("{source: F41, assumption: both}", "exactly one of"),
        ("F41", "exactly one of"),
    ],
)
def test_a_bad_sources_entry_is_one_line_naming_its_key(tmp_path, entry, message):
    path = _scenario(tmp_path, "navy:\n  boarding_teams: 3\n", f"navy.boarding_teams: {entry}\n")
    (problem,) = unsourced(path)
    assert "navy.boarding_teams: " in problem and message in problem and "\n" not in problem


def test_a_scenario_without_a_sources_file_is_named(tmp_path):
    path = tmp_path / "scenario" / "y.yaml"
    path.parent.mkdir()
    path.write_text("navy:\n  boarding_teams: 3\n", encoding="utf-8")
    assert unsourced(path) == [f"{path}: no sources file {tmp_path / 'sources/scenario/y.yaml'}"]


def test_checker_reads_sensitivity_entries(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(
        "method: morris\n"
        "parameters:\n"
        "  navy.boarding_teams:\n"
        "    range: [1, 8]\n"
        "    # source: F41\n"
        "  navy.detection_prob:\n"
        "    range: [0.5, 1.0]\n"
        "  navy.exposure_days:\n"
        "    range: [1, 3]\n"
        "    # source: trust me\n",
        encoding="utf-8",
    )
    assert [p.split(": ")[1] for p in unmarked_entries(path)] == [
        "navy.detection_prob",
        "navy.exposure_days",
    ]
