"""What a stored run is: its scenario, policy variant, the user's overrides and timeline, and
the titles the CLI's summary and the report head with.

The ``blockade`` command records the policy variant and the user's model overrides in
``manifest.json`` (:func:`manifest_fields`: ``policy``, ``overrides``; Hydra's ``hydra.*``
are not the model's and are left out). An older folder of the command has only Hydra's
``.hydra/overrides.yaml``, read the same way. A run without either (started from Python) is
described from its config alone: the bundled policy file whose every value it holds, and the
keys whose value differs from the scenario composed afresh with that policy.
:func:`describe_run` is the one reader; :func:`run_title` the CLI's line, :func:`report_title`
and :func:`sweep_title` the report's.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "NOT_RECORDED",
    "Policy",
    "RunDescription",
    "base_config",
    "changed_keys",
    "describe_run",
    "equal",
    "manifest_fields",
    "policy_file",
    "report_title",
    "run_title",
    "same",
    "shown",
    "sweep_title",
    "timeline_lines",
]

log = logging.getLogger(__name__)

#: The manifest's keys of the record (:func:`manifest_fields`).
POLICY_KEY = "policy"
OVERRIDES_KEY = "overrides"
#: Hydra's record of the command line's overrides in an older run folder.
OVERRIDES_FILE = ".hydra/overrides.yaml"
#: :attr:`RunDescription.recorded`: where the overrides were read from.
MANIFEST = "manifest.json"
INFERRED = "config.yaml against the bundled scenario"
NOT_RECORDED = "nothing"
TITLE_OVERRIDES = 3  # overrides named in a report's title; the rest are counted
#: Keys that say how a run is computed, not what is simulated: left out of the CLI's title
#: (the summary states the replications; the numbers do not depend on the executor).
RUN_CONTROL: frozenset[str] = frozenset(
    f"experiment.{k}"
    for k in (
        "replications",
        "workers",
        "executor",
        "progress",
        "dask_address",
        "batch_size",
        "target_rel_halfwidth",
        "target_halfwidth",
        "min_replications",
        "max_replications",
    )
)


@dataclass(frozen=True)
class Policy:
    """The run's policy variant: its name (or ""), how it is known, and its settings."""

    name: str
    #: "chosen" (``policy=NAME``), "identified" (the config holds a policy file's values),
    #: "scenario" (the scenario's own levers; ``name`` the variant they equal, if any)
    #: or "none" (levers of its own, no bundled variant)
    how: str
    settings: tuple[tuple[str, str], ...]  # (key, the run's value) of the policy levers
    own: bool = False  # the levers are the scenario's own (whatever chose them)

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
    """A run in words: scenario, policy, the user's changes and the timeline."""

    scenario: str
    policy: Policy
    changes: tuple[str, ...] | None  # key=value as typed (or as found); None: not known
    timeline: tuple[str, ...]  # one line per timeline entry
    recorded: str  # where the changes were read from (:data:`NOT_RECORDED`: nowhere)

    @property
    def overrides(self) -> tuple[str, ...]:
        """The changes of the world (the experiment's and the timeline's apart)."""
        return tuple(c for c in self.changes or () if not _in(c, "experiment", "timeline"))

    @property
    def experiment(self) -> tuple[str, ...]:
        """The changes of the experiment section (not the world)."""
        return tuple(c for c in self.changes or () if _in(c, "experiment"))

    def title(self) -> str:
        """``Scenario S, policy P, overrides: k=v ...`` (what the run simulated, one line)."""
        scenario = self.scenario or "?"
        if self.changes is None:  # neither recorded nor inferable (not a bundled scenario)
            return f"Scenario {scenario} (policy variant and overrides not recorded)"
        named = [c for c in self.changes if _key(c) not in RUN_CONTROL]
        policy = f"policy {self.policy.variant}" if self.policy.variant else "no policy variant"
        changes = ("overrides: " + " ".join(named)) if named else "no overrides"
        inferred = " (inferred from its config)" if self.recorded == INFERRED else ""
        return f"Scenario {scenario}, {policy}, {changes}{inferred}"


