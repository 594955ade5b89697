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
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from sim.config import Config, ConfigError, FieldError, scenarios_dir, validate
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


class SensitivityError(ValueError):
    """A spec, a range or an argument that cannot be analysed; the message names it."""


class ParameterError(SensitivityError):
    """A parameter that cannot be: ``detail`` about its sub-key ``key`` ("": the range)."""

    def __init__(self, path: str, key: str, detail: str) -> None:
        super().__init__(detail if key == "path" else f"parameter {path}: {detail}")
        self.key = key
        self.detail = detail


class _SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _loc(err: ErrorDetails) -> str:
    return ".".join(str(p) for p in err["loc"])


# --------------------------------------------------------------------------- parameters


class Parameter(_SpecModel):
    """One uncertain input: a config path and the range ``[low, high]`` it is sampled over.

    ``integer``: round sampled values half-up (``None``: decided from the scenario's value,
    see :func:`resolve_parameters`). ``note``: why this range (free text).
    """

    path: str
    low: float
    high: float
    integer: bool | None = None
    note: str = ""

    def __init__(
        self, path: str, low: float, high: float, integer: bool | None = None, note: str = ""
    ) -> None:
        try:
            fields: dict[str, Any] = dict(path=path, low=low, high=high, integer=integer, note=note)
            super().__init__(**fields)
        except ValidationError as exc:
            raise ParameterError(path, *_parameter_problem(exc.errors()[0])) from None

    @field_validator("path")
    @classmethod
    def _named(cls, path: str) -> str:
        if not path.strip():
            raise ValueError("must be a non-empty string")
        return path

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        if not self.low < self.high:
            raise ValueError(f"range must have low < high (got [{self.low:g}, {self.high:g}])")
        return self

    @classmethod
    def from_entry(cls, path: str, entry: Any) -> Parameter:
        """The parameter of spec entry ``parameters.<path>`` (:class:`_Entry`), or FieldError."""
        try:
            form = _Entry.model_validate(entry if isinstance(entry, Mapping) else {"range": entry})
            low, high = form.bounds(entry)
        except ValidationError as exc:
            sub, message = _parameter_problem(exc.errors()[0], entry)
            raise FieldError(f"{path}.{sub}" if sub else path, message) from None
        try:
            return cls(path, low, high, form.integer, form.note)
        except ParameterError as exc:
            key = {"": path, "path": ""}.get(exc.key, f"{path}.{exc.key}")
            raise FieldError(key, exc.detail) from None

    def value_of(self, x: float) -> float | int:
        """The value applied to the config for a sampled ``x`` (rounded if integer)."""
        if self.integer:
            return math.floor(float(x) + 0.5)
        return float(x)


def _number(v: Any) -> float:
    """A range end: a number, not a bool."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError("not a number")
    return float(v)


def _text(v: Any) -> str:
    return str(v or "")


class _Entry(_SpecModel):
    """A parameter in a spec file: ``[low, high]``, or a mapping with its range and options."""

    range: Any = None
    low: Any = None
    high: Any = None
    integer: bool | None = None
    note: Annotated[str, BeforeValidator(_text)] = ""

    def bounds(self, entry: Any) -> tuple[float, float]:
        """(low, high), or a ValueError saying what the range should be."""
        if self.range is None and (self.low is None or self.high is None):
            raise ValidationError.from_exception_data(
                "range", [{"type": "missing", "loc": ("range",), "input": entry}]
            )
        raw = self.range if self.range is not None else [self.low, self.high]
        if isinstance(raw, str | bytes) or not isinstance(raw, Sequence) or len(raw) != 2:
            raise _range_error(raw)
        try:
            return _number(raw[0]), _number(raw[1])
        except ValueError:
            raise _range_error(raw) from None


def _range_error(raw: Any) -> ValidationError:
    return ValidationError.from_exception_data(
        "range", [{"type": "tuple_type", "loc": ("range",), "input": raw}]
    )


_ENTRY_KEYS = "range or low/high, integer, note"


def _parameter_problem(err: ErrorDetails, entry: Any = None) -> tuple[str, str]:
    """(the sub-key, what is wrong) of a failed parameter or spec entry."""
    key, got = _loc(err), err.get("input")
    if err["type"] == "extra_forbidden":
        return key, f"unknown key (allowed: {_ENTRY_KEYS})"
    if key == "integer":
        return key, f"must be true or false (got {got!r})"
    if key == "range" and err["type"] == "missing":
        return "", "give range: [low, high]"
    if key == "range":
        raw = entry.get("range", got) if isinstance(entry, Mapping) else entry
        return "", f"range must be two numbers [low, high] (got {raw!r})"
    if key in ("low", "high"):
        return "", f"range {key} must be a finite number (got {got!r})"
    if key == "path":
        return key, f"parameter path must be a non-empty string (got {got!r})"
    return key, err["msg"].removeprefix("Value error, ")


# --------------------------------------------------------------------------- the spec


class Morris(_SpecModel):
    """``morris:`` options."""

    num_levels: int = 4


class Sobol(_SpecModel):
    """``sobol:`` options."""

    calc_second_order: bool = False


def _section(v: Any) -> Any:
    return {} if v is None else v


def _parameters(v: Any) -> Any:
    """A spec file's mapping path -> entry as parameters (a tuple is already parameters)."""
    if isinstance(v, tuple):
        return v
    if not isinstance(v, Mapping) or not v:
        raise ValueError("expected a non-empty mapping path -> range")
    return tuple(Parameter.from_entry(str(k), e) for k, e in v.items())


