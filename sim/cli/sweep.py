"""The sweep table: one row per point, written when a sweep ends (a Hydra callback)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from sim.cli.common import (
    PROG,
    show_path,
    text_table,
)
from sim.formatting import fmt_number

# --------------------------------------------------------------------------- sweeps

SWEEP_STATE: dict[str, Any] = {}


def _hydra_callback_base() -> type:
    from hydra.experimental.callback import Callback

    return Callback


class SweepTable(_hydra_callback_base()):  # type: ignore[misc]
    """Hydra callback (``hydra.callbacks`` in ``scenarios/config.yaml``): the sweep table.

    ``on_multirun_end`` gets no job returns, so the finished sweep folder is scanned; this
    runs in the launching process with every launcher (basic, joblib, ...).
    """

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        SWEEP_STATE["dir"] = str(config.hydra.sweep.dir)
        SWEEP_STATE["done"] = False

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        sweep_dir = SWEEP_STATE.get("dir") or str(config.hydra.sweep.dir)
        SWEEP_STATE["done"] = True
        write_sweep_table(Path(sweep_dir), partial=False)


def write_sweep_table(sweep_dir: Path, partial: bool) -> None:
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
            f"{show_path(sweep_dir / 'sweep.csv')}",
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
    from sim.experiment import load_results

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
            text_table(header, rows),
            "",
            f"Sweep: {len(df)} points, table in {show_path(sweep_dir / 'sweep.csv')} "
            "(and sweep.parquet)",
        ]
    )
