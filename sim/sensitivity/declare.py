"""Declare: the uncertain parameters, their ranges, the outputs, and how a value reaches a config.

A *parameter path* is a config key (``navy.boarding_teams``). It may end inside a
distribution mapping: ``court.delay_days.median`` sets the median of the scenario's lognormal
court delay and keeps its other parameters; the scenario's distribution must have that
parameter. A path naming a distribution itself (``navy.exposure_days``) replaces it by a
fixed value (a bare number in a config means ``{dist: fixed, value: x}``). List items are
addressed by index (``fleet.tankers.1.count``).

Ranges come from a spec: ``scenarios/sensitivity/<name>.yaml`` (see ``default.yaml``), a YAML
file, or a mapping with the same keys.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim.config import Config, ConfigError, scenarios_dir, validate
from sim.model.world import METRIC_KEYS

__all__ = [
    "METHODS",
    "OUTPUTS",
    "Parameter",
    "SensitivityError",
    "SensitivitySpec",
    "apply_values",
    "available_specs",
    "load_spec",
    "parse_spec",
    "resolve_parameters",
]

METHODS: tuple[str, ...] = ("morris", "sobol")
#: Outputs a sample point can report: the paired export decline and every replication metric.
OUTPUTS: tuple[str, ...] = ("export_decline", *METRIC_KEYS)
SPEC_GROUP = "sensitivity"
_SPEC_KEYS = frozenset(
    {"method", "n", "replications", "seed", "outputs", "morris", "sobol", "parameters"}
)


class SensitivityError(ValueError):
    """A spec, a range or an argument that cannot be analysed; the message names it."""


@dataclass(frozen=True)
class Parameter:
    """One uncertain input: a config path and the range ``[low, high]`` it is sampled over.

    ``integer``: round sampled values half-up (``None``: decided from the scenario's value,
    see :func:`resolve_parameters`). ``note``: why this range (free text).
    """

    path: str
    low: float
    high: float
    integer: bool | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path.strip():
            raise SensitivityError(f"parameter path must be a non-empty string (got {self.path!r})")
        for name in ("low", "high"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise SensitivityError(
                    f"parameter {self.path}: range {name} must be a finite number (got {v!r})"
                )
        if not self.low < self.high:
            raise SensitivityError(
                f"parameter {self.path}: range must have low < high (got [{self.low:g}, "
                f"{self.high:g}])"
            )

    def value_of(self, x: float) -> float | int:
        """The value applied to the config for a sampled ``x`` (rounded if integer)."""
        if self.integer:
            return math.floor(float(x) + 0.5)
        return float(x)


@dataclass(frozen=True)
class SensitivitySpec:
    """What to vary, over which ranges, which outputs to record, and the default design."""

    parameters: tuple[Parameter, ...]
    outputs: tuple[str, ...] = ("export_decline", "seizures")
    method: str = "morris"
    n: int = 10
    replications: int = 20
    seed: int | None = None
    num_levels: int = 4
    calc_second_order: bool = False
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.parameters:
            raise SensitivityError("parameters: at least one parameter is needed")
        paths = [p.path for p in self.parameters]
        dup = sorted({p for p in paths if paths.count(p) > 1})
        if dup:
            raise SensitivityError(f"parameters: {', '.join(dup)} given more than once")
        if not self.outputs:
            raise SensitivityError("outputs: at least one output is needed")
        for o in self.outputs:
            if o not in OUTPUTS:
                raise SensitivityError(
                    f"outputs: unknown output {o!r}{_suggest(o, OUTPUTS)} (one of "
                    f"export_decline or a metric key of sim.METRIC_KEYS)"
                )
        if len(set(self.outputs)) != len(self.outputs):
            raise SensitivityError("outputs: an output is listed twice")
        if self.method not in METHODS:
            raise SensitivityError(
                f"method: must be one of {', '.join(METHODS)} (got {self.method!r})"
            )
        _positive_int("n", self.n, minimum=2 if self.method == "morris" else 1)
        _positive_int("replications", self.replications)
        _positive_int("morris.num_levels", self.num_levels, minimum=2)
        if self.seed is not None:
            _positive_int("seed", self.seed, minimum=0)
        if not isinstance(self.calc_second_order, bool):
            raise SensitivityError(
                f"sobol.calc_second_order: must be true or false (got {self.calc_second_order!r})"
            )

    @property
    def names(self) -> list[str]:
        """The parameter paths, in spec order."""
        return [p.path for p in self.parameters]

    def replace(self, **changes: Any) -> SensitivitySpec:
        """A copy with ``changes`` (validated again); ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        """A YAML-friendly mapping that :func:`parse_spec` reads back."""
        params: dict[str, Any] = {}
        for p in self.parameters:
            entry: dict[str, Any] = {"range": [p.low, p.high]}
            if p.integer is not None:
                entry["integer"] = p.integer
            if p.note:
                entry["note"] = p.note
            params[p.path] = entry
        return {
            "method": self.method,
            "n": self.n,
            "replications": self.replications,
            "seed": self.seed,
            "outputs": list(self.outputs),
            "morris": {"num_levels": self.num_levels},
            "sobol": {"calc_second_order": self.calc_second_order},
            "parameters": params,
        }


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SensitivityError(f"{name}: must be an integer >= {minimum} (got {value!r})")
    return value


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --------------------------------------------------------------------------- reading specs