def _outputs(v: Any) -> Any:
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list | tuple):
        return tuple(str(o) for o in v)
    raise ValueError(f"expected a list of output names (got {v!r})")


#: The wording for any type or range error of a spec's plain values.
_MUST: dict[str, str] = {
    "method": f"must be one of {', '.join(METHODS)}",
    "n": "must be an integer >= 1 (>= 2 for morris)",
    "replications": "must be an integer >= 1",
    "seed": "must be an integer >= 0",
    "morris.num_levels": "must be an integer >= 2",
    "sobol.calc_second_order": "must be true or false",
}
_MINIMUM: dict[str, int] = {"replications": 1, "seed": 0, "morris.num_levels": 2}


class SensitivitySpec(_SpecModel):
    """What to vary, over which ranges, which outputs to record, and the default design.

    Laid out as a spec file (``scenarios/sensitivity/default.yaml``), except ``parameters``:
    a tuple of :class:`Parameter` (in a file, a mapping path -> range).
    """

    parameters: Annotated[tuple[Parameter, ...], BeforeValidator(_parameters)]
    outputs: Annotated[tuple[str, ...], BeforeValidator(_outputs)] = ("export_decline", "seizures")
    method: Literal["morris", "sobol"] = "morris"
    n: int = 10
    replications: int = 20
    seed: int | None = None
    morris: Annotated[Morris, BeforeValidator(_section)] = Morris()
    sobol: Annotated[Sobol, BeforeValidator(_section)] = Sobol()
    _source: str | None = PrivateAttr(default=None)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise SensitivityError(_spec_error(exc)) from None

    @field_validator("parameters")
    @classmethod
    def _distinct(cls, parameters: tuple[Parameter, ...]) -> tuple[Parameter, ...]:
        if not parameters:
            raise ValueError("at least one parameter is needed")
        paths = [p.path for p in parameters]
        dup = sorted({p for p in paths if paths.count(p) > 1})
        if dup:
            raise ValueError(f"{', '.join(dup)} given more than once")
        return parameters

    @field_validator("outputs")
    @classmethod
    def _known(cls, outputs: tuple[str, ...]) -> tuple[str, ...]:
        if not outputs:
            raise ValueError("at least one output is needed")
        for o in outputs:
            if o not in OUTPUTS:
                raise ValueError(
                    f"unknown output {o!r}{_suggest(o, OUTPUTS)} (one of export_decline or a "
                    "metric key of sim.METRIC_KEYS)"
                )
        if len(set(outputs)) != len(outputs):
            raise ValueError("an output is listed twice")
        return outputs

    @model_validator(mode="after")
    def _counts(self) -> SensitivitySpec:
        minimum = 2 if self.method == "morris" else 1
        if self.n < minimum:
            raise FieldError("n", f"must be an integer >= {minimum} (got {self.n!r})")
        for key, value in (
            ("replications", self.replications),
            ("seed", self.seed),
            ("morris.num_levels", self.num_levels),
        ):
            if value is not None and value < _MINIMUM[key]:
                raise FieldError(key, f"must be an integer >= {_MINIMUM[key]} (got {value!r})")
        return self

    def __eq__(self, other: object) -> bool:
        # where the spec was read from does not make it another spec
        return isinstance(other, SensitivitySpec) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.parameters, self.outputs, self.method, self.n, self.replications))

    @property
    def source(self) -> str | None:
        """The file the spec was read from, if one."""
        return self._source

    @property
    def num_levels(self) -> int:
        """Morris grid levels."""
        return self.morris.num_levels

    @property
    def calc_second_order(self) -> bool:
        """Whether Sobol second-order indices are computed."""
        return self.sobol.calc_second_order

    @property
    def names(self) -> list[str]:
        """The parameter paths, in spec order."""
        return [p.path for p in self.parameters]

    def replace(self, **changes: Any) -> SensitivitySpec:
        """A copy with ``changes`` (validated again); ``None`` values are ignored."""
        fields = {k: getattr(self, k) for k in type(self).model_fields}
        copy = SensitivitySpec(**{**fields, **{k: v for k, v in changes.items() if v is not None}})
        copy._source = self._source
        return copy

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


