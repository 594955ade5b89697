"""Fuzz the config schema: every override is either refused or simulates to a sound result.

An example is 1-3 Hydra overrides of the default scenario; its outcome is ``rejected`` (a
``ConfigError`` from ``sim.load_config``), ``ok`` (simulated, horizon capped, to finite and
balanced metrics), or a failure: ``load_path`` (another exception escaping ``load_config``),
``other_exception`` (``simulate`` raised), ``non_finite`` (a metric or daily value not finite
where it must be) or ``hang`` (over the wall-clock limit)::

    python -m benchmarks.fuzz --n 1000
    python -m benchmarks.fuzz --cli 100     # the same through the blockade command

Through the command line an example is ``ok`` (exit 0), ``rejected`` (exit 2 with one
``blockade: error:`` line), or a failure: ``traceback`` (any other exit, or a traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import sim
from sim.model.world import STRANDED_DAYS, stranded_day_key

SCENARIO = "venezuela_dec2025"
HORIZON_CAP_DAYS = 30.0
SEED = 11
TIME_LIMIT_SECONDS = 60
UNKNOWN_KEYS: tuple[str, ...] = (
    "bogus",
    "navy.bogus",
    "fleet.tankers.0.bogus",
    "court.delay_days.bogus",
)
SPECIAL_FLOATS: tuple[float, ...] = (
    0.0,
    -0.0,
    1e-300,
    5e-324,
    1e-9,
    0.5,
    1e6,
    1e12,
    1e14,
    1e308,
    math.inf,
    -math.inf,
    math.nan,
)
SCALES: tuple[float, ...] = (0.0, 0.1, 0.5, 1.0, 2.0, 10.0, 1000.0)
SPECIAL_INTS: tuple[int, ...] = (0, 1, -1, 2, 78, 10**6, 2**63, 2**64, 10**12)
# Metrics that may be NaN: never filled, or no denominator.
NAN_ALLOWED = frozenset(
    {"days_to_storage_full", "days_to_first_seizure"}
    | {stranded_day_key(d) for d in STRANDED_DAYS}  # NaN: that day is past the horizon
)
OUTCOMES: tuple[str, ...] = (
    "rejected",
    "ok",
    "load_path",
    "other_exception",
    "non_finite",
    "hang",
)


class ExampleTimeout(Exception):
    """An example ran over :data:`TIME_LIMIT_SECONDS`."""


def leaf_paths(data: Any, prefix: str = "") -> Iterator[str]:
    """Every leaf key path of a plain mapping, list items as ``key.0.sub``."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from leaf_paths(v, f"{prefix}{k}.")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from leaf_paths(v, f"{prefix}{i}.")
    else:
        yield prefix[:-1]


def schema_leaves() -> dict[str, Any]:
    """The default scenario's leaf paths and values (``uncertain``'s keys are dotted config
    keys, not paths: tests/test_uncertain.py checks that section)."""
    data = sim.load_config(SCENARIO).to_dict()
    data.pop("uncertain", None)
    return {p: _at(data, p) for p in leaf_paths(data)}


