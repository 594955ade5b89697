"""The timeline (Gantt) chart of one replication: a lane per tanker, its phases and its end.

:func:`timeline_segments` turns an event log into phases and end markers (data);
:func:`timeline_chart` draws them: the lanes (which tankers, in what order), the bars and
markers, the time axis, and the annotations (timeline changes, title, legend). Tankers
whose whole story is waiting outside and turning back (most of a blockade's arrivals) share
one strip under the lanes: how many of them are at anchor at each moment and how many
have turned back so far, so the lanes keep the tankers that berthed, sailed or were seized.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.analysis._common import OTHER_COLOUR, STATUS_COLOURS, date_axis, new_figure
from sim.model.changes import TIMELINE_KIND

__all__ = [
    "CHANGE_COLOUR",
    "MARKERS",
    "PHASES",
    "QUIET_KINDS",
    "quiet_tankers",
    "timeline_chart",
    "timeline_segments",
]

#: The colour of a timeline change (a scheduled or triggered ``timeline`` entry), on every chart.
CHANGE_COLOUR = "#7a1fa2"

PHASES: dict[str, dict[str, Any]] = {
    "wait_outside": {"label": "at anchor outside, deciding", "alpha": 0.12, "hatch": "--"},
    "wait_berth": {"label": "waiting for a berth", "alpha": 0.25, "hatch": "...."},
    "loading": {"label": "at berth, loading", "alpha": 1.0, "hatch": None},
    "wait_loaded": {"label": "loaded, waiting in port", "alpha": 0.55, "hatch": "////"},
    "transit": {"label": "transit and interdiction zone", "alpha": 0.2, "hatch": "xxx"},
}
MARKERS: dict[str, dict[str, Any]] = {
    "seized": {"label": "seized at sea", "marker": "X", "color": "black", "size": 60},
    "seized_in_waters": {
        "label": "seized in territorial waters",
        "marker": "P",
        "color": "black",
        "size": 60,
    },
    "escaped": {
        "label": "escaped (target exported)",
        "marker": "^",
        "color": "#0072B2",
        "size": 40,
    },
    "exported": {"label": "exported (not a target)", "marker": "o", "color": "#009E73", "size": 30},
    "turnback": {"label": "turned back on arrival", "marker": "<", "color": "#777777", "size": 30},
    "refused": {"label": "boarding refused", "marker": "s", "color": "#AA3377", "size": 25},
    "go_in": {"label": "navy decides to go in", "marker": "v", "color": "#AA3377", "size": 25},
    "in_waters_failed": {
        "label": "in-waters boarding failed",
        "marker": "D",
        "color": "#AA3377",
        "size": 25,
    },
}
STATUS_ORDER = ("sanctioned", "unsanctioned", "licensed")
#: The events of a tanker that only arrived, waited outside and turned back: no lane of its own.
QUIET_KINDS = frozenset({"arrive", "outside", "turnback"})
#: Fewer quiet tankers than this keep their lanes (a strip for one tanker explains nothing).
MIN_QUIET = 3

# The phase each event starts; None ends the current phase (the tanker is away or gone).
_PHASE_AFTER: dict[str, str | None] = {
    "arrive": "wait_berth",
    "outside": "wait_outside",
    "come_in": "wait_berth",
    "turnback": None,
    "berth": "loading",
    "loaded": "wait_loaded",
    "depart": "transit",
    "exported": None,
    "seized": None,
    "seized_in_waters": None,
}


# --------------------------------------------------------------------------- data


def timeline_segments(
    events: pd.DataFrame, horizon: float | None = None, targets: Any = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Phases and end markers of every tanker in an event log.

    Returns ``(segments, markers)``: segments has columns tanker, status, tanker_class,
    phase, start, end; markers has tanker, status, kind, time. ``targets`` is a predicate
    on status (e.g. ``cfg.navy.targets_status``) telling escapes from plain exports; by
    default every non-licensed tanker counts as a target.
    """
    if horizon is None:
        horizon = float(events["time"].max()) if len(events) else 0.0
    is_target = targets or (lambda status: status != "licensed")
    segments: list[tuple[Any, ...]] = []
    markers: list[tuple[Any, ...]] = []
    ordered = events[events["tanker"] >= 0].reset_index(drop=True)  # -1: timeline changes
    ordered = ordered.assign(_order=np.arange(len(ordered))).sort_values(
        ["tanker", "time", "_order"], kind="stable"
    )
    for tanker, ev in ordered.groupby("tanker", sort=True):
        status = str(ev["status"].iloc[0])
        cls = str(ev["tanker_class"].iloc[0])
        times = ev["time"].to_numpy(dtype=float)
        kinds = ev["kind"].astype(str).tolist()
        for phase, begin, end in _phases(times, kinds, horizon):
            segments.append((tanker, status, cls, phase, begin, end))
        markers += [(tanker, status, kind, t) for t, kind in _ends(times, kinds, status, is_target)]
    seg = pd.DataFrame(
        segments, columns=["tanker", "status", "tanker_class", "phase", "start", "end"]
    )
    mark = pd.DataFrame(markers, columns=["tanker", "status", "kind", "time"])
    return seg, mark


