"""Compose a :class:`~sim.config.Config` from the scenario tree with Hydra.

``load_config`` is the Python entry: Hydra composes the bundled tree (plus a user folder),
:mod:`sim.safety` checks what the composed config may do, and :func:`from_composed`
resolves and validates it into a frozen ``Config``. Every failure is one
:class:`~sim.config.ConfigError` line naming the key. The ``blockade`` command uses the
same steps (:mod:`sim.cli.app`) for each point of its command line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.config import Config, ConfigError, scenarios_dir, validate


def load_config(
    scenario: str = "venezuela_dec2025",
    overrides: Sequence[str] = (),
    config_dir: str | Path | None = None,
) -> Config:
    """Compose ``scenario`` with Hydra, apply ``overrides`` and validate.

    ``config_dir`` adds a user folder to the search path; a scenario there may override or
    extend the bundled ones. What a config may do is checked by :mod:`sim.safety`.
    """
    return from_composed(compose_config(scenario, overrides, config_dir))


def compose_config(
    scenario: str = "venezuela_dec2025",
    overrides: Sequence[str] = (),
    config_dir: str | Path | None = None,
    hydra_overrides: Sequence[str] = (),
) -> Any:
    """The composed, unresolved config (an OmegaConf DictConfig with its ``hydra`` node).

    ``overrides`` set scenario keys; ``hydra_overrides`` (the command line's ``hydra.*`` and
    ``hydra/GROUP=NAME``) set Hydra's. Every override is parsed first, so a syntax error
    names its key; the composed result is checked by :mod:`sim.safety` (no resolvers in
    values, Hydra's code-running settings fixed).
    """
    from sim import safety

    _check_arguments(scenario, overrides, config_dir)
    user = user_config_dir(config_dir)
    groups = config_groups(scenarios_dir(), user)
    task = [
        _task_override(o, p, groups)
        for o, p in zip(overrides, parse_overrides(overrides), strict=True)
    ]
    task = normalize_overrides(_with_scenario(scenario, task), groups)
    safety.check_hydra_overrides(parse_overrides(hydra_overrides))
    plain, replace = split_mapping_overrides(task)
    extra = [f"hydra.searchpath=[file://{user}]"] if user else []
    cfg = _compose([*plain, *hydra_overrides, *extra], overrides)
    apply_mapping_overrides(cfg, replace)
    _fix_overridden(cfg, [p.key_or_group for p in parse_overrides(task)])
    raw = plain_dict(cfg, resolve=False)
    hydra_node = raw.pop("hydra", {})
    safety.check_values(raw)
    safety.check_hydra(hydra_node, safety.reference_hydra(tuple(hydra_overrides)), user)
    return cfg


def _fix_overridden(cfg: Any, keys: Sequence[str]) -> None:
    """A key set on the command line is no longer uncertain (nor the keys under it)."""
    from omegaconf import open_dict

    drawn = cfg.get("uncertain") if hasattr(cfg, "get") else None
    if not drawn or not hasattr(drawn, "keys"):
        return
    with open_dict(cfg):
        for name in list(drawn.keys()):
            if any(name == k or str(name).startswith(f"{k}.") for k in keys):
                del drawn[name]


def _check_arguments(scenario: Any, overrides: Any, config_dir: Any) -> None:
    """Refuse arguments of the wrong type with one line (a str of overrides is the classic)."""
    if not isinstance(scenario, str) or not scenario:
        raise ConfigError(
            f"scenario: must be a scenario name such as 'venezuela_dec2025', got {scenario!r}"
        )
    if isinstance(overrides, str) or not isinstance(overrides, Sequence):
        raise ConfigError(
            f"overrides: must be a list of 'key=value' strings, got {type(overrides).__name__}"
            + (f" (did you mean [{overrides!r}]?)" if isinstance(overrides, str) else "")
        )
    if config_dir is not None and not isinstance(config_dir, str | Path):
        raise ConfigError(f"config_dir: must be a folder path, got {config_dir!r}")


def user_config_dir(config_dir: str | Path | None) -> str | None:
    """The resolved extra config folder, checked to exist."""
    if config_dir is None:
        return None
    user = Path(config_dir).expanduser().resolve()
    if not user.is_dir():
        raise ConfigError(f"config_dir: {user} is not a folder")
    return str(user)


def parse_overrides(overrides: Sequence[str]) -> list[Any]:
    """Hydra's parse of every override; a syntax error becomes a ConfigError naming the key."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    out = []
    for o in overrides:
        if not isinstance(o, str):
            raise ConfigError(f"overrides: each override must be a string 'key=value', got {o!r}")
        key = o.partition("=")[0]
        if "=" in o and not key.lstrip("+~"):
            raise ConfigError(f"'{o}': an override needs a key before '='")
        try:
            out.append(parser.parse_override(o))
        except HydraException as exc:
            detail = " ".join(str(exc).split())
            raise ConfigError(
                f"{key.lstrip('+~')}: cannot parse override '{o}' ({detail})"
            ) from None
    return out


def _task_override(text: str, parsed: Any, groups: set[str]) -> str:
    """One scenario-key override, checked: no Hydra keys, no deleted values, ``group=null``."""
    key = parsed.key_or_group
    if key == "hydra" or key.startswith(("hydra.", "hydra/")):
        raise ConfigError(
            f"{key}: Hydra settings belong to the blockade command line, not to load_config"
        )
    is_group = key.split("@")[0] in groups or "/" in key
    if parsed.is_delete() and not is_group:
        raise ConfigError(
            f"~{key}: deleting a key would reset it to the schema default, not the "
            f"scenario's value; set it instead ({key}=VALUE)"
        )
    if not is_group or parsed.is_delete():
        return text
    value = parsed.value()
    if value is None:
        return f"~{key}"  # policy=null: no option of that group, as in the defaults list
    if not isinstance(value, str) and not parsed.is_sweep_override():
        raise ConfigError(f"{key}: choose an option by name, got {value!r}")
    return text


def _with_scenario(scenario: str, overrides: list[str]) -> list[str]:
    if "/" in scenario:  # another group's config as the whole scenario: "validation/v1_md1"
        group, _, option = scenario.partition("/")
        return ["~scenario", f"+{group}={option}", *overrides]
    if not any(o.lstrip("+~").startswith("scenario=") for o in overrides):
        return [f"scenario={scenario}", *overrides]
    return overrides


#: What composing a user's overrides can raise besides Hydra's own errors.
_COMPOSE_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError)


