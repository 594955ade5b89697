"""The Hydra app: check the whole command line, fix and lock the output folders, then run.

Before Hydra runs anything, every (sweep point's) config is composed and checked once
(:func:`sim.compose.compose_config`: values, and which Hydra settings a config may touch),
the output folders are resolved to literal paths (``${now:...}`` included) and locked, and
each is checked to be new, empty or a run of the same config (resume). Hydra is then given
those literal paths, so what it writes lands only in folders this command owns, and a
:class:`Job` holding the checked configs: each Hydra job runs the plan's config of its
number, never a config composed again.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sim.cli.common import PROG, CliError, fail, is_folder_mismatch, show_path
from sim.cli.hydra_args import args_parser, hydra_argv, own_flags, sweep_points
from sim.cli.summary import format_summary, short_decline
from sim.cli.sweep import check_sweep_folder, finish_sweep, write_plan
from sim.compose import (
    compose_config,
    config_groups,
    from_composed,
    normalize_overrides,
    parse_overrides,
    plain_dict,
)
from sim.config import Config, ConfigError, scenarios_dir
from sim.describe import manifest_fields
from sim.safety import check_hydra_overrides
from sim.sweep_table import SweepJob, SweepPlan

_INFO_FLAGS = ("help", "hydra_help", "cfg", "info", "shell_completion")
#: How many ``-2``, ``-3``... suffixes a default (time-stamped) folder name may get.
MAX_SUFFIX = 100


@dataclass(frozen=True)
class Line:
    """The command line's overrides, parsed once: Hydra's and the scenario's (normalized)."""

    hydra_argv: list[str]  # what Hydra is given: argv with the scenario overrides normalized
    parsed: list[Any]  # every override, parsed (Hydra's Override)
    task: list[str]  # the scenario overrides, normalized (``++key=value``)
    hydra: list[str]  # Hydra's overrides, but the search path: composed with every point
    user_dir: str | None  # the one extra config folder (--config-dir or hydra.searchpath)
    multirun: bool

    def compose(self, overrides: Sequence[str]) -> Any:
        """One point composed and checked, with this line's Hydra overrides and folder."""
        return compose_config(
            overrides=overrides, config_dir=self.user_dir, hydra_overrides=self.hydra
        )


@dataclass(frozen=True)
class Plan:
    """What one ``blockade`` command will run and where, fixed before Hydra starts."""

    hydra_argv: list[str]
    key: str = ""  # the folder's key (hydra.run.dir / hydra.sweep.dir); "" runs nothing
    folder: Path = Path()
    default_dir: bool = False  # the bundled time-stamped name: move on to -2, -3... if taken
    configs: tuple[Config, ...] = ()  # by job number (one for a single run)
    jobs: tuple[SweepJob, ...] = ()  # a sweep's jobs; () for a single run
    task: tuple[str, ...] = ()  # a single run's scenario overrides
    plots: bool = False  # --plots: draw the plots when each run finishes

    def check(self, folder: Path) -> None:
        """Refuse ``folder`` (writes nothing): another config's run, another sweep, foreign."""
        from sim.experiment.store import foreign_entries

        if self.default_dir and foreign_entries(folder, frozenset()):
            raise CliError(f"{self.key}: {folder} is taken")
        if self.jobs:
            _check_sweep(SweepPlan(folder, self.jobs), self.configs)
        else:
            check_run_folder(folder, self.configs[0], self.key)

    def sweep(self) -> SweepPlan | None:
        """The sweep's plan (``sweep.json``), or None for a single run."""
        return SweepPlan(self.folder, self.jobs) if self.jobs else None


# --------------------------------------------------------------------------- Hydra app


def hydra_main(argv: list[str]) -> int:
    """``blockade [flags] [key=value ...]``: check, claim the folder, run with Hydra; with
    ``--plots`` each run (and a sweep) also draws its plots."""
    argv, plots = own_flags(argv)
    parsed = args_parser().parse_args(argv)
    plan = replace(prepare(argv, parsed), plots=plots)
    with contextlib.ExitStack() as held:
        if plan.key:
            plan = _claim(plan, held)
        sweep = plan.sweep()
        if sweep is not None:
            write_plan(sweep, "running")
        try:
            _run_hydra_app(plan)
        finally:
            if sweep is not None:
                finish_sweep(sweep, plots=plan.plots)
    return 0