def _ends(
    times: Sequence[float] | np.ndarray,
    kinds: Sequence[str],
    status: str,
    is_target: Callable[[str], bool],
) -> list[tuple[float, str]]:
    """(time, marker kind) of one tanker's events that have a marker; exports of targets escape."""
    out = []
    for t, kind in zip(times, kinds, strict=True):
        if kind == "exported":
            kind = "escaped" if is_target(status) else "exported"
        if kind in MARKERS:
            out.append((t, kind))
    return out


def _phases(
    times: Sequence[float] | np.ndarray, kinds: Sequence[str], horizon: float
) -> list[tuple[str, float, float]]:
    """(phase, start, end) of one tanker from its time-ordered events."""
    out: list[tuple[str, float, float]] = []
    phase: str | None = None
    since = 0.0
    if kinds and kinds[0] == "berth" and times[0] > 0:  # placed waiting for a berth at day 0
        phase = "wait_berth"
    for t, kind in zip(times, kinds, strict=True):
        if kind not in _PHASE_AFTER:
            continue  # load, detected, refused, go_in, ...: no change of phase
        if phase is not None and t > since:
            out.append((phase, since, float(t)))
        phase, since = _PHASE_AFTER[kind], float(t)
    end = max(horizon, since)
    if phase is not None and end > since:
        out.append((phase, since, end))
    return out


# --------------------------------------------------------------------------- lanes


@dataclass(frozen=True)
class Lanes:
    """The tankers shown, one lane each, in display order (by status, then id)."""

    tankers: pd.DataFrame  # tanker, status, tanker_class of the tankers shown
    row: dict[Any, int]  # tanker id -> its lane (0 at the top)
    total: int  # tankers in the event log

    @property
    def n(self) -> int:
        """The number of lanes (at least one, so an empty chart has a height)."""
        return max(1, len(self.row))

    @property
    def capped(self) -> bool:
        """Whether some tankers are left out (``max_tankers``)."""
        return len(self.row) < self.total

    def shown(self) -> str:
        """``N of M tankers`` or ``M tankers``."""
        return (
            f"{len(self.row)} of {self.total} tankers" if self.capped else f"{self.total} tankers"
        )


def _lanes(events: pd.DataFrame, max_tankers: int | None) -> Lanes:
    """The first ``max_tankers`` tankers to appear, ordered by status then id."""
    tankers = events[["tanker", "status", "tanker_class"]].drop_duplicates("tanker")
    total = len(tankers)
    first_seen = events.groupby("tanker")["time"].min()
    tankers = tankers.assign(
        _rank=tankers["status"].map(
            lambda s: STATUS_ORDER.index(s) if s in STATUS_ORDER else len(STATUS_ORDER)
        ),
        _first=tankers["tanker"].map(first_seen),
    )
    if max_tankers is not None and total > max_tankers:
        tankers = tankers.nsmallest(max_tankers, ["_first", "tanker"])
    tankers = tankers.sort_values(["_rank", "tanker"]).reset_index(drop=True)
    return Lanes(tankers, {t: i for i, t in enumerate(tankers["tanker"])}, total)


