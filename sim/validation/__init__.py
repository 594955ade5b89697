"""The validation report (docs/validation.md): the model against closed forms, facts and
common sense. ``python -m benchmarks.validation`` writes it.

Five sections, all computed (nothing in the page is typed by hand but the fixed prose):

1. **Analytic cases** (V1-V4 of docs/sources.md, :mod:`sim.validation.analytic`): degenerate
   configs of ``scenarios/validation/`` against their closed forms
   (:mod:`sim.validation.theory`), with a 95% confidence interval from independent
   replications (replication i uses ``SeedSequence(ROOT_SEED, (i,))``, as in
   ``tests/test_validation.py``).
2. **Venezuela baseline** (:mod:`sim.validation.baseline`): ``run_experiment`` of
   ``venezuela_dec2025`` with its paired no-blockade baseline, against F10-F12 and F19 of
   docs/sources.md.
3. **Face validity** (:mod:`sim.validation.levers`, :mod:`sim.validation.face`,
   :mod:`sim.validation.notes`): responses of export decline and seizures to five levers,
   every point on the same seeds (common random numbers), with 95% bands and paired
   differences.
4. **Cliffs**: the largest paired step of the mean export decline between adjacent values of
   each lever of ``benchmarks/cliffs.py``, against its 8 pp limit.
5. **Known limitations**: those of docs/model.md, and what the experiments above reveal.

The page itself is rendered by :mod:`sim.validation.report`, its figures drawn by
:mod:`sim.validation.figures`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMMAND", "QUICK", "ROOT_SEED", "SCENARIO", "Sizes"]

ROOT_SEED = 20251210  # the root seed of the statistical tests (tests/conftest.py)
SCENARIO = "venezuela_dec2025"
COMMAND = "python -m benchmarks.validation"


@dataclass
class Sizes:
    """Replications and horizons of one run of the generator."""

    v1: int = 40
    v2: int = 40
    v3: int = 200
    v4: int = 40
    scenario: int = 400
    face: int = 200
    cliffs: int = 150  # replications per point of the cliff sweeps (the criterion's minimum)
    cliff_points: int | None = None  # at most this many points per cliff sweep (None: all)
    horizon_scale: float = 1.0  # analytic horizons are multiplied by this (quick: shorter)
    quick: bool = False


QUICK = Sizes(
    v1=4, v2=4, v3=20, v4=4, scenario=12, face=8, cliffs=8, cliff_points=3, horizon_scale=0.2,
    quick=True,
)  # fmt: skip