def compose_tree(overrides: Sequence[str]) -> Any:
    """Hydra's compose of the bundled tree with ``overrides``, its ``hydra`` node included."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(scenarios_dir()), version_base="1.3"):
            return compose(
                config_name="config", overrides=list(overrides), return_hydra_config=True
            )
    finally:
        GlobalHydra.instance().clear()


def _compose(overrides: list[str], user_overrides: Sequence[str]) -> Any:
    """:func:`compose_tree`, any failure a one-line ConfigError."""
    import yaml
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        return compose_tree(overrides)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(hydra_message(exc)) from None
    except _COMPOSE_ERRORS as exc:
        raise ConfigError(_blame(user_overrides, exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_message(exc)) from None


def plain_dict(node: Any, *, resolve: bool) -> dict[str, Any]:
    """An OmegaConf mapping as plain Python (``${...}`` resolved if ``resolve``)."""
    from omegaconf import OmegaConf

    data = OmegaConf.to_container(node, resolve=resolve)
    assert isinstance(data, dict)
    return {str(k): v for k, v in data.items()}


def yaml_message(exc: Exception) -> str:
    """One line for a YAML syntax error: ``FILE:LINE:COLUMN: invalid YAML (problem)``."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{mark.name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else "a file"
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{where}: invalid YAML ({problem})"


