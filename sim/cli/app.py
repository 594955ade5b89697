"""The Hydra app: validate the whole command line first, then run one job per point."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from sim.cli.common import (
    PROG,
    CliError,
    fail,
    is_folder_mismatch,
    raise_cli_error,
    show_path,
)
from sim.cli.summary import format_summary, short_decline
from sim.cli.sweep import SWEEP_STATE, write_sweep_table
from sim.config import (
    Config,
    config_groups,
    hydra_message,
    load_config,
    normalize_overrides,
    scenarios_dir,
)

# --------------------------------------------------------------------------- Hydra app

_INFO_FLAGS = ("help", "hydra_help", "cfg", "info", "shell_completion", "experimental_rerun")


def _args_parser() -> argparse.ArgumentParser:
    """Hydra's own command-line parser (the same flags), reporting errors in one line."""
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()
    parser.error = raise_cli_error  # type: ignore[method-assign]
    parser.prog = PROG
    return parser


def hydra_main(argv: list[str]) -> int:
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
    SWEEP_STATE.clear()
    saved = sys.argv
    sys.argv = [saved[0] if saved else PROG, *hydra_argv]
    try:
        app()
    finally:
        sys.argv = saved
        pending = SWEEP_STATE.get("dir")
        if pending is not None and not SWEEP_STATE.get("done"):
            # The sweep stopped early: tabulate the points that finished.
            SWEEP_STATE["done"] = True
            write_sweep_table(Path(pending), partial=True)


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
    from sim.experiment import run_experiment

    try:
        res = run_experiment(cfg, out_dir=out_dir, progress=progress)
    except Exception as exc:
        if is_folder_mismatch(exc):
            fail(str(exc))
            raise SystemExit(2) from None
        raise
    from sim.analysis import write_run_plots

    write_run_plots(res)
    if multirun:
        shown = " ".join(o.lstrip("+") for o in overrides) or "(defaults)"
        print(f"[{hc.job.num}] {shown}: {short_decline(res)}", flush=True)
    else:
        print(format_summary(res), flush=True)
        print(
            f"Plots: {show_path(out_dir / 'plots')}  (report: {PROG} report {show_path(out_dir)})"
        )
