"""Compose a :class:`~sim.config.Config` from the scenario tree with Hydra.

``load_config`` is the Python entry: Hydra composes the bundled tree (plus a user folder),
:mod:`sim.safety` checks what the composed config may do, and :func:`from_composed`
resolves and validates it into a frozen ``Config``. Every failure is one
:class:`~sim.config.ConfigError` line naming the key. The ``blockade`` command uses the
same steps (:mod:`sim.cli.app`) for each point of its command line.
"""

from __future__ import annotations

import threading
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

    ``config_dir`` adds a user folder to the search path: ``DIR/scenario/NAME.yaml`` and
    ``DIR/policy/NAME.yaml`` beside the bundled ones (a name of its own each; a file may
    start from a bundled one in its defaults list). What a config may do is checked by
    :mod:`sim.safety`; a missing or broken file is one line naming it.
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
    check_chosen_files(chosen_options(task, groups), user)
    safety.check_hydra_overrides(parse_overrides(hydra_overrides))
    plain, replace = split_mapping_overrides(task)
    extra = [f"hydra.searchpath=[file://{user}]"] if user else []
    cfg = _compose([*plain, *hydra_overrides, *extra], overrides)
    apply_mapping_overrides(cfg, replace)
    _fix_overridden(cfg, [p.key_or_group for p in parse_overrides(task)])
    raw = plain_dict(cfg, resolve=False)
    hydra_node = raw.pop("hydra", {})
    safety.check_values(raw)
    safety.check_hydra(hydra_node, hydra_reference(hydra_overrides, hydra_node), user)
    return cfg


def hydra_reference(hydra_overrides: Sequence[str], composed: dict[str, Any]) -> dict[str, Any]:
    """:func:`sim.safety.reference_hydra` of ``hydra_overrides``, without composing the tree
    again for the usual ones.

    A command-line override of a leaf (``hydra.run.dir=DIR``) wins over every file, so the
    bundled tree composed with it holds, at that leaf, what ``composed`` (the same command
    line's ``hydra`` node) holds, and elsewhere what it holds without it. So the reference
    composed with the group choices alone (cached) is copied and those leaves are set from
    ``composed``; anything else (a deletion, a new key, a mapping) is composed as before.
    Only what Hydra fills in itself (``safety.RUNTIME``, never compared) may differ.
    """
    import copy

    from sim import safety

    parsed = parse_overrides(hydra_overrides)
    choices = [o for o, p in zip(hydra_overrides, parsed, strict=True) if _is_group(p)]
    leaves = [p.key_or_group.removeprefix("hydra.") for p in parsed if not _is_group(p)]
    base = safety.reference_hydra(tuple(choices))
    if any(p.is_delete() for p in parsed) or not all(
        _leaf_of(base, k) and _leaf_of(composed, k) for k in leaves
    ):
        return safety.reference_hydra(tuple(hydra_overrides))
    reference = copy.deepcopy(base)
    for key in leaves:
        *parents, last = key.split(".")
        node = reference
        for part in parents:
            node = node[part]
        node[last] = copy.deepcopy(_select(composed, key))
    return reference


def _is_group(override: Any) -> bool:
    """Whether a parsed Hydra override chooses a group option (``hydra/launcher=joblib``)."""
    return str(override.key_or_group).startswith("hydra/")


def _leaf_of(data: dict[str, Any], key: str) -> bool:
    """Whether dotted ``key`` names a value (not a mapping or list) that ``data`` holds."""
    node: Any = data
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    return (
        isinstance(node, dict)
        and parts[-1] in node
        and not isinstance(node[parts[-1]], dict | list)
    )


def _select(node: Any, key: str) -> Any:
    """The value at dotted ``key`` (which :func:`_leaf_of` found)."""
    for part in key.split("."):
        node = node[part]
    return node


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


_HYDRA = threading.Lock()


