"""Observed figures on the time charts: what happened, beside what the model says.

An observations file (:mod:`sim.calibration.observations`) says what each figure measures:
a daily series over a window (a rate, a total, the last level, a mean) or a whole-run metric.
:func:`observation_marks` turns those that map onto a chart's series into :class:`Mark`
records in the chart's units; :func:`draw_marks` draws them: a figure over a window as a
horizontal segment across the window with a box of ±1 standard deviation, a figure at one
moment as a point with a ±1 standard deviation bar, each labelled with its id, value,
window and the rows of ``docs/sources.md`` its source cites.

How a chart shows its series (its ``kind``):

- ``rate``: a daily flow as a rate per day (a rate, a mean of daily values, or a total over
  its window's days);
- ``cumulative``: a daily flow summed from day 0 (a total, or a rate times its days, of a
  window that starts at day 0, at the window's end);
- ``level``: a level (the last value at the window's end, a mean over the window).

Whole-run metrics map to the series they end (``exported_bbl`` onto cumulative exports at the
horizon, ``seizures`` onto cumulative seizures, ``stranded_day21_bbl`` onto the stranded level
at the end of day 21, ``exported_bpd`` onto the export rate over the whole run).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from matplotlib.axes import Axes

from sim.formatting import fmt_number
from sim.metrics import STRANDED_DAYS, stranded_day_key
from sim.sources import cited_ids

if TYPE_CHECKING:
    from sim.calibration.observations import Observation, Observations

__all__ = ["OBSERVED_COLOUR", "Mark", "as_observations", "draw_marks", "observation_marks"]

Kind = Literal["rate", "level", "cumulative"]
#: The colour of an observed figure on every chart (not a world's, not a timeline change's).
OBSERVED_COLOUR = "#222222"

#: Whole-run metrics that an observation may give, by the chart series they map onto.
METRIC_MARKS: dict[tuple[str, Kind], frozenset[str]] = {
    ("exported_bbl", "rate"): frozenset({"exported_bpd"}),
    ("exported_bbl", "cumulative"): frozenset({"exported_bbl"}),
    ("shut_in_bbl", "cumulative"): frozenset({"shut_in_bbl"}),
    ("seizures_cum", "level"): frozenset({"seizures"}),
    ("storage_bbl", "level"): frozenset({"storage_end_bbl"}),
    ("stranded_bbl", "level"): frozenset(
        {"stranded_bbl", *(stranded_day_key(d) for d in STRANDED_DAYS)}
    ),
}
#: The window of a whole-run metric (start, end) in days: None is the horizon.
METRIC_WINDOWS: dict[str, tuple[float | None, float | None]] = {
    "exported_bpd": (0.0, None),
    **{stranded_day_key(d): (d + 1.0, d + 1.0) for d in STRANDED_DAYS},
}


@dataclass(frozen=True)
class Mark:
    """One observation as a chart draws it: its time (days of the run) and value (chart units).

    ``start == end`` is a figure at one moment (the end of day ``end - 1``).
    """

    id: str
    start: float
    end: float
    value: float
    sd: float
    label: str

    @property
    def point(self) -> bool:
        """Whether the figure is of one moment (drawn as a point), not of a window."""
        return self.start == self.end


def as_observations(observations: Any, cfg: Any) -> Observations | None:
    """``observations`` as :class:`Observations`: itself, or read from a file against ``cfg``."""
    if observations is None:
        return None
    if isinstance(observations, str | os.PathLike):
        from sim.calibration.observations import load_observations

        return load_observations(Path(observations), cfg)
    return observations


def _sources(obs: Observation) -> str:
    """The rows of docs/sources.md the observation's source cites (else its source text)."""
    ids = cited_ids(obs.source)
    if ids:
        return "sources " + ", ".join(ids)
    return obs.source if len(obs.source) <= 40 else obs.source[:39] + "…"


def _when(start: float, end: float) -> str:
    """``days 0–21`` for a window [0, 22), ``end of day 21`` for a moment at 22."""
    if start == end:
        return f"end of day {end - 1:g}"
    return f"days {start:g}–{end - 1:g}"


