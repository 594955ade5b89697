"""The explorer's state without its page: what the analyst chose, the runs, the reference.

A :class:`Choice` (scenario, policy preset, the levers moved, where uncertain keys come
from, replications) becomes ``key=value`` overrides and a :class:`~sim.config.Config` through
:func:`sim.load_config`, so every slider value is checked by the normal config validation (a
mistake is one :class:`~sim.config.ConfigError` line). A :class:`Session` runs a choice as a
stream of snapshots (:mod:`sim.explore.stream`) on the server's :class:`Engine` and keeps a
reference run (the session's first, until the analyst picks another) that every later run
is compared with, replication by replication on the same seeds (common random numbers).
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim import compose
from sim.compare import COMPARE_METRICS
from sim.compose import user_config_dir
from sim.config import Config, ConfigError, scenarios_dir
from sim.experiment.executors import Executor, check_executor, make_executor
from sim.experiment.runner import ExperimentResult
from sim.experiment.stats import paired_difference
from sim.explore.stream import ChartClock, Snapshot, stream
from sim.validation.levers import Lever
from sim.validation.levers import levers as validation_levers

__all__ = [
    "DRAWS",
    "Choice",
    "Difference",
    "Engine",
    "LeverSpec",
    "RangeSpec",
    "Session",
    "difference",
    "group_options",
    "lever_specs",
    "range_specs",
]

DEFAULT_SCENARIO = "venezuela_dec2025"
#: Where the uncertain keys of a run come from, and how the page says it.
DRAWS: dict[str, str] = {
    "posterior": "calibrated posterior",
    "ranges": "the ranges below",
    "fixed": "nowhere (point scenario)",
}
#: The most replications a run of the page may ask for.
MAX_REPLICATIONS = 5000
#: Configs a session keeps by their overrides (a slider moved back, Run after the check).
CONFIG_CACHE = 64
NEVER = "never"


# --------------------------------------------------------------------------- what can be set


#: Hydra composes in a process-wide singleton (``GlobalHydra``): two compositions at once, as
#: two pages or two quick slider moves would make, fail. The explorer makes one at a time.
def load_config(
    scenario: str, overrides: Sequence[str], config_dir: str | Path | None = None
) -> Config:
    """:func:`sim.load_config` (thread-safe: :mod:`sim.compose` composes one at a time)."""
    return compose.load_config(scenario, overrides, config_dir)


def group_options(group: str, config_dir: str | Path | None = None) -> list[str]:
    """The options of a config group (``scenario``, ``policy``): bundled and the user's."""
    folders = [scenarios_dir() / group]
    user = user_config_dir(config_dir)
    if user is not None:
        folders.append(Path(user) / group)
    return sorted({p.stem for d in folders if d.is_dir() for p in d.glob("*.yaml")})


#: What :func:`_value_at` gives for a key the config does not have.
MISSING = object()


def _value_at(data: Mapping[str, Any], key: str) -> Any:
    """The value at dotted ``key`` of a ``Config.to_dict()`` mapping (:data:`MISSING` if
    it has no such key)."""
    node: Any = data
    for part in key.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return MISSING
    return node


@dataclass(frozen=True)
class LeverSpec:
    """A main lever as a slider: its key, label, range and the config's value.

    ``key`` is the key the slider sets: a distribution's median (``court.delay_days.median``)
    where the config holds a distribution, so its spread stays the scenario's. ``options``
    lists (label, value) pairs for a lever that is not a number line (``None`` = never).
    """

    key: str
    label: str
    value: Any
    start: float = 0.0
    end: float = 1.0
    step: float = 1.0
    integer: bool = False
    options: tuple[tuple[str, Any], ...] = ()
    uncertain: bool = False  # drawn per replication unless the slider moves

    def override(self, value: Any) -> str:
        """The ``key=value`` override that sets the lever to ``value``."""
        return f"{self.key}={_literal(value)}"


