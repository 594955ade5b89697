"""What a stored run is: its scenario, policy variant, the user's overrides and timeline.

Read from what a run folder records today: Hydra's ``.hydra/overrides.yaml`` (a run of the
``blockade`` command: the overrides as typed) and ``config.yaml``. A run started from Python
has no such record: its overrides are the keys where ``config.yaml`` differs from the bundled
scenario composed afresh. The policy variant is the one chosen with ``policy=NAME``, else
the bundled policy files (``scenarios/policy/``) whose every key the config holds at the
file's value. :func:`describe_run` is the one reader; :func:`run_title` the report's title.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.analysis.assumptions import compact, flatten, same
from sim.sources import lookup

log = logging.getLogger(__name__)

#: Hydra's record of the command line's overrides in a run folder.
OVERRIDES_FILE = ".hydra/overrides.yaml"
#: Config groups an override may choose (``policy=NAME``), not keys it sets.
GROUPS = ("scenario", "policy", "experiment")
#: Top-level keys that are no setting of the world (labels).
LABELS = ("name", "description")
TITLE_OVERRIDES = 3  # overrides named in a title; the rest are counted
#: :attr:`RunDescription.recorded` when nothing says which overrides the run had.
NOT_RECORDED = "nothing"


@dataclass(frozen=True)
class Policy:
    """The run's policy variant: its name (or ""), how it is known, and its settings."""

    name: str
    #: "chosen" (``policy=NAME``), "identified" (the config holds a policy file's values),
    #: "scenario" (the scenario file's own levers; ``name`` the variant they equal, if any)
    #: or "none" (levers of its own, no bundled variant)
    how: str
    settings: tuple[tuple[str, str], ...]  # (key, the run's value) of the policy levers
    own: bool = False  # the levers are the scenario file's own (whatever chose them)

    @property
    def phrase(self) -> str:
        """E.g. "enter_after_14d", "the scenario's own (as wait_outside)"."""
        if self.how in ("chosen", "identified"):
            return self.name
        if self.how == "scenario":
            return f"the scenario's own (as {self.name})" if self.name else "the scenario's own"
        return "of its own (no bundled variant)"

    @property
    def variant(self) -> str | None:
        """The policy file the run's config is composed with (None: the scenario's levers)."""
        return self.name if self.how in ("chosen", "identified") else None


@dataclass(frozen=True)
class RunDescription:
    """A run in words: scenario, policy, model overrides, experiment settings, timeline."""

    scenario: str
    policy: Policy
    overrides: tuple[str, ...]  # key=value of the model, as typed (or as found)
    experiment: tuple[str, ...]  # key=value of the experiment section (not the world)
    timeline: tuple[str, ...]  # one line per timeline entry
    recorded: str  # where the overrides were read from


def describe_run(folder: Path | None, config: Mapping[str, Any]) -> RunDescription:
    """The description of the run stored in ``folder`` whose config.yaml is ``config``."""
    scenario = str(config.get("name") or "scenario")
    typed = _typed_overrides(folder)
    chosen = _chosen(typed, "policy") if typed is not None else None
    policy = _policy(config, chosen)
    found: list[str] | None
    if typed is not None:
        found = [o for o in typed if _group(o) is None]
        recorded = OVERRIDES_FILE
    else:
        found = _differences(config, scenario, policy.variant)
        recorded = "config.yaml against the bundled scenario" if found is not None else ""
    pairs = [p for p in found or () if p.partition("=")[0] != "timeline"]  # lines of its own
    model = tuple(p for p in pairs if not p.startswith("experiment."))
    experiment = tuple(p for p in pairs if p.startswith("experiment."))
    return RunDescription(
        scenario, policy, model, experiment, timeline_lines(config), recorded or NOT_RECORDED
    )


def run_title(kind: str, desc: RunDescription) -> str:
    """E.g. "Blockade simulation report — venezuela_dec2025 · policy: enter_after_14d"."""
    parts = [desc.scenario, f"policy: {desc.policy.phrase}"]
    if desc.overrides:
        named = ", ".join(desc.overrides[:TITLE_OVERRIDES])
        more = len(desc.overrides) - TITLE_OVERRIDES
        parts.append(named + (f" and {more} more" if more > 0 else ""))
    if desc.timeline:
        parts.append(f"{len(desc.timeline)} timeline change{'s' * (len(desc.timeline) > 1)}")
    return f"Blockade {kind} report — " + " · ".join(parts)


def sweep_title(scenario: str, swept: Sequence[str], points: int, policy: Policy | None) -> str:
    """E.g. "Blockade sweep report — venezuela_dec2025 · policy swept (3 points)"."""
    parts = [scenario, f"{', '.join(swept) or 'nothing'} swept ({points} points)"]
    if policy is not None and "policy" not in swept:
        parts.append(f"policy: {policy.phrase}")
    return "Blockade sweep report — " + " · ".join(parts)


# --------------------------------------------------------------------------- overrides


