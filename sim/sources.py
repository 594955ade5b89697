"""The project's facts and where each scenario value comes from.

``docs/sources.md`` is the fact table: this module reads its rows back into :class:`Fact`
rows by id; prose names them by bare id (``F42``, ``V2``, ``O3``, ``B1``). The sources of a
scenario file ``scenarios/<group>/<name>.yaml`` are data, ``scenarios/sources/<group>/<name>.yaml``:
each dotted key maps to ``source: F12 ...`` (a row of the table) or ``assumption: why``
(:class:`Annotation`). The report and ``tests/test_sources.py`` read both from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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


# --------------------------------------------------------------------------- scenario sources

#: The folder of ``scenarios/`` that holds the sources of ``scenarios/<group>/<name>.yaml``
#: as ``scenarios/sources/<group>/<name>.yaml``.
SOURCES_GROUP = "sources"
KINDS = ("source", "assumption")
LABELS = frozenset({"name", "description"})  # top-level labels, not real-world values


class SourcesError(ValueError):
    """A sources file is not a mapping of keys to one ``source:`` or ``assumption:`` each."""


@dataclass(frozen=True)
class Annotation:
    """Where a scenario value comes from: ``kind`` is "source" (``note`` starts with a row id
    of docs/sources.md) or "assumption" (``note`` is the reason)."""

    key: str
    kind: str
    note: str


def sources_file(scenario_file: Path) -> Path:
    """``scenarios/sources/<group>/<name>.yaml`` of ``scenarios/<group>/<name>.yaml``."""
    return (
        scenario_file.parent.parent / SOURCES_GROUP / scenario_file.parent.name / scenario_file.name
    )


def load_annotations(path: Path) -> list[Annotation]:
    """The entries of a sources file, in order (:class:`SourcesError` naming a bad entry)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise SourcesError(f"{path}: must be a mapping of keys to a source or an assumption")
    return [_annotation(path, str(key), entry) for key, entry in data.items()]


def _annotation(path: Path, key: str, entry: object) -> Annotation:
    """One entry checked: exactly one of source (starting with an id) and assumption (a reason)."""
    if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in KINDS:
        raise SourcesError(
            f"{path}: {key}: give exactly one of 'source: ID ...' or 'assumption: why'"
        )
    kind, note = next(iter(entry.items()))
    note = " ".join(str(note or "").split())
    if kind == "source" and not ID.match(note):
        raise SourcesError(f"{path}: {key}: a source must start with a row id of docs/sources.md")
    if kind == "assumption" and not note.strip("( ).…"):
        raise SourcesError(f"{path}: {key}: an assumption must give its reason")
    return Annotation(key, kind, note)


def lookup(data: Any, key: str) -> tuple[bool, Any]:
    """The value at a dotted key (list items by number, ``fleet.tankers.1``) of a nested mapping."""
    section, _, rest = key.partition(".")
    if section == "uncertain" and isinstance(data, dict):  # its keys are dotted config keys
        table = data.get("uncertain") or {}
        return (rest in table), table.get(rest)
    current = data
    for part in key.split("."):
        if isinstance(current, list) and part.isdigit():
            if int(part) >= len(current):
                return False, None
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return False, None
    return True, current


def value_keys(data: Any, prefix: str = "") -> Iterator[str]:
    """The dotted key of every value in a scenario mapping (its real-world parameters): the
    leaves, list items as ``key.i``, ``uncertain`` entries whole; the top labels excluded."""
    if isinstance(data, dict) and data:
        for key, value in data.items():
            if not prefix and key in LABELS:
                continue
            if not prefix and key == "uncertain" and isinstance(value, dict):
                yield from (f"uncertain.{k}" for k in value)
            else:
                yield from value_keys(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list) and data:
        for index, item in enumerate(data):
            yield from value_keys(item, f"{prefix}.{index}")
    else:
        yield prefix


def covers(key: str, value_key: str) -> bool:
    """Whether the annotation of ``key`` covers ``value_key`` (itself or below it)."""
    return value_key == key or value_key.startswith((f"{key}.", f"{key}["))


def uncovered(data: Any, annotations: Iterable[Annotation]) -> list[str]:
    """The value keys of ``data`` no annotation covers."""
    keys = [a.key for a in annotations]
    return [v for v in value_keys(data) if not any(covers(k, v) for k in keys)]
