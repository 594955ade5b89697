"""Load, compose and validate scenario configs into typed, immutable objects.

A config is composed from the Hydra tree in ``scenarios/`` (or a user folder) and then
validated by the pydantic models below. Every user mistake becomes a :class:`ConfigError`
(a ``ValueError``) whose one-line message names the full key path and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Status = Literal["licensed", "sanctioned", "unsanctioned"]
STATUSES: tuple[str, ...] = ("licensed", "sanctioned", "unsanctioned")
COURT_POLICIES: tuple[str, ...] = ("none", "on_departure", "on_loading", "blanket")


class ConfigError(ValueError):
    """A config that cannot be simulated; the message names the key and what is allowed."""


def _bad(key: str, message: str) -> ValueError:
    """An error about sub-key ``key`` of the model being validated (joined into the path)."""
    return ValueError(f"@{key}@ {message}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --------------------------------------------------------------------------- distributions

_DIST_PARAMS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "exponential": ("mean",),
    "lognormal": ("median", "sigma"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "gamma": ("mean", "cv"),
}


class Dist(_Model):
    """A non-negative random duration or quantity: ``{dist: gamma, mean: 2, cv: 0.5}``."""

    dist: Literal["fixed", "exponential", "lognormal", "uniform", "triangular", "gamma"]
    value: NonNegativeFloat | None = None
    mean: NonNegativeFloat | None = None
    median: PositiveFloat | None = None
    sigma: NonNegativeFloat | None = None
    low: NonNegativeFloat | None = None
    mode: NonNegativeFloat | None = None
    high: NonNegativeFloat | None = None
    cv: NonNegativeFloat | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError("expected a number or a mapping {dist: ..., ...}")
        if isinstance(data, int | float):
            return {"dist": "fixed", "value": data}
        return data

    @model_validator(mode="after")
    def _params(self) -> Dist:
        needed = _DIST_PARAMS[self.dist]
        given = {k for k in ("value", "mean", "median", "sigma", "low", "mode", "high", "cv")}
        given = {k for k in given if getattr(self, k) is not None}
        missing = [k for k in needed if k not in given]
        extra = sorted(given - set(needed))
        if missing or extra:
            raise ValueError(
                f"dist '{self.dist}' takes exactly {', '.join(needed)}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unexpected {', '.join(extra)}" if extra else "")
            )
        if self.dist == "uniform" and self.low > self.high:  # type: ignore[operator]
            raise ValueError("uniform needs low <= high")
        if self.dist == "triangular" and not (self.low <= self.mode <= self.high):  # type: ignore[operator]
            raise ValueError("triangular needs low <= mode <= high")
        if self.dist == "triangular" and self.low == self.high:
            raise ValueError("triangular needs low < high (use dist: fixed for a constant)")
        return self

    @property
    def mean_value(self) -> float:
        """The distribution's mean."""
        match self.dist:
            case "fixed":
                return float(self.value)  # type: ignore[arg-type]
            case "exponential" | "gamma":
                return float(self.mean)  # type: ignore[arg-type]
            case "lognormal":
                return float(self.median * math.exp(self.sigma**2 / 2))  # type: ignore[operator]
            case "uniform":
                return (self.low + self.high) / 2  # type: ignore[operator]
            case _:
                return (self.low + self.mode + self.high) / 3  # type: ignore[operator]

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values from ``rng`` (always consumes the stream the same way)."""
        match self.dist:
            case "fixed":
                return np.full(n, float(self.value))  # type: ignore[arg-type]
            case "exponential":
                return rng.exponential(self.mean, n) if self.mean else np.zeros(n)
            case "lognormal":
                return rng.lognormal(math.log(self.median), self.sigma, n)  # type: ignore[arg-type]
            case "uniform":
                return rng.uniform(self.low, self.high, n)
            case "triangular":
                return rng.triangular(self.low, self.mode, self.high, n)
            case _:
                if not self.mean or not self.cv:
                    return np.full(n, float(self.mean or 0.0))
                shape = 1.0 / self.cv**2  # type: ignore[operator]
                return rng.gamma(shape, self.mean / shape, n)  # type: ignore[operator]


def fixed(value: float) -> Dist:
    """A degenerate distribution at ``value``."""
    return Dist(dist="fixed", value=value)


# --------------------------------------------------------------------------- sections


class CutPolicy(_Model):
    """The operator cuts output by ``cut_fraction`` once storage is ``trigger_fill`` full."""

    enabled: bool = False
    trigger_fill: Probability = 0.9
    cut_fraction: Probability = 0.3
    delay_days: NonNegativeFloat = 0.0
    restore_fill: Probability | None = None  # None: restore below trigger_fill

    @model_validator(mode="after")
    def _restore(self) -> CutPolicy:
        if self.restore_fill is not None and self.restore_fill > self.trigger_fill:
            raise _bad("restore_fill", f"must be <= trigger_fill ({self.trigger_fill:g})")
        return self


class Production(_Model):
    """Crude available for export and how it reaches storage."""

    export_bpd: NonNegativeFloat
    step_days: PositiveFloat = 1.0
    cut: CutPolicy = CutPolicy()


class Terminal(_Model):
    """Onshore storage and the loading berths."""

    storage_capacity_bbl: PositiveFloat
    storage_init_bbl: NonNegativeFloat = 0.0
    storage_min_bbl: NonNegativeFloat = 0.0  # working inventory (tank bottoms) never loaded
    berths: PositiveInt = 1
    loading_rate_bpd: PositiveFloat
    berth_overhead_days: NonNegativeFloat = 0.0
    licensed_first: bool = False  # licensed tankers jump the berth queue

    @model_validator(mode="after")
    def _init_fits(self) -> Terminal:
        if self.storage_init_bbl > self.storage_capacity_bbl:
            raise _bad(
                "storage_init_bbl",
                f"must be <= storage_capacity_bbl ({self.storage_capacity_bbl:g}), "
                f"got {self.storage_init_bbl:g}",
            )
        if self.storage_min_bbl > self.storage_init_bbl:
            raise _bad(
                "storage_min_bbl",
                f"must be <= storage_init_bbl ({self.storage_init_bbl:g}), "
                f"got {self.storage_min_bbl:g}",
            )
        return self


class TankerGroup(_Model):
    """``count`` tankers of one class and status (closed fleet)."""

    tanker_class: str = Field(alias="class")
    status: Status
    count: NonNegativeInt
    voyage_days: Dist = fixed(30.0)  # round trip from clearing the zone back to port

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ArrivalMix(_Model):
    """One kind of arriving tanker in an open fleet, with its relative weight."""

    tanker_class: str = Field(alias="class")
    status: Status
    weight: PositiveFloat = 1.0

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class InitialGroup(_Model):
    """``count`` tankers of one class and status placed in a state at day 0."""

    tanker_class: str = Field(alias="class")
    status: Status
    count: NonNegativeInt
    cargo_fraction: Probability = 1.0  # share of the class capacity on board

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Initial(_Model):
    """The state at day 0; tankers of a closed fleet not placed here start at sea."""

    loaded_waiting: tuple[InitialGroup, ...] = ()
    loading: tuple[InitialGroup, ...] = ()
    waiting_berth: tuple[InitialGroup, ...] = ()
    # Seizures and escapes the owners already know of at day 0 (e.g. the first seizure).
    known_seizures: NonNegativeInt = 0
    known_escapes: NonNegativeInt = 0

    def groups(self) -> Iterable[tuple[str, InitialGroup]]:
        """Every (state, group) pair."""
        for state in ("loaded_waiting", "loading", "waiting_berth"):
            for group in getattr(self, state):
                yield state, group


class Fleet(_Model):
    """The tankers: a closed cycling fleet or an open Poisson stream."""

    mode: Literal["closed", "open"] = "closed"
    classes: dict[str, PositiveFloat]  # class name -> cargo capacity in bbl
    tankers: tuple[TankerGroup, ...] = ()
    arrival_rate_per_day: NonNegativeFloat = 0.0
    arrival_mix: tuple[ArrivalMix, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Fleet:
        known = set(self.classes)
        for name, groups in (("tankers", self.tankers), ("arrival_mix", self.arrival_mix)):
            for i, g in enumerate(groups):
                if g.tanker_class not in known:
                    raise _bad(
                        f"{name}[{i}].class",
                        f"'{g.tanker_class}' is not one of fleet.classes "
                        f"({', '.join(sorted(known))})",
                    )
        if self.mode == "closed" and not any(g.count for g in self.tankers):
            raise _bad("tankers", "mode 'closed' needs at least one tanker")
        if self.mode == "open" and (self.arrival_rate_per_day > 0 and not self.arrival_mix):
            raise _bad("arrival_mix", "mode 'open' with arrivals needs at least one entry")
        return self


class Behaviour(_Model):
    """Owners' Beta(prior_a, prior_b) belief that a departure ends in seizure."""

    prior_a: PositiveFloat = 1.0
    prior_b: PositiveFloat = 19.0
    news_lag_days: NonNegativeFloat = 0.0
    risk_threshold: Probability = 0.05
    patience_days: Dist = fixed(30.0)
    turnback_threshold: Probability = 0.2
    breakout_group: PositiveInt | None = None