_SECTIONS: dict[str, type[BaseModel]] = {"": SensitivitySpec, "morris": Morris, "sobol": Sobol}


def _spec_error(exc: ValidationError) -> str:
    """The first error of a spec's validation as one line naming the spec key."""
    err = exc.errors()[0]
    key, got = _loc(err), err.get("input")
    error = err.get("ctx", {}).get("error")
    if isinstance(error, FieldError):
        return f"{'.'.join(p for p in (key, error.key) if p)}: {error.message}"
    if err["type"] == "extra_forbidden":
        parent, _, name = key.rpartition(".")
        allowed = sorted(_SECTIONS[parent].model_fields)
        if not parent:
            return f"unknown key {name!r}{_suggest(name, allowed)} (allowed: {', '.join(allowed)})"
        return f"{key}: unknown key (allowed: {', '.join(allowed)})"
    if key in _MUST:
        return f"{key}: {_MUST[key]} (got {got!r})"
    if key in _SECTIONS:
        return f"{key}: expected a mapping"
    return f"{key}: {err['msg'].removeprefix('Value error, ')}"


# --------------------------------------------------------------------------- reading specs


def available_specs() -> list[str]:
    """Names of the bundled specs (``scenarios/sensitivity/*.yaml``)."""
    folder = scenarios_dir() / SPEC_GROUP
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def _spec_file(spec: str | Path) -> Path:
    """The YAML file of ``spec``: a path, or the name of a bundled spec."""
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    name = str(spec).removesuffix(".yaml")
    bundled = scenarios_dir() / SPEC_GROUP / f"{name}.yaml"
    if "/" in str(spec) or not bundled.is_file():
        raise SensitivityError(
            f"spec: {spec!r} is neither a YAML file nor a bundled spec (available: "
            f"{', '.join(available_specs()) or 'none'})"
        )
    return bundled


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
    path = _spec_file(spec)
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
    try:
        spec = SensitivitySpec(**{str(k): v for k, v in data.items()})
    except SensitivityError as exc:
        raise SensitivityError(f"spec {source}: {exc}" if source else str(exc)) from None
    spec._source = source
    return spec


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
        if isinstance(node, dict) and "dist" in node:  # inside a distribution mapping
            params = [k for k, v in node.items() if k != "dist" and v is not None]
            if not last or seg not in params:
                raise SensitivityError(
                    f"parameter {path}: {here} is a {node['dist']!r} distribution in this "
                    f"scenario, which takes {', '.join(params)} (not {seg!r})"
                )
            return node, seg, _KIND_DIST_PARAM
        key = _child(node, seg, path, here)
        if last:
            return node, key, _kind(node[key], path)
        node = node[key]
    raise AssertionError("unreachable")  # pragma: no cover


def _child(node: Any, seg: str, path: str, here: str) -> str | int:
    """The key of ``seg`` in ``node`` (a list index or a mapping key), or raise."""
    if isinstance(node, list):
        if not seg.isdigit() or int(seg) >= len(node):
            raise SensitivityError(
                f"parameter {path}: {here} is a list of {len(node)}; address an item "
                f"by index 0..{len(node) - 1} (got {seg!r})"
            )
        return int(seg)
    if isinstance(node, dict):
        if seg not in node:
            raise SensitivityError(
                f"parameter {path}: unknown config key {seg!r} in {here}{_suggest(seg, list(node))}"
            )
        return seg
    raise SensitivityError(f"parameter {path}: {here} is a value, not a section")


def _kind(current: Any, path: str) -> str:
    """What ``path``'s value is: a distribution or a number; anything else raises."""
    if isinstance(current, dict) and "dist" in current:
        return _KIND_DIST
    if isinstance(current, dict | list):
        raise SensitivityError(
            f"parameter {path}: is a section, not a number; address one of its keys"
        )
    if isinstance(current, bool | str):
        raise SensitivityError(f"parameter {path}: is not numeric (the scenario has {current!r})")
    return _KIND_VALUE


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
        q = p.model_copy(update={"integer": integer})
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
