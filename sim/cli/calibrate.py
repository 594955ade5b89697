"""``blockade calibrate``: ABC-SMC of a scenario's uncertain keys against an observations file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.cli.common import PROG, ArgParser, CliError, check_overrides, show_path, text_table
from sim.formatting import fmt_number

if TYPE_CHECKING:
    import pandas as pd

    from sim.calibration.run import Calibration
    from sim.config import Config


def _parser() -> ArgParser:
    p = ArgParser(
        prog=f"{PROG} calibrate",
        description="Fit the scenario's uncertain keys (their distributions are the priors) to "
        "observed figures with ABC-SMC (pyabc); writes posterior.parquet, diagnostics and "
        "plots. Rerun the same command to resume an interrupted calibration.",
        epilog="Then: blockade experiment.posterior=DIR/posterior.parquet runs any experiment "
        "or sweep over the posterior.",
    )
    p.add_argument("--scenario", default="venezuela_dec2025", metavar="NAME")
    p.add_argument(
        "--observations",
        metavar="PATH",
        help="observations YAML (default: scenarios/observations/<scenario>.yaml)",
    )
    p.add_argument("--population", type=int, default=400, metavar="N", help="particles")
    p.add_argument("--max-simulations", type=int, default=20_000, metavar="N")
    p.add_argument("--generations", type=int, default=8, metavar="N", help="temperature 1 within N")
    p.add_argument("--sampler", choices=("serial", "multicore", "dask"), default="multicore")
    p.add_argument("--workers", type=int, default=None, metavar="W")
    p.add_argument("--dask-address", default=None, metavar="ADDR")
    p.add_argument("--seed", type=int, default=None, metavar="S")
    p.add_argument("--predictive", type=int, default=200, metavar="N")
    p.add_argument("--out", default=None, metavar="DIR")
    p.add_argument("--config-dir", default=None, metavar="DIR")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("overrides", nargs="*", metavar="key=value")
    return p


def _observations_path(args: object, cfg: Config) -> Path:
    given = getattr(args, "observations", None)
    if given:
        return Path(given)
    from sim.config import scenarios_dir

    path = scenarios_dir() / "observations" / f"{cfg.name}.yaml"
    if not path.is_file():
        raise CliError(f"--observations: scenario {cfg.name} has no {path.name}; give a file")
    return path


def cmd_calibrate(argv: list[str]) -> int:
    """Run (or resume) a calibration and print what it found; the exit status."""
    import sys

    from sim.calibration import Settings, calibrate, load_observations
    from sim.calibration.priors import check_priors, fitted
    from sim.compose import load_config

    args = _parser().parse_intermixed_args(argv)
    overrides = check_overrides(args.overrides)
    cfg = load_config(args.scenario, overrides=overrides, config_dir=args.config_dir)
    check_priors(cfg)
    observations = load_observations(_observations_path(args, cfg), cfg)
    settings = Settings(
        population=args.population,
        max_simulations=args.max_simulations,
        max_generations=args.generations,
        sampler=args.sampler,
        workers=args.workers,
        dask_address=args.dask_address,
        seed=int(cfg.experiment.seed if args.seed is None else args.seed),
        predictive=args.predictive,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    out = args.out or Path("results", "calibrations", cfg.name or "scenario", _stamp())
    left = sorted(set(cfg.uncertain) - set(fitted(cfg).uncertain))
    kept = "" if not left else f" ({', '.join(left)} left out: no observation depends on them)"
    print(
        f"Calibrating {len(fitted(cfg).uncertain)} keys{kept} of {cfg.name} against "
        f"{len(observations.items)} observations ({observations.name}) into {show_path(out)}"
    )
    print(format_calibration(calibrate(cfg, observations, out, settings), cfg))
    return 0


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")


def _quantiles(x: np.ndarray, w: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    order = np.argsort(x)
    cum = np.cumsum(w[order]) / w.sum()
    return [float(x[order][min(int(np.searchsorted(cum, q)), len(x) - 1)]) for q in qs]


def _predictive_rows(predictive: pd.DataFrame) -> list[list[str]]:
    """One row per observation: observed ± SD against the model's mean and spread."""
    rows = []
    for r in predictive.to_dict("records"):
        rows.append(
            [
                str(r["id"]),
                fmt_number(float(r["observed"])),
                fmt_number(float(r["uncertainty"])),
                fmt_number(float(r["model_mean"])),
                f"{fmt_number(float(r['model_p05']))} to {fmt_number(float(r['model_p95']))}",
                f"{float(r['z']):+.1f}",
            ]
        )
    return rows


def format_calibration(result: Calibration, cfg: Config) -> str:
    """The posterior of each key, the predictive check, diagnostics and warnings."""
    from sim.calibration.priors import bounds

    w = result.posterior["weight"].to_numpy()
    rows = []
    for key in result.keys:
        x = result.posterior[key].to_numpy()
        lo, med, hi = _quantiles(x, w, (0.05, 0.5, 0.95))
        plo, phi = bounds(cfg.uncertain[key])
        rows.append(
            [
                key,
                f"{plo:g} to {phi:g}",
                fmt_number(med),
                f"{fmt_number(lo)} to {fmt_number(hi)}",
                f"{(hi - lo) / (0.9 * (phi - plo)):.0%}",
            ]
        )
    lines = ["", text_table(["key", "prior", "median", "90% credible", "width vs prior"], rows)]
    lines += [
        "",
        "Posterior predictive (fresh replications at posterior draws):",
        text_table(
            ["obs", "observed", "± (1 SD)", "model mean", "model p05 to p95", "z"],
            _predictive_rows(result.predictive),
        ),
    ]
    m = result.manifest
    lines += [
        "",
        f"{m.get('simulations')} simulations in {m.get('generations')} generations, "
        f"{m.get('calibration_seconds', 0):.0f} s; final temperature "
        f"{m.get('final_temperature', float('nan')):.3g}, effective particles "
        f"{m.get('final_ess', 0):.0f} of {m['settings']['population']}",
    ]
    lines += [f"warning: {w_}" for w_ in result.warnings]
    lines += [
        f"Results: {show_path(result.folder)} (posterior.parquet, generations.csv, "
        "predictive.csv, plots/)"
    ]
    return "\n".join(lines)
