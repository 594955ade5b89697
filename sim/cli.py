"""The ``blockade`` command: a Hydra app over ``scenarios/``, sweeps and their table, compare.

``blockade [key=value ...]`` runs one experiment, ``blockade -m a=1,2 b=x,y`` sweeps and
``blockade compare DIR_A DIR_B`` compares two finished runs. Subcommands (the first word of
the command line) are dispatched before Hydra sees anything.

Every override is checked before Hydra runs anything: the list is parsed with Hydra's
override parser, a sweep is expanded into its points, and each point is composed and
validated with :func:`sim.load_config`, so a bad key, value or group option fails with one
line on stderr and exit status 2 before any replication starts. Plain ``key=value`` overrides
reach Hydra as ``++key=value`` (:func:`sim.config.normalize_overrides`) so any schema key can
be set; inside the Hydra job the config is rebuilt from the job's task overrides with
:func:`sim.load_config`, so the command line and the Python API validate identically
(mapping values replace, never merge).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sim.config import (
    Config,
    ConfigError,
    config_groups,
    hydra_message,
    load_config,
    normalize_overrides,
    scenarios_dir,
)
from sim.formatting import fmt_number

PROG = "blockade"

#: Metrics compared by ``blockade compare`` (those present in both runs).
COMPARE_METRICS: tuple[str, ...] = (
    "export_decline",
    "exported_bpd",
    "exported_bbl",
    "seizures",
    "seized_bbl",
    "seizures_in_waters",
    "escapes",
    "stranded_bbl",
    "shut_in_bbl",
    "days_to_storage_full",
    "days_to_first_seizure",
    "turnbacks",
    "team_utilization",
)

#: Rows of the run summary: (metric, label, scale). Scale 1e-6 shows millions of barrels.
SUMMARY_ROWS: tuple[tuple[str, str, float], ...] = (
    ("export_decline", "Export decline (%)", 100.0),
    ("exported_bpd", "Exported, blockade (bpd)", 1.0),
    ("baseline_exported_bpd", "Exported, no blockade (bpd)", 1.0),
    ("seizures", "Seizures", 1.0),
    ("seized_bbl", "Seized (M bbl)", 1e-6),
    ("stranded_bbl", "Stranded at end (M bbl)", 1e-6),
    ("shut_in_bbl", "Shut in (M bbl)", 1e-6),
    ("days_to_storage_full", "Days to storage full", 1.0),
    ("turnbacks", "Turnbacks", 1.0),
)

_LABELS: dict[str, tuple[str, float]] = {
    "export_decline": ("Export decline (pp)", 100.0),
    "exported_bpd": ("Exported (bpd)", 1.0),
    "exported_bbl": ("Exported (M bbl)", 1e-6),
    "seizures": ("Seizures", 1.0),
    "seized_bbl": ("Seized (M bbl)", 1e-6),
    "seizures_in_waters": ("Seizures in waters", 1.0),
    "escapes": ("Escapes", 1.0),
    "stranded_bbl": ("Stranded at end (M bbl)", 1e-6),
    "shut_in_bbl": ("Shut in (M bbl)", 1e-6),
    "days_to_storage_full": ("Days to storage full", 1.0),
    "days_to_first_seizure": ("Days to first seizure", 1.0),
    "turnbacks": ("Turnbacks", 1.0),
    "team_utilization": ("Team utilization (%)", 100.0),
}


class CliError(Exception):
    """A user error of the command line: printed as one line, exit status 2."""


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """The ``blockade`` console script (and ``python -m sim``); returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in SUBCOMMANDS:
            return SUBCOMMANDS[args[0]](args[1:])
        return _hydra_main(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except (CliError, ConfigError) as exc:
        return _fail(str(exc))
    except Exception as exc:
        if _is_folder_mismatch(exc):
            return _fail(str(exc))
        raise


def _fail(message: str) -> int:
    line = " ".join(str(message).split())  # one line, whatever the message held
    print(f"{PROG}: error: {line}", file=sys.stderr)
    return 2


def _is_folder_mismatch(exc: BaseException) -> bool:
    try:
        from sim.experiment.store import RunFolderMismatch
    except ImportError:  # pragma: no cover - the store is part of the package
        return False
    return isinstance(exc, RunFolderMismatch)


def _experiment_api() -> tuple[Callable[..., Any], Callable[..., Any]]:
    import sim

    try:
        return sim.run_experiment, sim.load_results  # type: ignore[attr-defined]
    except AttributeError:
        from sim.experiment import load_results, run_experiment

        return run_experiment, load_results


# --------------------------------------------------------------------------- Hydra app

_INFO_FLAGS = ("help", "hydra_help", "cfg", "info", "shell_completion", "experimental_rerun")


def _raise_cli_error(message: str) -> Any:
    raise CliError(message)


class _ArgParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line instead of usage + message
        _raise_cli_error(message)


def _args_parser() -> argparse.ArgumentParser:
    """Hydra's own command-line parser (the same flags), reporting errors in one line."""
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()
    parser.error = _raise_cli_error  # type: ignore[method-assign]
    parser.prog = PROG
    return parser


def _hydra_main(argv: list[str]) -> int:
    parsed = _args_parser().parse_args(argv)
    hydra_argv = prepare_hydra_args(argv, parsed)
    _run_hydra_app(hydra_argv)
    return 0


def prepare_hydra_args(argv: list[str], args: argparse.Namespace) -> list[str]:
    """Validate the command line and return it with plain overrides as ``++key=value``.

    Run and multirun modes validate every (sweep point's) config before anything runs;
    ``--help``, ``--cfg``, ``--info`` and the like only get their overrides normalized.
    """
    if args.config_path is not None or args.config_name is not None:
        raise CliError(
            "--config-path/--config-name are not supported: add a folder of your own "
            "scenarios with --config-dir DIR and pick one with scenario=NAME"
        )
    overrides = list(args.overrides)
    parsed = _parse_overrides(overrides)
    hydra_ovs = [o for o, p in zip(overrides, parsed, strict=True) if _is_hydra_key(p)]
    user_dir = _user_config_dir(args.config_dir, hydra_ovs)
    groups = config_groups(scenarios_dir(), user_dir)
    normalized = [
        o if _is_hydra_key(p) else normalize_overrides([o], groups)[0]
        for o, p in zip(overrides, parsed, strict=True)
    ]
    if not any(getattr(args, flag, None) for flag in _INFO_FLAGS):
        multirun = bool(args.multirun) or any(
            o.replace(" ", "") in ("hydra.mode=MULTIRUN", "++hydra.mode=MULTIRUN")
            for o in hydra_ovs
        )
        if not multirun:
            for p in parsed:
                if p.is_sweep_override():
                    raise CliError(
                        f"{p.key_or_group}: '{p.input_line}' is a sweep; run it with -m "
                        "(blockade -m ...)"
                    )
        task = [o for o, p in zip(normalized, parsed, strict=True) if not _is_hydra_key(p)]
        points = _sweep_points(task, multirun)
        configs = [load_config(overrides=point, config_dir=user_dir) for point in points]
        if hydra_ovs:
            _check_hydra_overrides(points[0], hydra_ovs, user_dir)
        _check_run_folders(configs, hydra_ovs, multirun)
    return _replace_overrides(argv, overrides, normalized)


def _parse_overrides(overrides: list[str]) -> list[Any]:
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    out = []
    for o in overrides:
        key = o.partition("=")[0]
        if "=" in o and not key.lstrip("+~"):
            raise CliError(f"'{o}': an override needs a key before '='")
        try:
            out.append(parser.parse_override(o))
        except HydraException as exc:
            detail = " ".join(str(exc).split())
            raise CliError(f"{key}: cannot parse override '{o}' ({detail})") from None
    return out


def _is_hydra_key(override: Any) -> bool:
    key = override.key_or_group
    return key == "hydra" or key.startswith(("hydra.", "hydra/"))


def _user_config_dir(config_dir: str | None, hydra_ovs: list[str]) -> str | None:
    """The one extra config folder, from ``--config-dir`` and/or ``hydra.searchpath``."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    dirs: list[Path] = []
    if config_dir is not None:
        dirs.append(Path(config_dir).expanduser().resolve())
    parser = OverridesParser.create()
    for o in hydra_ovs:
        p = parser.parse_override(o)
        if p.key_or_group != "hydra.searchpath" or p.is_delete():
            continue
        value = p.value()
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            entry = str(entry)
            if not entry.startswith("file://"):
                raise CliError(
                    f"hydra.searchpath: only file:// folders are supported, got '{entry}'"
                )
            dirs.append(Path(entry.removeprefix("file://")).expanduser().resolve())
    unique = list(dict.fromkeys(dirs))
    if len(unique) > 1:
        raise CliError(
            "hydra.searchpath: blockade takes one extra config folder "
            f"(--config-dir or hydra.searchpath), got {', '.join(map(str, unique))}"
        )
    if unique and not unique[0].is_dir():
        raise CliError(f"--config-dir: {unique[0]} is not a folder")
    return str(unique[0]) if unique else None


def _sweep_points(task: list[str], multirun: bool) -> list[list[str]]:
    """The task overrides of every point (one point without ``-m``)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    if not multirun:
        return [task]
    parsed = OverridesParser.create().parse_overrides(task)
    try:
        return BasicSweeper.split_arguments(parsed, None)[0]
    except HydraException as exc:
        raise CliError(f"-m: {' '.join(str(exc).split())}") from None


def _compose_with_hydra(point: list[str], hydra_ovs: list[str], user_dir: str | None) -> Any:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from sim.config import split_mapping_overrides

    extra = [f"hydra.searchpath=[file://{user_dir}]"] if user_dir else []
    plain, _ = split_mapping_overrides(point)
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(scenarios_dir()), version_base="1.3"):
            return compose(
                config_name="config",
                overrides=[*plain, *hydra_ovs, *extra],
                return_hydra_config=True,
            )
    except (HydraException, OmegaConfBaseException) as exc:
        raise CliError(re.sub(r"^In '[^']*': ", "", hydra_message(exc))) from None
    finally:
        if GlobalHydra.instance().is_initialized():
            GlobalHydra.instance().clear()


