"""Regret and satisficing (sim.decision.robustness) on cases where they are known exactly,
and targets in the metric's display unit (sim.decision.objective)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.decision.objective import Objective, default_sense, parse_target
from sim.decision.robustness import (
    Point,
    display_frame,
    display_rows,
    robustness,
    robustness_table,
)
from sim.decision.select import SelectionError

SEED = 20251210
DECLINE = Objective("export_decline", maximize=True)


def point(name: str, values, key_values=None, seed: int = SEED, reps=None, metric="export_decline"):
    """A policy's replication table: ``values`` of ``metric`` in replications 0, 1, ..."""
    n = len(values)
    data = {
        "replication": list(range(n)) if reps is None else reps,
        "seed": [seed] * n,
        metric: values,
    }
    keys: tuple[str, ...] = ()
    if key_values is not None:
        data["court.delay_days.median"] = key_values
        keys = ("court.delay_days.median",)
    return Point(name, pd.DataFrame(data), keys)


DRAWS = [1.0, 2.0, 3.0, 4.0]
A = [0.60, 0.70, 0.50, 0.80]
B = [0.65, 0.60, 0.55, 0.80]
C = [0.40, 0.75, 0.52, 0.70]


def test_regret_is_the_shortfall_from_the_best_policy_of_each_draw():
    pts = [point("A", A, DRAWS), point("B", B, DRAWS), point("C", C, DRAWS)]
    df = robustness(pts, DECLINE, parse_target(">=60", "export_decline")).set_index("policy")
    # best per draw: 0.65 (B), 0.75 (C), 0.55 (B), 0.80 (A and B tie)
    expected = {
        "A": [0.05, 0.05, 0.05, 0.00],
        "B": [0.00, 0.15, 0.00, 0.00],
        "C": [0.25, 0.00, 0.03, 0.10],
    }
    for name, regret in expected.items():
        row = df.loc[name]
        assert row["regret_mean"] == pytest.approx(np.mean(regret))
        assert row["regret_max"] == pytest.approx(max(regret))
        assert row["regret_p95"] == pytest.approx(np.quantile(regret, 0.95))
        assert row["draws"] == 4
    assert df.loc["A", "best_share"] == 0.25  # the tie in draw 4 counts for A and B
    assert df.loc["B", "best_share"] == 0.75
    assert df.loc["C", "best_share"] == 0.25
    # satisficing: decline >= 60% (60 typed in %, stored 0.6)
    assert df.loc["A", "target_share"] == 0.75  # 0.60 meets >= 0.60
    assert df.loc["B", "target_share"] == 0.75
    assert df.loc["C", "target_share"] == 0.5
    assert df.loc["C", "target_ci_low"] < 0.5 < df.loc["C", "target_ci_high"]


def test_the_95th_percentile_of_twenty_regrets():
    best = point("best", [1.0] * 20)
    other = point("other", [1.0 - j / 100 for j in range(20)])  # regrets 0, 0.01, ..., 0.19
    df = robustness([best, other], DECLINE).set_index("policy")
    assert df.loc["other", "regret_p95"] == pytest.approx(0.1805)  # linear: 0.95 * 19 / 100
    assert df.loc["other", "regret_max"] == pytest.approx(0.19)
    assert df.loc["best", "regret_max"] == 0.0
    assert np.isnan(df.loc["best", "target_share"])  # no target given


def test_when_smaller_is_better_regret_is_above_the_smallest():
    exported = Objective("exported_bbl", maximize=False)
    pts = [
        point("A", [10.0, 20.0], metric="exported_bbl"),
        point("B", [12.0, 15.0], metric="exported_bbl"),
    ]
    df = robustness(pts, exported).set_index("policy")
    assert df.loc["A", "regret_mean"] == pytest.approx(2.5)  # 0 and 5
    assert df.loc["B", "regret_mean"] == pytest.approx(1.0)  # 2 and 0