def _literal(value: Any) -> str:
    """``value`` as an override value: ``null``, an integer, or a float without noise."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return f"{float(value):.10g}"


def _step(values: Sequence[float]) -> float:
    """A fifth of the smallest gap between the validation sweep's values (one digit)."""
    gaps = [b - a for a, b in itertools.pairwise(values) if b > a]
    return float(f"{min(gaps) / 5:.1g}") if gaps else 0.01


def _options(values: Sequence[Any], current: Any) -> tuple[tuple[str, Any], ...]:
    """(label, value) of a lever whose values include ``None`` (never), ``current`` among them."""
    shown = [v for v in values if v is not None]
    if current is not None and current not in shown:
        shown = sorted([*shown, current])
    return (*((f"{v:g}", v) for v in shown), (NEVER, None))


def _lever(cfg: Config, data: Mapping[str, Any], lever: Lever) -> LeverSpec:
    """The slider of one lever of :func:`sim.validation.levers.levers` in ``cfg``."""
    key, values = lever.key, list(lever.values)
    current = _value_at(data, key)
    if isinstance(current, Mapping) and "median" in current:
        key, current = f"{key}.median", current["median"]
    label = f"{lever.title} ({lever.unit})" if lever.unit else lever.title
    drawn = any(k == key or k.startswith(f"{key}.") for k in cfg.uncertain)
    if any(v is None for v in values):
        return LeverSpec(key, label, current, options=_options(values, current), uncertain=drawn)
    numbers = sorted(float(v) for v in values)
    integer = all(isinstance(v, int) for v in values) and isinstance(current, int)
    start, end = min(numbers[0], float(current)), max(numbers[-1], float(current))
    step = 1.0 if integer else _step(numbers)
    return LeverSpec(key, label, current, start, end, step, integer, uncertain=drawn)


def lever_specs(cfg: Config) -> list[LeverSpec]:
    """The main levers (those the validation report sweeps) as sliders at ``cfg``'s values."""
    data = cfg.to_dict()
    return [
        _lever(cfg, data, lever)
        for lever in validation_levers(quick=False)
        if _value_at(data, lever.key) is not MISSING
    ]


@dataclass(frozen=True)
class RangeSpec:
    """An uncertain key drawn from a range: its bounds and how far a slider may move them."""

    key: str
    low: float
    high: float
    start: float
    end: float
    step: float
    integer: bool = False


def range_specs(cfg: Config) -> list[RangeSpec]:
    """The ``uncertain`` keys with a range (uniform, triangular) as range sliders."""
    from sim.uncertain import is_integer

    data = cfg.to_dict()
    out = []
    for key, dist in cfg.uncertain.items():
        low, high = getattr(dist, "low", None), getattr(dist, "high", None)
        if low is None or high is None:
            continue
        low, high = float(low), float(high)
        width = high - low or abs(high) or 1.0
        start = low - width / 2
        start = max(0.0, start) if low >= 0 else start
        integer = is_integer(data, key)
        step = 1.0 if integer else float(f"{width / 50:.1g}")
        out.append(RangeSpec(key, low, high, start, high + width / 2, step, integer))
    return out


# --------------------------------------------------------------------------- what was chosen


