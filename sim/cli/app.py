"""The Hydra app: check the whole command line, fix and lock the output folders, then run.

Before Hydra runs anything, every (sweep point's) config is composed and checked
(:func:`sim.config.compose_config`: values, and which Hydra settings a config may touch),
the output folders are resolved to literal paths (``${now:...}`` included) and locked, and
each is checked to be new, empty or a run of the same config (resume). Hydra is then given
those literal paths, so what it writes lands only in folders this command owns.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sim.cli.common import PROG, CliError, fail, is_folder_mismatch, raise_cli_error, show_path
from sim.cli.summary import format_summary, short_decline
from sim.cli.sweep import (
    SweepJob,
    SweepPlan,
    check_sweep_folder,
    finish_sweep,
    read_plan,
    write_plan,
)
from sim.config import (
    Config,
    ConfigError,
    compose_config,
    config_groups,
    from_composed,
    normalize_overrides,
    parse_overrides,
    scenarios_dir,
)
from sim.safety import check_hydra_overrides

_INFO_FLAGS = ("help", "hydra_help", "cfg", "info", "shell_completion")
#: How many ``-2``, ``-3``... suffixes a default (time-stamped) folder name may get.
MAX_SUFFIX = 100


@dataclass(frozen=True)
class Plan:
    """What one ``blockade`` command will run and where, fixed before Hydra starts."""

    hydra_argv: list[str]
    key: str = ""  # the folder's key (hydra.run.dir / hydra.sweep.dir); "" runs nothing
    folder: Path = Path()
    default_dir: bool = False  # the bundled time-stamped name: move on to -2, -3... if taken
    configs: tuple[Config, ...] = ()
    jobs: tuple[SweepJob, ...] = ()  # a sweep's jobs; () for a single run

    def check(self, folder: Path) -> None:
        """Refuse ``folder`` (writes nothing): another config's run, another sweep, foreign."""
        from sim.experiment.store import foreign_entries

        if self.default_dir and foreign_entries(folder, frozenset()):
            raise CliError(f"{self.key}: {folder} is taken")
        if self.jobs:
            _check_sweep(SweepPlan(folder, self.jobs), self.configs)
        else:
            check_run_folder(folder, self.configs[0], self.key)


# --------------------------------------------------------------------------- Hydra app


def _args_parser() -> argparse.ArgumentParser:
    """Hydra's own command-line parser (the same flags), reporting errors in one line."""
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()
    parser.error = raise_cli_error  # type: ignore[method-assign]
    parser.prog = PROG
    return parser


def hydra_main(argv: list[str]) -> int:
    parsed = _args_parser().parse_args(argv)
    plan = prepare(argv, parsed)
    with contextlib.ExitStack() as held:
        if plan.key:
            plan = _claim(plan, held)
        sweep = SweepPlan(plan.folder, plan.jobs) if plan.jobs else None
        if sweep is not None:
            write_plan(sweep, "running")
        try:
            _run_hydra_app(plan.hydra_argv)
        finally:
            if sweep is not None:
                finish_sweep(sweep)
    return 0


