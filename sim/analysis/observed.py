"""Model vs what happened: a run's figures for each observation of an observations file.

The observations (format and loader: :mod:`sim.calibration.observations`) are figures of one
replication: a series over a window or a whole-run metric. A run folder keeps every
replication's metrics (``replications.parquet``) and the daily series of a sample of them
(``state/aggregate.npz``: every replication up to its capacity, 2,000, a fixed random
subset beyond), so each observation's figure is computed from the replications of that
sample with the observation's own :meth:`~sim.calibration.observations.Observation.of`,
and summarised by the calibration's predictive check
(:func:`sim.calibration.checks.predictive_table`: mean, p05, p95 and z).

Which file: the one given (``blockade report DIR --observations FILE``), else the bundled
``scenarios/observations/<scenario>.yaml`` when the run is of the bundled scenario of that
name (a file in ``scenarios/scenario/`` and one in ``scenarios/observations/``, the same
rule as ``blockade calibrate``), else none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from sim.analysis.sample import sample_of_state
from sim.experiment.atomic import read_npz
from sim.experiment.store import AGGREGATE_FILE, MANIFEST_FILE, damaged_file
from sim.formatting import fmt_number
from sim.metrics import BPD, MILLION_BBL, Metric, metric

if TYPE_CHECKING:
    from sim.calibration.observations import Observation, Observations
    from sim.config import Config

#: The world whose figures are compared with what happened.
WORLD = "blockade"
#: The columns of the report's table.
HEADER = [
    "id",
    "what it measures",
    "unit",
    "observed ± 1 SD",
    "model mean",
    "model p05 – p95",
    "z",
    "source (docs/sources.md)",
]


@dataclass(frozen=True)
class _Stored:
    """One stored replication, as :meth:`Observation.of` reads it: metrics and daily rows."""

    metrics: dict[str, float]
    daily: np.ndarray


@dataclass(frozen=True)
class Comparison:
    """The model's figures for a set of observations, and where they came from."""

    observations: Observations
    table: pd.DataFrame  # :func:`sim.calibration.checks.predictive_table`'s columns
    replications: int  # replications the figures come from (the stored daily sample)
    of: int  # replications of the run
    path: str  # the observations file, as shown


def bundled_path(config: dict[str, Any]) -> Path | None:
    """``scenarios/observations/<name>.yaml`` when the run is of a bundled scenario that has
    one (None otherwise)."""
    from sim.config import scenarios_dir

    name = str(config.get("name") or "")
    try:
        root = scenarios_dir()
    except FileNotFoundError:
        return None
    path = root / "observations" / f"{name}.yaml"
    bundled = (root / "scenario" / f"{name}.yaml").is_file()
    return path if name and bundled and path.is_file() else None


def unit_of(ob: Observation) -> Metric:
    """The registry entry an observation's figure is shown in: its metric, or a series'
    statistic (a rate of barrels in thousand bpd, barrels in million bbl, else tankers)."""
    if ob.metric is not None:
        return metric(ob.metric)
    series = str(ob.series)
    if ob.statistic == "rate":
        unit = BPD
    elif series.endswith("_bbl"):
        unit = MILLION_BBL
    else:  # seizures_cum, tankers_waiting: counts of tankers
        return replace(metric("seizures"), name=series, label=ob.what)
    return Metric(series, ob.what, unit[0], unit[1], ob.what)


# --------------------------------------------------------------------------- the figures


def stored_replications(folder: Path, reps: pd.DataFrame) -> list[tuple[int, _Stored]]:
    """The replications whose daily series the folder keeps, in replication order."""
    path = folder / AGGREGATE_FILE
    if not path.is_file():
        return []
    _check_sum(folder, path)
    try:
        sample = sample_of_state(read_npz(path))
        world = sample.worlds.index(WORLD) if sample is not None else 0
    except (OSError, KeyError, ValueError) as exc:
        raise damaged_file(path, folder, f"{type(exc).__name__}: {exc}"[:200]) from None
    if sample is None:
        return []
    order = np.argsort(sample.replications, kind="stable")
    rows = reps.set_index("replication")
    out = []
    for i, series in zip(sample.replications[order].tolist(), sample.series[order], strict=True):
        if i in rows.index:
            values = {k: float(v) for k, v in rows.loc[i].items() if _is_number(v)}
            out.append((int(i), _Stored(values, series[world])))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating)