def available_specs() -> list[str]:
    """Names of the bundled specs (``scenarios/sensitivity/*.yaml``)."""
    folder = scenarios_dir() / SPEC_GROUP
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def load_spec(
    spec: SensitivitySpec | Mapping[str, Any] | str | Path | None = None,
) -> SensitivitySpec:
    """A spec from a :class:`SensitivitySpec`, a mapping, a YAML file or a bundled name.

    ``None`` is the bundled ``default``; a string that is not an existing file names a spec
    in ``scenarios/sensitivity/``.
    """
    if isinstance(spec, SensitivitySpec):
        return spec
    if spec is None:
        spec = "default"
    if isinstance(spec, Mapping):
        return parse_spec(spec)
    if not isinstance(spec, str | Path):
        raise SensitivityError(
            f"spec: expected a name, a YAML path, a mapping or a SensitivitySpec "
            f"(got {type(spec).__name__})"
        )
    path = Path(spec).expanduser()
    if not path.is_file():
        name = str(spec).removesuffix(".yaml")
        bundled = scenarios_dir() / SPEC_GROUP / f"{name}.yaml"
        if "/" in str(spec) or not bundled.is_file():
            raise SensitivityError(
                f"spec: {spec!r} is neither a YAML file nor a bundled spec (available: "
                f"{', '.join(available_specs()) or 'none'})"
            )
        path = bundled
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        first = " ".join(str(exc).split())
        raise SensitivityError(f"spec {path}: not valid YAML: {first}") from None
    if not isinstance(data, Mapping):
        raise SensitivityError(f"spec {path}: expected a mapping at the top level")
    return parse_spec(data, source=str(path))


def parse_spec(data: Mapping[str, Any], source: str | None = None) -> SensitivitySpec:
    """Validate a spec mapping (the layout of ``scenarios/sensitivity/default.yaml``)."""
    where = f"spec {source}: " if source else ""
    try:
        unknown = sorted(set(data) - _SPEC_KEYS)
        if unknown:
            raise SensitivityError(
                f"unknown key {unknown[0]!r}{_suggest(unknown[0], sorted(_SPEC_KEYS))} "
                f"(allowed: {', '.join(sorted(_SPEC_KEYS))})"
            )
        raw = data.get("parameters")
        if not isinstance(raw, Mapping) or not raw:
            raise SensitivityError("parameters: expected a non-empty mapping path -> range")
        params = tuple(_parse_parameter(str(k), v) for k, v in raw.items())
        morris = _section(data, "morris", {"num_levels"})
        sobol = _section(data, "sobol", {"calc_second_order"})
        outputs = data.get("outputs", ["export_decline", "seizures"])
        if isinstance(outputs, str):
            outputs = [outputs]
        if not isinstance(outputs, Sequence):
            raise SensitivityError(f"outputs: expected a list of output names (got {outputs!r})")
        kwargs: dict[str, Any] = {
            "parameters": params,
            "outputs": tuple(str(o) for o in outputs),
            "method": data.get("method", "morris"),
            "n": data.get("n", 10),
            "replications": data.get("replications", 20),
            "seed": data.get("seed"),
            "num_levels": morris.get("num_levels", 4),
            "calc_second_order": sobol.get("calc_second_order", False),
            "source": source,
        }
        return SensitivitySpec(**kwargs)
    except SensitivityError as exc:
        raise SensitivityError(f"{where}{exc}") from None


