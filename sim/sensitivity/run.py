"""run_sensitivity: declare -> sample -> evaluate -> analyse, and the result folder."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Config
from sim.experiment.atomic import (
    write_atomic,
    write_json_atomic,
    write_parquet_atomic,
    write_text_atomic,
)
from sim.experiment.hashing import config_hash
from sim.experiment.provenance import provenance
from sim.formatting import fmt_number
from sim.sensitivity.analyse import INDEX_COLUMNS, NOISE_WARNING, analyse, noise_mask
from sim.sensitivity.declare import (
    Parameter,
    SensitivitySpec,
    load_spec,
    resolve_parameters,
)
from sim.sensitivity.evaluate import evaluate_scenario
from sim.sensitivity.sample import point_values, sample

__all__ = ["SensitivityResult", "format_indices", "run_sensitivity", "write_result"]

SAMPLES_FILE = "samples.parquet"
INDICES_FILE = "indices.parquet"


@dataclass(frozen=True)
class SensitivityResult:
    """What one sensitivity analysis produced.

    - ``indices``: one row per (output, parameter): ``output``, ``rank`` (1 = most
      influential), ``parameter``, then ``mu_star, mu_star_conf, sigma, mu`` (Morris) or
      ``S1, S1_conf, ST, ST_conf`` (Sobol); see :meth:`table`.
    - ``samples``: one row per sample point: ``point``, the value applied for each
      parameter path (integers rounded), and each output's mean over the replications.
    - ``X``: the raw SALib sample matrix (before rounding) the indices were computed from.
    - ``manifest``: provenance, design, seeds, executor and wall time.
    """

    method: str
    parameters: tuple[Parameter, ...]
    outputs: tuple[str, ...]
    indices: pd.DataFrame
    samples: pd.DataFrame
    X: np.ndarray = field(repr=False)
    manifest: dict[str, Any] = field(repr=False)
    spec: SensitivitySpec | None = field(default=None, repr=False)
    config: Config | None = field(default=None, repr=False)
    out_dir: Path | None = None

    def table(self, output: str | None = None) -> pd.DataFrame:
        """The ranked table of one output (default: the first), indexed by rank."""
        output = self.outputs[0] if output is None else output
        if output not in self.outputs:
            raise KeyError(f"{output!r} is not an output of this analysis ({self.outputs})")
        t = self.indices[self.indices["output"] == output]
        return t.drop(columns="output").set_index("rank")

    def __str__(self) -> str:
        return format_indices(self)


# --------------------------------------------------------------------------- the run


def run_sensitivity(
    cfg: Config,
    spec: SensitivitySpec | Mapping[str, Any] | str | Path | None = None,
    method: str | None = None,
    n: int | None = None,
    replications: int | None = None,
    workers: int | None = None,
    executor: str | None = None,
    out_dir: str | Path | None = None,
    seed: int | None = None,
    *,
    progress: bool | None = None,
) -> SensitivityResult:
    """Screen (Morris) or decompose (Sobol) the influence of uncertain parameters on outputs.

    ``spec`` gives the parameter ranges and defaults (``None``: the bundled
    ``scenarios/sensitivity/default.yaml``; or a name there, a YAML path, a mapping, a
    :class:`SensitivitySpec`). ``method``, ``n`` (Morris trajectories / Sobol base samples),
    ``replications`` and ``seed`` override the spec. Every point runs ``replications``
    replications with the same root seed (``seed``, else the spec's, else
    ``cfg.experiment.seed``: common random numbers across points), each paired with its
    no-blockade baseline; its outputs are the means over the replications. The sampler and
    the bootstrap use the same seed, so the whole result is reproducible and does not depend
    on ``executor`` or ``workers`` (default ``cfg.experiment``).

    With ``out_dir``: writes ``samples.parquet``/``.csv``, ``indices.parquet``/``.csv``,
    ``spec.yaml``, ``config.yaml``, ``manifest.json`` and ``plots/sensitivity_*.png``, each
    atomically. Raises :class:`SensitivityError` (a ``ValueError``) naming the parameter for
    an unknown path or a range the config schema does not allow — before anything runs.
    """
    if not isinstance(cfg, Config):
        raise TypeError(
            f"cfg must be a sim.Config (from sim.load_config), got {type(cfg).__name__}"
        )
    started, t0 = dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), time.perf_counter()
    d = _design(
        cfg, load_spec(spec).replace(method=method, n=n, replications=replications, seed=seed)
    )
    Y, stats = _evaluate(cfg, d, executor, workers, progress)
    indices = analyse(d.params, d.X, Y, d.spec.method, seed=d.root, **d.options)
    points = pd.DataFrame({"point": np.arange(len(d.values), dtype=np.int64)})
    result = SensitivityResult(
        method=d.spec.method,
        parameters=d.params,
        outputs=tuple(d.spec.outputs),
        indices=indices,
        samples=pd.concat([points, d.values, Y], axis=1),
        X=d.X,
        manifest=_manifest(cfg, d, stats, started, time.perf_counter() - t0, out_dir),
        spec=d.spec.replace(parameters=d.params),
        config=cfg,
        out_dir=Path(out_dir) if out_dir is not None else None,
    )
    if out_dir is not None:
        write_result(result, out_dir)
    return result


@dataclass(frozen=True)
class _Design:
    """The spec of one analysis, its parameters, its root seed and its sample points."""

    spec: SensitivitySpec
    params: tuple[Parameter, ...]
    root: int
    X: np.ndarray
    values: pd.DataFrame

    @property
    def options(self) -> dict[str, Any]:
        """The sampler's options, also given to the analysis."""
        return {
            "num_levels": self.spec.num_levels,
            "calc_second_order": self.spec.calc_second_order,
        }