def prepare(argv: list[str], args: argparse.Namespace) -> Plan:
    """Check the command line and fix its output folders (nothing is written).

    Run and multirun modes compose and check every (sweep point's) config;
    ``--help``, ``--cfg``, ``--info`` and the like only get their overrides normalized.
    """
    if args.config_path is not None or args.config_name is not None:
        raise CliError(
            "--config-path/--config-name are not supported: add a folder of your own "
            "scenarios with --config-dir DIR and pick one with scenario=NAME"
        )
    if getattr(args, "experimental_rerun", None):
        raise CliError("--experimental-rerun is not supported: it would load a pickle file")
    overrides = list(args.overrides)
    parsed = parse_overrides(overrides)
    hydra_ovs = [o for o, p in zip(overrides, parsed, strict=True) if _is_hydra_key(p)]
    check_hydra_overrides([p for p in parsed if _is_hydra_key(p)])
    user_dir = _user_config_dir(args.config_dir, hydra_ovs)
    groups = config_groups(scenarios_dir(), user_dir)
    normalized = [
        o if _is_hydra_key(p) else normalize_overrides([o], groups)[0]
        for o, p in zip(overrides, parsed, strict=True)
    ]
    hydra_argv = _replace_overrides(argv, overrides, normalized)
    multirun = bool(args.multirun) or any(
        o.replace(" ", "").lstrip("+") == "hydra.mode=MULTIRUN" for o in hydra_ovs
    )
    task = [o for o, p in zip(normalized, parsed, strict=True) if not _is_hydra_key(p)]
    hydra_only = [o for o in hydra_ovs if not o.lstrip("+").startswith("hydra.searchpath")]
    if any(getattr(args, flag, None) for flag in _INFO_FLAGS):
        first = _sweep_points(task, True)[0]  # what --cfg/--help show is checked too
        compose_config(overrides=first, config_dir=user_dir, hydra_overrides=hydra_only)
        return Plan(hydra_argv)
    if not multirun:
        for p in parsed:
            if p.is_sweep_override():
                raise CliError(
                    f"{p.key_or_group}: '{p.input_line}' is a sweep; run it with -m "
                    "(blockade -m ...)"
                )
    points = _sweep_points(task, multirun)
    if multirun:
        _check_swept_not_uncertain(task, user_dir, hydra_only)
    composed = [
        compose_config(overrides=pt, config_dir=user_dir, hydra_overrides=hydra_only)
        for pt in points
    ]
    configs = [from_composed(c) for c in composed]
    _check_references(configs, multirun)
    if multirun:
        return _plan_sweep(hydra_argv, composed, configs, points)
    return _plan_run(hydra_argv, composed[0], configs[0])


def _check_swept_not_uncertain(task: list[str], user_dir: str | None, hydra: list[str]) -> None:
    """A key swept and declared uncertain on the same command line is refused; one the
    scenario declares uncertain is fixed at each point, as ``key=value`` fixes it (noted)."""
    parsed = parse_overrides(task)
    swept = [p.key_or_group for p in parsed if p.is_sweep_override()]
    if not swept:
        return
    fixed = [o for o, p in zip(task, parsed, strict=True) if not p.is_sweep_override()]
    base = from_composed(
        compose_config(overrides=fixed, config_dir=user_dir, hydra_overrides=hydra)
    )
    asked = any(p.key_or_group.split(".")[0] == "uncertain" for p in parsed)
    for key in base.uncertain:
        if not any(key == k or key.startswith(f"{k}.") for k in swept):
            continue
        if asked:
            raise CliError(
                f"uncertain.{key}: is also swept, and a sweep point would fix it; sweep it "
                "with 'uncertain={}' (nothing drawn) or keep it uncertain and sweep "
                "something else"
            )
        print(
            f"{PROG}: note: {key} is swept, so each point fixes it (the scenario draws it "
            "per replication otherwise)",
            file=sys.stderr,
        )


def _check_references(configs: Sequence[Config], multirun: bool) -> None:
    """Refuse an ``experiment.reference`` that cannot pair, before anything runs."""
    from sim.experiment.reference import KEY, SWEEP, load_reference

    first = configs[0].experiment
    for cfg in configs:
        ref = cfg.experiment.reference
        if ref is None:
            continue
        if ref != SWEEP:
            load_reference(ref, cfg)
        elif not multirun:
            raise CliError(
                f"{KEY}: '{SWEEP}' pairs each point of a sweep with its first point; run a "
                "sweep (blockade -m ...) or give a finished run folder"
            )
        elif (cfg.experiment.seed, cfg.experiment.baseline) != (first.seed, first.baseline):
            raise CliError(
                f"{KEY}: '{SWEEP}' pairs every point with job 0 on the same seeds, so "
                "experiment.seed and experiment.baseline may not be swept"
            )


def _plan_run(hydra_argv: list[str], composed: Any, cfg: Config) -> Plan:
    folder, default = _resolved(composed, "hydra.run.dir")
    plan = Plan(hydra_argv, "hydra.run.dir", folder, default, (cfg,))
    if not default:
        plan.check(folder)  # refused before anything is written
    return plan