def _check_sum(folder: Path, path: Path) -> None:
    """The aggregate's SHA-256 is the one the manifest records (when it records one)."""
    from sim.experiment.atomic import read_json
    from sim.experiment.hashing import sha256_file

    manifest = folder / MANIFEST_FILE
    recorded = read_json(manifest).get("checksums", {}) if manifest.is_file() else {}
    if AGGREGATE_FILE in recorded and sha256_file(path) != recorded[AGGREGATE_FILE]:
        raise damaged_file(path, folder, f"checksum mismatch with {MANIFEST_FILE}")


def draws(observations: Observations, stored: list[tuple[int, _Stored]]) -> pd.DataFrame:
    """Each stored replication's figure of each observation (a column per id)."""
    rows = [observations.of(cast(Any, rep)) for _, rep in stored]
    index = pd.Index([i for i, _ in stored], name="replication")
    return pd.DataFrame(rows, columns=list(observations.ids), index=index, dtype=float)


def compare(
    folder: Path, result: Any, observations: Observations, path: str = ""
) -> Comparison | None:
    """The run's figures for ``observations`` (None without stored daily series)."""
    from sim.calibration.checks import predictive_table

    stored = stored_replications(folder, result.replications)
    if len(stored) < 2:
        return None
    figures = draws(observations, stored)
    table = predictive_table(figures, observations, int(result.config.experiment.seed))
    n = len(result.replications)
    return Comparison(observations, table, len(stored), n, path or observations.name)


def default_observations(cfg: Config) -> Observations | None:
    """The bundled observations of the run's scenario (:func:`bundled_path`) when they fit
    the run (a window within its horizon...), else None: what the CLI draws on the charts."""
    from sim.calibration.observations import ObservationsError

    path = bundled_path({"name": cfg.name})
    if path is None:
        return None
    try:
        return load(path, cfg)
    except ObservationsError:
        return None


def load(path: Path | str, cfg: Config) -> Observations:
    """An observations file checked against the run's config (ObservationsError if not)."""
    from sim.calibration.observations import load_observations

    return load_observations(path, cfg)


# --------------------------------------------------------------------------- in words


def _fmt(m: Metric, value: float) -> str:
    return "–" if math.isnan(value) else fmt_number(m.show(value))


def rows(c: Comparison) -> list[list[str]]:
    """The table's rows: one per observation, in display units."""
    from sim.sources import cited_ids, parse_sources, sources_path

    where = sources_path()
    facts = parse_sources(where) if where is not None else {}
    out = []
    for ob, row in zip(c.observations.items, c.table.to_dict("records"), strict=True):
        m = unit_of(ob)
        cited = [facts[i] for i in cited_ids(ob.source) if i in facts]
        source = "; ".join(f"{f.id}: {f.fact} ({f.source})" for f in cited) or ob.source
        out.append(
            [
                ob.id,
                ob.what,
                m.unit,
                f"{_fmt(m, ob.value)} ± {_fmt(m, ob.uncertainty)}",
                _fmt(m, row["model_mean"]),
                f"{_fmt(m, row['model_p05'])} – {_fmt(m, row['model_p95'])}",
                f"{row['z']:+.1f}" if math.isfinite(row["z"]) else "–",
                source,
            ]
        )
    return out


def fit_line(c: Comparison) -> str:
    """One line: how many observations the run reproduces, and which it does not."""
    from sim.calibration.checks import Z_ALARM

    z = c.table["z"].to_numpy(dtype=float)
    far = [ob.id for ob, v in zip(c.observations.items, z, strict=True) if not abs(v) <= Z_ALARM]
    n = len(c.observations.items)
    head = f"Against what happened ({c.observations.name}, {n} observations): "
    if not far:
        return head + (
            f"all within {Z_ALARM:g} predictive standard deviations of the model "
            f"(z from {np.nanmin(z):+.1f} to {np.nanmax(z):+.1f})"
        )
    return head + (
        f"{n - len(far)} of {n} within {Z_ALARM:g} predictive standard deviations; "
        f"{', '.join(far)} not: the model does not reproduce "
        f"{'it' if len(far) == 1 else 'them'} in this run"
    )