@dataclass(frozen=True)
class Choice:
    """What the analyst set: the run is ``load_config(scenario, choice.overrides())``."""

    scenario: str = DEFAULT_SCENARIO
    policy: str | None = None
    levers: tuple[tuple[str, Any], ...] = ()  # (key, value) of the levers moved
    draws: str = "posterior"
    ranges: tuple[tuple[str, float, float], ...] = ()  # (key, low, high) in "ranges" mode
    replications: int = 200

    def overrides(self, cfg: Config | None = None) -> list[str]:
        """The overrides of this choice; ``cfg`` (the scenario and policy alone) gives the
        uncertain keys without a range slider, kept as they are in "ranges" mode."""
        if self.draws not in DRAWS:
            raise ConfigError(f"draws: must be one of {', '.join(DRAWS)} (got {self.draws!r})")
        out = [f"policy={self.policy}"] if self.policy else []
        out += [f"{key}={_literal(value)}" for key, value in self.levers]
        if self.draws == "fixed":
            out.append("uncertain={}")
        elif self.draws == "ranges":
            out += ["experiment.posterior=null", self._uncertain(cfg)]
        return out

    def _uncertain(self, cfg: Config | None) -> str:
        """The ``uncertain={...}`` override of "ranges" mode."""
        dists: dict[str, dict[str, Any]] = {}
        if cfg is not None:
            dists = {
                k: d.model_dump(mode="json", exclude_none=True) for k, d in cfg.uncertain.items()
            }
        for key, low, high in self.ranges:
            dists[key] = {**dists.get(key, {"dist": "uniform"}), "low": low, "high": high}
        items = [f"{key}: {_flow(dist)}" for key, dist in dists.items()]
        return "uncertain={" + ", ".join(items) + "}"

    def label(self) -> str:
        """The run in one line: scenario, policy, the levers moved, the draws."""
        parts = [self.scenario, f"policy={self.policy}" if self.policy else "scenario's policy"]
        parts += [f"{key}={_literal(value)}" for key, value in self.levers]
        if self.draws != "posterior":
            parts.append(
                {"ranges": "uncertain keys from ranges", "fixed": "point scenario"}[self.draws]
            )
        return ", ".join(parts)


def _flow(dist: Mapping[str, Any]) -> str:
    """A distribution as a flow mapping for an override: ``{dist: uniform, low: 1, high: 2}``."""
    cells = [f"{k}: {v if isinstance(v, str) else _literal(v)}" for k, v in dist.items()]
    return "{" + ", ".join(cells) + "}"


# --------------------------------------------------------------------------- the runs


class Engine:
    """Where every session's replications run: one executor for the server's lifetime."""

    def __init__(self, executor: str = "processes", workers: int | None = None) -> None:
        self.name, self.workers = check_executor(executor, workers, ConfigError)
        self._executor: Executor | None = None

    def executor(self) -> Executor:
        """The executor, made on first use (and again after one broke)."""
        if self._executor is None:
            self._executor = make_executor(self.name, self.workers)
        return self._executor

    def warm(self) -> None:
        """Start the workers now, before any thread does (so ``fork`` is safe and runs fast)."""
        ex = self.executor()
        ex.result(ex.submit(int, 0))

    def reset(self) -> None:
        """Drop the executor (after a worker died): the next run makes a new one."""
        if self._executor is not None:
            try:
                self._executor.close(cancel=True)
            finally:
                self._executor = None

    def close(self) -> None:
        self.reset()


@dataclass(frozen=True)
class Difference:
    """This run minus the reference, paired on replication: one row per metric."""

    reference: str  # the reference run's label
    table: pd.DataFrame  # index metric: reference, this, mean, ci_low, ci_high, n
    pairs: int
    reference_n: int
    this_n: int


def difference(
    result: ExperimentResult,
    reference: ExperimentResult,
    label: str = "reference",
    metrics: Sequence[str] = COMPARE_METRICS,
) -> Difference:
    """``result`` minus ``reference`` on the replications both ran (same root seed, else a
    ConfigError saying so): the means of both and the paired difference with its 95% CI."""
    a, b = reference.replications, result.replications
    seed_a, seed_b = reference.config.experiment.seed, result.config.experiment.seed
    if seed_a != seed_b:
        raise ConfigError(
            f"reference: it ran with root seed {seed_a} and this run with {seed_b}; a paired "
            "difference needs the same experiment.seed (make this run the reference)"
        )
    common = [m for m in metrics if m in a.columns and m in b.columns]
    pairs = a[["replication"]].merge(b[["replication"]], on="replication")["replication"]
    ra, rb = a[a["replication"].isin(pairs)], b[b["replication"].isin(pairs)]
    means = pd.DataFrame(
        {
            "reference": [float(ra[m].mean()) for m in common],
            "this": [float(rb[m].mean()) for m in common],
        },
        index=pd.Index(common, name="metric"),
    )
    table = means.join(paired_difference(rb, ra, common))
    return Difference(label, table, len(pairs), len(a), len(b))