def prepare(argv: list[str], args: argparse.Namespace) -> Plan:
    """Check the command line and fix its output folders (nothing is written).

    Run and multirun modes compose and check every (sweep point's) config, once;
    ``--help``, ``--cfg``, ``--info`` and the like check the first point only.
    """
    _refuse_flags(args)
    line = _read_line(argv, args)
    if any(getattr(args, flag, None) for flag in _INFO_FLAGS):
        line.compose(sweep_points(parse_overrides(line.task))[0])  # what --cfg shows is checked
        return Plan(line.hydra_argv)
    points = _points(line)
    if line.multirun:
        _check_swept_not_uncertain(line)
    composed = [line.compose(pt) for pt in points]
    configs = [from_composed(c) for c in composed]
    _check_references(configs, line.multirun)
    if line.multirun:
        return _plan_sweep(line.hydra_argv, composed, configs, points)
    return _plan_run(line, composed[0], configs[0])


def _refuse_flags(args: argparse.Namespace) -> None:
    """Refuse Hydra's flags that would load another config tree or a pickle."""
    if args.config_path is not None or args.config_name is not None:
        raise CliError(
            "--config-path/--config-name are not supported: add a folder of your own "
            "scenarios with --config-dir DIR and pick one with scenario=NAME"
        )
    if args.experimental_rerun:
        raise CliError("--experimental-rerun is not supported: it would load a pickle file")


def _read_line(argv: list[str], args: argparse.Namespace) -> Line:
    """Parse every override once, check Hydra's, and normalize the scenario's."""
    overrides = list(args.overrides)
    parsed = parse_overrides(overrides)
    is_hydra = [_is_hydra_key(p) for p in parsed]
    hydra_ovs = [o for o, h in zip(overrides, is_hydra, strict=True) if h]
    check_hydra_overrides([p for p, h in zip(parsed, is_hydra, strict=True) if h])
    user_dir = _user_config_dir(args.config_dir, hydra_ovs)
    groups = config_groups(scenarios_dir(), user_dir)
    normalized = [
        o if h else normalize_overrides([o], groups)[0]
        for o, h in zip(overrides, is_hydra, strict=True)
    ]
    multirun = bool(args.multirun) or any(
        o.replace(" ", "").lstrip("+") == "hydra.mode=MULTIRUN" for o in hydra_ovs
    )
    return Line(
        hydra_argv=_replace_overrides(argv, overrides, normalized),
        parsed=parsed,
        task=[o for o, h in zip(normalized, is_hydra, strict=True) if not h],
        hydra=[o for o in hydra_ovs if not o.lstrip("+").startswith("hydra.searchpath")],
        user_dir=user_dir,
        multirun=multirun,
    )


def _points(line: Line) -> list[list[str]]:
    """The scenario overrides of every point: one without ``-m`` (a sweep is refused)."""
    if line.multirun:
        return sweep_points(parse_overrides(line.task))
    for p in line.parsed:
        if p.is_sweep_override():
            raise CliError(
                f"{p.key_or_group}: '{p.input_line}' is a sweep; run it with -m (blockade -m ...)"
            )
    return [line.task]


def _check_swept_not_uncertain(line: Line) -> None:
    """A key swept and declared uncertain on the same command line is refused; one the
    scenario declares uncertain is fixed at each point, as ``key=value`` fixes it (noted)."""
    parsed = parse_overrides(line.task)
    swept = [p.key_or_group for p in parsed if p.is_sweep_override()]
    if not swept:
        return
    fixed = [o for o, p in zip(line.task, parsed, strict=True) if not p.is_sweep_override()]
    base = from_composed(line.compose(fixed))
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


def _plan_run(line: Line, composed: Any, cfg: Config) -> Plan:
    folder, default = _resolved(composed, "hydra.run.dir")
    plan = Plan(line.hydra_argv, "hydra.run.dir", folder, default, (cfg,), task=tuple(line.task))
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
    return _raw_of(plain_dict(composed.hydra, resolve=False), key)


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


def _run_hydra_app(plan: Plan) -> None:
    import hydra

    app = hydra.main(version_base="1.3", config_path=str(scenarios_dir()), config_name="config")
    with hydra_argv(plan.hydra_argv):
        app(Job.of(plan))()


# --------------------------------------------------------------------------- one Hydra job