def _at(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def schema_keys() -> list[str]:
    """The default scenario's set leaf paths, its mappings and lists (``policy`` and
    ``experiment`` are also Hydra group choices), and some unknown keys."""
    leaves = [p for p, v in schema_leaves().items() if v is not None]
    parents = sorted({p.rpartition(".")[0] for p in leaves if "." in p})
    return [*leaves, *parents, *UNKNOWN_KEYS]


def render(value: Any) -> str:
    """A value as a Hydra override literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    return "{" + ", ".join(f"{k}: {render(v)}" for k, v in value.items()) + "}"


def scalars() -> st.SearchStrategy[Any]:
    """Numbers (tiny, huge, zero, negative, inf, nan), bools, short strings and null."""
    return st.one_of(
        st.sampled_from(SPECIAL_FLOATS),
        st.sampled_from(SPECIAL_INTS),
        st.integers(-(10**3), 10**3),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.text(alphabet="abcxyz019", min_size=0, max_size=4),
        st.sampled_from(["'1'", "tcp://h:1", "2025-01-01", "closed", "open", "gamma"]),
        st.none(),
    )


def distributions() -> st.SearchStrategy[dict[str, Any]]:
    """Distribution mappings, valid and not: ``{dist: uniform, low: 1, high: 0}``."""
    number = st.one_of(st.sampled_from(SPECIAL_FLOATS), st.integers(-2, 100))
    params = st.dictionaries(
        st.sampled_from(["value", "mean", "median", "sigma", "low", "mode", "high", "cv"]),
        number,
        max_size=3,
    )
    kind = st.sampled_from(["fixed", "exponential", "lognormal", "uniform", "triangular", "gamma"])
    return st.builds(lambda d, p: {"dist": d, **p}, kind, params)


def values() -> st.SearchStrategy[Any]:
    """Any override value: scalars, lists of scalars, distribution mappings."""
    return st.one_of(
        scalars(),
        scalars(),
        st.lists(scalars(), max_size=3),
        distributions(),
    )


def near(value: Any) -> st.SearchStrategy[Any]:
    """Values close to a scenario's ``value`` (scaled numbers, flipped bools), to reach runs."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int | float):
        return st.sampled_from(SCALES).map(lambda f: type(value)(value * f))
    return values()


def override_lists(keys: list[str]) -> st.SearchStrategy[list[str]]:
    """1-3 overrides ``key=value`` of ``keys``, many near the scenario's value."""
    leaves = schema_leaves()

    def pair(key: str) -> st.SearchStrategy[str]:
        if key in leaves:  # three in four near the scenario's value, to reach simulations
            value = st.one_of(near(leaves[key]), near(leaves[key]), near(leaves[key]), values())
        else:
            value = values()
        return value.map(lambda v: f"{key}={render(v)}")

    return st.lists(st.sampled_from(keys).flatmap(pair), min_size=1, max_size=3)


@dataclass
class Outcome:
    """What one example did."""

    kind: str
    detail: str = ""
    error: str = ""
    seconds: float = 0.0
    overrides: list[str] = field(default_factory=list)


def unsound(rep: sim.Replication, cfg: sim.Config) -> str:
    """Why a replication's results are not finite where they must be ('' if sound)."""
    for key, value in rep.metrics.items():
        if math.isfinite(value):
            continue
        legit = math.isnan(value) and (
            key in NAN_ALLOWED
            or (key == "team_utilization" and cfg.navy.boarding_teams == 0)
            or (key == "mean_berth_wait_days" and rep.metrics["berth_visits"] == 0)
        )
        if not legit:
            return f"{key}={value}"
    if not np.isfinite(rep.daily).all():
        return "daily series not finite"
    return ""


def classify(overrides: list[str]) -> Outcome:
    """Load ``overrides`` and, if accepted, simulate one short replication."""
    try:
        cfg = sim.load_config(SCENARIO, overrides=overrides)
    except sim.ConfigError as exc:
        return Outcome("rejected", error=str(exc))
    except Exception as exc:
        return Outcome("load_path", type(exc).__name__, f"{type(exc).__name__}: {exc}")
    short = cfg.model_copy(update={"horizon_days": min(cfg.horizon_days, HORIZON_CAP_DAYS)})
    try:
        rep = sim.simulate(short, seed=SEED, record_events=False)
    except ExampleTimeout:
        raise
    except Exception as exc:
        return Outcome("other_exception", type(exc).__name__, f"{type(exc).__name__}: {exc}")
    why = unsound(rep, short)
    return Outcome("non_finite", why) if why else Outcome("ok")


def _on_alarm(signum: int, frame: Any) -> None:
    raise ExampleTimeout


def timed(overrides: list[str], limit: int = TIME_LIMIT_SECONDS) -> Outcome:
    """:func:`classify` under a wall-clock limit of ``limit`` seconds (``signal.alarm``)."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(limit)
    t0 = time.perf_counter()
    try:
        out = classify(overrides)
    except ExampleTimeout:
        out = Outcome("hang", f"over {limit} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    out.seconds = time.perf_counter() - t0
    out.overrides = overrides
    return out


def examples(n: int, visit: Callable[[list[str]], Outcome]) -> list[Outcome]:
    """``visit`` each of ``n`` deterministic examples (hypothesis, derandomized)."""
    outcomes: list[Outcome] = []

    @settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(override_lists(schema_keys()))
    def collect(overrides: list[str]) -> None:
        outcomes.append(visit(overrides))

    collect()
    return outcomes


def run(n: int) -> dict[str, Any]:
    """Classify ``n`` deterministic examples; a JSON-ready summary."""
    return summary(examples(n, timed))


def summary(outcomes: list[Outcome], kinds: tuple[str, ...] = OUTCOMES) -> dict[str, Any]:
    """Counts per outcome, the slowest example and one example per failure type."""
    counts = Counter(o.kind for o in outcomes)
    slowest = max(outcomes, key=lambda o: o.seconds)
    failures: dict[str, dict[str, str]] = {}
    for o in outcomes:
        if o.kind not in ("rejected", "ok"):
            failures.setdefault(o.kind, {}).setdefault(
                o.detail, f"{' '.join(o.overrides)} -> {o.error or o.detail}"
            )
    return {
        "examples": len(outcomes),
        **{k: counts.get(k, 0) for k in kinds},
        "slowest": {
            "overrides": slowest.overrides,
            "seconds": round(slowest.seconds, 3),
            "outcome": slowest.kind,
        },
        "failures": failures,
    }


#: Command-line settings of a fuzzed run: small, fast, into a throw-away folder.
CLI_FAST: tuple[str, ...] = (
    "experiment.replications=2",
    "experiment.executor=serial",
    "horizon_days=20",
)


def cli_outcome(overrides: list[str], folder: str) -> Outcome:
    """Run ``blockade OVERRIDES`` in ``folder``; classify its exit and stderr."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "sim", *CLI_FAST, *overrides, "hydra.run.dir=run"]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=folder, capture_output=True, text=True, timeout=TIME_LIMIT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return Outcome("hang", f"over {TIME_LIMIT_SECONDS} s", overrides=overrides)
    lines = proc.stderr.strip().splitlines()
    one_line = len(lines) == 1 and lines[0].startswith("blockade: error:")
    if proc.returncode == 0 and "Traceback" not in proc.stderr:
        kind = "ok"
    elif proc.returncode == 2 and one_line:
        kind = "rejected"
    else:
        kind = "traceback"
    detail = "" if kind != "traceback" else (lines[-1] if lines else f"exit {proc.returncode}")
    return Outcome(kind, detail, detail, time.perf_counter() - t0, overrides)


def run_cli(n: int) -> dict[str, Any]:
    """Classify ``n`` deterministic examples through the ``blockade`` command."""
    import tempfile

    def visit(overrides: list[str]) -> Outcome:
        with tempfile.TemporaryDirectory() as folder:
            return cli_outcome(overrides, folder)

    return summary(examples(n, visit), (*OUTCOMES, "traceback"))


def main(argv: list[str] | None = None) -> None:
    """Run the fuzzer and print its JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="examples through the Python API")
    parser.add_argument("--cli", type=int, default=0, help="examples through the command line")
    args = parser.parse_args(argv)
    report = {"api": run(args.n)} if args.n else {}
    if args.cli:
        report["cli"] = run_cli(args.cli)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