@dataclass
class Session:
    """One analyst's explorer: the runs made, and the reference run they are compared with.

    A config is composed once per distinct (scenario, overrides): the check of a change
    composes it, and Run (or the same sliders again) reuses it. Files are read when a config
    is first composed, so an edited scenario file shows in a new session.
    """

    engine: Engine
    config_dir: str | Path | None = None
    reference: ExperimentResult | None = None
    reference_label: str = ""
    latest: ExperimentResult | None = None
    latest_label: str = ""
    chart_seconds: float = 0.0  # what drawing the last charts took (the next run's cadence)
    _bases: dict[tuple[str, str | None], Config] = field(default_factory=dict)
    _configs: OrderedDict[tuple[str, tuple[str, ...]], Config] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def base(self, scenario: str, policy: str | None) -> Config:
        """The scenario with its policy preset and nothing else (its sliders' values)."""
        key = (scenario, policy)
        if key not in self._bases:
            overrides = [f"policy={policy}"] if policy else []
            self._bases[key] = self.compose(scenario, overrides)
        return self._bases[key]

    def compose(self, scenario: str, overrides: Sequence[str]) -> Config:
        """``load_config(scenario, overrides)``, composed once per distinct overrides (the
        last :data:`CONFIG_CACHE` kept); a mistake is raised each time, never kept."""
        key = (scenario, tuple(overrides))
        with self._lock:
            if key in self._configs:
                self._configs.move_to_end(key)
                return self._configs[key]
        cfg = load_config(scenario, overrides, self.config_dir)
        with self._lock:
            self._configs[key] = cfg
            while len(self._configs) > CONFIG_CACHE:
                self._configs.popitem(last=False)
        return cfg

    def configure(self, choice: Choice) -> Config:
        """The config of ``choice`` (a :class:`ConfigError` line on any mistake)."""
        if isinstance(choice.replications, bool) or not isinstance(choice.replications, int):
            raise ConfigError(f"replications: must be an integer (got {choice.replications!r})")
        if not 1 <= choice.replications <= MAX_REPLICATIONS:
            raise ConfigError(
                f"replications: must be from 1 to {MAX_REPLICATIONS} (got {choice.replications})"
            )
        base = self.base(choice.scenario, choice.policy)
        return self.compose(choice.scenario, choice.overrides(base))

    def run(
        self, choice: Choice, every: float = 0.5, clock: ChartClock | None = None
    ) -> Generator[Snapshot, None, None]:
        """Snapshots of ``choice``'s run as it streams in (the daily series when ``clock``
        says the charts are due); the first finished run becomes the reference. Closing the
        iterator stops the run."""
        cfg = self.configure(choice)
        label = choice.label()
        steps = stream(cfg, choice.replications, self.engine.executor(), every, clock)
        try:
            for snap in steps:
                self.latest, self.latest_label = snap.result, label
                if snap.finished and self.reference is None:
                    self.reference, self.reference_label = snap.result, label
                yield snap
        except Exception as exc:
            if _broken_pool(exc):
                self.engine.reset()
            raise
        finally:
            steps.close()  # chunks not started yet are cancelled

    def use_as_reference(self) -> bool:
        """Make the latest finished run the reference; whether there was one."""
        if self.latest is None or self.latest.manifest.get("status") != "complete":
            return False
        self.reference, self.reference_label = self.latest, self.latest_label
        return True

    def difference(self, result: ExperimentResult) -> Difference | None:
        """``result`` minus the reference (None before there is one, or for itself)."""
        if self.reference is None or result is self.reference:
            return None
        return difference(result, self.reference, self.reference_label)


def _broken_pool(exc: BaseException) -> bool:
    """Whether ``exc`` says the worker pool died (it must be made again)."""
    from concurrent.futures.process import BrokenProcessPool

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BrokenProcessPool):
            return True
        seen = seen.__cause__
    return False