@dataclass(frozen=True)
class Job:
    """Hydra's task function: run the plan's config of the job Hydra starts.

    A module-level class holding the checked configs (not a closure nor a global), so the
    joblib launcher can pickle it to its workers.
    """

    configs: tuple[Config, ...]  # by job number
    points: tuple[tuple[str, ...], ...]  # each job's scenario overrides, as Hydra gets them
    sweep: SweepPlan | None = None
    plots: bool = False  # draw the run's plots (--plots); else ``blockade report`` does

    @classmethod
    def of(cls, plan: Plan) -> Job:
        """The task function of ``plan`` (after its folder is claimed)."""
        points = tuple(j.overrides for j in plan.jobs) or (plan.task,)
        return cls(plan.configs, points, plan.sweep(), plan.plots)

    def __call__(self, _: Any) -> None:
        """One Hydra job (Hydra's composed config is not used): run, show the summary."""
        from hydra.core.hydra_config import HydraConfig

        hc = HydraConfig.get()
        num = int(hc.job.num) if self.sweep is not None else 0
        out_dir = Path(hc.runtime.output_dir)
        try:
            self._check(num, tuple(hc.overrides.task))
            res = self._run(num, out_dir, _progress(hc, self.sweep is not None))
        except (CliError, ConfigError) as exc:
            fail(str(exc))
            raise SystemExit(2) from None
        except Exception as exc:
            if is_folder_mismatch(exc):
                fail(str(exc))
                raise SystemExit(2) from None
            raise
        point = None if self.sweep is None else (num, self.points[num])
        _show(res, out_dir, point, self.plots)

    def _check(self, num: int, overrides: tuple[str, ...]) -> None:
        """Hydra's job ``num`` must be the plan's: the same scenario overrides."""
        if num >= len(self.points) or overrides != self.points[num]:
            planned = " ".join(self.points[num]) if num < len(self.points) else "no such job"
            raise CliError(
                f"job {num}: Hydra's overrides ({' '.join(overrides)}) are not the plan's "
                f"({planned})"
            )

    def _run(self, num: int, out_dir: Path, progress: bool | None) -> Any:
        """Run job ``num``'s config into ``out_dir`` (paired with job 0 if the sweep asks)."""
        from sim.experiment import run_experiment
        from sim.experiment.reference import SWEEP

        cfg = self.configs[num]
        extra = manifest_fields(self.points[num])  # the policy variant and the overrides
        if self.sweep is None:
            return run_experiment(cfg, out_dir=out_dir, progress=progress, manifest_extra=extra)
        extra |= {"sweep_id": self.sweep.id, "sweep_job": num}
        if cfg.experiment.reference == SWEEP:
            return self._run_paired(num, out_dir, progress, extra)
        return run_experiment(cfg, out_dir=out_dir, progress=progress, manifest_extra=extra)

    def _run_paired(
        self, num: int, out_dir: Path, progress: bool | None, extra: dict[str, Any]
    ) -> Any:
        """A point of a sweep with ``experiment.reference=sweep``: job 0 stops on its own level;
        every later point on its paired difference against job 0 (run or extended on demand)."""
        from sim.experiment import reference as refs
        from sim.experiment import run_experiment

        assert self.sweep is not None
        first = min(self.sweep.jobs, key=lambda j: j.job)
        if num == first.job:
            alone = refs.without_reference(self.configs[num])
            return refs.run_when_free(alone, out_dir, progress=progress, manifest_extra=extra)
        ref_cfg = refs.without_reference(self.configs[first.job])
        label = {
            **manifest_fields(self.points[first.job]),
            "sweep_id": self.sweep.id,
            "sweep_job": first.job,
        }
        first_dir = self.sweep.dir / first.dir
        cfg = self.configs[num]
        reference = refs.growing_reference(ref_cfg, first_dir, cfg, label, progress)
        return run_experiment(
            cfg, out_dir=out_dir, progress=progress, manifest_extra=extra, reference=reference
        )


def _progress(hc: Any, multirun: bool) -> bool | None:
    """No progress bars from parallel jobs (they would interleave); the default otherwise."""
    if multirun and "BasicLauncher" not in str(hc.launcher.get("_target_", "")):
        return False
    return None


def _show(res: Any, out_dir: Path, point: tuple[int, tuple[str, ...]] | None, plots: bool) -> None:
    """Print the run's summary, or one line for a sweep's point; draw its plots if asked.

    Plots are drawn on demand (``--plots``, or ``blockade report``, which draws the missing
    ones): matplotlib and seven PNGs cost several times the run itself at the default size.
    """
    if plots:
        from sim.analysis import write_run_plots
        from sim.analysis.observed import default_observations

        write_run_plots(res, observations=default_observations(res.config))
    if point is not None:
        num, overrides = point
        shown = " ".join(o.lstrip("+") for o in overrides) or "(defaults)"
        print(f"[{num}] {shown}: {short_decline(res)}", flush=True)
        return
    print(format_summary(res), flush=True)
    report = f"{PROG} report {show_path(out_dir)}"
    if plots:
        print(f"Plots: {show_path(out_dir / 'plots')}  (report: {report})")
    else:
        print(f"Plots and report: {report}  (or run with --plots)")
