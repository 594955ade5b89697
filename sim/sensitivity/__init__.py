"""Sensitivity analysis of a scenario with SALib: declare -> sample -> evaluate -> analyse.

- **declare** (:mod:`.declare`): which config paths vary over which ranges, which outputs
  to record (:class:`SensitivitySpec`, read from ``scenarios/sensitivity/<name>.yaml``), and
  how a value reaches the config (:func:`apply_values`; ``court.delay_days.median`` addresses
  a parameter of a distribution).
- **sample** (:mod:`.sample`): a Morris or Sobol' design (``SALib.sample``).
- **evaluate** (:mod:`.evaluate`): every point runs the same replications (common random
  numbers) with the paired baseline, one task per distinct config on the experiment
  executors.
- **analyse** (:mod:`.analyse`): Morris mu*/sigma or Sobol' S1/ST, ranked per output;
  charts in :mod:`.plots`.

``run_sensitivity`` chains the four; ``blockade sensitivity`` is :mod:`sim.cli.sensitivity`.
"""

from sim.sensitivity.analyse import INDEX_COLUMNS, analyse, noise_mask
from sim.sensitivity.declare import (
    METHODS,
    OUTPUTS,
    Parameter,
    SensitivityError,
    SensitivitySpec,
    apply_values,
    available_specs,
    load_spec,
    parse_spec,
    resolve_parameters,
)
from sim.sensitivity.evaluate import evaluate_function, evaluate_scenario
from sim.sensitivity.plots import indices_chart, morris_chart, write_plots
from sim.sensitivity.run import SensitivityResult, format_indices, run_sensitivity, write_result
from sim.sensitivity.sample import design_size, point_values, problem, sample

__all__ = [
    "INDEX_COLUMNS",
    "METHODS",
    "OUTPUTS",
    "Parameter",
    "SensitivityError",
    "SensitivityResult",
    "SensitivitySpec",
    "analyse",
    "apply_values",
    "available_specs",
    "design_size",
    "evaluate_function",
    "evaluate_scenario",
    "format_indices",
    "indices_chart",
    "load_spec",
    "morris_chart",
    "noise_mask",
    "parse_spec",
    "point_values",
    "problem",
    "resolve_parameters",
    "run_sensitivity",
    "sample",
    "write_plots",
    "write_result",
]