def _lane_axis(ax: Axes, lanes: Lanes) -> None:
    """One tick per lane, ``#id class``, coloured by status; the first lane at the top."""
    tankers = lanes.tankers
    ax.set_yticks(range(len(lanes.row)))
    ax.set_yticklabels(
        [f"#{t} {c}" for t, c in zip(tankers["tanker"], tankers["tanker_class"], strict=True)],
        fontsize=6 if lanes.n > 40 else 8,
    )
    for label, status in zip(ax.get_yticklabels(), tankers["status"], strict=True):
        label.set_color(STATUS_COLOURS.get(status, OTHER_COLOUR))
    ax.set_ylim(lanes.n - 0.5, -0.5)


# --------------------------------------------------------------------------- bars and markers


def _rgba(colour: str, alpha: float) -> tuple[float, float, float, float]:
    return to_rgba(colour, alpha)


def _draw_bars(ax: Axes, seg: pd.DataFrame, row: dict[Any, int]) -> None:
    """One bar per phase: the status's colour, the phase's transparency and hatching."""
    for (phase, status), part in seg.groupby(["phase", "status"], sort=False):
        spec = PHASES[str(phase)]
        colour = STATUS_COLOURS.get(str(status), OTHER_COLOUR)
        ax.barh(
            part["tanker"].map(row).to_numpy(),
            (part["end"] - part["start"]).to_numpy(),
            left=part["start"].to_numpy(),
            height=0.72,
            facecolor=_rgba(colour, spec["alpha"]),
            edgecolor=colour,
            hatch=spec["hatch"],
            linewidth=0.6,
        )


def _draw_markers(ax: Axes, mark: pd.DataFrame, row: dict[Any, int]) -> None:
    """A marker where each voyage ended (seized, escaped, exported, turned back, ...)."""
    for kind, part in mark.groupby("kind", sort=False):
        spec = MARKERS[str(kind)]
        ax.scatter(
            part["time"].to_numpy(),
            part["tanker"].map(row).to_numpy(),
            marker=spec["marker"],
            s=spec["size"],
            color=spec["color"],
            edgecolor="white",
            linewidth=0.5,
            zorder=3,
        )


# --------------------------------------------------------------------------- time axis


def _right_edge(
    events: pd.DataFrame, horizon: float | None, lanes: Lanes, ends: list[float]
) -> float:
    """The horizon (else the last event), zoomed on the lanes shown when some are left out."""
    right = horizon if horizon else (float(events["time"].max()) if len(events) else 1.0)
    if lanes.capped and ends:  # only the first tankers shown: zoom on their part of the run
        right = min(right, max(ends) * 1.02)
    return right


def _time_axis(ax: Axes, right: float, start: Any) -> None:
    """Days from 0 to ``right`` below, and the calendar dates above when the start is known."""
    ax.set_xlim(0, right)
    ax.set_xlabel(f"days since {start} (day 0)" if start else "simulation time (days)")
    ax.set_ylabel("tanker (id, class)")
    ax.grid(alpha=0.3, axis="x")
    if start is not None:
        base = mdates.date2num(pd.Timestamp(start))
        top = ax.secondary_xaxis("top", functions=(lambda d: d + base, lambda x: x - base))
        date_axis(top.xaxis)


# --------------------------------------------------------------------------- annotations


def _change_times(events: pd.DataFrame) -> list[float]:
    """The days the replication's timeline changes fired (events of kind ``timeline``)."""
    if not len(events):
        return []
    return [float(t) for t in events.loc[events["kind"] == TIMELINE_KIND, "time"]]


