"""The report's assumptions table: each annotated scenario value beside this run's value.

The annotations are data (:mod:`sim.sources`: ``scenarios/sources/scenario/<name>.yaml``);
this module compares the scenario file's values with a run's resolved config and picks the
rows of ``docs/sources.md`` the notes cite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from sim.describe import base_config, describe_run, equal, policy_file, same
from sim.formatting import fmt_number
from sim.sources import (
    Annotation,
    Fact,
    cited_ids,
    covers,
    load_annotations,
    lookup,
    parse_sources,
    sources_file,
    sources_path,
)


@dataclass(frozen=True)
class AssumptionRow:
    """One annotated key: the value this run used, the scenario file's, and their bases.

    ``kind`` and ``note`` are the basis of the value shown: the scenario file's annotation,
    a policy file's (``set_by`` "policy/NAME.yaml"), or none ("override"): a run's value is
    never paired with a reason given for another value. ``file_note`` is the scenario
    file's own reason for ``file_value``.
    """

    key: str
    value: str
    file_value: str
    kind: str  # "source", "assumption" or "override"
    note: str
    overridden: bool  # the run's value is not the scenario file's
    set_by: str = ""  # "" (the scenario file), "override" or "policy/NAME.yaml"
    file_note: str = ""

    def explanation(self, varied: Sequence[str] = ()) -> str:
        """The note as the report shows it: with the file's value if this run differs."""
        was = f"scenario file: {self.file_value} ({self.file_note or self.note})"
        if any(self.key == v or self.key.startswith(v + ".") for v in varied):
            return f"varied by the sweep; {was}"
        if not self.overridden:
            return self.note
        if self.set_by.startswith("policy/"):
            basis = f": {self.note}" if self.note else ""
            return f"set by {self.set_by}{basis}; {was}"
        return f"set by an override in this run; {was}"


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


def assumption_rows(
    config: dict[str, Any], manifest: dict[str, Any] | None = None
) -> tuple[list[AssumptionRow], str | None]:
    """Annotated scenario keys with this run's value; and the scenario file used (if any).

    A value that differs from the scenario file's is marked as set by the run's policy
    file (the manifest's record, else the bundled policy the config matches:
    :func:`sim.describe.describe_run`) or by an override.
    """
    from sim.config import scenarios_dir  # public config helper, not a model internal

    name = str(config.get("name", ""))
    try:
        path = scenarios_dir() / "scenario" / f"{name}.yaml"
    except FileNotFoundError:
        return [], None
    if not name or not path.is_file() or not sources_file(path).is_file():
        return [], None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    origins = _Origins.of(name, describe_run(manifest, config).policy.variant, config)
    rows = [origins.row(a, data) for a in load_annotations(sources_file(path))]
    return rows, f"scenario/{name}.yaml"


@dataclass(frozen=True)
class _Origins:
    """What a run's values are compared with: the scenario alone, and with its policy."""

    config: dict[str, Any]
    base: dict[str, Any] | None  # the scenario composed without overrides
    policy: str | None
    with_policy: dict[str, Any] | None  # ... and with ``policy=NAME``
    policy_notes: tuple[Annotation, ...]  # the policy file's sources

    @classmethod
    def of(cls, name: str, policy: str | None, config: dict[str, Any]) -> _Origins:
        path = policy_file(policy) if policy else None
        notes = path is not None and sources_file(path).is_file()
        return cls(
            config,
            base_config(name),
            policy,
            base_config(name, policy) if policy else None,
            tuple(load_annotations(sources_file(path))) if path is not None and notes else (),
        )

    def row(self, annotation: Annotation, data: dict[str, Any]) -> AssumptionRow:
        """One annotation beside the file's value and the run's."""
        key, note = annotation.key, annotation.note
        _, file_value = lookup(data, key)
        found, run_value = lookup(self.config, key)
        written = as_written(file_value)
        if not self._changed(key, file_value, found, run_value):
            return AssumptionRow(key, written, written, annotation.kind, note, False, "", note)
        if found:
            shown = compact(run_value)
        else:
            shown = "not drawn in this run" if key.startswith("uncertain.") else "not set"
        kind, basis, set_by = self._basis(key, found, run_value)
        return AssumptionRow(key, shown, written, kind, basis, True, set_by, note)

    def _changed(self, key: str, file_value: Any, found: bool, run_value: Any) -> bool:
        if self.base is None:  # not composable here: compare with the file as written
            return found and not same(file_value, run_value)
        was_found, was = lookup(self.base, key)
        return found != was_found or not equal(was, run_value)

    def _basis(self, key: str, found: bool, run_value: Any) -> tuple[str, str, str]:
        """``(kind, note, set_by)`` of a run value that is not the scenario file's."""
        if self.policy and self.with_policy is not None:
            in_policy, value = lookup(self.with_policy, key)
            if in_policy == found and equal(value, run_value):
                notes = [a for a in self.policy_notes if covers(a.key, key) or covers(key, a.key)]
                kind = notes[0].kind if notes else "policy"
                return kind, "; ".join(a.note for a in notes), f"policy/{self.policy}.yaml"
        return "override", "", "override"


def facts_cited(rows: Sequence[AssumptionRow]) -> list[Fact]:
    """The rows of docs/sources.md that the notes name (none without a checkout)."""
    path = sources_path()
    if path is None:
        return []
    facts = parse_sources(path)
    return [facts[i] for i in cited_ids(" ".join(r.note for r in rows)) if i in facts]