def _plan_sweep(
    hydra_argv: list[str], composed: list[Any], configs: list[Config], points: list[list[str]]
) -> Plan:
    from sim.experiment.hashing import config_hash

    sweep_dir, default = _resolved(composed[0], "hydra.sweep.dir")
    subdirs = [_job_subdir(c, i) for i, c in enumerate(composed)]
    if len(set(subdirs)) < len(subdirs):
        raise CliError(f"hydra.sweep.subdir: gives several jobs the same folder ({subdirs})")
    jobs = tuple(
        SweepJob(i, sub, tuple(pt), config_hash(cfg))
        for i, (sub, pt, cfg) in enumerate(zip(subdirs, points, configs, strict=True))
    )
    plan = Plan(hydra_argv, "hydra.sweep.dir", sweep_dir, default, tuple(configs), jobs)
    if not default:
        plan.check(sweep_dir)
    return plan


def _claim(plan: Plan, held: contextlib.ExitStack) -> Plan:
    """Lock the plan's folder and check it again under the lock; a default folder that is
    taken (or locked) moves on to ``-2``, ``-3``... Returns the plan with the literal folder
    set for Hydra."""
    from sim.experiment.lock import folder_lock

    for k in range(MAX_SUFFIX if plan.default_dir else 1):
        folder = plan.folder if k == 0 else plan.folder.with_name(f"{plan.folder.name}-{k + 1}")
        with contextlib.ExitStack() as attempt:
            try:
                plan.check(folder)  # nothing is written into a folder that is refused
                attempt.enter_context(folder_lock(folder, plan.key))
                plan.check(folder)  # again, now that no other run can start here
            except (CliError, ValueError):
                if not plan.default_dir:
                    raise
                continue
            held.enter_context(attempt.pop_all())
        argv = _set_override(plan.hydra_argv, plan.key, folder)
        return replace(plan, hydra_argv=argv, folder=folder)
    raise CliError(f"{plan.key}: no free folder next to {plan.folder}; pass {plan.key}=DIR")


def _check_sweep(plan: SweepPlan, configs: Sequence[Config]) -> None:
    check_sweep_folder(plan)
    for job, cfg in zip(plan.jobs, configs, strict=True):
        check_run_folder(plan.dir / job.dir, cfg, "hydra.sweep.dir")


def _resolved(composed: Any, key: str) -> tuple[Path, bool]:
    """The literal, absolute folder of ``key``, and whether it is the bundled default."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.utils import setup_globals
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from sim.safety import reference_hydra

    setup_globals()
    HydraConfig.instance().set_config(composed)
    try:
        value = OmegaConf.select(composed, key, throw_on_missing=True)
    except OmegaConfBaseException as exc:
        raise CliError(f"{key}: cannot be resolved ({' '.join(str(exc).split())})") from None
    default = _raw(composed, key) == _raw_of(reference_hydra(()), key)
    return Path(str(value)).expanduser().resolve(), default


def _raw(composed: Any, key: str) -> Any:
    from omegaconf import OmegaConf

    node = OmegaConf.to_container(composed.hydra, resolve=False)
    return _raw_of(node, key)  # type: ignore[arg-type]


def _raw_of(hydra_node: dict[str, Any], key: str) -> Any:
    node: Any = hydra_node
    for part in key.removeprefix("hydra.").split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _job_subdir(composed: Any, num: int) -> str:
    """Job ``num``'s folder inside the sweep folder (``hydra.sweep.subdir`` resolved)."""
    from omegaconf import OmegaConf

    from sim.safety import interpolations

    template = str(_raw(composed, "hydra.sweep.subdir"))
    for name, is_resolver in interpolations(template):
        if is_resolver or name not in ("hydra.job.num", "hydra.job.id"):
            raise CliError(
                f"hydra.sweep.subdir: only ${{hydra.job.num}} and ${{hydra.job.id}} may be used "
                f"here (every job's folder is fixed before the sweep starts), got '{template}'"
            )
    node = OmegaConf.create({"hydra": {"job": {"num": num, "id": num}}, "subdir": template})
    sub = str(node.subdir)
    if not sub or Path(sub).is_absolute() or ".." in Path(sub).parts:
        raise CliError(f"hydra.sweep.subdir: '{sub}' must be a folder name inside the sweep")
    return sub