def _key(change: str) -> str:
    return change.partition("=")[0]


def _in(change: str, *sections: str) -> bool:
    """Whether a change is of one of the top-level ``sections`` (``experiment=NAME``,
    ``experiment.seed=3``, ``timeline=[...]``)."""
    return _key(change).lstrip("~").split(".")[0] in sections


# --------------------------------------------------------------------------- the record


def manifest_fields(overrides: Sequence[str]) -> dict[str, Any]:
    """The manifest's record of a command line's scenario overrides (Hydra's excluded):
    ``policy`` (the ``policy=NAME`` choice, or None) and ``overrides`` (the rest, as typed
    without Hydra's ``+``/``++``; ``scenario=NAME`` is the manifest's ``scenario``)."""
    from sim.compose import parse_overrides

    policy: str | None = None
    rest: list[str] = []
    for text, parsed in zip(overrides, parse_overrides(overrides), strict=True):
        key = parsed.key_or_group
        if key == "hydra" or key.startswith(("hydra.", "hydra/")) or key == "scenario":
            continue
        if key == POLICY_KEY:
            value = None if parsed.is_delete() else parsed.value()
            policy = None if value is None else str(value)
            continue
        rest.append(text.lstrip("+"))
    return {POLICY_KEY: policy, OVERRIDES_KEY: rest}


@dataclass(frozen=True)
class _Record:
    """A command line's policy choice and overrides, and where they were read."""

    policy: str | None
    overrides: tuple[str, ...]
    source: str  # :data:`MANIFEST` or :data:`OVERRIDES_FILE`


def _record(manifest: Mapping[str, Any], folder: Path | None) -> _Record | None:
    """The record of the manifest, else of Hydra's file in ``folder`` (None: neither)."""
    if POLICY_KEY in manifest and OVERRIDES_KEY in manifest:
        policy = manifest[POLICY_KEY]
        typed = tuple(str(o) for o in manifest[OVERRIDES_KEY] or ())
        return _Record(None if policy is None else str(policy), typed, MANIFEST)
    path = None if folder is None else folder / OVERRIDES_FILE
    if path is None or not path.is_file():
        return None
    from sim.config import ConfigError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        fields = manifest_fields([str(o) for o in data]) if isinstance(data, list) else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ConfigError) as exc:
        log.warning("%s: not read (%s); the overrides are not named", path, exc)
        return None
    if fields is None:
        return None
    return _Record(fields[POLICY_KEY], tuple(fields[OVERRIDES_KEY]), OVERRIDES_FILE)


def describe_run(
    manifest: Mapping[str, Any] | None, config: Any, folder: Path | None = None
) -> RunDescription:
    """The run's scenario, policy, changes and timeline: the manifest's record, else
    ``folder``'s ``.hydra/overrides.yaml``, else inferred from ``config`` (a
    :class:`~sim.config.Config` or its dict, as in ``config.yaml``)."""
    data = _as_dict(config)
    manifest = manifest or {}
    scenario = str(data.get("name") or manifest.get("scenario") or "")
    record = _record(manifest, folder)
    policy = _policy(data, functools.partial(base_config, str(data.get("name", ""))), record)
    if record is not None:
        changes: tuple[str, ...] | None = record.overrides
        recorded = record.source
    else:
        changes = changed_keys(data, policy.variant)
        recorded = NOT_RECORDED if changes is None else INFERRED
    return RunDescription(scenario, policy, changes, timeline_lines(data), recorded)


# --------------------------------------------------------------------------- titles


def run_title(manifest: Mapping[str, Any] | None, config: Any) -> str:
    """The CLI summary's line naming the run's scenario, policy variant and overrides."""
    return describe_run(manifest, config).title()


