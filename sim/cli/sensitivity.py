"""``blockade sensitivity``: the command-line entry of :func:`sim.sensitivity.run_sensitivity`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sim.cli.common import PROG, ArgParser, CliError, check_overrides, fail, require_extra
from sim.config import ConfigError
from sim.experiment.executors import EXECUTORS
from sim.sensitivity.declare import METHODS, SensitivityError

COMMAND = "sensitivity"


def _parser() -> ArgParser:
    p = ArgParser(
        prog=f"{PROG} {COMMAND}",
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
        metavar="NAME|PATH",
        help="parameter ranges: a spec in scenarios/sensitivity/ or a YAML file (default: default)",
    )
    p.add_argument(
        "--method", choices=METHODS, help="morris (screening) or sobol (default: the spec's)"
    )
    p.add_argument(
        "--n",
        type=int,
        metavar="N",
        help="Morris trajectories or Sobol' base samples (a power of 2)",
    )
    _add_run_options(p)
    p.add_argument("overrides", nargs="*", metavar="key=value", help="scenario overrides")
    return p


def _add_run_options(p: ArgParser) -> None:
    """How the design runs: replications, workers, executor, seed and where it is written."""
    p.add_argument(
        "--replications",
        type=int,
        metavar="R",
        help="replications per sample point (default: the spec's)",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="W",
        help="parallel workers (default: experiment.workers, else all cores)",
    )
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        help="serial | processes | dask (default: experiment.executor)",
    )
    p.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="root seed of replications and sampler (default: experiment.seed)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="result folder (default: results/sensitivity/<scenario>/<timestamp>)",
    )
    p.add_argument("--config-dir", metavar="DIR", help="a folder of your own scenarios")


def sensitivity_main(argv: list[str]) -> int:
    """``blockade sensitivity [--scenario NAME] [--method morris|sobol] [--n N]
    [--replications R] [--workers W] [--out DIR] [overrides ...]``: print the ranked table.

    Returns the exit status: 0, or 2 with one line on stderr for a bad argument, config or
    spec. Without SALib (the ``sensitivity`` extra) it raises one :class:`CliError` line.
    """
    require_extra("SALib", "sensitivity", f"{PROG} {COMMAND}")
    from sim.compose import load_config
    from sim.sensitivity.run import format_indices, run_sensitivity

    try:
        args = _parser().parse_intermixed_args(argv)
        overrides = check_overrides(args.overrides)
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
    except (CliError, SensitivityError, ConfigError) as exc:
        return fail(str(exc), command=COMMAND)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    print(format_indices(result))
    return 0
