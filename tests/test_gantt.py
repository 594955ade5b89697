"""The timeline chart's lanes, zoom and title when only the first tankers are shown, and the
strip that stands in for the tankers that only turned back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.gantt import MIN_QUIET, quiet_tankers, timeline_chart


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


# --------------------------------------------------------------------------- quiet tankers


def _with_turnbacks() -> pd.DataFrame:
    """Tankers 3 and 1 have a story; 10-13 only wait outside and turn back (11 twice)."""
    rows = [
        (0.0, 3, "arrive", "licensed"),
        (1.0, 3, "berth", "licensed"),
        (2.0, 3, "loaded", "licensed"),
        (3.0, 3, "depart", "licensed"),
        (4.0, 3, "exported", "licensed"),
        (0.5, 1, "arrive", "sanctioned"),
        (4.0, 1, "berth", "sanctioned"),
        (5.0, 1, "seized", "sanctioned"),
        (1.0, 10, "arrive", "sanctioned"),
        (1.0, 10, "outside", "sanctioned"),
        (4.0, 10, "turnback", "sanctioned"),
        (2.0, 11, "arrive", "unsanctioned"),
        (2.0, 11, "outside", "unsanctioned"),
        (3.0, 11, "turnback", "unsanctioned"),
        (6.0, 11, "arrive", "unsanctioned"),
        (6.0, 11, "outside", "unsanctioned"),
        (8.0, 11, "turnback", "unsanctioned"),
        (2.5, 12, "arrive", "unsanctioned"),
        (2.5, 12, "outside", "unsanctioned"),
        (7.0, 12, "turnback", "unsanctioned"),
        (7.5, 13, "arrive", "unsanctioned"),
        (7.5, 13, "outside", "unsanctioned"),  # still waiting at the end
    ]
    events = pd.DataFrame(rows, columns=["time", "tanker", "kind", "status"])
    events["tanker_class"] = "VLCC"
    events["bbl"] = 0.0
    return events


def test_tankers_that_only_turned_back_share_one_strip() -> None:
    events = _with_turnbacks()
    assert quiet_tankers(events) == {10, 11, 12, 13}
    fig = timeline_chart(events, title="mine")
    lanes, strip = fig.axes[:2]
    assert [t.get_text() for t in lanes.get_yticklabels()] == ["#1 VLCC", "#3 VLCC"]
    assert "the 4 that only turned back share the strip below" in lanes.get_title()
    title = strip.get_title(loc="left")
    assert "the 4 tankers" in title and "(1 sanctioned, 3 unsanctioned)" in title
    assert strip.get_xlabel() == "simulation time (days)" and lanes.get_xlabel() == ""
    # the turnbacks so far: 0 at first, then one more at each turnback, four in all
    (turned,) = [ln for ln in strip.get_lines() if ln.get_label().startswith("turnbacks")]
    assert list(turned.get_xdata()) == [0.0, 3.0, 4.0, 7.0, 8.0]
    assert list(turned.get_ydata()) == [0, 1, 2, 3, 4]
    # at anchor outside: 10 from day 1, 11 from 2, 12 from 2.5 -> three at once at most
    (outside,) = [c for c in strip.collections if c.get_label() == "at anchor outside now"]
    heights = np.concatenate([p.vertices[:, 1] for p in outside.get_paths()])
    assert heights.max() == 3.0
    assert strip.get_ylim()[1] >= 4.0


def test_without_grouping_every_tanker_has_its_row() -> None:
    fig = timeline_chart(_with_turnbacks(), group_quiet=False)
    assert len(fig.axes[0].get_yticklabels()) == 6
    assert len(fig.axes) == 1  # no strip


def test_a_few_quiet_tankers_keep_their_rows() -> None:
    events = _with_turnbacks()
    events = events[~events["tanker"].isin([12, 13])]  # two quiet tankers: fewer than MIN_QUIET
    assert MIN_QUIET == 3
    fig = timeline_chart(events)
    assert len(fig.axes[0].get_yticklabels()) == 4
