"""``blockade discover TABLE --threshold X``: print the rules of :mod:`sim.discovery`."""

from __future__ import annotations

import argparse

from sim.cli.common import PROG, ArgParser, CliError, fail, require_extra


def _parser() -> argparse.ArgumentParser:
    p = ArgParser(
        prog=f"{PROG} discover",
        description="Scenario discovery: readable rules (decision-tree boxes) for the input "
        "ranges where an output is above a threshold, with coverage and density.",
    )
    p.add_argument("table", help="sensitivity or sweep folder, or a .parquet/.csv table")
    p.add_argument(
        "--output",
        default="export_decline",
        help="output column or sweep metric (default: %(default)s)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        required=True,
        help="cases of interest: output above this, in the metric's display unit "
        "(export_decline in %%: 70 for 70%%)",
    )
    p.add_argument("--below", action="store_true", help="look for output below the threshold")
    p.add_argument(
        "--inputs",
        default=None,
        metavar="A,B",
        help="comma-separated input columns (default: every varying input)",
    )
    p.add_argument("--max-depth", type=int, default=2, help="conditions per rule (default 2)")
    p.add_argument(
        "--min-leaf",
        type=int,
        default=None,
        help="minimum cases per box (default: 5%% of the cases)",
    )
    p.add_argument("--csv", default=None, metavar="PATH", help="also write the rules as CSV")
    return p


def discovery_main(argv: list[str]) -> int:
    """``blockade discover TABLE --output export_decline --threshold 50``: print the rules.

    The threshold is in the output's display unit (:mod:`sim.metrics`: the export decline in
    %), and must leave some cases, not all, of interest.

    TABLE is a sensitivity result folder (``samples.parquet``), a sweep folder
    (``sweep.parquet``) or a parquet/CSV file. Returns 0, or 2 with one line on stderr (a
    missing scikit-learn included).
    """
    try:
        return _discover(argv)
    except CliError as exc:
        return fail(str(exc), command="discover")
    except SystemExit as exc:  # --help
        return int(exc.code or 0)


def _discover(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    require_extra("sklearn", "discover", f"{PROG} discover")
    from sim.discovery import (
        DiscoveryError,
        check_threshold,
        discover,
        format_rules,
        load_table,
        stored_threshold,
    )

    inputs = [c.strip() for c in args.inputs.split(",") if c.strip()] if args.inputs else None
    direction = "below" if args.below else "above"
    try:
        cases = load_table(args.table)
        threshold = stored_threshold(args.threshold, args.output)
        table = discover(
            cases,
            inputs,
            args.output,
            threshold,
            direction=direction,
            max_depth=args.max_depth,
            min_samples_leaf=args.min_leaf,
        )
        check_threshold(cases, args.output, threshold, direction)  # after discover's checks
    except DiscoveryError as exc:
        raise CliError(str(exc)) from None
    print(format_rules(table))
    if args.csv:
        from sim.experiment.atomic import write_atomic

        write_atomic(args.csv, lambda tmp: table.table.to_csv(tmp, index=False))
        print(f"Rules written to {args.csv}")
    return 0