class Navy(_Model):
    """The blockading force: detection, boarding teams and the interdiction zone."""

    enabled: bool = True
    targets: Literal["sanctioned", "unlicensed"] = "sanctioned"
    detection_prob: Probability = 1.0
    territorial_transit_days: Dist = fixed(0.5)
    exposure_days: Dist = fixed(2.0)
    boarding_teams: NonNegativeInt = 1
    boarding_days: Dist = fixed(1.0)
    escort_days: Dist = fixed(0.0)
    board_success_prob: Probability = 1.0

    def targets_status(self, status: str) -> bool:
        """Whether a tanker of this status is a target."""
        if not self.enabled or status == "licensed":
            return False
        return self.targets == "unlicensed" or status == "sanctioned"


class Court(_Model):
    """Seizure warrants: one per tanker, queued for ``capacity`` judges."""

    policy: Literal["none", "on_departure", "on_loading", "blanket"] = "none"
    capacity: PositiveInt = 1
    delay_days: Dist = fixed(2.0)
    approval_prob: Probability = 1.0
    validity_days: PositiveFloat = 14.0
    renew: bool = False  # re-apply as soon as a warrant of a tanker still around expires


class Policy(_Model):
    """The wait-time policy: go into territorial waters after T days of waiting."""

    enter_waters_after_days: NonNegativeFloat | None = None
    in_waters_success_prob: Probability = 1.0


