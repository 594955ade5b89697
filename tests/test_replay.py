"""Which replication the timeline re-simulates, and the warning when it no longer matches."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.analysis import replay


def test_the_median_position_prefers_the_export_decline() -> None:
    reps = pd.DataFrame({"export_decline": [5.0, 1.0, math.nan, 3.0], "exported_bbl": [0, 1, 2, 9]})
    assert replay.median_position(reps) == 3
    assert replay.median_position(reps.drop(columns="export_decline")) == 1
    assert replay.median_position(pd.DataFrame({"exported_bbl": [math.nan]})) == 0


def test_a_replication_that_no_longer_matches_its_row_is_a_warning() -> None:
    replay._check_reproduced(4, 1e6, 1e6 + 1e-7)  # rounding: no warning
    with pytest.warns(UserWarning, match="replication 4 exports 2e\\+06 bbl.*the code changed"):
        replay._check_reproduced(4, 2e6, 1e6)
