"""The timeline chart's lanes, zoom and title when only the first tankers are shown."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.analysis.gantt import timeline_chart


def _events() -> pd.DataFrame:
    rows = [  # time, tanker, kind, status: tankers 3 and 1 appear first
        (0.0, 3, "arrive", "licensed"),
        (1.0, 3, "berth", "licensed"),
        (2.0, 3, "loaded", "licensed"),
        (3.0, 3, "depart", "licensed"),
        (4.0, 3, "exported", "licensed"),
        (0.5, 1, "arrive", "sanctioned"),
        (4.0, 1, "berth", "sanctioned"),
        (5.0, 1, "seized", "sanctioned"),
        (6.0, 0, "arrive", "unsanctioned"),
        (8.0, 2, "arrive", "sanctioned"),
        (9.0, 2, "berth", "sanctioned"),
    ]
    events = pd.DataFrame(rows, columns=["time", "tanker", "kind", "status"])
    events["tanker_class"] = "VLCC"
    events["bbl"] = 0.0
    return events


def test_a_capped_chart_shows_the_first_tankers_by_status_and_zooms_on_them() -> None:
    fig = timeline_chart(_events(), title="mine", max_tankers=2)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["#1 VLCC", "#3 VLCC"]
    assert ax.get_title() == "mine\nthe first 2 of 4 tankers to appear"
    # the horizon is the last event (day 9); the zoom ends just after the shown lanes' last end
    assert ax.get_xlim() == pytest.approx((0.0, 5.0 * 1.02))


def test_an_uncapped_chart_keeps_the_title_and_the_whole_run() -> None:
    fig = timeline_chart(_events(), title="mine")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "#1 VLCC",
        "#2 VLCC",
        "#0 VLCC",
        "#3 VLCC",
    ]
    assert ax.get_title() == "mine"
    assert ax.get_xlim() == (0.0, 9.0)
    assert (
        timeline_chart(_events()).axes[0].get_title() == "Timeline of one replication — 4 tankers"
    )