def report_title(kind: str, desc: RunDescription) -> str:
    """E.g. "Blockade simulation report — venezuela_dec2025 · policy: enter_after_14d"."""
    parts = [desc.scenario or "scenario", f"policy: {desc.policy.phrase}"]
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


# --------------------------------------------------------------------------- policy


def policy_file(name: str) -> Path | None:
    """The bundled ``scenarios/policy/<name>.yaml``, or None."""
    from sim.config import scenarios_dir

    try:
        path = scenarios_dir() / POLICY_KEY / f"{name}.yaml"
    except FileNotFoundError:
        return None
    return path if path.is_file() else None


@functools.cache
def _policy_files() -> tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]:
    """The bundled policy files by name: the dotted keys and values each sets."""
    from sim.config import scenarios_dir
    from sim.sources import lookup, value_keys

    try:
        folder = scenarios_dir() / POLICY_KEY
    except FileNotFoundError:
        return ()
    files = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        values = (
            [(k, lookup(data, k)[1]) for k in value_keys(data)] if isinstance(data, dict) else []
        )
        files.append((path.stem, tuple(values)))
    return tuple(files)


def _policy(
    config: Mapping[str, Any],
    base: Callable[[], Mapping[str, Any] | None],
    record: _Record | None,
) -> Policy:
    """The variant chosen, else the bundled one whose values the config holds, with its levers
    ("scenario" if they are the scenario's own; the most specific file if several match).
    ``base`` gives the bundled scenario composed (:func:`base_config`), asked for only when
    the answer depends on it."""
    files = dict(_policy_files())
    levers = list(dict.fromkeys(k for values in files.values() for k, _ in values))
    chosen = record.policy if record else None
    own = _own(config, base, levers, record.overrides if record and chosen is None else None)
    if chosen is not None:
        keys = [k for k, _ in files.get(chosen, ())] or levers
        return Policy(chosen, "chosen", _settings(config, keys), own)
    name, settings = _matching(config, files), _settings(config, levers)
    if own:
        return Policy(name, "scenario", settings, own)
    return Policy(name, "identified" if name else "none", settings, own)


def _matching(config: Mapping[str, Any], files: Mapping[str, Sequence[tuple[str, Any]]]) -> str:
    """The bundled variant whose every value ``config`` holds ("" if none; the one that sets
    the most keys, then the first by name, if several do)."""
    matches = sorted(
        (-len(v), n) for n, v in files.items() if v and all(_holds(config, k, x) for k, x in v)
    )
    return matches[0][1] if matches else ""


def _own(
    config: Mapping[str, Any],
    base: Callable[[], Mapping[str, Any] | None],
    levers: Sequence[str],
    typed: Sequence[str] | None,
) -> bool:
    """Whether the levers are the scenario's own: untouched by the recorded overrides of a
    run that chose no variant, else equal to those of its composed file (``base()``).

    A config composed from its scenario with overrides that set no lever holds the
    scenario's levers (the bundled tree has no interpolations), so the scenario is composed
    again (~0.2 s) only when the overrides set one, or a variant was chosen."""
    from sim.sources import lookup

    if typed is not None and not any(_covered(k, typed) for k in levers):
        return True
    composed = base()
    if composed is None:
        return False
    pairs = [(lookup(composed, k), lookup(config, k)) for k in levers]
    return all(a[0] == b[0] and equal(a[1], b[1]) for a, b in pairs)


def _holds(config: Mapping[str, Any], key: str, value: Any) -> bool:
    """Whether ``config`` holds ``value`` at ``key``."""
    from sim.sources import lookup

    found, there = lookup(config, key)
    return found and same(value, there)