def _section(data: Mapping[str, Any], name: str, allowed: set[str]) -> Mapping[str, Any]:
    sec = data.get(name) or {}
    if not isinstance(sec, Mapping):
        raise SensitivityError(f"{name}: expected a mapping")
    extra = sorted(set(sec) - allowed)
    if extra:
        raise SensitivityError(f"{name}.{extra[0]}: unknown key (allowed: {', '.join(allowed)})")
    return sec


def _parse_parameter(path: str, entry: Any) -> Parameter:
    integer: Any = None
    note = ""
    if isinstance(entry, Mapping):
        extra = sorted(set(entry) - {"range", "low", "high", "integer", "note"})
        if extra:
            raise SensitivityError(
                f"parameters.{path}.{extra[0]}: unknown key (allowed: range or low/high, "
                f"integer, note)"
            )
        if "range" in entry:
            rng = entry["range"]
        elif "low" in entry and "high" in entry:
            rng = [entry["low"], entry["high"]]
        else:
            raise SensitivityError(f"parameters.{path}: give range: [low, high]")
        integer = entry.get("integer")
        note = str(entry.get("note") or "")
        if integer is not None and not isinstance(integer, bool):
            raise SensitivityError(
                f"parameters.{path}.integer: must be true or false (got {integer!r})"
            )
    else:
        rng = entry
    if (
        isinstance(rng, str | bytes)
        or not isinstance(rng, Sequence)
        or len(rng) != 2
        or any(isinstance(v, bool) or not isinstance(v, int | float) for v in rng)
    ):
        raise SensitivityError(
            f"parameters.{path}: range must be two numbers [low, high] (got {rng!r})"
        )
    return Parameter(path=path, low=float(rng[0]), high=float(rng[1]), integer=integer, note=note)


# --------------------------------------------------------------------------- config paths

_KIND_VALUE, _KIND_DIST_PARAM, _KIND_DIST = "value", "dist_param", "dist"


def _locate(data: dict[str, Any], path: str) -> tuple[Any, str | int, str]:
    """(container, key, kind) of ``path`` in a ``Config.to_dict()`` mapping, or raise."""
    parts = path.split(".")
    if any(not p for p in parts):
        raise SensitivityError(f"parameter {path}: not a dotted config key")
    node: Any = data
    for depth, seg in enumerate(parts):
        here = ".".join(parts[:depth]) or "the top level"
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not seg.isdigit() or int(seg) >= len(node):
                raise SensitivityError(
                    f"parameter {path}: {here} is a list of {len(node)}; address an item "
                    f"by index 0..{len(node) - 1} (got {seg!r})"
                )
            key: str | int = int(seg)
        elif isinstance(node, dict):
            if "dist" in node:  # inside a distribution mapping
                params = [k for k, v in node.items() if k != "dist" and v is not None]
                if not last or seg not in params:
                    raise SensitivityError(
                        f"parameter {path}: {here} is a {node['dist']!r} distribution in this "
                        f"scenario, which takes {', '.join(params)} (not {seg!r})"
                    )
                return node, seg, _KIND_DIST_PARAM
            if seg not in node:
                raise SensitivityError(
                    f"parameter {path}: unknown config key {seg!r} in {here}"
                    f"{_suggest(seg, list(node))}"
                )
            key = seg
        else:
            raise SensitivityError(f"parameter {path}: {here} is a value, not a section")
        if last:
            current = node[key]
            if isinstance(current, dict) and "dist" in current:
                return node, key, _KIND_DIST
            if isinstance(current, dict | list):
                raise SensitivityError(
                    f"parameter {path}: is a section, not a number; address one of its keys"
                )
            if isinstance(current, bool | str):
                raise SensitivityError(
                    f"parameter {path}: is not numeric (the scenario has {current!r})"
                )
            return node, key, _KIND_VALUE
        node = node[key]
    raise AssertionError("unreachable")  # pragma: no cover


