"""How the sweep charts respond: names in the sweep's order (the reference first), scales
that do not stretch a small difference over the whole axis, labels from the registries."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis import sweep_heatmap, sweep_lines
from sim.analysis._common import MIN_SPAN_PP
from sim.analysis.sweep import ordered_values
from sim.labels import KEY_LABELS, key_label, key_name
from sim.sources import lookup
from sim.sweep_table import OVERRIDES_ATTR, SWEPT_ATTR

POLICIES = ("wait_outside", "enter_after_14d", "enter_after_30d")  # job order: reference first


def _table(points: list[dict[str, object]], keys: list[str]) -> pd.DataFrame:
    """A sweep table as :func:`sim.sweep_table.aggregate_sweep` records it, rows shuffled."""
    rows = []
    for job, point in enumerate(points):
        decline, seizures = float(point.pop("decline")), float(point.pop("seizures"))  # type: ignore[arg-type]
        row: dict[str, object] = {"job": job, "run_dir": str(job), **point, "replications": 20}
        for metric, mean, half in (("export_decline", decline, 0.012), ("seizures", seizures, 0.9)):
            row |= {f"{metric}_mean": mean, f"{metric}_ci_low": mean - half}
            row[f"{metric}_ci_high"] = mean + half
        rows.append(row)
    df = pd.DataFrame(rows).iloc[::-1].reset_index(drop=True)  # not in job order
    df.attrs[OVERRIDES_ATTR] = keys
    df.attrs[SWEPT_ATTR] = keys
    return df


@pytest.fixture
def policies() -> pd.DataFrame:
    """The policy sweep of the issue: declines 72.9, 76.3, 76.0 % (a 3.4 pp spread)."""
    declines = (0.729, 0.763, 0.760)
    return _table(
        [
            {"policy": p, "decline": d, "seizures": 9.0 + k}
            for k, (p, d) in enumerate(zip(POLICIES, declines, strict=True))
        ],
        ["policy"],
    )


@pytest.fixture
def grid() -> pd.DataFrame:
    """Teams x court delay, declines within 2 pp of each other."""
    points = [
        {"navy.boarding_teams": t, "court.delay_days.median": d, "decline": 0.74 + 0.01 * i}
        | {"seizures": 8.0 + i}
        for i, (t, d) in enumerate(itertools.product((2, 4), (3, 1)))
    ]
    return _table(points, ["navy.boarding_teams", "court.delay_days.median"])


def test_names_run_in_the_sweeps_order_with_the_reference_first(policies: pd.DataFrame) -> None:
    ax = sweep_lines(policies, "policy", "export_decline").axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(POLICIES)  # not alphabetical
    assert sorted(POLICIES) != list(POLICIES)
    means = next(ln for ln in ax.get_lines() if ln.get_label() == "mean")
    np.testing.assert_allclose(means.get_ydata(), [72.9, 76.3, 76.0])


def test_a_small_spread_of_percentages_does_not_fill_the_axis(policies: pd.DataFrame) -> None:
    ax = sweep_lines(policies, "policy", "export_decline").axes[0]
    low, high = ax.get_ylim()
    assert high - low >= MIN_SPAN_PP
    assert low <= 72.9 - 1.2 and high >= 76.3 + 1.2  # every CI inside
    assert "y-axis spans at least 20 pp" in ax.get_title()


def test_counts_start_at_zero(policies: pd.DataFrame) -> None:
    ax = sweep_lines(policies, "policy", "seizures").axes[0]
    low, high = ax.get_ylim()
    assert low == 0.0 and high >= 11.9


def test_labels_come_from_the_registries(grid: pd.DataFrame) -> None:
    fig = sweep_lines(
        grid, "navy.boarding_teams", "export_decline", group="court.delay_days.median"
    )
    ax = fig.axes[0]
    assert ax.get_xlabel() == key_label("navy.boarding_teams") == "Boarding teams (teams)"
    assert ax.get_ylabel() == sim.metrics.metric("export_decline").heading
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "Median court delay (days)"
    heat = sweep_heatmap(grid, "navy.boarding_teams", "court.delay_days.median", "export_decline")
    hax = heat.axes[0]
    assert hax.get_ylabel() == key_label("court.delay_days.median")
    assert hax.get_title().startswith("Mean export decline (%) by median court delay and boarding")


def test_a_2_pp_heatmap_does_not_use_the_whole_colour_scale(grid: pd.DataFrame) -> None:
    fig = sweep_heatmap(grid, "navy.boarding_teams", "court.delay_days.median", "export_decline")
    image = fig.axes[0].get_images()[0]
    low, high = image.get_clim()
    assert high - low >= MIN_SPAN_PP
    assert low <= 74.0 and high >= 77.0
    norm = image.norm
    assert norm(77.0) - norm(74.0) <= 3.0 / MIN_SPAN_PP + 1e-9  # 3 pp is 15% of the scale
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "74.0%\n[72.8–75.2]" in texts  # the CI stays in the cells
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["1", "3"]  # numbers ascend
    seizures = sweep_heatmap(grid, "navy.boarding_teams", "court.delay_days.median", "seizures")
    assert seizures.axes[0].get_images()[0].get_clim()[0] == 0.0


def test_numbers_ascend_and_a_null_makes_names_in_the_sweeps_order() -> None:
    assert ordered_values(pd.Series([4, 2, 3])) == (["2", "3", "4"], [2.0, 3.0, 4.0])
    assert ordered_values(pd.Series([None, 30, 14])) == (["null", "30", "14"], None)
    assert ordered_values(pd.Series(["on_loading", "blanket", "on_loading"])) == (
        ["on_loading", "blanket"],
        None,
    )


def test_every_registered_key_is_a_config_key() -> None:
    """A label for a key that does not exist would never be used: each entry names a real
    setting of the bundled scenario (groups: each owner group), or a Hydra group."""
    data = sim.load_config("venezuela_dec2025").to_dict()
    groups = list(data["behaviour"]["groups"])
    for key in KEY_LABELS:
        if key in ("scenario", "policy"):  # Hydra config groups: the scenario, the preset
            continue
        for concrete in [key.replace("*", g) for g in groups] if "*" in key else [key]:
            assert lookup(data, concrete)[0], concrete


def test_key_labels_fall_back_to_the_key() -> None:
    assert key_label("navy.no_such_key") == "navy.no_such_key"
    assert key_label("++navy.boarding_teams") == "Boarding teams (teams)"
    assert key_label("court.delay_days.sigma") == "Log-sd (sigma) of court delay"  # unitless
    assert key_name("behaviour.groups.shadow.patience_days.mean") == (
        "Mean patience of loaded tankers, shadow"
    )