def _settings(config: Mapping[str, Any], keys: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Each of ``keys`` with the run's value (absent ones skipped)."""
    from sim.sources import lookup

    found = [(key, *lookup(config, key)) for key in keys]
    return tuple((key, shown(value)) for key, ok, value in found if ok)


# --------------------------------------------------------------------------- the diff


@functools.cache
def _composed(scenario: str, policy: str | None) -> dict[str, Any] | None:
    from sim.compose import load_config
    from sim.config import ConfigError

    overrides = [f"{POLICY_KEY}={policy}"] if policy else []
    try:
        return load_config(scenario, overrides).to_dict()
    except (ConfigError, OSError):
        return None


def base_config(scenario: str, policy: str | None = None) -> dict[str, Any] | None:
    """The bundled scenario composed with no override (but ``policy=NAME``), as a dict; None
    if it is not a bundled scenario. Read-only: the result is shared."""
    return _composed(scenario, policy) if scenario else None


def changed_keys(config: Mapping[str, Any], policy: str | None) -> tuple[str, ...] | None:
    """``key=value`` of every setting of ``config`` that differs from its bundled scenario
    with ``policy`` (None: not a bundled scenario); an ``uncertain`` entry no longer drawn
    is ``~uncertain.KEY`` unless the key itself is set."""
    from sim.sources import LABELS, lookup

    base = base_config(str(config.get("name", "")), policy)
    if base is None:
        return None
    out = []
    for key, value in _leaves(config):
        found, was = lookup(base, key)
        if key not in LABELS and not (found and equal(was, value)):
            out.append(f"{key}={shown(value)}")
    drawn, was_drawn = config.get("uncertain") or {}, base.get("uncertain") or {}
    if was_drawn and not drawn:
        return (*out, "uncertain={}")
    gone = [k for k in was_drawn if k not in drawn]
    return (*out, *(f"~uncertain.{k}" for k in gone if not _covered(k, out)))


def _covered(key: str, changes: Sequence[str]) -> bool:
    """Whether a change of ``changes`` sets ``key`` or a mapping holding it."""
    return any(key == _key(c) or key.startswith(_key(c) + ".") for c in changes)


def _leaves(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted keys and values of a config, list items by number, a distribution as one
    value, ``uncertain`` entries as ``uncertain.KEY``; the timeline whole."""
    if prefix == "uncertain" and isinstance(data, dict):
        for k, v in data.items():
            yield f"uncertain.{k}", v
    elif isinstance(data, dict) and data and "dist" not in data:
        for k, v in data.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(data, list) and data and prefix != "timeline":
        for i, v in enumerate(data):
            yield from _leaves(v, f"{prefix}.{i}")
    else:
        yield prefix, data


def _as_dict(config: Any) -> dict[str, Any]:
    to_dict = getattr(config, "to_dict", None)
    return dict(to_dict() if callable(to_dict) else config or {})


# --------------------------------------------------------------------------- values


def shown(value: Any) -> str:
    """A config value as typed on a command line: YAML flow style (``true``, ``null``,
    ``{dist: fixed, value: 3}``), nulls of a mapping dropped, 10.0 as 10."""
    text = yaml.safe_dump(_plain(value), default_flow_style=True, sort_keys=False, width=10**6)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


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
    """ "day 20", or "when stranded_bbl is above 12000000" for a trigger."""
    if entry.get("day") is not None:
        return f"day {shown(entry['day'])}"
    when = entry.get("when") or {}
    side = "above" if when.get("above") is not None else "below"
    return f"when {when.get('series')} is {side} {shown(when.get(side))}"


# --------------------------------------------------------------------------- comparison


def same(file_value: Any, run_value: Any) -> bool:
    """Whether a run's config value is the scenario file's (a bare number is a fixed dist;
    a mapping's keys the file leaves out are the run's own)."""
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
    if isinstance(file_value, bool) or isinstance(run_value, bool):
        return bool(file_value == run_value)
    if isinstance(file_value, int | float) and isinstance(run_value, int | float):
        return math.isclose(float(file_value), float(run_value), rel_tol=1e-12)
    return str(file_value) == str(run_value)


def equal(a: Any, b: Any) -> bool:
    """Whether two values of resolved configs are equal (numbers to 12 digits): :func:`same`
    both ways, so a mapping's keys must agree and a bare number is no distribution."""
    return same(a, b) and same(b, a)
