"""summary.json: the summary table and its attributes survive the round trip exactly."""

from __future__ import annotations

import math

import pandas as pd

from sim.experiment.summary_json import summary_from_json, summary_to_json


def test_summary_json_round_trip() -> None:
    s = pd.DataFrame(
        {
            "mean": [1.0 / 3.0, math.nan],
            "std": [0.1, math.nan],
            "ci_low": [0.2, math.nan],
            "ci_high": [0.4, math.nan],
            "p05": [0.0, math.nan],
            "p50": [0.3, math.nan],
            "p95": [0.9, math.nan],
            "n": [10, 0],
        },
        index=pd.Index(["a", "b"], name="metric"),
    )
    s.attrs.update({"target_met": None, "target_metric": "a"})
    back = summary_from_json(summary_to_json(s))
    pd.testing.assert_frame_equal(back, s, check_exact=True)
    assert back.attrs == s.attrs