def _set_override(argv: list[str], key: str, folder: Path) -> list[str]:
    """``argv`` with ``key`` set to the literal ``folder`` (quoted for Hydra's parser)."""
    quoted = "'" + str(folder).replace("\\", "\\\\").replace("'", "\\'") + "'"
    kept = [a for a in argv if a.lstrip("+").partition("=")[0].strip() != key]
    return [*kept, f"{key}={quoted}"]


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


def check_run_folder(folder: str | Path, cfg: Config, key: str = "hydra.run.dir") -> None:
    """Raise ``RunFolderMismatch`` unless ``folder`` is new, empty or a run of ``cfg``.

    Writes nothing (unlike the store's ``RunFolder.open``), so it can run before Hydra.
    """
    from sim.experiment import store

    try:
        store.RunFolder(folder).check(cfg)
    except store.RunFolderMismatch as exc:
        raise store.RunFolderMismatch(f"{key}: {exc}") from None


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
    saved = sys.argv
    sys.argv = [saved[0] if saved else PROG, *hydra_argv]
    try:
        app()
    finally:
        sys.argv = saved


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


def _sweep_label(hc: Any, cfg: Config) -> dict[str, Any]:
    """This job's place in its sweep (from ``sweep.json``), checked against its config."""
    from sim.experiment.hashing import config_hash

    plan = read_plan(hc.sweep.dir)
    if plan is None:
        raise CliError(f"{hc.sweep.dir}: the sweep has no sweep.json; run it with blockade -m")
    job = plan.job(int(hc.job.num))
    if job.config_hash != config_hash(cfg):
        raise CliError(f"job {job.job}: its config differs from the one in sweep.json")
    return {"sweep_id": plan.id, "sweep_job": job.job}


def _pairs_in_sweep(cfg: Config) -> bool:
    from sim.experiment.reference import SWEEP

    return cfg.experiment.reference == SWEEP


def _run_sweep_point(
    hc: Any, cfg: Config, out_dir: Path, progress: bool | None, extra: dict[str, Any] | None
) -> Any:
    """A point of a sweep with ``experiment.reference=sweep``: job 0 stops on its own level;
    every later point on its paired difference against job 0 (run or extended on demand)."""
    from sim.experiment import reference as refs

    plan = read_plan(hc.sweep.dir)
    assert plan is not None  # _sweep_label read it
    first = min(plan.jobs, key=lambda j: j.job)
    if int(hc.job.num) == first.job:
        alone = refs.without_reference(cfg)
        return refs.run_when_free(alone, out_dir, progress=progress, manifest_extra=extra)
    composed = compose_config(overrides=list(first.overrides), config_dir=_job_config_dir())
    ref_cfg = refs.without_reference(from_composed(composed))
    label = {"sweep_id": plan.id, "sweep_job": first.job}
    reference = refs.growing_reference(ref_cfg, plan.dir / first.dir, cfg, label, progress)
    from sim.experiment import run_experiment

    return run_experiment(
        cfg, out_dir=out_dir, progress=progress, manifest_extra=extra, reference=reference
    )


def _task(_: Any) -> None:
    """One Hydra job: rebuild the config from the task overrides, run, show the summary."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hc = HydraConfig.get()
    overrides = list(hc.overrides.task)
    out_dir = Path(hc.runtime.output_dir)
    multirun = hc.mode == RunMode.MULTIRUN
    progress = None
    if multirun and "BasicLauncher" not in str(hc.launcher.get("_target_", "")):
        progress = False  # parallel jobs: no interleaved progress bars
    from sim.experiment import run_experiment

    try:
        cfg = from_composed(compose_config(overrides=overrides, config_dir=_job_config_dir()))
        extra = _sweep_label(hc, cfg) if multirun else None
        if multirun and _pairs_in_sweep(cfg):
            res = _run_sweep_point(hc, cfg, out_dir, progress, extra)
        else:
            res = run_experiment(cfg, out_dir=out_dir, progress=progress, manifest_extra=extra)
    except (CliError, ConfigError) as exc:
        fail(str(exc))
        raise SystemExit(2) from None
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