def _series_mark(obs: Observation, kind: Kind) -> tuple[float, float, float] | None:
    """(start, end, factor) of a series observation on a chart of ``kind``, or None.

    ``factor`` turns the observed value and uncertainty into the chart's quantity.
    """
    first, last = obs.window  # type: ignore[misc]
    days = float(last - first)
    stat = obs.statistic
    if kind == "rate" and stat in ("rate", "mean", "total"):
        return first, last, 1.0 / days if stat == "total" else 1.0
    if kind == "cumulative" and first == 0 and stat in ("rate", "mean", "total"):
        return last, last, 1.0 if stat == "total" else days
    if kind == "level" and stat == "last":
        return last, last, 1.0
    if kind == "level" and stat == "mean":
        return first, last, 1.0
    return None


def _place(obs: Observation, series: str, kind: Kind, horizon: float) -> Any:
    """(start, end, factor) of ``obs`` on a chart of ``series`` shown as ``kind``, or None."""
    if obs.series is not None:
        return _series_mark(obs, kind) if obs.series == series else None
    if obs.metric not in METRIC_MARKS.get((series, kind), frozenset()):
        return None
    start, end = METRIC_WINDOWS.get(str(obs.metric), (None, None))
    return (horizon if start is None else start), (horizon if end is None else end), 1.0


def observation_marks(
    observations: Observations | None,
    series: str,
    kind: Kind,
    scale: float,
    unit: str,
    horizon: float,
) -> list[Mark]:
    """The observations that map onto ``series`` drawn as ``kind``, in chart units."""
    if observations is None:
        return []
    marks = []
    for obs in observations.items:
        placed = _place(obs, series, kind, horizon)
        if placed is None:
            continue
        start, end, factor = placed
        value, sd = obs.value * factor / scale, obs.uncertainty * factor / scale
        label = (
            f"observed {obs.id} ({_sources(obs)}): {fmt_number(value)} ± {fmt_number(sd)} "
            f"{unit}, {_when(start, end)}"
        )
        marks.append(Mark(obs.id, float(start), float(end), value, sd, label))
    return marks


def _x(day: float, start_date: Any) -> Any:
    """A day of the run as the chart's x: a date when the chart has dates, else the day."""
    if start_date is None:
        return day
    return pd.Timestamp(start_date) + pd.Timedelta(days=day)


def draw_marks(ax: Axes, marks: list[Mark], start_date: Any = None) -> list[Any]:
    """Draw each mark (a segment with a ±1 sd box, or a point with a ±1 sd bar); returns
    the labelled artist of each, whose gid is ``observation:<id>``."""
    drawn = []
    for mark in marks:
        x0, x1 = _x(mark.start, start_date), _x(mark.end, start_date)
        lo, hi = mark.value - mark.sd, mark.value + mark.sd
        if mark.point:
            ax.errorbar(
                [x0],
                [mark.value],
                yerr=[mark.sd],
                fmt="none",
                ecolor=OBSERVED_COLOUR,
                capsize=5,
                linewidth=1.5,
                zorder=4,
            )
            (artist,) = ax.plot(
                [x0],
                [mark.value],
                "D",
                color=OBSERVED_COLOUR,
                markersize=7,
                zorder=4.5,
                label=mark.label + " (bar: ±1 sd)",
            )
        else:
            ax.fill_between(
                [x0, x1],
                [lo, lo],
                [hi, hi],
                facecolor=(0, 0, 0, 0.08),
                edgecolor=OBSERVED_COLOUR,
                linestyle=":",
                linewidth=0.8,
                zorder=3.5,
            )
            (artist,) = ax.plot(
                [x0, x1],
                [mark.value, mark.value],
                color=OBSERVED_COLOUR,
                linewidth=2.5,
                solid_capstyle="butt",
                zorder=4,
                label=mark.label + " (box: ±1 sd)",
            )
        artist.set_gid(f"observation:{mark.id}")
        drawn.append(artist)
    return drawn