def _typed_overrides(folder: Path | None) -> list[str] | None:
    """The overrides as Hydra recorded them (``++`` dropped), or None without a record."""
    path = None if folder is None else folder / OVERRIDES_FILE
    if path is None or not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        log.warning("%s: not read (%s); the overrides are not named", path, exc)
        return None
    if not isinstance(data, list):
        return None
    return [str(o).lstrip("+") for o in data if not str(o).lstrip("+").startswith("hydra")]


def _group(override: str) -> str | None:
    """The config group an override chooses (``policy`` of ``policy=x``), else None."""
    key = override.partition("=")[0].lstrip("~")
    return key if key in GROUPS else None


def _chosen(overrides: Sequence[str], group: str) -> str | None:
    """The option chosen for ``group`` on the command line (None: not chosen, or null)."""
    for o in overrides:
        if _group(o) == group:
            value = o.partition("=")[2].strip()
            return None if value in ("", "null") else value
    return None


def _differences(config: Mapping[str, Any], scenario: str, policy: str | None) -> list[str] | None:
    """``key=value`` where ``config`` differs from the bundled scenario (and its policy)."""
    from sim.config import ConfigError, scenarios_dir

    try:
        if not (scenarios_dir() / "scenario" / f"{scenario}.yaml").is_file():
            return None
        from sim.compose import load_config

        reference = load_config(scenario, [f"policy={policy}"] if policy else []).to_dict()
    except (ConfigError, FileNotFoundError) as exc:
        log.warning("the bundled scenario %s cannot be composed (%s)", scenario, exc)
        return None
    ref = dict(flatten(reference))
    out = []
    for key, value in flatten(dict(config)):
        if key.split(".")[0] in LABELS:
            continue
        if key not in ref or not same(ref[key], value) or not same(value, ref[key]):
            out.append(f"{key}={shown(value)}")
    return out


# --------------------------------------------------------------------------- policy


def _policy_files() -> dict[str, dict[str, Any]]:
    """The bundled policy files by name: their dotted keys and values."""
    from sim.config import scenarios_dir

    try:
        folder = scenarios_dir() / "policy"
    except FileNotFoundError:
        return {}
    files = {}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        files[path.stem] = dict(flatten(data)) if isinstance(data, dict) else {}
    return files


def _policy(config: Mapping[str, Any], chosen: str | None) -> Policy:
    """The variant chosen, or the bundled one the config matches, with its levers."""
    files = _policy_files()
    levers = list(dict.fromkeys(k for values in files.values() for k in values))
    settings = _settings(config, levers)
    scenario = _scenario_levers(str(config.get("name") or ""), levers)
    own = scenario is not None and all(_holds(config, k, v) for k, v in scenario.items())
    if chosen is not None:
        return Policy(
            chosen, "chosen", _settings(config, list(files.get(chosen, {})) or levers), own
        )
    matches = [n for n, v in files.items() if v and all(_holds(config, k, x) for k, x in v.items())]
    if own:
        return Policy(matches[0] if matches else "", "scenario", settings, own)
    if matches:
        return Policy(matches[0], "identified", settings, own)
    return Policy("", "none", settings, own)


def _holds(config: Mapping[str, Any], key: str, value: Any) -> bool:
    """Whether ``config`` holds ``value`` at ``key``."""
    found, there = lookup(config, key)
    return found and same(value, there)


def _scenario_levers(scenario: str, levers: Sequence[str]) -> dict[str, Any] | None:
    """The policy levers as the bundled scenario file sets them (None without the file)."""
    from sim.config import scenarios_dir

    try:
        path = scenarios_dir() / "scenario" / f"{scenario}.yaml"
    except FileNotFoundError:
        return None
    if not scenario or not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = {k: lookup(data, k) for k in levers}
    return {k: v for k, (ok, v) in found.items() if ok}


def _settings(config: Mapping[str, Any], keys: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Each of ``keys`` with the run's value (absent ones skipped)."""
    out = []
    for key in keys:
        found, value = lookup(config, key)
        if found:
            out.append((key, shown(value)))
    return tuple(out)


def shown(value: Any) -> str:
    """A config value as YAML spells it: ``true``, ``null``, ``14``, ``{dist: fixed, ...}``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return compact(value)


# --------------------------------------------------------------------------- timeline


def timeline_lines(config: Mapping[str, Any]) -> tuple[str, ...]:
    """One line per timeline entry: "day 20: policy.enter_waters_after_days=0 (go in)"."""
    lines = []
    for entry in config.get("timeline") or ():
        if not isinstance(entry, Mapping):
            continue
        changes = entry.get("set") or entry.get("changes") or {}
        what = ", ".join(f"{k}={shown(v)}" for k, v in changes.items())
        label = f" ({entry['label']})" if entry.get("label") else ""
        lines.append(f"{_when(entry)}: {what}{label}")
    return tuple(lines)


def _when(entry: Mapping[str, Any]) -> str:
    """ "day 20", or "when stranded_bbl is above 12,000,000" for a trigger."""
    if entry.get("day") is not None:
        return f"day {compact(entry['day'])}"
    when = entry.get("when") or {}
    side = "above" if when.get("above") is not None else "below"
    return f"when {when.get('series')} is {side} {compact(when.get(side))}"
