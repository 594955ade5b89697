"""Every citation resolves inside the repository, and every real-world value has one.

docs/sources.md is parsed into its rows (id -> fact, value, source). A *real-world
parameter* is every value line of ``scenarios/scenario/*.yaml`` and ``scenarios/policy/*.yaml``
(a ``key: value`` with a non-empty value, or a list item) except the top-level labels ``name``
and ``description``, and every value under ``parameters:`` of ``scenarios/sensitivity/*.yaml``.
Each must be covered by a ``# source: IDS ...`` or ``# assumption: reason`` comment: on its own
line, on the line of a mapping it belongs to (``classes:  # source: F30`` covers the classes),
or in the comment block directly above it; in a sensitivity spec, also in the comment block
inside its parameter's entry. A ``# source:`` note starts with an id; an assumption gives a
reason. Every id named anywhere in ``scenarios/`` (validation configs included) and ``docs/``
must be a row of docs/sources.md. Problems are reported as ``file:line: what``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim.analysis.report import _strip_comment
from sim.sources import ID, Fact, cited_ids, parse_sources

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "docs" / "sources.md"
MARK = re.compile(r"#\s*(?P<kind>source|assumption)\s*:(?P<note>.*)$")
LABELS = frozenset({"name", "description"})
BLOCK_SCALARS = frozenset({">", ">-", "|", "|-"})


@dataclass(frozen=True)
class Rule:
    """Which value lines of a scenario folder are real-world parameters, and how they cite."""

    under: str | None  # only values below this top-level key (None: all but the labels)
    entry_blocks: bool  # a marked comment anywhere in the value's own entry covers it


RULES = {
    "scenario": Rule(under=None, entry_blocks=False),
    "policy": Rule(under=None, entry_blocks=False),
    "sensitivity": Rule(under="parameters", entry_blocks=True),
}


@dataclass
class Value:
    """A value line with what could cover it."""

    number: int
    top: str
    marked: bool
    ancestors: tuple[int, ...]
    marked_above: bool


@dataclass
class Walk:
    """The value lines of a YAML file and the marks around them."""

    values: list[Value] = field(default_factory=list)
    marked_parents: set[int] = field(default_factory=set)  # mapping lines with a mark
    marked_blocks: set[int] = field(default_factory=set)  # mappings holding a marked comment


@pytest.fixture(scope="module")
def facts() -> dict[str, Fact]:
    """The rows of docs/sources.md."""
    return parse_sources(SOURCES)


def _mark(raw: str) -> re.Match[str] | None:
    """The ``# source:`` / ``# assumption:`` of a line's comment (quotes respected)."""
    return MARK.match(raw[len(_strip_comment(raw)) :].strip())


def walk(path: Path) -> Walk:
    """Walk a block-style YAML file line by line, tracking parent mappings and comments."""
    out = Walk()
    stack: list[tuple[int, int, str]] = []  # (indent, line number, key) of open mappings
    above: list[str] = []  # comment-only lines directly above the current line
    scalar_indent: int | None = None  # inside a block scalar (description: >-)
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        indent, code = len(raw) - len(raw.lstrip()), _strip_comment(raw).strip()
        if scalar_indent is not None and (not raw.strip() or indent > scalar_indent):
            continue
        scalar_indent = None
        if not raw.strip():
            above = []
            continue
        if not code:
            above.append(raw)
            parents = [line for col, line, _ in stack if col < indent]
            if _mark(raw) and parents:
                out.marked_blocks.add(parents[-1])
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key, colon, value = code.removeprefix("- ").partition(":")
        value = value.strip() if colon else code.removeprefix("- ")
        top = stack[0][2] if stack else key.strip()
        if value in BLOCK_SCALARS:
            scalar_indent = indent
        elif value:
            marked_above = any(MARK.match(line.strip()) for line in above)
            ancestors = tuple(line for _, line, _ in stack)
            out.values.append(Value(number, top, bool(_mark(raw)), ancestors, marked_above))
        else:
            stack.append((indent, number, key.strip()))
            if _mark(raw):
                out.marked_parents.add(number)
        above = []
    return out


def _real_world(value: Value, rule: Rule) -> bool:
    """Whether a value line is a real-world parameter under ``rule``."""
    if rule.under is not None:
        return value.top == rule.under
    return bool(value.ancestors) or value.top not in LABELS


