"""What a finished ABC run says: the posterior, per-generation diagnostics, the posterior
predictive check against each observation, and warnings an analyst must not miss."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.calibration.priors import bounds
from sim.calibration.simulator import Simulator, particle_config
from sim.experiment.atomic import write_json_atomic, write_parquet_atomic, write_text_atomic

if TYPE_CHECKING:
    from sim.calibration.observations import Observations
    from sim.calibration.run import Calibration, Settings
    from sim.config import Config

#: Manifest statuses of a calibration that is over (``budget``: stopped before temperature 1).
DONE = ("complete", "budget")
EDGE = 0.05  # the outer share of a bounded prior's range watched for piled-up posterior mass
EDGE_ALARM = 0.25  # ... more posterior weight than this there (a flat posterior puts 5%)
Z_ALARM = 2.5  # an observation this many predictive SDs from the model's mean
ESS_ALARM = 0.1  # an effective sample below this share of the population


def posterior_frame(history: Any, keys: list[str]) -> pd.DataFrame:
    """The last generation: a column per key, plus ``weight`` (normalised to sum to 1)."""
    df, w = history.get_distribution(m=0, t=history.max_t)
    out = df[keys].reset_index(drop=True).astype(float)
    out.columns.name = None
    out["weight"] = np.asarray(w, dtype=float) / float(np.sum(w))
    return out


def generations_frame(history: Any) -> pd.DataFrame:
    """Per generation: temperature, samples, acceptance rate, effective sample size."""
    from pyabc.weighted_statistics import effective_sample_size

    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    rows = []
    for row in pops.itertuples():
        _, w = history.get_distribution(m=0, t=int(row.t))
        rows.append(
            {
                "generation": int(row.t),
                "temperature": float(row.epsilon),
                "samples": int(row.samples),
                "particles": int(row.particles),
                "acceptance_rate": row.particles / row.samples,
                "ess": float(effective_sample_size(np.asarray(w, dtype=float))),
                "seconds": float(row.wall_time),
            }
        )
    frame = pd.DataFrame(rows)
    frame["simulations"] = frame["samples"].cumsum()
    return frame


def predictive_draws(
    simulator: Simulator, posterior: pd.DataFrame, n: int, seed: int
) -> pd.DataFrame:
    """``n`` fresh replications at posterior draws: the model's figure of each observation."""
    rng = np.random.default_rng([seed, 0xC0FFEE])
    keys = [c for c in posterior.columns if c != "weight"]
    picks = rng.choice(len(posterior), size=n, p=posterior["weight"].to_numpy())
    rows = []
    for replication, i in enumerate(picks):
        values = {k: float(posterior.iloc[int(i)][k]) for k in keys}
        rows.append(simulator.figures(values, replication))
    return pd.DataFrame(rows, columns=list(simulator.observations.ids))


def predictive_table(draws: pd.DataFrame, observations: Observations, seed: int) -> pd.DataFrame:
    """Per observation: observed value and uncertainty, the model's mean, p05, p95, and z.

    ``z`` is (observed - model mean) / sqrt(uncertainty^2 + model variance), and ``p_below``
    the predictive probability (model plus the observation's own error) of a figure at or
    below the observed one: an observation the posterior cannot reproduce shows |z| > 2.5.
    """
    rng = np.random.default_rng([seed, 0xBEEF])
    rows = []
    for ob, value, sd in zip(
        observations.items, observations.values, observations.uncertainties, strict=True
    ):
        model = draws[ob.id].to_numpy(dtype=float)
        noisy = model + rng.normal(0.0, sd, size=model.size)
        spread = math.sqrt(sd**2 + float(model.var(ddof=1)))
        rows.append(
            {
                "id": ob.id,
                "what": ob.what,
                "observed": float(value),
                "uncertainty": float(sd),
                "model_mean": float(model.mean()),
                "model_p05": float(np.quantile(model, 0.05)),
                "model_p95": float(np.quantile(model, 0.95)),
                "z": (float(value) - float(model.mean())) / spread,
                "p_below": float(np.mean(noisy <= value)),
                "source": ob.source,
            }
        )
    return pd.DataFrame(rows)