def _blame(overrides: Sequence[str], exc: Exception) -> str:
    """One line for a composition error that does not name its override: find the override."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if len(overrides) == 1:
        culprit: str | None = overrides[0]
    else:
        culprit = next((o for o in overrides if _fails_alone(o)), None)
    if culprit is None:
        return f"overrides: {detail}"
    return f"{culprit.partition('=')[0].lstrip('+~')}: cannot be set ({detail})"


def _fails_alone(override: str) -> bool:
    try:
        compose_config(overrides=[override])
    except ConfigError:
        return True
    return False


def config_groups(*dirs: str | Path | None) -> set[str]:
    """Names of the config groups (sub-folders) of the scenario trees."""
    groups = {"hydra"}
    for d in dirs:
        if d is not None and Path(d).is_dir():
            groups |= {p.name for p in Path(d).iterdir() if p.is_dir()}
    return groups


def normalize_overrides(overrides: Sequence[str], groups: set[str]) -> list[str]:
    """Let plain ``key=value`` set any schema key, even one the scenario file leaves out.

    Hydra's struct mode refuses keys absent from the composed YAML; ``++`` adds or
    overrides them, and the schema then rejects keys that do not exist with a clear message.
    Group choices (``policy=NAME``) and explicit ``+``/``~`` overrides are left alone; a
    dotted key is never a group choice (``experiment.reference=...`` sets a key).
    """
    out = []
    for o in overrides:
        key, eq, _ = o.partition("=")
        is_group = "/" in key or ("." not in key and key.split("@")[0] in groups)
        if eq and not key.startswith(("+", "~")) and not is_group:
            o = "++" + o
        out.append(o)
    return out


def split_mapping_overrides(overrides: Sequence[str]) -> tuple[list[str], list[tuple[str, Any]]]:
    """Separate ``key={...}`` overrides: a mapping value replaces the mapping, never merges.

    (A distribution ``{dist: gamma, mean: 2, cv: 0.5}`` must not inherit ``low``/``high``
    from the scenario's uniform.)
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    plain: list[str] = []
    replace: list[tuple[str, Any]] = []
    parser = OverridesParser.create()
    for o in overrides:
        key, eq, value = o.lstrip("+").partition("=")
        if eq and value.lstrip().startswith("{") and not o.startswith("~"):
            parsed = parser.parse_override(o)
            replace.append((key, parsed.value()))
        else:
            plain.append(o)
    return plain, replace


def apply_mapping_overrides(cfg: Any, replace: Sequence[tuple[str, Any]]) -> None:
    """Set each ``(key, mapping)`` on a composed OmegaConf config, replacing what was there."""
    from omegaconf import OmegaConf, open_dict

    with open_dict(cfg):
        for key, value in replace:
            OmegaConf.update(cfg, key, value, merge=False, force_add=True)


def from_composed(cfg: Any) -> Config:
    """Resolve and validate a composed config (the scenario group merged at the top level)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        data = plain_dict(
            OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]), resolve=True
        )
    except OmegaConfBaseException as exc:
        raise ConfigError(hydra_message(exc)) from None
    scenario = data.pop("scenario", None)
    if isinstance(scenario, dict):  # a scenario group not placed at _global_
        data = {**scenario, **data}
    return validate(data)


def hydra_message(exc: Exception) -> str:
    """One readable line from a Hydra or OmegaConf composition error."""
    raw = str(exc).strip()
    lines = [ln.strip() for ln in raw.splitlines() if ln.strip()]
    text = lines[0] if lines else type(exc).__name__
    if "Available options" in raw:
        block = raw.split("Available options", 1)[1].split("Config search path", 1)[0]
        options = [ln.strip() for ln in block.splitlines()[1:] if ln.strip()]
        text = f"{text} (available: {', '.join(options)})"
    key = getattr(exc, "full_key", None)
    if key and key not in text:
        text = f"{key}: {text}"
    return text.replace("In 'config': ", "")