def _where(path: Path, number: int) -> str:
    """``file:line``, the file relative to the repository when it is inside it."""
    return f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}:{number}"


def uncited(path: Path, rule: Rule) -> list[str]:
    """``file:line`` of every real-world value of ``path`` with neither source nor assumption."""
    found = walk(path)
    problems = []
    for v in found.values:
        if not _real_world(v, rule):
            continue
        covered = v.marked or v.marked_above or bool(found.marked_parents & set(v.ancestors))
        if rule.entry_blocks and v.ancestors and v.ancestors[-1] in found.marked_blocks:
            covered = True
        if not covered:
            problems.append(
                f"{_where(path, v.number)}: a real-world value with neither "
                "'# source: ID' nor '# assumption: reason'"
            )
    return problems


def bad_marks(path: Path) -> list[str]:
    """``file:line`` of every ``# source:`` without a leading id and empty ``# assumption:``."""
    problems = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        mark = _mark(raw)
        if mark is None:
            continue
        note = mark.group("note").strip()
        if mark.group("kind") == "source" and not ID.match(note):
            problems.append(f"{_where(path, number)}: '# source:' must start with an id: {note!r}")
        if mark.group("kind") == "assumption" and not note.strip("( )"):
            problems.append(f"{_where(path, number)}: '# assumption:' without a reason")
    return problems


def unknown_ids(path: Path, facts: dict[str, Fact]) -> list[str]:
    """``file:line`` of every id named in ``path`` that is not a row of docs/sources.md."""
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        missing = [i for i in cited_ids(line) if i not in facts]
        if missing:
            problems.append(
                f"{_where(path, number)}: cites {', '.join(missing)}, not in docs/sources.md"
            )
    return problems


def _scenario_files(folder: str) -> list[Path]:
    return sorted((REPO / "scenarios" / folder).glob("*.yaml"))


def _report(problems: list[str]) -> None:
    assert not problems, "\n" + "\n".join(problems)


# --------------------------------------------------------------------------- the table


def test_sources_has_every_id_with_fact_value_and_source(facts):
    ranges = [("F", 1, 5), ("F", 10, 20), ("F", 30, 37), ("F", 40, 48), ("F", 60, 63)]
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


@pytest.mark.parametrize("folder", sorted(RULES))
def test_every_real_world_value_cites_a_source_or_an_assumption(folder):
    files = _scenario_files(folder)
    assert files
    _report([p for path in files for p in uncited(path, RULES[folder]) + bad_marks(path)])


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
        f"{_where(path, number)}: {needle!r}"
        for path in paths
        if path.suffix in {".py", ".md", ".yaml", ".ipynb"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for needle in old
        if needle in line
    ]
    _report(problems)


# --------------------------------------------------------------------------- the checker itself


def test_checker_names_file_and_line_of_each_problem(tmp_path, facts):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: x\n"
        "navy:\n"
        "  boarding_teams: 3    # source: F41\n"
        "  detection_prob: 0.9\n"
        "  # assumption: a block above covers the next value only\n"
        "  exposure_days: 2\n"
        "  escort_days: 5\n"
        "  classes:             # assumption: parent covers its children\n"
        "    VLCC: 2000000\n"
        "  targets: all         # source: F999 (no such row)\n"
        "  board_success_prob: 1  # source: trust me\n"
        "  capacity: 2          # assumption:\n",
        encoding="utf-8",
    )
    rule = RULES["scenario"]
    assert [p.split(": ", 1)[0] for p in uncited(path, rule)] == [f"{path}:4", f"{path}:7"]
    assert [p.split(": ", 1)[0] for p in bad_marks(path)] == [f"{path}:11", f"{path}:12"]
    assert unknown_ids(path, facts) == [f"{path}:10: cites F999, not in docs/sources.md"]


def test_checker_reads_sensitivity_entries(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(
        "method: morris\n"
        "parameters:\n"
        "  navy.boarding_teams:\n"
        "    range: [1, 8]\n"
        "    # source: F41\n"
        "  navy.detection_prob:\n"
        "    range: [0.5, 1.0]\n",
        encoding="utf-8",
    )
    assert [p.split(": ", 1)[0] for p in uncited(path, RULES["sensitivity"])] == [f"{path}:7"]
