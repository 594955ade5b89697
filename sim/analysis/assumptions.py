"""The report's assumptions table: each annotated scenario value beside this run's value.

The annotations are data (:mod:`sim.sources`: ``scenarios/sources/scenario/<name>.yaml``);
this module compares the scenario file's values with a run's resolved config and picks the
rows of ``docs/sources.md`` the notes cite.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from sim.formatting import fmt_number
from sim.sources import (
    Annotation,
    Fact,
    cited_ids,
    load_annotations,
    lookup,
    parse_sources,
    sources_file,
    sources_path,
)


@dataclass(frozen=True)
class AssumptionRow:
    """One annotated key: the value shown, the scenario file's, and its basis."""

    key: str
    value: str
    file_value: str
    kind: str  # "source" or "assumption"
    note: str
    overridden: bool

    def explanation(self, varied: Sequence[str] = ()) -> str:
        """The note as the report shows it: with the file's value if this run differs."""
        if any(self.key == v or self.key.startswith(v + ".") for v in varied):
            return f"varied by the sweep; scenario file: {self.file_value} ({self.note})"
        if self.overridden:
            return f"overridden in this run (scenario file: {self.file_value}); was: {self.note}"
        return self.note


def same(file_value: Any, run_value: Any) -> bool:
    """Whether a run's config value is the scenario file's (a bare number is a fixed dist)."""
    if isinstance(file_value, dict):
        return isinstance(run_value, dict) and all(
            k in run_value and same(v, run_value[k]) for k, v in file_value.items()
        )
    if isinstance(run_value, dict):
        return run_value.get("dist") == "fixed" and same(file_value, run_value.get("value"))
    if isinstance(file_value, list):
        return (
            isinstance(run_value, list)
            and len(file_value) == len(run_value)
            and all(same(a, b) for a, b in zip(file_value, run_value, strict=True))
        )
    return _same_scalar(file_value, run_value)


def _same_scalar(file_value: Any, run_value: Any) -> bool:
    if isinstance(file_value, bool) or isinstance(run_value, bool):
        return bool(file_value == run_value)
    if isinstance(file_value, int | float) and isinstance(run_value, int | float):
        return math.isclose(float(file_value), float(run_value), rel_tol=1e-12)
    return str(file_value) == str(run_value)


def compact(value: Any) -> str:
    """A short YAML-ish rendering of a config value (nulls of distributions dropped)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {compact(v)}" for k, v in value.items() if v is not None)
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(compact(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, float):
        return fmt_number(value, digits=6) if not value.is_integer() else f"{int(value)}"
    return str(value)


def as_written(value: Any) -> str:
    """A scenario file's value in YAML flow style, as it is written there."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def flatten(data: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Dotted keys and values of a config (a distribution mapping is one value)."""
    if isinstance(data, dict) and data and "dist" not in data:
        for k, v in data.items():
            yield from flatten(v, f"{prefix}.{k}" if prefix else str(k))
    else:
        yield prefix, data


def assumption_rows(config: dict[str, Any]) -> tuple[list[AssumptionRow], str | None]:
    """Annotated scenario keys with this run's value; and the scenario file used (if any)."""
    from sim.config import scenarios_dir  # public config helper, not a model internal

    name = str(config.get("name", ""))
    try:
        path = scenarios_dir() / "scenario" / f"{name}.yaml"
    except FileNotFoundError:
        return [], None
    if not name or not path.is_file() or not sources_file(path).is_file():
        return [], None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows = [_row(a, data, config) for a in load_annotations(sources_file(path))]
    return rows, f"scenario/{name}.yaml"


def _row(annotation: Annotation, data: dict[str, Any], config: dict[str, Any]) -> AssumptionRow:
    """One annotation beside the file's value and the run's."""
    _, file_value = lookup(data, annotation.key)
    found, run_value = lookup(config, annotation.key)
    overridden = found and file_value is not None and not same(file_value, run_value)
    written = as_written(file_value)
    return AssumptionRow(
        key=annotation.key,
        value=compact(run_value) if overridden else written,
        file_value=written,
        kind=annotation.kind,
        note=annotation.note,
        overridden=overridden,
    )


def facts_cited(rows: Sequence[AssumptionRow]) -> list[Fact]:
    """The rows of docs/sources.md that the notes name (none without a checkout)."""
    path = sources_path()
    if path is None:
        return []
    facts = parse_sources(path)
    return [facts[i] for i in cited_ids(" ".join(r.note for r in rows)) if i in facts]
