"""What a run was: its scenario, policy variant and the user's overrides, and its title.

The ``blockade`` command records the policy variant and the user's model overrides in
``manifest.json`` (:func:`manifest_fields`: ``policy``, ``overrides``; Hydra's ``hydra.*``
are not the model's and are left out). A run without that record (started from Python, or
older) is described from its config alone (:func:`describe_run`): the bundled policy file
whose every value it has, and the keys whose value differs from the scenario's composed
with that policy. :func:`run_title` is the one line the summary and the report head with.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "RunDescription",
    "base_config",
    "describe_run",
    "equal",
    "manifest_fields",
    "policy_file",
    "run_title",
    "same",
]

#: The manifest's keys of the record (:func:`manifest_fields`).
POLICY_KEY = "policy"
OVERRIDES_KEY = "overrides"
#: Keys that say how a run is computed, not what is simulated: left out of a title (the
#: summary states the replications; the numbers do not depend on the executor).
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
class RunDescription:
    """A run's scenario, policy variant (None: none) and overrides (None: not known)."""

    scenario: str
    policy: str | None
    overrides: tuple[str, ...] | None
    recorded: bool  # from the manifest; False: inferred from the config

    @property
    def model_overrides(self) -> tuple[str, ...] | None:
        """The overrides that change what is simulated (not :data:`RUN_CONTROL`)."""
        if self.overrides is None:
            return None
        return tuple(o for o in self.overrides if o.partition("=")[0] not in RUN_CONTROL)

    def title(self) -> str:
        """``Scenario S, policy P, overrides: k=v ...`` (what the run simulated, one line)."""
        shown = self.model_overrides
        if shown is None:  # neither recorded nor inferable (not a bundled scenario)
            return f"Scenario {self.scenario or '?'} (policy variant and overrides not recorded)"
        policy = f"policy {self.policy}" if self.policy else "no policy variant"
        changes = ("overrides: " + " ".join(shown)) if shown else "no overrides"
        inferred = "" if self.recorded else " (inferred from its config)"
        return f"Scenario {self.scenario or '?'}, {policy}, {changes}{inferred}"


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


def describe_run(manifest: Mapping[str, Any] | None, config: Any) -> RunDescription:
    """The run's scenario, policy and overrides: the manifest's record, else inferred from
    ``config`` (a :class:`~sim.config.Config` or its dict, as in ``config.yaml``)."""
    data = _as_dict(config)
    manifest = manifest or {}
    scenario = str(data.get("name") or manifest.get("scenario") or "")
    if POLICY_KEY in manifest and OVERRIDES_KEY in manifest:
        policy = manifest[POLICY_KEY]
        recorded = tuple(str(o) for o in manifest[OVERRIDES_KEY] or ())
        return RunDescription(scenario, None if policy is None else str(policy), recorded, True)
    policy = identify_policy(data)
    return RunDescription(scenario, policy, changed_keys(data, policy), False)


def run_title(manifest: Mapping[str, Any] | None, config: Any) -> str:
    """One line naming the run's scenario, policy variant and overrides."""
    return describe_run(manifest, config).title()


# --------------------------------------------------------------------------- inference


def policy_file(name: str) -> Path | None:
    """The bundled ``scenarios/policy/<name>.yaml``, or None."""
    from sim.config import scenarios_dir

    try:
        path = scenarios_dir() / POLICY_KEY / f"{name}.yaml"
    except FileNotFoundError:
        return None
    return path if path.is_file() else None


@functools.cache
def _policy_values(name: str) -> tuple[tuple[str, Any], ...]:
    """The dotted keys and values a bundled policy file sets."""
    from sim.sources import lookup, value_keys

    path = policy_file(name)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path else None
    if not isinstance(data, dict):
        return ()
    return tuple((k, lookup(data, k)[1]) for k in value_keys(data))


def _policy_names() -> list[str]:
    from sim.config import scenarios_dir

    try:
        folder = scenarios_dir() / POLICY_KEY
    except FileNotFoundError:
        return []
    return sorted(p.stem for p in folder.glob("*.yaml"))


def identify_policy(config: Mapping[str, Any]) -> str | None:
    """The bundled policy variant whose every value ``config`` has and that differs from the
    scenario's own settings (None: none does; the most specific if several do)."""
    from sim.sources import lookup

    base = base_config(str(config.get("name", "")))
    if base is None:  # not a bundled scenario: its own settings are not known here
        return None
    found: list[tuple[int, str]] = []
    for name in _policy_names():
        values = _policy_values(name)
        if not values or not all(same(v, lookup(config, k)[1]) for k, v in values):
            continue
        if not all(same(v, lookup(base, k)[1]) for k, v in values):
            found.append((len(values), name))
    return max(found)[1] if found else None


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
    from sim.sources import lookup

    base = base_config(str(config.get("name", "")), policy)
    if base is None:
        return None
    out = []
    for key, value in _leaves(config):
        found, was = lookup(base, key)
        if not found or not equal(was, value):
            out.append(f"{key}={_flow(value)}")
    drawn, was_drawn = config.get("uncertain") or {}, base.get("uncertain") or {}
    if was_drawn and not drawn:
        return (*out, "uncertain={}")
    gone = [k for k in was_drawn if k not in drawn]
    return (*out, *(f"~uncertain.{k}" for k in gone if not _covered(k, out)))


def _covered(key: str, changes: Sequence[str]) -> bool:
    """Whether a change of ``changes`` sets ``key`` or a mapping holding it."""
    return any(
        key == c.partition("=")[0] or key.startswith(c.partition("=")[0] + ".") for c in changes
    )


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


def _flow(value: Any) -> str:
    """A value as typed on a command line: YAML flow style, nulls dropped, 10.0 as 10."""
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


def _as_dict(config: Any) -> dict[str, Any]:
    to_dict = getattr(config, "to_dict", None)
    return dict(to_dict() if callable(to_dict) else config or {})


# --------------------------------------------------------------------------- comparison


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


def equal(a: Any, b: Any) -> bool:
    """Whether two values of resolved configs are equal (numbers to 12 digits)."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(equal(v, b[k]) for k, v in a.items())
        )
    if isinstance(a, list) or isinstance(b, list):
        return (
            isinstance(a, list)
            and isinstance(b, list)
            and len(a) == len(b)
            and all(equal(x, y) for x, y in zip(a, b, strict=True))
        )
    return _same_scalar(a, b)


def _same_scalar(file_value: Any, run_value: Any) -> bool:
    if isinstance(file_value, bool) or isinstance(run_value, bool):
        return bool(file_value == run_value)
    if isinstance(file_value, int | float) and isinstance(run_value, int | float):
        return math.isclose(float(file_value), float(run_value), rel_tol=1e-12)
    return str(file_value) == str(run_value)