def test_only_replications_every_policy_ran_are_compared():
    a = point("A", [0.5, 0.6, 0.9], reps=[0, 1, 2])
    b = point("B", [0.7, 0.4], reps=[1, 2])
    df = robustness([a, b], DECLINE).set_index("policy")
    assert df.loc["A", "draws"] == 2
    assert df.loc["A", "regret_mean"] == pytest.approx((0.1 + 0.0) / 2)


def test_policies_that_did_not_share_their_draws_are_refused():
    a, b = point("A", A, DRAWS), point("B", B, [1.0, 2.0, 3.5, 4.0])
    with pytest.raises(SelectionError, match=r"replication 2 drew court\.delay_days\.median"):
        robustness([a, b], DECLINE)
    with pytest.raises(SelectionError, match="different root seeds"):
        robustness([point("A", A), point("B", B, seed=1)], DECLINE)


def test_a_missing_value_is_refused_but_a_time_to_event_counts_as_not_yet():
    with pytest.raises(SelectionError, match="replication 1"):
        robustness([point("A", [0.5, np.nan]), point("B", [0.5, 0.6])], DECLINE)
    a, b = point("A", A), point("B", B)
    a.replications["days_to_storage_full"] = [10.0, np.nan, 40.0, 20.0]
    b.replications["days_to_storage_full"] = [np.nan] * 4
    df = robustness([a, b], DECLINE, parse_target("days_to_storage_full>=30", "export_decline"))
    assert df.set_index("policy")["target_share"].tolist() == [0.5, 1.0]  # NaN: never full


def test_a_target_on_a_metric_the_runs_lack_names_the_flag():
    target = parse_target("seizures>=3", "export_decline")
    with pytest.raises(SelectionError, match="--target: A has no metric 'seizures'"):
        robustness([point("A", A), point("B", B)], DECLINE, target)


def test_a_single_policy_is_refused():
    with pytest.raises(SelectionError, match="two policies"):
        robustness([point("A", A)], DECLINE)


def test_the_display_is_in_percent_and_percentage_points():
    df = robustness(
        [point("A", A, DRAWS), point("B", B, DRAWS)],
        DECLINE,
        parse_target(">=60", "export_decline"),
    )
    header, rows = display_rows(df)
    assert header[2] == "Export decline (%)" and header[3] == "regret mean (pp)"
    assert rows[0][2] == "65.0" and rows[0][3] == "2.50"  # A: mean 65%, regret 2.5 pp
    shown = display_frame(df)
    assert shown["regret mean (pp)"].tolist() == [2.5, 2.5]  # A: 5, 0, 5, 0; B: 0, 10, 0, 0
    assert shown["Export decline (%) mean"].tolist() == [65.0, 65.0]
    assert "meets export_decline >= 60% (%)" in shown.columns
    table = robustness_table(df)
    assert table.header == header and [r.cells for r in table.rows] == rows


@pytest.mark.parametrize(
    ("text", "metric", "op", "stored"),
    [
        (">=60", "export_decline", ">=", 0.6),
        ("export_decline>=60", "export_decline", ">=", 0.6),
        ("export_decline >= 0.6%", "export_decline", ">=", 0.006),
        ("seizures > 3", "seizures", ">", 3.0),
        ("exported_bbl<=20", "exported_bbl", "<=", 20e6),  # million bbl
    ],
)
def test_a_target_is_read_in_the_metrics_display_unit(text, metric, op, stored):
    t = parse_target(text, "export_decline")
    assert (t.metric, t.op) == (metric, op)
    assert t.value == pytest.approx(stored)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("export_decline>=0.6", "write 60 for 60%"),
        ("decline is high", "METRIC>=VALUE"),
        ("seizures>=3%", "not %"),
        (">=1.2.3", "not a number"),
    ],
)
def test_a_target_mistake_is_one_line_naming_the_flag(text, words):
    with pytest.raises(SelectionError, match="--target") as exc:
        parse_target(text, "export_decline")
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_the_sense_defaults_from_the_metric_or_is_asked_for():
    assert default_sense("export_decline", None) is True
    assert default_sense("exported_bbl", None) is False
    assert default_sense("export_decline", False) is False
    with pytest.raises(SelectionError, match="--maximize or --minimize"):
        default_sense("team_utilization", None)
