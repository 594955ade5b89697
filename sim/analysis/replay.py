"""Re-simulating one stored replication, with its event log (which a run does not keep).

A replication is a pure function of (config, root seed, index), so running it again gives
the stored row back exactly; the timeline chart draws the one with the median outcome.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.results import as_result

__all__ = ["median_position", "typical_replication"]


def median_position(reps: pd.DataFrame) -> int:
    """The row whose export decline (else exports) is closest to the median; 0 if none is finite."""
    key = "export_decline" if "export_decline" in reps.columns else "exported_bbl"
    values = reps[key].to_numpy(dtype=float)
    if not np.isfinite(values).any():
        return 0
    return int(np.nanargmin(np.abs(values - np.nanmedian(values))))


def typical_replication(result: Any) -> tuple[int, Any]:
    """Re-simulate the replication whose exports are closest to the median, with events.

    Returns ``(replication index, sim.Replication)``. A replication is a pure function of
    (config, root seed, index), so this reproduces the stored one exactly; a warning is
    issued if its metrics do not match the stored row.
    """
    import sim  # lazy: public API only

    result = as_result(result)
    reps = result.replications
    pos = median_position(reps)
    index = int(reps["replication"].iloc[pos]) if "replication" in reps.columns else pos
    cfg = result.config
    manifest = getattr(result, "manifest", None) or {}
    seed = manifest.get("root_seed", manifest.get("seed", cfg.experiment.seed))
    rep = sim.simulate(cfg, seed=int(seed), replication=index, record_events=True)
    if "exported_bbl" in reps.columns:
        _check_reproduced(index, rep.metrics["exported_bbl"], float(reps["exported_bbl"].iloc[pos]))
    return index, rep


def _check_reproduced(index: int, again: float, stored: float) -> None:
    """Warn if the re-simulated exports differ from the stored row's (the code changed)."""
    if not math.isclose(again, stored, rel_tol=1e-9, abs_tol=1e-6):
        warnings.warn(
            f"re-simulated replication {index} exports {again:g} bbl, "
            f"the stored row {stored:g}: the code changed since the run",
            stacklevel=3,
        )
