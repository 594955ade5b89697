"""What the explorer's page shows, as HTML fragments built from a run's data.

The headline and its notes are the report's (:func:`sim.analysis.tables.headline`,
:func:`sim.analysis.tables.shape`); labels, units and formats come from :mod:`sim.metrics`;
every cell is escaped. Nothing here imports the page's library, so it is tested alone.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from html import escape
from typing import Any

from sim.analysis.tables import headline, shape
from sim.experiment.runner import ExperimentResult
from sim.explore.charts import cumulative_png, fan_png, png
from sim.explore.session import Choice, Difference, Session
from sim.explore.stream import CHART_SECONDS, ChartClock, Snapshot
from sim.metrics import metric

__all__ = [
    "CHART_SECONDS",
    "Steps",
    "View",
    "charts",
    "difference_html",
    "error_html",
    "headline_html",
    "prepare",
    "status_text",
    "submit_charts",
]

#: What the two intervals of the headline mean, under it (as the CLI summary says it).
INTERVALS = (
    "95% CI of the mean: Monte Carlo error of the average only. p05 to p95: where 90% of "
    "single replications fall."
)


def headline_html(result: ExperimentResult, notes: bool = True) -> str:
    """The headline list of ``result`` (its first item large) and, with ``notes``, what the
    mean hides (tails, clusters, the variance split: a fit, so only once a run is done)."""
    n = len(result.replications)
    found = headline(result.summary, n)
    status = escape(str(result.manifest.get("status", "")))
    opening = f'<div class="explore-headline" data-n="{n}" data-status="{status}">'
    if found is None or not found.items:
        return f"{opening}No result yet.</div>"
    (phrase, text), *rest = found.items
    items = "".join(f"<li>{escape(p)}: <b>{escape(t)}</b></li>" for p, t in rest)
    shown = shape(result.replications, result.config.uncertain).notes if notes else []
    below = "".join(f"<li>{escape(note)}</li>" for note in shown)
    return (
        f"{opening}"
        f'<p class="explore-lead">{escape(found.lead)}.</p>'
        f'<p class="explore-main">{escape(phrase)}: <b class="explore-value">{escape(text)}</b></p>'
        f"<ul>{items}</ul><p class='explore-note'>{escape(INTERVALS)}</p>"
        f"<ul class='explore-note'>{below}</ul></div>"
    )


def _excludes_zero(low: float, high: float) -> bool:
    return not (math.isnan(low) or math.isnan(high)) and (low > 0 or high < 0)


def _row(name: str, r: Any) -> str:
    """One metric's cells: both means in its unit, the difference in the difference's."""
    m = metric(name)
    d = m.difference()
    known = not math.isnan(float(r["mean"]))
    unit = f" {d.unit}" if d.unit != m.unit and known else ""
    mark = "*" if _excludes_zero(float(r["ci_low"]), float(r["ci_high"])) else ""
    cells = [
        m.fmt(r["reference"]),
        m.fmt(r["this"]),
        f"{d.fmt(r['mean'])}{unit}{mark}",
        f"[{d.fmt(r['ci_low'])}, {d.fmt(r['ci_high'])}]{unit}",
        str(int(r["n"])),
    ]
    tds = "".join(f'<td class="num">{escape(c)}</td>' for c in cells)
    return f"<tr><th>{escape(m.heading)}</th>{tds}</tr>"


def difference_html(diff: Difference | None, reference_label: str = "") -> str:
    """The paired difference from the reference as a table (or what stands in for one)."""
    if diff is None:
        shown = escape(reference_label) if reference_label else "the first finished run"
        return (
            f'<div class="explore-diff" data-pairs="0"><p>Reference: {shown}. The difference '
            "from it shows from the next run on (same seeds, paired on replication).</p></div>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("", "reference mean", "this run's mean", "this − reference", "95% CI", "pairs")
    )
    rows = "".join(_row(str(name), r) for name, r in diff.table.iterrows())
    left = ""
    if diff.pairs < max(diff.reference_n, diff.this_n):
        left = f" (the reference has {diff.reference_n}, this run {diff.this_n} so far)"
    return (
        f'<div class="explore-diff" data-pairs="{diff.pairs}">'
        f"<p>Reference: {escape(diff.reference)}</p>"
        f"<table><tr>{head}</tr>{rows}</table>"
        f"<p class='explore-note'>Paired on replication (common random numbers) over "
        f"{diff.pairs} replications run by both{escape(left)}; * = the 95% CI excludes 0.</p></div>"
    )


def status_text(snap: Snapshot) -> str:
    """How far the run has come: "120 of 200 replications, 1.4 s" or "finished"."""
    if snap.finished:
        return f"Finished: {snap.done} replications in {snap.seconds:.1f} s"
    return f"Running: {snap.done} of {snap.total} replications, {snap.seconds:.1f} s"


def error_html(message: str) -> str:
    """A mistake or a failure, in one line."""
    line = " ".join(str(message).split())
    return f'<div class="explore-error">{escape(line)}</div>'


@dataclass(frozen=True)
class View:
    """One step of a run as the page shows it (charts only when they were redrawn)."""

    snap: Snapshot
    headline: str
    difference: str
    fan: bytes | None = None
    cumulative: bytes | None = None


def submit_charts(session: Session, result: ExperimentResult) -> Callable[[], tuple[bytes, bytes]]:
    """Start the fan and cumulative charts of a finished run on two of the engine's workers
    (its replications are done, so they are idle); call what it returns for the PNGs. With
    one worker they are drawn when called, in this process."""
    if session.engine.workers > 1:
        ex = session.engine.executor()
        futures = [ex.submit(fan_png, result), ex.submit(cumulative_png, result)]
        return lambda: (ex.result(futures[0]), ex.result(futures[1]))
    return lambda: (fan_png(result), cumulative_png(result))


def charts(session: Session, result: ExperimentResult, final: bool) -> tuple[bytes, bytes]:
    """The fan and cumulative charts of ``result`` as PNG: a finished run's on the workers
    (:func:`submit_charts`), a running one's here (the workers are busy)."""
    if final:
        return submit_charts(session, result)()
    return fan_png(result), cumulative_png(result)