def edge_shares(cfg: Config, posterior: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Posterior weight in the lowest and highest 5% of each bounded prior's range."""
    out = {}
    w = posterior["weight"].to_numpy()
    for key, dist in cfg.uncertain.items():
        if dist.dist not in ("uniform", "triangular"):
            continue
        lo, hi = bounds(dist)
        x = posterior[key].to_numpy()
        width = EDGE * (hi - lo)
        out[key] = (float(w[x <= lo + width].sum()), float(w[x >= hi - width].sum()))
    return out


def warnings_of(
    cfg: Config,
    posterior: pd.DataFrame,
    generations: pd.DataFrame,
    predictive: pd.DataFrame,
    settings: Settings,
) -> list[str]:
    """One line for each thing that makes the posterior doubtful."""
    out = []
    final = generations.iloc[-1]
    if final["temperature"] > 1.0 + 1e-9:
        out.append(
            f"stopped at temperature {final['temperature']:.3g} before reaching 1 (budget "
            f"{settings.max_simulations} simulations): the posterior is wider than the data "
            "say; raise --max-simulations"
        )
    if final["ess"] < ESS_ALARM * settings.population:
        out.append(
            f"only {final['ess']:.0f} effective particles of {settings.population}: the "
            "posterior is noisy; raise --population"
        )
    for key, (low, high) in edge_shares(cfg, posterior).items():
        for side, share in (("lowest", low), ("highest", high)):
            if share > EDGE_ALARM:
                out.append(
                    f"uncertain.{key}: {share:.0%} of the posterior lies in the {side} 5% of "
                    "its prior range: the data push against the prior's bound; widen it "
                    "if the bound is not physical"
                )
    for row in predictive.to_dict("records"):
        if abs(row["z"]) > Z_ALARM:
            out.append(
                f"{row['id']}: observed {row['observed']:.4g}, the posterior predicts "
                f"{row['model_mean']:.4g} [{row['model_p05']:.4g}, {row['model_p95']:.4g}] "
                f"(z = {row['z']:+.1f}): the model cannot reproduce it with these priors"
            )
    return out


def finish(
    folder: Path,
    cfg: Config,
    observations: Observations,
    settings: Settings,
    history: Any,
    manifest: dict[str, Any],
    seconds: float,
) -> Calibration:
    """Write the posterior, diagnostics, predictive check, plots and final manifest."""
    from sim.calibration.plots import write_plots
    from sim.calibration.run import Calibration

    posterior = posterior_frame(history, list(cfg.uncertain))
    generations = generations_frame(history)
    simulator = Simulator(
        particle_config(cfg, observations),
        observations,
        tuple(cfg.uncertain),
        int(cfg.experiment.seed),
    )
    draws = predictive_draws(simulator, posterior, settings.predictive, settings.seed)
    predictive = predictive_table(draws, observations, settings.seed)
    warnings = warnings_of(cfg, posterior, generations, predictive, settings)
    write_parquet_atomic(folder / "posterior.parquet", posterior)
    write_text_atomic(folder / "posterior.csv", posterior.to_csv(index=False))
    write_text_atomic(folder / "generations.csv", generations.to_csv(index=False))
    write_text_atomic(folder / "predictive.csv", predictive.to_csv(index=False))
    if settings.plots:
        write_plots(folder / "plots", cfg, posterior, draws, observations)
    simulations = int(history.total_nr_simulations)
    final = generations.iloc[-1]
    manifest = manifest | {
        "status": "complete" if final["temperature"] <= 1.0 + 1e-9 else "budget",
        "simulations": simulations,
        "generations": len(generations),
        "calibration_seconds": seconds,
        "simulations_per_second": simulations / seconds if seconds > 0 else None,
        "final_temperature": float(final["temperature"]),
        "final_ess": float(final["ess"]),
        "warnings": warnings,
        "settings": asdict(settings),
    }
    write_json_atomic(folder / "manifest.json", manifest)
    return Calibration(folder, posterior, generations, predictive, manifest, warnings)