def _check_hydra_overrides(point: list[str], hydra_ovs: list[str], user_dir: str | None) -> None:
    """Compose once with the ``hydra.*``/``hydra/...`` overrides so their errors are one line."""
    _compose_with_hydra(point, hydra_ovs, user_dir)


def _literal_hydra_value(hydra_ovs: list[str], key: str) -> str | None:
    """The value of a ``hydra.KEY=...`` override when it has no interpolation."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    value = None
    for o in hydra_ovs:
        p = parser.parse_override(o)
        if p.key_or_group == key and not p.is_delete():
            value = str(p.value())
    return None if value is None or "${" in value else value


def _check_run_folders(configs: list[Config], hydra_ovs: list[str], multirun: bool) -> None:
    """Refuse, before Hydra writes anything, result folders that hold another config's run.

    Checks a literal ``hydra.run.dir`` (single run) or the job folders of a literal
    ``hydra.sweep.dir`` with the default ``subdir`` (one per job number), so a refused
    re-run leaves the existing folder untouched.
    """
    if multirun:
        sweep_dir = _literal_hydra_value(hydra_ovs, "hydra.sweep.dir")
        if sweep_dir is None or any("hydra.sweep.subdir" in o for o in hydra_ovs):
            return
        folders = [Path(sweep_dir) / str(i) for i in range(len(configs))]
    else:
        run_dir = _literal_hydra_value(hydra_ovs, "hydra.run.dir")
        if run_dir is None:
            return
        folders = [Path(run_dir)]
    for folder, cfg in zip(folders, configs, strict=True):
        if (folder / "config.yaml").is_file():
            check_run_folder(folder, cfg, "hydra.sweep.dir" if multirun else "hydra.run.dir")


def check_run_folder(folder: str | Path, cfg: Config, key: str = "hydra.run.dir") -> None:
    """Raise ``RunFolderMismatch`` if ``folder`` holds a run of a config other than ``cfg``.

    Writes nothing (unlike the store's ``RunFolder.open``), so it can run before Hydra.
    """
    from sim.experiment import store

    run_folder = store.RunFolder(folder)
    check = getattr(run_folder, "check", None)
    if callable(check):
        check(cfg)
        return
    stored = run_folder.stored_config()
    if stored is None:
        return
    old, new = store.config_hash(stored), store.config_hash(cfg)
    if old != new:
        diff = ""
        first = getattr(store, "_first_difference", None)
        hashed = getattr(store, "_hashed_part", None)
        if callable(first) and callable(hashed):
            diff = f"; first difference: {first(hashed(stored), hashed(cfg))}"
        raise store.RunFolderMismatch(
            f"{run_folder.path} already holds a run of a different config (config hash "
            f"{old[:12]} there, {new[:12]} now{diff}). Choose another folder "
            f"({key}=DIR), or delete that one to start over."
        )


def _replace_overrides(argv: list[str], old: list[str], new: list[str]) -> list[str]:
    """``argv`` with the override tokens (in order) replaced by their normalized form."""
    out: list[str] = []
    j = 0
    for token in argv:
        if j < len(old) and token == old[j] and not token.startswith("-"):
            out.append(new[j])
            j += 1
        else:
            out.append(token)
    return out


def _run_hydra_app(hydra_argv: list[str]) -> None:
    import hydra

    app = hydra.main(version_base="1.3", config_path=str(scenarios_dir()), config_name="config")(
        _task
    )
    _SWEEP.clear()
    saved = sys.argv
    sys.argv = [saved[0] if saved else PROG, *hydra_argv]
    try:
        app()
    finally:
        sys.argv = saved
        pending = _SWEEP.get("dir")
        if pending is not None and not _SWEEP.get("done"):
            # The sweep stopped early: tabulate the points that finished.
            _SWEEP["done"] = True
            _write_sweep_table(Path(pending), partial=True)


def _job_config_dir() -> str | None:
    """The extra config folder of the running Hydra job (``--config-dir``/searchpath)."""
    from hydra.core.hydra_config import HydraConfig

    hc = HydraConfig.get()
    dirs: list[str] = []
    for source in hc.runtime.config_sources:
        if source.schema == "file" and source.provider == "command-line":
            dirs.append(str(source.path))
    dirs += [p.removeprefix("file://") for p in hc.searchpath if str(p).startswith("file://")]
    return dirs[0] if dirs else None


def _task(_: Any) -> None:
    """One Hydra job: rebuild the config from the task overrides, run, show the summary."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hc = HydraConfig.get()
    overrides = list(hc.overrides.task)
    cfg = load_config(overrides=overrides, config_dir=_job_config_dir())
    out_dir = Path(hc.runtime.output_dir)
    multirun = hc.mode == RunMode.MULTIRUN
    progress = None
    if multirun and "BasicLauncher" not in str(hc.launcher.get("_target_", "")):
        progress = False  # parallel jobs: no interleaved progress bars
    run_experiment, _ = _experiment_api()
    try:
        res = run_experiment(cfg, out_dir=out_dir, progress=progress)
    except Exception as exc:
        if _is_folder_mismatch(exc):
            _fail(str(exc))
            raise SystemExit(2) from None
        raise
    from sim.analysis import write_run_plots

    write_run_plots(res)
    if multirun:
        shown = " ".join(o.lstrip("+") for o in overrides) or "(defaults)"
        print(f"[{hc.job.num}] {shown}: {_short_decline(res)}", flush=True)
    else:
        print(format_summary(res), flush=True)
        print(
            f"Plots: {_show_path(out_dir / 'plots')}  (report: {PROG} report {_show_path(out_dir)})"
        )


# --------------------------------------------------------------------------- summary table


def _row_stats(res: Any, metric: str) -> dict[str, float] | None:
    """mean, ci_low, ci_high, n of ``metric`` (derived from barrels when needed)."""
    summary = res.summary
    if metric in summary.index:
        row = summary.loc[metric]
        return {k: float(row[k]) for k in ("mean", "ci_low", "ci_high", "n")}
    reps = res.replications
    source = {"exported_bpd": "exported_bbl", "baseline_exported_bpd": "baseline_exported_bbl"}
    if metric in source and source[metric] in reps.columns:
        from sim.experiment.stats import describe

        s = describe(reps[source[metric]] / float(res.config.horizon_days))
        return {k: float(s[k]) for k in ("mean", "ci_low", "ci_high", "n")}
    return None


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for k, r in enumerate([header, *rows]):
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _short_decline(res: Any) -> str:
    s = _row_stats(res, "export_decline")
    if s is None:
        s = _row_stats(res, "exported_bpd")
        if s is None:
            return "done"
        lo, hi = fmt_number(s["ci_low"]), fmt_number(s["ci_high"])
        return f"exported {fmt_number(s['mean'])} bpd [{lo}, {hi}]"
    return (
        f"export decline {fmt_number(100 * s['mean'])}% "
        f"[{fmt_number(100 * s['ci_low'])}, {fmt_number(100 * s['ci_high'])}]"
    )


def format_summary(res: Any) -> str:
    """The readable summary of one finished run: key metrics with 95% CIs, folder, status."""
    cfg = res.config
    manifest = dict(res.manifest or {})
    reps = res.replications
    rows = []
    for metric, label, scale in SUMMARY_ROWS:
        s = _row_stats(res, metric)
        if s is None:
            continue
        note = ""
        if metric == "days_to_storage_full" and metric in reps.columns:
            full = int(reps[metric].notna().sum())
            note = "never full" if full == 0 else f"full in {full}/{len(reps)} replications"
        ci = f"[{fmt_number(scale * s['ci_low'])}, {fmt_number(scale * s['ci_high'])}]"
        if s["n"] == 0:
            ci = ""
        rows.append([label, fmt_number(scale * s["mean"]), ci, note])
    done = int(manifest.get("replications_done", len(reps)))
    baseline = cfg.experiment.baseline
    head = (
        f"Scenario {cfg.name}: {cfg.horizon_days:g} days from {cfg.start_date}, "
        f"{done} replications, root seed {cfg.experiment.seed}"
        + (" (paired no-blockade baseline)" if baseline else " (no baseline)")
    )
    target = cfg.experiment.target_rel_halfwidth
    if target is None:
        status = f"Replications: {done} (fixed count, no precision target)"
    else:
        met = manifest.get("target_met")
        metric = str(manifest.get("target_metric", "export_decline"))
        s = _row_stats(res, metric)
        achieved = ""
        if s is not None and s["mean"] and not math.isnan(s["ci_high"]):
            achieved = f", achieved ±{(s['ci_high'] - s['ci_low']) / 2 / abs(s['mean']):.1%}"
        status = (
            f"Replications: {done}; target ±{target:.1%} relative half-width on "
            f"{metric.replace('_', ' ')} {'met' if met else 'NOT met'}{achieved}"
            + ("" if met else f" (max_replications={cfg.experiment.max_replications})")
        )
    out_dir = getattr(res, "out_dir", None)
    lines = [
        head,
        "",
        _table(["", "mean", "95% CI", ""], rows),
        "",
        status,
    ]
    if out_dir is not None:
        lines.append(f"Results: {_show_path(out_dir)}")
    return "\n".join(lines)


def _show_path(path: str | Path) -> str:
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


# --------------------------------------------------------------------------- sweeps

_SWEEP: dict[str, Any] = {}


def _hydra_callback_base() -> type:
    from hydra.experimental.callback import Callback

    return Callback


class SweepTable(_hydra_callback_base()):  # type: ignore[misc]
    """Hydra callback (``hydra.callbacks`` in ``scenarios/config.yaml``): the sweep table.

    ``on_multirun_end`` gets no job returns, so the finished sweep folder is scanned; this
    runs in the launching process with every launcher (basic, joblib, ...).
    """

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        _SWEEP["dir"] = str(config.hydra.sweep.dir)
        _SWEEP["done"] = False

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        sweep_dir = _SWEEP.get("dir") or str(config.hydra.sweep.dir)
        _SWEEP["done"] = True
        _write_sweep_table(Path(sweep_dir), partial=False)


def _write_sweep_table(sweep_dir: Path, partial: bool) -> None:
    if partial:
        try:  # never mask the error that stopped the sweep
            df = aggregate_sweep(sweep_dir)
        except Exception:
            return
    else:
        df = aggregate_sweep(sweep_dir)
    if partial:
        print(
            f"{PROG}: the sweep stopped early; {len(df)} finished point(s) tabulated in "
            f"{_show_path(sweep_dir / 'sweep.csv')}",
            file=sys.stderr,
        )
        return
    from sim.analysis import write_sweep_plots

    write_sweep_plots(sweep_dir)
    print(format_sweep(df, sweep_dir), flush=True)


def _point_dirs(sweep_dir: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(sweep_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if "summary.json" in files and Path(root) != sweep_dir:
            found.append(Path(root))
            dirs[:] = []
    return found


def _job_number(point: Path) -> int | None:
    if point.name.isdigit():
        return int(point.name)
    hydra_yaml = point / ".hydra" / "hydra.yaml"
    if hydra_yaml.is_file():
        from omegaconf import OmegaConf

        num = OmegaConf.select(OmegaConf.load(hydra_yaml), "hydra.job.num", default=None)
        return int(num) if num is not None else None
    return None


def _override_columns(point: Path) -> dict[str, Any]:
    path = point / ".hydra" / "overrides.yaml"
    if not path.is_file():
        return {}
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    parser = OverridesParser.create()
    out: dict[str, Any] = {}
    for o in OmegaConf.to_container(OmegaConf.load(path)) or []:
        p = parser.parse_override(str(o))
        key = p.key_or_group
        if p.package:
            key = f"{key}@{p.package}"
        if p.is_delete():
            out[key] = "~"
            continue
        value = p.value()
        if isinstance(value, bool | int | float | str) or value is None:
            out[key] = value
        else:
            out[key] = p.get_value_element_as_str()
    return out


def _tidy_column(values: list[Any]) -> list[Any]:
    present = [v for v in values if v is not None]
    if all(isinstance(v, bool) for v in present):
        return values
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return values
    return [None if v is None else str(v) for v in values]


def aggregate_sweep(sweep_dir: str | Path, write: bool = True) -> Any:
    """One row per finished point of a sweep folder: its overrides and every metric's CI.

    Scans ``sweep_dir`` for result folders (one per job, named by job number), reads the
    overrides Hydra recorded (``.hydra/overrides.yaml``) and each run's summary. Columns:
    ``job``, ``run_dir``, one per override key (``++``/``+`` dropped), ``replications``,
    ``target_met``, then ``<metric>_mean``, ``<metric>_ci_low``, ``<metric>_ci_high`` for
    every summary metric. With ``write`` it also saves ``sweep.parquet`` and ``sweep.csv``
    in ``sweep_dir``. Raises ``FileNotFoundError`` if no point has finished.
    """
    import pandas as pd

    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"{sweep_dir}: no such sweep folder")
    _, load_results = _experiment_api()
    points = _point_dirs(sweep_dir)
    if not points:
        raise FileNotFoundError(f"{sweep_dir}: no finished sweep point (no summary.json)")
    records = []
    for point in points:
        res = load_results(point)
        manifest = dict(res.manifest or {})
        rec: dict[str, Any] = {
            "job": _job_number(point),
            "run_dir": point.relative_to(sweep_dir).as_posix(),
        }
        rec.update(_override_columns(point))
        rec["replications"] = int(manifest.get("replications_done", len(res.replications)))
        rec["target_met"] = manifest.get("target_met")
        for metric, row in res.summary.iterrows():
            for stat in ("mean", "ci_low", "ci_high"):
                rec[f"{metric}_{stat}"] = float(row[stat])
        records.append(rec)
    records.sort(key=lambda r: (r["job"] is None, r["job"] or 0, r["run_dir"]))
    columns: list[str] = list(dict.fromkeys(k for r in records for k in r))
    data = {c: _tidy_column([r.get(c) for r in records]) for c in columns}
    df = pd.DataFrame(data, columns=columns)
    if write:
        from sim.experiment.store import write_atomic

        write_atomic(sweep_dir / "sweep.parquet", lambda p: df.to_parquet(p, index=False))
        write_atomic(sweep_dir / "sweep.csv", lambda p: df.to_csv(p, index=False))
    return df


def format_sweep(df: Any, sweep_dir: Path) -> str:
    """The end-of-sweep table: the varying overrides and export decline per point."""
    fixed = {"job", "run_dir", "replications", "target_met"}
    override_cols = [
        c
        for c in df.columns
        if c not in fixed
        and not c.endswith(("_mean", "_ci_low", "_ci_high"))
        and df[c].astype(str).nunique() > 1
    ]
    metric, scale, label = "export_decline", 100.0, "export decline (%)"
    if f"{metric}_mean" not in df.columns:
        metric, scale, label = "exported_bpd", 1.0, "exported (bpd)"
    rows = []
    for _, r in df.iterrows():
        cells = ["" if r["job"] is None else str(int(r["job"]))]
        cells += [str(r[c]) for c in override_cols]
        if f"{metric}_mean" in df.columns:
            cells += [
                fmt_number(scale * r[f"{metric}_mean"]),
                f"[{fmt_number(scale * r[f'{metric}_ci_low'])}, "
                f"{fmt_number(scale * r[f'{metric}_ci_high'])}]",
            ]
        rows.append(cells)
    header = ["job", *override_cols]
    if f"{metric}_mean" in df.columns:
        header += [label, "95% CI"]
    return "\n".join(
        [
            "",
            _table(header, rows),
            "",
            f"Sweep: {len(df)} points, table in {_show_path(sweep_dir / 'sweep.csv')} "
            "(and sweep.parquet)",
        ]
    )


# --------------------------------------------------------------------------- compare


def _load_run(path: str) -> Any:
    folder = Path(path)
    if not (folder / "summary.json").is_file():
        raise CliError(f"{path}: not a finished blockade run folder (no summary.json)")
    _, load_results = _experiment_api()
    return load_results(folder)


def compare_runs(dir_a: str | Path, dir_b: str | Path, metrics: Sequence[str] | None = None) -> Any:
    """Paired difference B − A of ``metrics`` between two runs that share the root seed.

    Returns a DataFrame indexed by metric with ``a_mean``, ``b_mean`` and the difference's
    ``mean``, ``std``, ``ci_low``, ``ci_high`` (95% t-interval) and ``n`` (pairs).
    Raises :class:`CliError` when the runs do not share seeds.
    """
    import pandas as pd

    from sim.experiment.stats import paired_difference

    a, b = _load_run(str(dir_a)), _load_run(str(dir_b))
    seed_a, seed_b = a.config.experiment.seed, b.config.experiment.seed
    if seed_a != seed_b:
        raise CliError(
            f"compare: the runs do not share a root seed ({dir_a}: {seed_a}, {dir_b}: {seed_b}); "
            "a paired difference needs the same experiment.seed (common random numbers)"
        )
    ra, rb = a.replications, b.replications
    joined = ra[["replication", "seed"]].merge(
        rb[["replication", "seed"]], on="replication", suffixes=("_a", "_b")
    )
    if joined.empty:
        raise CliError(f"compare: {dir_a} and {dir_b} have no replication in common")
    if (joined["seed_a"].astype(str) != joined["seed_b"].astype(str)).any():
        raise CliError(
            f"compare: replications of {dir_a} and {dir_b} were run with different seeds"
        )
    wanted = list(metrics) if metrics else list(COMPARE_METRICS)
    unknown = [m for m in wanted if m not in ra.columns and m not in rb.columns]
    if metrics and unknown:
        raise CliError(f"--metrics: unknown metric(s) {', '.join(unknown)}")
    common = [m for m in wanted if m in ra.columns and m in rb.columns]
    if not common:
        raise CliError("compare: the runs have no metric in common")
    keep = joined["replication"]
    ra = ra[ra["replication"].isin(keep)]
    rb = rb[rb["replication"].isin(keep)]
    diff = paired_difference(rb, ra, common)
    means = pd.DataFrame(
        {
            "a_mean": [float(ra[m].mean()) for m in common],
            "b_mean": [float(rb[m].mean()) for m in common],
        },
        index=pd.Index(common, name="metric"),
    )
    return means.join(diff)


def format_compare(table: Any, dir_a: str, dir_b: str) -> str:
    rows = []
    for metric, r in table.iterrows():
        label, scale = _LABELS.get(str(metric), (str(metric), 1.0))
        ci = f"[{fmt_number(scale * r['ci_low'])}, {fmt_number(scale * r['ci_high'])}]"
        sig = ""
        if not (math.isnan(r["ci_low"]) or math.isnan(r["ci_high"])) and (
            r["ci_low"] > 0 or r["ci_high"] < 0
        ):
            sig = "*"
        rows.append(
            [
                label,
                fmt_number(scale * r["a_mean"]),
                fmt_number(scale * r["b_mean"]),
                fmt_number(scale * r["mean"]) + sig,
                ci,
                str(int(r["n"])),
            ]
        )
    return "\n".join(
        [
            f"A: {dir_a}",
            f"B: {dir_b}",
            "",
            _table(["", "A mean", "B mean", "B - A", "95% CI", "pairs"], rows),
            "",
            "Paired on replication (common random numbers); * = the 95% CI excludes 0.",
        ]
    )


def _cmd_compare(argv: list[str]) -> int:
    parser = _ArgParser(
        prog=f"{PROG} compare",
        description="Paired difference (B - A) of key metrics between two finished runs "
        "that share their root seed.",
    )
    parser.add_argument("dir_a", help="baseline run folder (A)")
    parser.add_argument("dir_b", help="alternative run folder (B)")
    parser.add_argument("--csv", metavar="PATH", help="also write the table to PATH")
    parser.add_argument(
        "--metrics", metavar="M1,M2", help="comma-separated metrics (default: the key metrics)"
    )
    args = parser.parse_args(argv)
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    table = compare_runs(args.dir_a, args.dir_b, metrics)
    print(format_compare(table, args.dir_a, args.dir_b))
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv)
        print(f"Table written to {args.csv}")
    return 0


def _cmd_report(argv: list[str]) -> int:
    parser = _ArgParser(
        prog=f"{PROG} report",
        description="Write report.html (self-contained: plots embedded) for a run or sweep folder.",
    )
    parser.add_argument("folder", help="a finished run folder or sweep folder")
    parser.add_argument("--out", metavar="PATH", help="where to write (default FOLDER/report.html)")
    parser.add_argument(
        "--regenerate", action="store_true", help="redraw the plots even if they exist"
    )
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if not (folder / "summary.json").is_file() and not (folder / "sweep.parquet").is_file():
        raise CliError(f"{folder}: not a finished run folder (summary.json) or sweep folder")
    from sim.analysis import write_report

    path = write_report(folder, out=args.out, regenerate=args.regenerate)
    print(f"Report written to {_show_path(path)}")
    return 0


def _cmd_sensitivity(argv: list[str]) -> int:
    from sim.sensitivity import sensitivity_main

    return sensitivity_main(argv)


def _cmd_discover(argv: list[str]) -> int:
    from sim.discovery import discovery_main

    return discovery_main(argv)


#: Subcommands dispatched before Hydra: the first word of the command line.
SUBCOMMANDS: dict[str, Callable[[list[str]], int]] = {
    "compare": _cmd_compare,
    "report": _cmd_report,
    "sensitivity": _cmd_sensitivity,
    "discover": _cmd_discover,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
