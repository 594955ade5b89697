"""``blockade sensitivity``: the command-line entry of :func:`run_sensitivity`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.config import ConfigError
from sim.experiment.executors import EXECUTORS
from sim.sensitivity.declare import METHODS, SensitivityError

__all__ = ["ArgError", "OneLineParser", "fail", "sensitivity_main"]

PROG = "blockade"


class ArgError(ValueError):
    """A bad command-line argument (printed as one line, exit status 2)."""


class OneLineParser(argparse.ArgumentParser):
    """argparse reporting errors as an :class:`ArgError` instead of usage + exit."""

    def error(self, message: str) -> Any:
        raise ArgError(message)


def fail(command: str, message: str) -> int:
    """Print one line ``blockade COMMAND: error: MESSAGE`` to stderr; return 2."""
    line = " ".join(str(message).split())
    print(f"{PROG} {command}: error: {line}", file=sys.stderr)
    return 2


def _parser() -> OneLineParser:
    p = OneLineParser(
        prog=f"{PROG} sensitivity",
        description="Sensitivity analysis with SALib: Morris screening (default) or Sobol' "
        "indices of export decline and seizures over the parameter ranges of a spec "
        "(scenarios/sensitivity/default.yaml). Every sample point runs the same replications "
        "(common random numbers) with the paired no-blockade baseline.",
        epilog="Overrides (key=value) change the scenario before the analysis, as for "
        "`blockade`; key={dist: ...} replaces a mapping.",
    )
    p.add_argument(
        "--scenario",
        default="venezuela_dec2025",
        metavar="NAME",
        help="scenario to analyse (default: %(default)s)",
    )
    p.add_argument(
        "--spec",
        default=None,
        metavar="NAME|PATH",
        help="parameter ranges: a spec in scenarios/sensitivity/ or a YAML file (default: default)",
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        default=None,
        help="morris (screening) or sobol (default: the spec's)",
    )
    p.add_argument(
        "--n",
        type=int,
        default=None,
        metavar="N",
        help="Morris trajectories or Sobol' base samples (a power of 2)",
    )
    p.add_argument(
        "--replications",
        type=int,
        default=None,
        metavar="R",
        help="replications per sample point (default: the spec's)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="W",
        help="parallel workers (default: experiment.workers, else all cores)",
    )
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default=None,
        help="serial | processes | dask (default: experiment.executor)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="S",
        help="root seed of replications and sampler (default: experiment.seed)",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="result folder (default: results/sensitivity/<scenario>/<timestamp>)",
    )
    p.add_argument(
        "--config-dir", default=None, metavar="DIR", help="a folder of your own scenarios"
    )
    p.add_argument("overrides", nargs="*", metavar="key=value", help="scenario overrides")
    return p


def _check_overrides(overrides: Sequence[str]) -> list[str]:
    for o in overrides:
        if "=" not in o:
            raise ArgError(f"override {o!r} is not key=value")
    return list(overrides)


def sensitivity_main(argv: list[str]) -> int:
    """``blockade sensitivity [--scenario NAME] [--method morris|sobol] [--n N]
    [--replications R] [--workers W] [--out DIR] [overrides ...]``: print the ranked table.

    Returns the exit status: 0, or 2 with one line on stderr for a bad argument, config or
    spec.
    """
    from sim.compose import load_config
    from sim.sensitivity.run import format_indices, run_sensitivity

    try:
        args = _parser().parse_intermixed_args(argv)
        overrides = _check_overrides(args.overrides)
        cfg = load_config(args.scenario, overrides=overrides, config_dir=args.config_dir)
        out = args.out
        if out is None:
            stamp = dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
            out = Path("results") / "sensitivity" / (cfg.name or "scenario") / stamp
        result = run_sensitivity(
            cfg,
            spec=args.spec,
            method=args.method,
            n=args.n,
            replications=args.replications,
            workers=args.workers,
            executor=args.executor,
            out_dir=out,
            seed=args.seed,
        )
    except (ArgError, SensitivityError, ConfigError) as exc:
        return fail("sensitivity", str(exc))
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    print(format_indices(result))
    return 0
