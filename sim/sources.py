"""The project's fact table, ``docs/sources.md``: its rows by id, and the ids a text cites.

Scenario files cite rows as ``# source: F12`` (or lean on them in ``# assumption: ...``);
prose names them by bare id (``F42``, ``V2``, ``O3``, ``B1``). This module reads the tables
of ``docs/sources.md`` back into :class:`Fact` rows, for the report and for
``tests/test_sources.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# A row id: F (facts), V (closed forms), O (observations), B (design-brief statements).
ID = re.compile(r"\b[FVOB]\d+\b")
_ROW = re.compile(r"^\|\s*(?P<id>[FVOB]\d+)\s*\|")


@dataclass(frozen=True)
class Fact:
    """One row of docs/sources.md."""

    id: str
    fact: str
    value: str
    source: str


def sources_path() -> Path | None:
    """``docs/sources.md`` of a source checkout, or None (an installed wheel has no docs)."""
    from sim.config import scenarios_dir

    try:
        path = scenarios_dir().parent / "docs" / "sources.md"
    except FileNotFoundError:
        return None
    return path if path.is_file() else None


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def parse_sources(path: Path) -> dict[str, Fact]:
    """Table rows of ``path`` by id: the 2nd column, and the ``value``/``source`` columns."""
    facts: dict[str, Fact] = {}
    header: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("| id |"):
            header = _cells(line)
        elif _ROW.match(line) and header:
            cells = _cells(line)
            row = dict(zip(header, cells, strict=False))
            facts[cells[0]] = Fact(cells[0], cells[1], row.get("value", ""), row.get("source", ""))
    return facts


def cited_ids(text: str) -> list[str]:
    """The row ids a text names, in order, each once (``F10-F12`` names F10 and F12)."""
    return list(dict.fromkeys(ID.findall(text)))
