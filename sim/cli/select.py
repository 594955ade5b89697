"""``blockade select`` (the best policy, with a guarantee) and ``blockade robust`` (regret
and satisficing across uncertain draws), over a sweep folder or a list of run folders.

``select`` runs :func:`sim.decision.select.select_best` (KN) on the folders' replications,
extends the folders still in contention when it needs more (:mod:`sim.decision.runs`),
re-tabulates a sweep it extended, and writes ``selection.json`` next to the sweep (or the
runs, or in ``--out``). ``robust`` prints :func:`sim.decision.robustness.robustness` and
writes ``robustness.csv`` the same way. docs/decision.md explains both.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import PROG, ArgParser, CliError, fail, show_path, text_table
from sim.config import ConfigError
from sim.decision.objective import Objective, default_sense

if TYPE_CHECKING:
    from sim.decision.runs import Alternative

__all__ = ["robust_main", "select_main"]

ROBUSTNESS_FILE = "robustness.csv"
WIDTH = 100  # the sentences under a table are wrapped to this width


def _common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folders", nargs="+", metavar="FOLDER", help="a sweep folder, or run folders")
    p.add_argument("--metric", default="export_decline", help="the metric (default: %(default)s)")
    sense = p.add_mutually_exclusive_group()
    sense.add_argument(
        "--maximize",
        dest="maximize",
        action="store_true",
        default=None,
        help="larger is better (default for export_decline, seizures, seized_bbl)",
    )
    sense.add_argument(
        "--minimize",
        dest="maximize",
        action="store_false",
        help="smaller is better (default for exported_bbl, exported_bpd, escapes)",
    )
    p.add_argument("--out", metavar="DIR", help="where to write (default: next to the sweep)")


def _select_parser() -> argparse.ArgumentParser:
    p = ArgParser(
        prog=f"{PROG} select",
        description="Select the best policy with a stated probability of correct selection "
        "(KN, Kim & Nelson 2001, on common random numbers), adding replications to the "
        "folders still in contention. Values in the metric's display unit.",
    )
    _common_arguments(p)
    p.add_argument(
        "--delta",
        type=float,
        required=True,
        help="indifference zone: the smallest difference worth finding, in the metric's "
        "display unit (export_decline: percentage points)",
    )
    p.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="1 - the probability of correct selection (default %(default)s)",
    )
    p.add_argument("--n0", type=int, default=10, help="first-stage replications (default 10)")
    p.add_argument(
        "--max-replications",
        type=int,
        default=500,
        help="replications per policy at most (default %(default)s)",
    )
    p.add_argument(
        "--batch", type=int, default=10, help="replications added at a time (default 10)"
    )
    p.add_argument("--executor", choices=("serial", "processes"), help="for added replications")
    p.add_argument("--workers", type=int, help="workers for added replications")
    p.add_argument("--no-plots", action="store_true", help="do not redraw extended folders' plots")
    return p


def _robust_parser() -> argparse.ArgumentParser:
    p = ArgParser(
        prog=f"{PROG} robust",
        description="Regret (per draw, the best policy's value minus this one's) and "
        "satisficing (share of draws meeting --target) of policies that share their draws.",
    )
    _common_arguments(p)
    p.add_argument(
        "--target",
        metavar="COND",
        help="e.g. 'export_decline>=60' (display unit: % for the decline)",
    )
    return p


def _alternatives(folders: Sequence[str]) -> tuple[list[Alternative], Path | None]:
    """The alternatives of the command line: one sweep folder, or two or more run folders."""
    from sim.decision.runs import from_folders, from_sweep, is_sweep

    sweeps = [f for f in folders if is_sweep(f)]
    if sweeps and len(folders) > 1:
        raise CliError(f"{sweeps[0]} is a sweep folder: give it alone, or give run folders")
    if sweeps:
        found = from_sweep(sweeps[0])
        _say_unfinished(Path(sweeps[0]), len(found))
        return found, Path(sweeps[0])
    missing = [f for f in folders if not Path(f).is_dir()]
    if missing:
        raise CliError(f"{missing[0]}: no such folder")
    return from_folders(folders, [show_path(f) for f in folders]), None


def _say_unfinished(sweep: Path, finished: int) -> None:
    """Say on stderr when some points of the sweep are not in its table (not finished)."""
    from sim.sweep_table import read_plan

    plan = read_plan(sweep)
    if plan is not None and len(plan.jobs) > finished:
        print(
            f"{PROG}: {sweep}: {finished} of {len(plan.jobs)} sweep points finished; comparing "
            "those (finish the sweep by running it again)",
            file=sys.stderr,
        )


def _out_dir(out: str | None, sweep: Path | None, alternatives: Sequence[Alternative]) -> Path:
    """``--out``, else the sweep folder, else the folder that holds the run folders."""
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        return Path(out)
    if sweep is not None:
        return sweep
    parents = [str(Path(a.folder).resolve().parent) for a in alternatives]
    return Path(os.path.commonpath(parents))


def _say_extension(names: list[str], n: int) -> None:
    shown = ", ".join(names) if len(names) <= 3 else f"{len(names)} policies"
    print(f"{PROG} select: running {shown} to {n} replications", file=sys.stderr)


def _refresh(alternatives: Sequence[Alternative], sweep: Path | None, plots: bool) -> None:
    """After an extension: the sweep's table again, and the extended folders' plots."""
    extended = [a for a in alternatives if a.added]
    if not extended:
        return
    if sweep is not None:
        from sim.sweep_table import aggregate_sweep

        aggregate_sweep(sweep)
    if not plots:
        return
    from sim.analysis import write_run_plots, write_sweep_plots

    for a in extended:
        if (a.folder / "plots").is_dir():
            write_run_plots(a.folder)
    if sweep is not None and (sweep / "plots").is_dir():
        write_sweep_plots(sweep)


def _check_delta(objective: Objective, delta: float) -> None:
    """Refuse an indifference zone that is not a positive number, in the unit typed."""
    if not 0 < delta < float("inf"):
        unit = objective.difference.unit
        of = f" of {unit}" if unit else ""
        raise CliError(f"--delta: must be a positive number{of} (got {delta:g})")


def _select(argv: list[str]) -> int:
    from sim.decision.present import SELECTION_FILE, selection_document, selection_rows, statement
    from sim.decision.runs import RunSource
    from sim.decision.select import Settings, select_best
    from sim.experiment.atomic import write_json_atomic

    args = _select_parser().parse_args(argv)
    objective = Objective(args.metric, default_sense(args.metric, args.maximize))
    _check_delta(objective, args.delta)
    alternatives, sweep = _alternatives(args.folders)
    settings = Settings(
        delta=objective.stored(args.delta),
        alpha=args.alpha,
        n0=args.n0,
        max_replications=args.max_replications,
        batch=args.batch,
        maximize=objective.maximize,
    )
    settings.check(len(alternatives))
    source = RunSource(
        alternatives,
        args.metric,
        executor=args.executor,
        workers=args.workers,
        on_extend=_say_extension,
    )
    selection = select_best(source, settings)
    _refresh(alternatives, sweep, plots=not args.no_plots)
    out = _out_dir(args.out, sweep, alternatives) / SELECTION_FILE
    doc = selection_document(selection, objective, args.delta, source.alternatives, out.parent)
    write_json_atomic(out, doc)
    header, rows = selection_rows(selection, objective)
    print(_heading(objective, args.delta, settings.alpha))
    print()
    print(text_table(header, rows))
    print()
    print(textwrap.fill(statement(selection, objective, args.delta), WIDTH))
    print(textwrap.fill(_added_line(source.alternatives, sweep, args.no_plots), WIDTH))
    print(f"Selection written to {show_path(out)}")
    return 0


def _heading(objective: Objective, delta: float, alpha: float) -> str:
    unit = objective.difference.unit
    return (
        f"Selecting the best policy on {objective.entry.heading} ({objective.sense}): "
        f"indifference zone {delta:g}{' ' + unit if unit else ''}, probability of correct "
        f"selection >= {1 - alpha:.0%} (KN, Kim & Nelson 2001; common random numbers)"
    )


def _added_line(alternatives: Sequence[Alternative], sweep: Path | None, no_plots: bool) -> str:
    added = [(a.name, a.added) for a in alternatives if a.added]
    if not added:
        return "Replications added: none (the folders held enough)."
    parts = ", ".join(f"{name} +{n}" for name, n in added)
    table = f"; sweep table {show_path(sweep / 'sweep.csv')} updated" if sweep else ""
    stale = "; their plots were not redrawn (--no-plots)" if no_plots else ""
    return f"Replications added to the folders: {parts}{table}{stale}."


def _robust(argv: list[str]) -> int:
    from sim.decision.objective import parse_target
    from sim.decision.robustness import display_frame, display_rows, robustness

    args = _robust_parser().parse_args(argv)
    objective = Objective(args.metric, default_sense(args.metric, args.maximize))
    target = parse_target(args.target, args.metric) if args.target else None
    alternatives, sweep = _alternatives(args.folders)
    points = [a.point() for a in alternatives]
    df = robustness(points, objective, target)
    out = _out_dir(args.out, sweep, alternatives) / ROBUSTNESS_FILE
    from sim.experiment.atomic import write_atomic

    shown = display_frame(df)
    write_atomic(out, lambda p: shown.to_csv(p, index=False))
    header, rows = display_rows(df)
    drawn = ", ".join(df.attrs["uncertain"]) or "none (chance alone differs between draws)"
    print(
        f"Regret on {objective.entry.heading} ({objective.sense}), per replication paired "
        f"on common random numbers; uncertain keys drawn: {drawn}"
    )
    print()
    print(text_table(header, rows))
    print()
    print(f"Table written to {show_path(out)}")
    return 0


def _guarded(command: str, run: Callable[[list[str]], int], argv: list[str]) -> int:
    try:
        return run(argv)
    except (CliError, ConfigError) as exc:
        return fail(f"{command}: {exc}")
    except SystemExit as exc:  # --help
        return int(exc.code or 0)


def select_main(argv: list[str]) -> int:
    """``blockade select FOLDER... --delta D``: the best policy with a guarantee."""
    return _guarded("select", _select, argv)


def robust_main(argv: list[str]) -> int:
    """``blockade robust FOLDER... [--target COND]``: regret and satisficing."""
    return _guarded("robust", _robust, argv)
