"""The explorer's page (Panel): controls on the left, the run streaming in on the right.

The analyst picks a scenario and a policy preset, moves the main levers and the ranges of the
uncertain keys, and runs N replications. The work runs off the page's event loop (each step
of :meth:`sim.explore.session.Session.run` and the drawing of its charts in a thread), and
after each step the page shows the progress, the headline with both intervals, the paired
difference from the reference run and the charts. Every change of a control is checked by
the normal config validation; a mistake shows as one line, never a traceback.
:func:`explorer` gives the page for a notebook, :func:`serve` a server (``blockade explore``).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import panel as pn

from sim.config import ConfigError
from sim.experiment.runner import ExperimentError
from sim.explore.session import (
    DEFAULT_SCENARIO,
    DRAWS,
    Choice,
    Engine,
    LeverSpec,
    RangeSpec,
    Session,
    group_options,
    lever_specs,
    range_specs,
)
from sim.explore.views import Steps, View, difference_html, error_html, status_text

__all__ = ["Explorer", "explorer", "serve"]

log = logging.getLogger(__name__)

#: The policy option that applies no preset (the scenario's own settings).
OWN_POLICY = "(the scenario's own)"
SIDEBAR_WIDTH = 380
CHART_WIDTH = 800
STYLE = """
.explore-value { font-size: 1.35em; }
.explore-main { font-size: 1.1em; }
.explore-note { color: #555; font-size: 0.9em; }
.explore-error { color: #b00020; font-weight: bold; }
.explore-diff table { border-collapse: collapse; }
.explore-diff td, .explore-diff th { padding: 2px 8px; border-bottom: 1px solid #ddd; }
.explore-diff td.num { text-align: right; font-variant-numeric: tabular-nums; }
"""


def css_class(key: str) -> str:
    """The CSS class of the control of ``key`` (``lever-navy-boarding_teams``)."""
    return "lever-" + key.replace(".", "-")


def _slider(spec: LeverSpec) -> Any:
    """The widget of one lever: a number line, or a discrete slider of its options."""
    label = spec.label + (" · drawn per replication unless moved" if spec.uncertain else "")
    classes = [css_class(spec.key)]
    if spec.options:
        labels = [name for name, _ in spec.options]
        current = next(name for name, value in spec.options if value == spec.value)
        return pn.widgets.DiscreteSlider(
            name=label, options=labels, value=current, css_classes=classes
        )
    if spec.integer:
        return pn.widgets.IntSlider(
            name=label,
            start=int(spec.start),
            end=int(spec.end),
            step=int(spec.step),
            value=int(spec.value),
            css_classes=classes,
        )
    return pn.widgets.FloatSlider(
        name=label,
        start=spec.start,
        end=spec.end,
        step=spec.step,
        value=float(spec.value),
        css_classes=classes,
    )


def _range_slider(spec: RangeSpec) -> Any:
    classes = [css_class(spec.key) + "-range"]
    if spec.integer:
        return pn.widgets.IntRangeSlider(
            name=spec.key,
            start=int(spec.start),
            end=int(spec.end),
            step=max(1, int(spec.step)),
            value=(int(spec.low), int(spec.high)),
            css_classes=classes,
        )
    return pn.widgets.RangeSlider(
        name=spec.key,
        start=spec.start,
        end=spec.end,
        step=spec.step,
        value=(spec.low, spec.high),
        css_classes=classes,
    )


def _lever_value(spec: LeverSpec, widget: Any) -> Any:
    """The value a lever's widget stands at (an option's value for a discrete slider)."""
    if spec.options:
        return dict(spec.options)[widget.value]
    return int(widget.value) if spec.integer else float(widget.value)


class Explorer:
    """The page of one session: its controls, its outputs and the callbacks between them."""

    def __init__(self, session: Session, scenario: str | None = None) -> None:
        self.session = session
        scenarios = group_options("scenario", session.config_dir) or [DEFAULT_SCENARIO]
        policies = group_options("policy", session.config_dir)
        first = DEFAULT_SCENARIO if DEFAULT_SCENARIO in scenarios else scenarios[0]
        self.scenario = pn.widgets.Select(
            name="Scenario", options=scenarios, value=scenario or first
        )
        self.policy = pn.widgets.Select(name="Policy preset", options=[OWN_POLICY, *policies])
        self.draws = pn.widgets.Select(
            name="Uncertain keys drawn from", options={label: name for name, label in DRAWS.items()}
        )
        self.replications = pn.widgets.IntSlider(
            name="Replications",
            start=10,
            end=1000,
            step=10,
            value=200,
            css_classes=["explore-replications"],
        )
        self.run_button = pn.widgets.Button(
            name="Run", button_type="primary", css_classes=["explore-run"]
        )
        self.stop_button = pn.widgets.Button(
            name="Stop", disabled=True, css_classes=["explore-stop"]
        )
        self.reference_button = pn.widgets.Button(
            name="Make this run the reference", disabled=True, css_classes=["explore-reference"]
        )
        self.message = pn.pane.HTML("", css_classes=["explore-message"], stylesheets=[STYLE])
        self.progress = pn.indicators.Progress(value=0, max=1, width=CHART_WIDTH, active=False)
        self.status = pn.pane.HTML(
            "Not run yet.", css_classes=["explore-status"], stylesheets=[STYLE]
        )
        self.headline = pn.pane.HTML(
            headline_placeholder(), css_classes=["explore-headline-pane"], stylesheets=[STYLE]
        )
        self.difference = pn.pane.HTML(
            difference_html(None), css_classes=["explore-diff-pane"], stylesheets=[STYLE]
        )
        self.fan = pn.pane.PNG(None, width=CHART_WIDTH)
        self.cumulative = pn.pane.PNG(None, width=CHART_WIDTH)
        self.lever_box = pn.Column()
        self.range_box = pn.Column()
        self.specs: list[tuple[LeverSpec, Any]] = []
        self.ranges: list[tuple[RangeSpec, Any]] = []
        self.running = False
        self.stopping = False
        self.rebuild()
        self.scenario.param.watch(self._rebuild, "value")
        self.policy.param.watch(self._rebuild, "value")
        self.draws.param.watch(self._draws_changed, "value")
        self.replications.param.watch(self._check, "value_throttled")
        self.run_button.on_click(self._run)
        self.stop_button.on_click(self._stop)
        self.reference_button.on_click(self._make_reference)

    # ------------------------------------------------------------------ controls

    def policy_value(self) -> str | None:
        return None if self.policy.value == OWN_POLICY else str(self.policy.value)

    def rebuild(self) -> None:
        """Sliders at the values of the scenario and policy chosen (a mistake: one line)."""
        try:
            base = self.session.base(str(self.scenario.value), self.policy_value())
        except ConfigError as exc:
            self.message.object = error_html(str(exc))
            return
        self.message.object = ""
        self.specs = [(spec, _slider(spec)) for spec in lever_specs(base)]
        self.ranges = [(spec, _range_slider(spec)) for spec in range_specs(base)]
        for _, widget in [*self.specs, *self.ranges]:
            widget.param.watch(self._check, "value_throttled")
        self.lever_box.objects = [w for _, w in self.specs]
        self.range_box.objects = [w for _, w in self.ranges]
        self.replications.value = min(base.experiment.replications, self.replications.end)
        drawn = {"posterior": base.experiment.posterior is not None, "ranges": bool(base.uncertain)}
        options = {label: name for name, label in DRAWS.items() if drawn.get(name, True)}
        self.draws.options = options
        self.draws.value = next(iter(options.values()))
        self._enable_ranges()

    def _rebuild(self, *_: Any) -> None:
        self.rebuild()

    async def _draws_changed(self, *_: Any) -> None:
        self._enable_ranges()
        await self._check()

    def _enable_ranges(self) -> None:
        for _, widget in self.ranges:
            widget.disabled = self.draws.value != "ranges"

    def choice(self) -> Choice:
        """What the controls say now."""
        moved = []
        for spec, widget in self.specs:
            value = _lever_value(spec, widget)
            if value != spec.value:
                moved.append((spec.key, value))
        ranges = tuple(
            (spec.key, float(widget.value[0]), float(widget.value[1]))
            for spec, widget in self.ranges
        )
        return Choice(
            scenario=str(self.scenario.value),
            policy=self.policy_value(),
            levers=tuple(moved),
            draws=str(self.draws.value),
            ranges=ranges if self.draws.value == "ranges" else (),
            replications=int(self.replications.value or 0),
        )

    async def _check(self, *_: Any) -> None:
        """Validate the controls as a config (off the event loop); show the mistake, if any."""
        choice = self.choice()
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self.session.configure, choice)
        except ConfigError as exc:
            self.message.object = error_html(str(exc))
            return
        self.message.object = ""

    # ------------------------------------------------------------------ running

    def show(self, view: View) -> None:
        """Put one step of a run on the page, in one message to the browser (one layout
        there, not one per pane): a page that says Finished has the finished run's charts."""
        snap = view.snap
        with pn.io.hold():
            if view.fan is not None:
                self.fan.object = view.fan
            if view.cumulative is not None:
                self.cumulative.object = view.cumulative
            self.difference.object = view.difference
            self.headline.object = view.headline
            self.progress.max = snap.total
            self.progress.value = snap.done
            self.status.object = status_text(snap)

    def _buttons(self, running: bool) -> None:
        self.running = running
        self.run_button.disabled = running
        self.stop_button.disabled = not running
        self.reference_button.disabled = running or self.session.latest is None
        self.progress.active = running

    async def _run(self, *_: Any) -> None:
        """Run the choice, showing each snapshot as it streams in."""
        if self.running:
            return
        self.stopping = False
        self._buttons(True)
        self.message.object = ""
        steps = Steps.start(self.session, self.choice())
        loop = asyncio.get_running_loop()
        try:
            while not self.stopping:
                view = await loop.run_in_executor(None, steps.next)
                if view is None:
                    break
                self.show(view)
        except (ConfigError, ExperimentError) as exc:
            self.message.object = error_html(str(exc).splitlines()[0])
        except Exception as exc:  # shown as one line; the traceback goes to the server's log
            log.exception("explorer run failed")
            self.message.object = error_html(f"the run failed: {type(exc).__name__}: {exc}")
        finally:
            steps.close()
            if self.stopping:
                self.status.object = "Stopped: " + self.status.object
            self._buttons(False)

    def _stop(self, *_: Any) -> None:
        self.stopping = True

    def _make_reference(self, *_: Any) -> None:
        if self.session.use_as_reference():
            self.difference.object = difference_html(None, self.session.reference_label)
        else:
            self.message.object = error_html("reference: only a finished run can be the reference")

    # ------------------------------------------------------------------ the page

    def layout(self) -> Any:
        """The page: controls in a sidebar, outputs beside it."""
        controls = pn.Column(
            pn.pane.Markdown("## Blockade explorer"),
            self.scenario,
            self.policy,
            pn.pane.Markdown("**Main levers**"),
            self.lever_box,
            pn.pane.Markdown("**Uncertain keys**"),
            self.draws,
            self.range_box,
            self.replications,
            pn.Row(self.run_button, self.stop_button),
            self.reference_button,
            self.message,
            width=SIDEBAR_WIDTH,
        )
        outputs = pn.Column(
            self.progress,
            self.status,
            self.headline,
            pn.pane.Markdown("**Difference from the reference run**"),
            self.difference,
            self.fan,
            self.cumulative,
        )
        return pn.Row(controls, outputs)

    def close(self) -> None:
        """Stop any run of this page (the browser went away)."""
        self.stopping = True


def headline_placeholder() -> str:
    return '<div class="explore-headline" data-n="0" data-status="none">Press Run.</div>'


def explorer(
    scenario: str | None = None,
    config_dir: str | Path | None = None,
    engine: Engine | None = None,
) -> Any:
    """The explorer's page, e.g. for a notebook cell (after ``pn.extension()``)."""
    page = Explorer(Session(engine or Engine(), config_dir), scenario)
    return page.layout()


def serve(
    engine: Engine,
    address: str,
    port: int,
    origins: list[str],
    scenario: str | None = None,
    config_dir: str | Path | None = None,
    show: bool = False,
) -> Any:
    """Start the server (a new page per browser session) and block until it stops."""

    def page() -> Any:
        try:
            explorer_page = Explorer(Session(engine, config_dir), scenario)
        except Exception as exc:  # one line on the page; the traceback in the server's log
            log.exception("the explorer page could not be built")
            return pn.pane.HTML(error_html(f"the page failed: {type(exc).__name__}: {exc}"))
        pn.state.on_session_destroyed(lambda _: explorer_page.close())
        return explorer_page.layout()

    return pn.serve(
        {"/": page},
        port=port,
        address=address,
        websocket_origin=origins,
        show=show,
        title="Blockade explorer",
        verbose=False,
    )