def _compose(overrides: list[str], user_overrides: Sequence[str]) -> Any:
    """:func:`compose_tree`, any failure a one-line ConfigError."""
    import yaml
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with _HYDRA:  # Hydra's GlobalHydra is one per process: one composition at a time
            return compose_tree(overrides)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(hydra_message(exc)) from None
    except _COMPOSE_ERRORS as exc:
        raise ConfigError(_blame(user_overrides, exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_message(exc)) from None
    except OSError as exc:  # Hydra reads a config file it cannot use
        raise ConfigError(" ".join(str(exc).split()) or type(exc).__name__) from None


def plain_dict(node: Any, *, resolve: bool) -> dict[str, Any]:
    """An OmegaConf mapping as plain Python (``${...}`` resolved if ``resolve``)."""
    from omegaconf import OmegaConf

    data = OmegaConf.to_container(node, resolve=resolve)
    assert isinstance(data, dict)
    return {str(k): v for k, v in data.items()}


def yaml_message(exc: Exception, path: str | Path | None = None) -> str:
    """One line for a YAML syntax error: ``FILE:LINE:COLUMN: invalid YAML (problem)``."""
    mark = getattr(exc, "problem_mark", None)
    name = str(path) if path is not None else getattr(mark, "name", None) or "a file"
    where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if "\\t" in str(problem) or "\t" in str(problem):
        problem = f"{problem}: a tab; indent YAML with spaces"
    return f"{where}: invalid YAML ({problem})"


# --------------------------------------------------------------------------- the files chosen

#: What a scenario folder holds, as every message about a missing file says it.
FOLDER_LAYOUT = (
    "a scenario folder (--config-dir DIR, config_dir= in Python) holds DIR/scenario/NAME.yaml "
    "(chosen with scenario=NAME) and DIR/policy/NAME.yaml (policy=NAME)"
)


def chosen_options(task: Sequence[str], groups: set[str]) -> list[tuple[str, str]]:
    """The ``(group, option)`` each normalized override chooses (``scenario=x``, ``policy=y``,
    ``+validation=v1_md1``); sweeps, deletions and ``null`` choose nothing."""
    out = []
    for p in parse_overrides(task):
        group = str(p.key_or_group)
        if group not in groups or group == "hydra" or p.is_delete() or p.is_sweep_override():
            continue
        value = p.value()
        if isinstance(value, str):
            out.append((group, value))
    return out


def check_chosen_files(options: Sequence[tuple[str, str]], user: str | None) -> None:
    """Each chosen option's file, before Hydra reads it: one line naming the file when it
    is missing (where it looked, what a folder holds), shadowed by a bundled file of the
    same name, or not a YAML mapping."""
    bundled = scenarios_dir()
    for group, option in options:
        mine = Path(user) / group / f"{option}.yaml" if user else None
        theirs = bundled / group / f"{option}.yaml"
        if theirs.is_file():
            if mine is not None and mine.is_file() and mine.resolve() != theirs.resolve():
                raise ConfigError(
                    f"{mine}: a bundled {group} has this name and Hydra reads it instead of "
                    f"yours; rename your file (e.g. {group}/my_{option}.yaml)"
                )
            continue
        if mine is None or not mine.is_file():
            raise ConfigError(_missing_message(group, option, bundled, user))
        check_config_file(mine, group)


def _missing_message(group: str, option: str, bundled: Path, user: str | None) -> str:
    """``group=option`` names no file: where it looked, what there is, what is expected."""
    options = sorted(p.stem for p in (bundled / group).glob("*.yaml"))
    if user:
        options += sorted(p.stem for p in (Path(user) / group).glob("*.yaml"))
    options = list(dict.fromkeys(options))
    where = f"neither {Path(user) / group / option}.yaml nor a bundled" if user else "no bundled"
    return (
        f"{group}={option}: {where} {group}/{option}.yaml (available: "
        f"{', '.join(options) or 'none'}){_hint(group, option, user, options)}; {FOLDER_LAYOUT}"
    )


def _hint(group: str, option: str, user: str | None, options: Sequence[str]) -> str:
    """What the user probably meant: a name typed with its folder or ``.yaml``, the folder
    one level too deep, a file at the folder's top, a near miss."""
    import difflib

    name = option.removesuffix(".yaml").removeprefix(f"{group}/")
    if name != option and name in options:
        return f"; did you mean {group}={name}?"
    if user and Path(user).name == group and (Path(user) / f"{option}.yaml").is_file():
        return f"; give --config-dir the folder that holds {group}/ ({Path(user).parent})"
    loose = Path(user) / f"{option}.yaml" if user else None
    if loose is not None and loose.is_file():
        return f"; found {loose}: move it to {Path(str(user)) / group / option}.yaml"
    lower = {o.lower(): o for o in options}
    close = difflib.get_close_matches(option.lower(), list(lower), n=1)
    return f"; did you mean {group}={lower[close[0]]}?" if close else ""


def check_config_file(path: Path, group: str) -> None:
    """A user's config file must be UTF-8 YAML holding a mapping (a scenario, not empty)."""
    import yaml

    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_message(exc, path)) from None
    if data is None and group == "scenario":
        raise ConfigError(
            f"{path}: is empty; a scenario file is a mapping of config keys "
            "(name: ..., horizon_days: 90, ...; see docs/model.md)"
        )
    if data is not None and not isinstance(data, dict):
        raise ConfigError(
            f"{path}: must be a mapping of config keys (key: value on each line), got {_kind(data)}"
        )
    if isinstance(data, dict) and group != "scenario" and "@package" not in text:
        _check_package(path, group, data)


def _check_package(path: Path, group: str, data: dict[str, Any]) -> None:
    """A group file without ``# @package _global_`` puts its keys under ``group.``: refuse
    keys that are not that section's (a policy file setting ``navy:`` forgot the line)."""
    from sim.config import Config

    field = Config.model_fields.get(group)
    section = getattr(field.annotation, "model_fields", None) if field is not None else None
    if section is None:
        return
    stray = [str(k) for k in data if k not in section]
    if stray:
        raise ConfigError(
            f"{path}: its keys land under '{group}.' ({group}.{stray[0]}) because its first "
            "line is not '# @package _global_'; add that line (as the bundled "
            f"{group} files have)"
        )


def _kind(data: object) -> str:
    if isinstance(data, list):
        return "a list"
    if isinstance(data, bool | int | float):
        return "a number" if not isinstance(data, bool) else "a boolean"
    return "a string" if isinstance(data, str) else f"a {type(data).__name__}"


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


def hydra_message(exc: BaseException) -> str:
    """One readable line from a Hydra or OmegaConf composition error."""
    cause = exc.__cause__ or exc.__context__
    if not str(exc).strip() and cause is not None:  # e.g. ConfigCompositionException()
        return hydra_message(cause)
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