def prepare() -> None:
    """Load now what a finished run's step needs (SciPy for the notes; matplotlib's fonts
    and renderer for the charts), so the first run does not wait for it: call it before the
    workers fork, and they have it too."""
    from matplotlib.figure import Figure
    from scipy import stats

    stats.gaussian_kde([0.0, 1.0, 3.0])  # what the notes fit
    fig = Figure(figsize=(1, 1))
    fig.add_subplot().set_title("warm")
    png(fig, dpi=10)


@dataclass
class Steps:
    """A run as the page shows it: each snapshot's HTML and, on a chart step (every
    :data:`CHART_SECONDS` while it streams, :class:`~sim.explore.stream.ChartClock`) and at
    the end, the charts; a finished run's are drawn on the workers while this process writes
    its headline and notes. The page calls :meth:`next` off its event loop: it is all of a
    step's work (the benchmark times the same)."""

    session: Session
    snapshots: Generator[Snapshot, None, None]
    clock: ChartClock | None = None

    @classmethod
    def start(cls, session: Session, choice: Choice) -> Steps:
        """The steps of a run of ``choice`` in ``session``, charts on the page's cadence."""
        clock = ChartClock(CHART_SECONDS, session.chart_seconds)
        return cls(session, session.run(choice, clock=clock), clock)

    def next(self) -> View | None:
        """The next step of the run (None at the end)."""
        snap = next(self.snapshots, None)
        if snap is None:
            return None
        result = snap.result
        started = time.monotonic()
        drawing = submit_charts(self.session, result) if snap.finished else None
        view = View(
            snap,
            headline_html(result, notes=snap.finished),
            difference_html(self.session.difference(result), self.session.reference_label),
        )
        if snap.charts:
            if drawing is None:
                started = time.monotonic()
            fan, cumulative = drawing() if drawing else charts(self.session, result, final=False)
            view = replace(view, fan=fan, cumulative=cumulative)
            self.session.chart_seconds = time.monotonic() - started
            if self.clock is not None and not snap.finished:
                self.clock.drawn(started)
        return view

    def close(self) -> None:
        """Stop the run: chunks not started are cancelled."""
        self.snapshots.close()
