"""What a config may do: set values, never run code, read the environment or move output.

Analysts pass scenario folders to each other, so a composed config (bundled tree + a user
folder + overrides) is checked before anything runs:

- **Values** (everything outside ``hydra``) may use plain ``${other.key}`` references and no
  resolver at all: no ``${oc.env:...}``, ``${now:...}``, ``${oc.decode:...}``. A reference
  into ``hydra.*`` is refused too (it would copy the machine's paths into results).
- **Hydra settings** come from the bundled ``scenarios/config.yaml`` and the command line
  only: a scenario file or config folder may set none. On the command line only the keys
  in :data:`SETTABLE` (output folders, mode, verbosity, the extra config folder) and a
  launcher's own options may be set, and a launcher, sweeper or logging config is chosen
  by name from :data:`GROUP_CHOICES`. Callbacks, logging configs, launchers and sweepers
  (all of which Hydra instantiates: ``_target_``, ``()`` factories, handler ``class``),
  ``hydra.job.env_set``, ``hydra.output_subdir`` and the like are fixed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import Any

from sim.config import ConfigError

#: Hydra keys (relative to ``hydra.``) a config or override may set; a prefix covers its subkeys.
SETTABLE: tuple[str, ...] = (
    "run.dir",
    "sweep.dir",
    "sweep.subdir",
    "mode",
    "verbose",
    "searchpath",
    "job.config.override_dirname",
)
#: Hydra keys filled in by Hydra itself while composing (never compared).
RUNTIME: tuple[str, ...] = ("overrides", "runtime", "job.override_dirname", "job.id", "job.num")
#: Config groups of Hydra that may be chosen by name, with the options allowed.
GROUP_CHOICES: dict[str, tuple[str, ...]] = {
    "hydra/launcher": ("basic", "joblib", "submitit_local"),
    "hydra/sweeper": ("basic",),
    "hydra/job_logging": ("default", "disabled", "none", "stdout"),
    "hydra/hydra_logging": ("default", "disabled", "none"),
}
#: Resolvers the folder names of ``scenarios/config.yaml`` use; allowed only in SETTABLE keys.
HYDRA_RESOLVERS: frozenset[str] = frozenset({"now", "oc.select", "hydra"})
#: Launcher options that run commands (submitit's ``setup`` lines run in a shell).
LAUNCHER_FIXED: frozenset[str] = frozenset({"_target_", "setup"})

_INTERPOLATION = re.compile(r"\$\{\s*([^\s:{}$]*)\s*(:?)")
_SETTABLE_HINT = (
    "settable: hydra.run.dir, hydra.sweep.dir, hydra.sweep.subdir, hydra.mode, hydra.verbose, "
    "hydra.launcher.<option>; a launcher by name: hydra/launcher=basic|joblib"
)


def interpolations(text: str) -> Iterator[tuple[str, bool]]:
    """Every ``${...}`` in ``text`` as (name, is_resolver), nested ones included."""
    for match in _INTERPOLATION.finditer(text):
        yield match.group(1), bool(match.group(2))


def check_values(data: Any, path: str = "") -> None:
    """Refuse resolvers, and references into ``hydra``, anywhere in a config's values."""
    for key, value in _leaves(data, path):
        if not isinstance(value, str):
            continue
        for name, is_resolver in interpolations(value):
            if is_resolver:
                raise ConfigError(
                    f"{key}: '${{{name}:...}}' is not allowed in a config value (a config may "
                    "not read the environment or call resolvers; ${other.key} references work)"
                )
            if name == "hydra" or name.startswith(("hydra.", "hydra[")):
                raise ConfigError(f"{key}: '${{{name}}}' may not copy Hydra settings into results")