def _title(title: str | None, lanes: Lanes, quiet: int = 0) -> str:
    """The given title (saying which tankers are shown if capped, and that ``quiet`` tankers
    share the strip below), or a plain one."""
    grouped = (
        f"a row per tanker that berthed, sailed or was seized; the {quiet} that only "
        "turned back share the strip below"
        if quiet
        else ""
    )
    if title is None:
        head = f"Timeline of one replication — {lanes.shown()}"
        return f"{head}\n{grouped}" if grouped else head
    lines = [title]
    if lanes.capped:
        lines.append(f"the first {lanes.shown()} to appear")
    if grouped:
        lines.append(grouped)
    return "\n".join(lines)


def _legend_handles(
    statuses: set[str], phases: set[str], kinds: set[str], changes: bool
) -> list[Any]:
    """Legend entries for the statuses, phases and end markers on the chart."""
    order = [s for s in STATUS_ORDER if s in statuses] + sorted(statuses - set(STATUS_ORDER))
    handles: list[Any] = [Patch(color=STATUS_COLOURS.get(s, OTHER_COLOUR), label=s) for s in order]
    handles += [
        Patch(
            facecolor=_rgba("#555555", spec["alpha"]),
            edgecolor="#555555",
            hatch=spec["hatch"],
            label=spec["label"],
        )
        for phase, spec in PHASES.items()
        if phase in phases
    ]
    handles += [
        Line2D(
            [],
            [],
            linestyle="none",
            marker=spec["marker"],
            color=spec["color"],
            markersize=7,
            label=spec["label"],
        )
        for kind, spec in MARKERS.items()
        if kind in kinds
    ]
    if changes:
        handles.append(Line2D([], [], color=CHANGE_COLOUR, linestyle="--", label="timeline change"))
    return handles


# --------------------------------------------------------------------------- the chart


def _events_and_horizon(replication: Any, config: Any) -> tuple[pd.DataFrame, float | None]:
    """The event log, and the horizon: the config's, else the length of the daily series."""
    if isinstance(replication, pd.DataFrame):
        events, horizon = replication, None
    else:
        events = replication.events
        ts = getattr(replication, "timeseries", None)
        horizon = float(len(ts)) if ts is not None and len(ts) else None
    if config is not None:
        horizon = float(config.horizon_days)
    return events, horizon


def _targets(config: Any) -> Any:
    """The navy's target predicate on status, if the config has an active navy."""
    if config is not None and getattr(config.navy, "enabled", True):
        return config.navy.targets_status
    return None


def quiet_tankers(events: pd.DataFrame) -> set[Any]:
    """The tankers whose every event is an arrival, a wait outside or a turnback."""
    tankers = events[events["tanker"] >= 0]
    loud = set(tankers.loc[~tankers["kind"].astype(str).isin(QUIET_KINDS), "tanker"])
    return set(tankers["tanker"]) - loud


