"""The ``blockade`` command: a Hydra app over ``scenarios/``, sweeps and their table, compare.

``blockade [key=value ...]`` runs one experiment, ``blockade -m a=1,2 b=x,y`` sweeps and
``blockade compare DIR_A DIR_B`` compares two finished runs; ``report``, ``sensitivity``,
``discover``, ``select``, ``robust`` and ``explore`` (the live explorer) are further
subcommands. Subcommands (the first word of the command line) are dispatched before Hydra
sees anything.

Every override is checked before Hydra runs anything (:mod:`sim.cli.app`): the list is parsed
with Hydra's override parser, a sweep is expanded into its points, and each point is composed
and checked with :func:`sim.compose.compose_config` (values validated; what a config may do
decided by :mod:`sim.safety`), so a bad key, value or group option fails with one line on
stderr and exit status 2 before any replication starts. The output folders are then resolved
to literal paths, locked and checked, and handed to Hydra. Plain ``key=value`` overrides
reach Hydra as ``++key=value`` (:func:`sim.compose.normalize_overrides`) so any schema key can
be set. Each config is built once, there: the Hydra job runs the plan's config of its job
number (:class:`sim.cli.app.Job`), so the command line and the Python API validate
identically (mapping values replace, never merge).

Modules: ``common`` (the one-line error parser, tables), ``app`` (the Hydra app),
``hydra_args`` (Hydra's flags and sweeps), ``summary`` (the run summary), ``sweep`` (the
sweep plan and table), ``compare``, ``calibrate``, ``sensitivity``, ``select`` (``select``
and ``robust``), ``explore``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sim.cli.app import hydra_main
from sim.cli.common import PROG, ArgParser, CliError, fail, is_folder_mismatch, show_path
from sim.cli.compare import cmd_compare
from sim.config import ConfigError

__all__ = ["PROG", "SUBCOMMANDS", "CliError", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """The ``blockade`` console script (and ``python -m sim``); returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in SUBCOMMANDS:
            return SUBCOMMANDS[args[0]](args[1:])
        return hydra_main(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except (CliError, ConfigError) as exc:
        return fail(str(exc))
    except Exception as exc:
        if is_folder_mismatch(exc):
            return fail(str(exc))
        if isinstance(exc, OSError):
            from sim.experiment.store import storage_error

            error = storage_error(exc)
            if error is not None:  # a full disk, a read-only place: the user can fix it
                return fail(str(error))
        raise


def cmd_report(argv: list[str]) -> int:
    parser = ArgParser(
        prog=f"{PROG} report",
        description="Write report.html (self-contained: plots embedded) for a run or sweep folder.",
    )
    parser.add_argument("folder", help="a finished run folder or sweep folder")
    parser.add_argument("--out", metavar="PATH", help="where to write (default FOLDER/report.html)")
    parser.add_argument(
        "--regenerate", action="store_true", help="redraw the plots even if they exist"
    )
    parser.add_argument(
        "--observations",
        metavar="FILE",
        help="observed figures to set beside the run's (default: the scenario's bundled "
        "scenarios/observations/<scenario>.yaml, if any)",
    )
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if not (folder / "summary.json").is_file() and not (folder / "sweep.parquet").is_file():
        raise CliError(f"{folder}: not a finished run folder (summary.json) or sweep folder")
    from sim.analysis import write_report
    from sim.analysis.report import ReportTargetError
    from sim.calibration.observations import ObservationsError

    try:
        path = write_report(
            folder, out=args.out, regenerate=args.regenerate, observations=args.observations
        )
    except ReportTargetError as exc:
        raise CliError(str(exc)) from None
    except ObservationsError as exc:
        where = str(args.observations)
        message = str(exc).removeprefix("observations: ")
        text = message if message.startswith(where) else f"{where}: {message}"
        raise CliError(f"--observations {text}") from None
    print(f"Report written to {show_path(path)}")
    return 0


def _cmd_calibrate(argv: list[str]) -> int:
    from sim.cli.calibrate import cmd_calibrate

    return cmd_calibrate(argv)


def _cmd_sensitivity(argv: list[str]) -> int:
    from sim.cli.sensitivity import sensitivity_main

    return sensitivity_main(argv)


def _cmd_discover(argv: list[str]) -> int:
    from sim.cli.discover import discovery_main

    return discovery_main(argv)


def _cmd_select(argv: list[str]) -> int:
    from sim.cli.select import select_main

    return select_main(argv)


def _cmd_robust(argv: list[str]) -> int:
    from sim.cli.select import robust_main

    return robust_main(argv)


def _cmd_explore(argv: list[str]) -> int:
    from sim.cli.explore import explore_main

    return explore_main(argv)


#: Subcommands dispatched before Hydra: the first word of the command line.
SUBCOMMANDS: dict[str, Callable[[list[str]], int]] = {
    "compare": cmd_compare,
    "report": cmd_report,
    "calibrate": _cmd_calibrate,
    "sensitivity": _cmd_sensitivity,
    "discover": _cmd_discover,
    "select": _cmd_select,
    "robust": _cmd_robust,
    "explore": _cmd_explore,
}