def check_hydra_overrides(overrides: Sequence[Any]) -> None:
    """Refuse command-line Hydra overrides (parsed) outside what may be set or chosen."""
    choices = tuple(
        (o.key_or_group, str(o.value())) for o in overrides if o.key_or_group.startswith("hydra/")
    )
    for group, option in choices:
        check_group_choice(group, option)
    launcher = reference_hydra(tuple(f"{g}={o}" for g, o in choices)).get("launcher", {})
    for o in overrides:
        key = o.key_or_group
        if key.startswith("hydra/"):
            continue
        rel = key.removeprefix("hydra.")
        value = None if o.is_delete() else o.value()
        if rel.startswith(SETTABLE):
            _check_settable(rel, value)
        elif rel.startswith("launcher.") and _launcher_option(rel, launcher):
            _check_plain(key, value)
        else:
            raise ConfigError(f"{key}: this Hydra key cannot be set ({_SETTABLE_HINT})")


def check_hydra(hydra: dict[str, Any], reference: dict[str, Any], user_dir: str | None) -> None:
    """Refuse any Hydra setting of a composed config that the scenario tree changed.

    ``reference`` is what the bundled tree composes with the same command-line Hydra
    overrides: so a scenario file or config folder may set no Hydra key at all.
    """
    searchpath = [f"file://{user_dir}"] if user_dir else []
    for rel in _differences(hydra, reference):
        if rel.startswith(RUNTIME) or (rel == "searchpath" and hydra[rel] == searchpath):
            continue
        raise ConfigError(
            f"hydra.{rel}: a scenario file or config folder may not set Hydra settings "
            "(callbacks, logging, launchers, environment, output folders); set output "
            "folders and the launcher on the blockade command line"
        )


def check_group_choice(group: str, option: Any) -> None:
    """Refuse a ``hydra/GROUP=OPTION`` choice that is not in :data:`GROUP_CHOICES`."""
    allowed = GROUP_CHOICES.get(group)
    if allowed is None:
        raise ConfigError(
            f"{group}: this Hydra group cannot be chosen (allowed: {', '.join(GROUP_CHOICES)})"
        )
    if option not in allowed:
        raise ConfigError(f"{group}: '{option}' is not allowed (allowed: {', '.join(allowed)})")


@functools.lru_cache(maxsize=32)
def reference_hydra(hydra_overrides: tuple[str, ...]) -> dict[str, Any]:
    """The ``hydra`` node the bundled tree alone composes with these overrides (unresolved)."""
    from sim.compose import compose_tree, plain_dict

    return plain_dict(compose_tree(hydra_overrides).hydra, resolve=False)


# --------------------------------------------------------------------------- helpers


def _leaves(data: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _leaves(v, f"{path}.{i}")
    else:
        yield path, data


def _differences(a: Any, b: Any, path: str = "") -> Iterator[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in dict.fromkeys([*a, *b]):
            sub = f"{path}.{k}" if path else str(k)
            if k not in a or k not in b:
                yield sub
            else:
                yield from _differences(a[k], b[k], sub)
    elif a != b:
        yield path


def _select(data: dict[str, Any], rel: str) -> Any:
    node: Any = data
    for part in rel.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _launcher_option(rel: str, launcher: dict[str, Any]) -> bool:
    option = rel.split(".")[1]
    return option not in LAUNCHER_FIXED and option in launcher


def _check_plain(key: str, value: Any) -> None:
    for sub, leaf in _leaves(value, key):
        if isinstance(leaf, str) and any(True for _ in interpolations(leaf)):
            raise ConfigError(f"{sub}: interpolations are not allowed here")
        if isinstance(leaf, str) and sub.rsplit(".", 1)[-1] in ("_target_", "()"):
            raise ConfigError(f"{sub}: a config may not name code to run")


def _check_settable(rel: str, value: Any) -> None:
    key = f"hydra.{rel}"
    if rel.startswith("searchpath"):
        return  # checked by the CLI: one file:// folder, the same as --config-dir
    for sub, leaf in _leaves(value, key):
        if not isinstance(leaf, str):
            continue
        for name, is_resolver in interpolations(leaf):
            if is_resolver and name not in HYDRA_RESOLVERS:
                raise ConfigError(
                    f"{sub}: '${{{name}:...}}' is not allowed (resolvers here: "
                    f"{', '.join(sorted(HYDRA_RESOLVERS))})"
                )
            if is_resolver and name == "now" and rel == "sweep.subdir":
                raise ConfigError(
                    f"{sub}: '${{now:...}}' is not allowed here (every job's folder must be "
                    "known before the sweep starts)"
                )