def _steps(starts: Sequence[float], ends: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """(times, count) of intervals open at each time: a step function from 0."""
    times = np.concatenate([[0.0], np.asarray(starts, float), np.asarray(ends, float)])
    delta = np.concatenate([[0], np.ones(len(starts)), -np.ones(len(ends))])
    order = np.argsort(times, kind="stable")
    return times[order], np.cumsum(delta[order])


def _by_status(statuses: pd.Series) -> str:
    """``40 unsanctioned, 17 sanctioned``: a count per status, in the chart's status order."""
    counts = statuses.value_counts()
    order = [s for s in STATUS_ORDER if s in counts.index] + sorted(
        s for s in counts.index if s not in STATUS_ORDER
    )
    return ", ".join(f"{int(counts[s])} {s}" for s in order)


def _quiet_strip(ax: Axes, seg: pd.DataFrame, mark: pd.DataFrame, statuses: pd.Series) -> None:
    """The quiet tankers at once: how many wait outside, and the turnbacks so far."""
    outside = seg[seg["phase"] == "wait_outside"]
    times, count = _steps(outside["start"].tolist(), outside["end"].tolist())
    ax.fill_between(
        times,
        count,
        step="post",
        facecolor=_rgba("#555555", PHASES["wait_outside"]["alpha"]),
        edgecolor="#555555",
        hatch=PHASES["wait_outside"]["hatch"],
        linewidth=0.8,
        label="at anchor outside now",
    )
    back = np.sort(mark.loc[mark["kind"] == "turnback", "time"].to_numpy(dtype=float))
    spec = MARKERS["turnback"]
    ax.step(
        np.concatenate([[0.0], back]),
        np.arange(len(back) + 1),
        where="post",
        color=spec["color"],
        linewidth=1.5,
        label="turnbacks so far (a tanker may come back and turn back again)",
    )
    ax.scatter(back, np.arange(1, len(back) + 1), marker=spec["marker"], s=18, color=spec["color"])
    ax.set_ylim(bottom=0)
    ax.set_ylabel("tankers, turnbacks")
    ax.set_title(
        f"the {len(statuses)} tankers that only waited outside and turned back, never "
        f"berthing ({_by_status(statuses)}): how many at anchor, and turnbacks so far",
        fontsize=9,
        loc="left",
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=7, framealpha=0.9)


def _axes(n_lanes: int, strip: bool) -> tuple[Figure, Axes, Axes | None]:
    """The figure with the lanes' axes and, below them, the quiet tankers' strip."""
    height = 0.17 * n_lanes + 2.2
    if not strip:
        fig = new_figure(12, min(40.0, max(4.5, height)))
        return fig, fig.add_subplot(), None
    fig = new_figure(12, min(42.0, max(5.5, height + 1.8)))
    lanes_ax, strip_ax = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [max(3.0, height - 1.0), 1.8]}
    )
    lanes_ax.tick_params(labelbottom=False)
    return fig, lanes_ax, strip_ax


def timeline_chart(
    replication: Any,
    config: Any = None,
    title: str | None = None,
    max_tankers: int | None = 100,
    group_quiet: bool = True,
) -> Figure:
    """A Gantt timeline of one replication: one row per tanker in its event log.

    ``replication`` is a :class:`sim.Replication` (or its events DataFrame). Bars show the
    phases (hatching) coloured by status; markers show how each voyage ended. ``config``
    (optional) supplies the start date, the horizon and which statuses are targets. With
    ``group_quiet`` the tankers that only waited outside and turned back (at least
    :data:`MIN_QUIET` of them) share a strip under the lanes instead of a row each.
    """
    events, horizon = _events_and_horizon(replication, config)
    seg, mark = timeline_segments(events, horizon, _targets(config))
    quiet = quiet_tankers(events) if group_quiet else set()
    if len(quiet) < MIN_QUIET:
        quiet = set()
    lanes = _lanes(events[~events["tanker"].isin(quiet)], max_tankers)
    fig, ax, strip = _axes(lanes.n, bool(quiet))
    shown_seg, shown_mark = seg[seg["tanker"].isin(lanes.row)], mark[mark["tanker"].isin(lanes.row)]
    _draw_bars(ax, shown_seg, lanes.row)
    _draw_markers(ax, shown_mark, lanes.row)
    _lane_axis(ax, lanes)
    right = _right_edge(events, horizon, lanes, [*shown_seg["end"], *shown_mark["time"]])
    _time_axis(ax, right, getattr(config, "start_date", None))
    if strip is not None:
        quiet_events = events[events["tanker"].isin(quiet)]
        statuses = quiet_events.drop_duplicates("tanker")["status"]
        _quiet_strip(
            strip, seg[seg["tanker"].isin(quiet)], mark[mark["tanker"].isin(quiet)], statuses
        )
        strip.set_xlabel(ax.get_xlabel())  # the days axis moves under the strip
        ax.set_xlabel("")
    changes = _change_times(events)
    for when in changes:
        for panel in (ax, strip) if strip is not None else (ax,):
            panel.axvline(when, color=CHANGE_COLOUR, linestyle="--", linewidth=1.2)
    ax.set_title(_title(title, lanes, len(quiet)), fontsize=11)
    kinds = set(shown_mark["kind"]) | ({"turnback"} if quiet else set())
    handles = _legend_handles(
        set(lanes.tankers["status"]), set(shown_seg["phase"]), kinds, bool(changes)
    )
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, title="status / phase")
    return fig