def _design(cfg: Config, spec: SensitivitySpec) -> _Design:
    """Resolve the parameters of ``spec`` on ``cfg`` and draw the sample."""
    params = resolve_parameters(spec, cfg)
    root = spec.seed if spec.seed is not None else cfg.experiment.seed
    X = sample(
        params,
        spec.method,
        spec.n,
        seed=root,
        num_levels=spec.num_levels,
        calc_second_order=spec.calc_second_order,
    )
    return _Design(spec, params, root, X, point_values(params, X))


def _evaluate(
    cfg: Config, d: _Design, executor: str | None, workers: int | None, progress: bool | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The outputs at every point of the design, and the run's statistics."""
    show = cfg.experiment.progress if progress is None else progress
    return evaluate_scenario(
        cfg,
        d.values,
        d.spec.outputs,
        d.spec.replications,
        d.root,
        executor,
        workers,
        progress=bool(sys.stderr.isatty() if show is None else show),
    )


def _manifest(
    cfg: Config,
    d: _Design,
    stats: Mapping[str, Any],
    started: str,
    seconds: float,
    out_dir: str | Path | None,
) -> dict[str, Any]:
    """Provenance, design, seeds, executor and wall time of one analysis."""
    spec = d.spec
    return {
        **provenance(),
        "kind": "sensitivity",
        "scenario": cfg.name,
        "config_hash": config_hash(cfg),
        "method": spec.method,
        "n": spec.n,
        "parameters": [p.path for p in d.params],
        "outputs": list(spec.outputs),
        "points": len(d.values),
        "replications": spec.replications,
        "root_seed": d.root,
        "sampler_seed": d.root,
        "num_levels": spec.num_levels if spec.method == "morris" else None,
        "calc_second_order": spec.calc_second_order if spec.method == "sobol" else None,
        "spec_source": spec.source,
        **{k: v for k, v in stats.items() if k != "root_seed"},
        "started": started,
        "wall_seconds": seconds,
        "out_dir": str(Path(out_dir)) if out_dir is not None else None,
    }


def write_result(result: SensitivityResult, out_dir: str | Path) -> Path:
    """Write ``result`` into ``out_dir`` (each file atomically); return the folder."""
    import yaml

    from sim.sensitivity.plots import write_plots

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if result.config is not None:
        text = yaml.safe_dump(result.config.to_dict(), sort_keys=False, allow_unicode=True)
        write_text_atomic(folder / "config.yaml", text)
    if result.spec is not None:
        text = yaml.safe_dump(result.spec.to_dict(), sort_keys=False, allow_unicode=True)
        write_text_atomic(folder / "spec.yaml", text)
    write_parquet_atomic(folder / SAMPLES_FILE, result.samples)
    write_atomic(folder / "samples.csv", lambda p: result.samples.to_csv(p, index=False))
    write_parquet_atomic(folder / INDICES_FILE, result.indices)
    write_atomic(folder / "indices.csv", lambda p: result.indices.to_csv(p, index=False))
    write_plots(result, folder / "plots")
    write_json_atomic(folder / "manifest.json", {**result.manifest, "out_dir": str(folder)})
    return folder


# --------------------------------------------------------------------------- printing


def format_indices(result: SensitivityResult) -> str:
    """The ranked tables of every output, as text (export decline in percentage points)."""
    m = result.manifest
    what = "Morris screening" if result.method == "morris" else "Sobol' analysis"
    lines = [
        f"{what} of {m.get('scenario', 'the model')}: {len(result.parameters)} parameters, "
        f"{m.get('points')} points x {m.get('replications')} replications "
        f"(+ paired baseline), root seed {m.get('root_seed')}, "
        f"{m.get('wall_seconds', float('nan')):.1f} s"
    ]
    for output in result.outputs:
        lines += ["", *_output_table(result, output)]
    if result.out_dir is not None:
        lines += ["", f"Written to {result.out_dir}"]
    return "\n".join(lines)


def _output_table(result: SensitivityResult, output: str) -> list[str]:
    """The ranked table of one output, with noisy Sobol' estimates starred and explained."""
    t = result.table(output).reset_index()
    scale, note = _scale_note(result.method, output)
    noisy = noise_mask(t, result.method)
    cells = {
        c: [
            fmt_number(v * scale) + ("*" if c in noisy and noisy[c].iloc[i] else "")
            for i, v in enumerate(t[c])
        ]
        for c in INDEX_COLUMNS[result.method]
    }
    shown = pd.DataFrame({"rank": t["rank"], "parameter": t["parameter"], **cells})
    lines = [f"{output} ({note})", shown.to_string(index=False)]
    k = int(noisy.to_numpy().sum())
    if k:
        n = result.manifest.get("n", "?")
        lines.append(NOISE_WARNING.format(k=k, total=noisy.size, n=n))
    return lines


def _scale_note(method: str, output: str) -> tuple[float, str]:
    """How an output's indices are shown (a factor) and what they are."""
    if method != "morris":
        return 1.0, "shares of the output's variance"
    if output == "export_decline":
        return 100.0, "mu* = mean |change| across each range, in percentage points"
    return 1.0, "mu* = mean |change| across each range"