def _set(data: dict[str, Any], path: str, value: float) -> None:
    node, key, kind = _locate(data, path)
    if kind == _KIND_DIST:
        node[key] = {"dist": "fixed", "value": value}
    else:
        node[key] = value


def apply_values(cfg: Config, values: Mapping[str, float]) -> Config:
    """``cfg`` with each parameter path set to its value, validated again.

    Raises :class:`SensitivityError` (a ``ValueError``) naming the parameter(s) when a path
    is unknown or the values give an invalid config.
    """
    result = _try_apply(cfg, values)
    if isinstance(result, Config):
        return result
    culprit = _culprit(result, list(values))
    if culprit:
        raise SensitivityError(
            f"parameter {culprit}={_fmt(values[culprit])} gives an invalid config: {result}"
        )
    shown = ", ".join(f"{p}={_fmt(v)}" for p, v in values.items())
    raise SensitivityError(f"parameters {shown} give an invalid config: {result}")


def _try_apply(cfg: Config, values: Mapping[str, float]) -> Config | str:
    """The new config, or the validation message (unknown paths raise)."""
    data = cfg.to_dict()
    for path, value in values.items():
        _set(data, path, value)
    data["uncertain"] = {  # a sampled path is fixed at the point, not drawn (nor keys under it)
        key: dist
        for key, dist in data.get("uncertain", {}).items()
        if not any(key == p or key.startswith(f"{p}.") for p in values)
    }
    try:
        return validate(data)
    except ConfigError as exc:
        return str(exc)


def _culprit(message: str, paths: Sequence[str]) -> str | None:
    """The parameter whose key (or distribution) the validation message names, if one."""
    key = message.split(":", 1)[0].strip()
    hits = [p for p in paths if key == p or p.startswith(key + ".") or key.startswith(p + ".")]
    return hits[0] if len(hits) == 1 else None


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def resolve_parameters(spec: SensitivitySpec, cfg: Config) -> tuple[Parameter, ...]:
    """Check every path against ``cfg`` and both ends of every range; fix ``integer``.

    Each range end is applied alone (the other parameters at the scenario's values) and
    validated, so a range the schema does not allow fails here, naming the parameter,
    before anything runs. ``integer`` left ``None`` becomes true when the scenario's value
    is an integer (e.g. ``navy.boarding_teams``).
    """
    data = cfg.to_dict()
    out = []
    for p in spec.parameters:
        node, key, kind = _locate(data, p.path)
        integer = p.integer
        if integer is None:
            current = node[key]
            integer = (
                kind == _KIND_VALUE and isinstance(current, int) and not isinstance(current, bool)
            )
        q = replace(p, integer=integer)
        if integer and math.floor(q.low + 0.5) == math.floor(q.high + 0.5):
            raise SensitivityError(
                f"parameter {p.path}: integer range [{p.low:g}, {p.high:g}] holds one value"
            )
        for end, x in (("low", q.low), ("high", q.high)):
            result = _try_apply(cfg, {q.path: q.value_of(x)})
            if not isinstance(result, Config):
                raise SensitivityError(
                    f"parameter {p.path}: the {end} end of its range ({_fmt(q.value_of(x))}) "
                    f"gives an invalid config: {result}"
                )
        out.append(q)
    return tuple(out)