class Experiment(_Model):
    """How many replications, where, and when to stop."""

    seed: NonNegativeInt = 20251210
    replications: PositiveInt = 100
    workers: PositiveInt | None = None  # None: all cores
    executor: Literal["serial", "processes", "dask"] = "processes"
    baseline: bool = True
    target_rel_halfwidth: PositiveFloat | None = None
    max_replications: PositiveInt = 10_000
    batch_size: PositiveInt = 100
    dask_address: str | None = None
    progress: bool | None = None  # None: only on a terminal

    @model_validator(mode="after")
    def _max(self) -> Experiment:
        if self.target_rel_halfwidth is not None and self.max_replications < self.replications:
            raise _bad(
                "max_replications",
                f"must be >= replications ({self.replications}) when target_rel_halfwidth "
                f"is set, got {self.max_replications}",
            )
        return self


class Config(_Model):
    """A complete, validated scenario."""

    name: str = "scenario"
    description: str = ""
    start_date: dt.date = dt.date(2025, 12, 10)
    horizon_days: PositiveFloat = 90.0
    production: Production
    terminal: Terminal
    fleet: Fleet
    behaviour: Behaviour = Behaviour()
    navy: Navy = Navy()
    court: Court = Court()
    policy: Policy = Policy()
    initial: Initial = Initial()
    experiment: Experiment = Experiment()

    @field_validator("start_date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v)
            except ValueError as exc:
                raise ValueError("expected an ISO date YYYY-MM-DD") from exc
        return v

    @model_validator(mode="after")
    def _combinations(self) -> Config:
        fleet = self.fleet
        for state in ("loaded_waiting", "loading", "waiting_berth"):
            for i, g in enumerate(getattr(self.initial, state)):
                if g.tanker_class not in fleet.classes:
                    raise _bad(
                        f"initial.{state}[{i}].class",
                        f"'{g.tanker_class}' is not one of fleet.classes "
                        f"({', '.join(sorted(fleet.classes))})",
                    )
        if fleet.mode == "closed":
            available: dict[tuple[str, str], int] = {}
            for g in fleet.tankers:
                key = (g.tanker_class, g.status)
                available[key] = available.get(key, 0) + g.count
            placed: dict[tuple[str, str], int] = {}
            for _, g in self.initial.groups():
                key = (g.tanker_class, g.status)
                placed[key] = placed.get(key, 0) + g.count
            for key, n in placed.items():
                if n > available.get(key, 0):
                    raise _bad(
                        "initial",
                        f"places {n} {key[1]} {key[0]} tankers but fleet.tankers has only "
                        f"{available.get(key, 0)}",
                    )
        largest = max(self.fleet.classes.values())
        room = self.terminal.storage_capacity_bbl - self.terminal.storage_min_bbl
        if largest > room:
            raise _bad(
                "fleet.classes",
                f"the largest cargo ({largest:g} bbl) must fit in storage "
                f"(terminal.storage_capacity_bbl - storage_min_bbl = {room:g})",
            )
        return self

    def initial_count(self) -> int:
        """How many tankers are placed at day 0."""
        return sum(g.count for _, g in self.initial.groups())

    def baseline(self) -> Config:
        """The same world without the blockade (navy disabled), for paired comparisons."""
        return self.model_copy(update={"navy": self.navy.model_copy(update={"enabled": False})})

    def to_dict(self) -> dict[str, Any]:
        """A plain, YAML-friendly mapping that validates back to this config."""
        return self.model_dump(mode="json", by_alias=True)


# --------------------------------------------------------------------------- loading


def scenarios_dir() -> Path:
    """The bundled scenario tree (``sim/scenarios`` in a wheel, ``scenarios/`` in a checkout)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "scenarios", here.parent / "scenarios"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"bundled scenarios not found next to {here}")


def _format_loc(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(
            ("function-", "constrained-")
        ):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = _format_loc([p for p in err["loc"] if not str(p).startswith(("function-", "tagged"))])
    msg = err["msg"].removeprefix("Value error, ")
    if msg.startswith("@"):
        sub, _, msg = msg[1:].partition("@ ")
        return f"{loc + '.' if loc else ''}{sub}: {msg}"
    if err["type"] == "extra_forbidden":
        parent = loc.rpartition(".")[0] or "the top level"
        return f"{loc}: unknown key (not allowed at {parent})"
    if err["type"] == "literal_error":
        return f"{loc}: {msg} (got {err.get('input')!r})"
    if err["type"] == "missing":
        return f"{loc}: required key is missing"
    got = err.get("input")
    shown = "" if isinstance(got, dict | list | tuple) else f" (got {got!r})"
    return f"{loc}: {msg}{shown}" if loc else f"{msg}{shown}"


def validate(data: dict[str, Any]) -> Config:
    """Validate a plain mapping into a :class:`Config`, raising :class:`ConfigError`."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc)) from None


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
    from omegaconf import OmegaConf

    from sim import safety

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
    raw = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(raw, dict)
    hydra_node = raw.pop("hydra", {})
    safety.check_values(raw)
    safety.check_hydra(hydra_node, safety.reference_hydra(tuple(hydra_overrides)), user)
    return cfg


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
    if is_group and not parsed.is_delete() and parsed.value() is None:
        return f"~{key}"  # policy=null: no option of that group, as in the defaults list
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


def _compose(overrides: list[str], user_overrides: Sequence[str]) -> Any:
    """Hydra's compose of the bundled tree; any failure is a one-line ConfigError."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(scenarios_dir()), version_base="1.3"):
            return compose(config_name="config", overrides=overrides, return_hydra_config=True)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(hydra_message(exc)) from None
    except _COMPOSE_ERRORS as exc:
        raise ConfigError(_blame(user_overrides, exc)) from None
    finally:
        GlobalHydra.instance().clear()


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
    Group choices (``policy=NAME``) and explicit ``+``/``~`` overrides are left alone.
    """
    out = []
    for o in overrides:
        key, eq, _ = o.partition("=")
        is_group = "/" in key or key.split(".")[0].split("@")[0] in groups
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
        data = OmegaConf.to_container(
            OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]), resolve=True
        )
    except OmegaConfBaseException as exc:
        raise ConfigError(hydra_message(exc)) from None
    assert isinstance(data, dict)
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
