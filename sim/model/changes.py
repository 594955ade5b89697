"""The timeline during a run: scheduled and triggered changes of the levers."""

from __future__ import annotations

from collections.abc import Callable

import simpy

from sim.config import Config
from sim.model.actor import Actor
from sim.model.ledger import FLOW_COLUMNS, TIMESERIES_COLUMNS, Ledger
from sim.model.timers import call_later
from sim.timeline import TimelineEntry, apply_changes, scheduled_order

TIMELINE_KIND = "timeline"  # the event-log kind of an applied entry (tanker -1)


class Changes(Actor):
    """Applies ``cfg.timeline``: each scheduled entry at its day, each trigger at the first
    end of a day its condition holds; every entry fires once and is logged."""

    NEIGHBOURS = ("ledger",)
    ledger: Ledger

    def __init__(
        self, env: simpy.Environment, cfg: Config, reconfigure: Callable[[Config], None]
    ) -> None:
        self.env = env
        self.cfg = cfg
        self.entries = cfg.timeline
        self._reconfigure = reconfigure
        self._triggers = [i for i, e in enumerate(self.entries) if e.when is not None]

    def start(self) -> None:
        """Apply the day-0 entries now (before any tanker moves); schedule the others."""
        for i in scheduled_order(self.entries):
            day = self.entries[i].day
            if day == 0:
                self.fire(i)
            else:
                call_later(self.env, day, lambda i=i: self.fire(i))  # type: ignore[misc, arg-type]

    def fire(self, i: int) -> None:
        """Apply entry ``i`` to the config in force and hand the result to the actors."""
        entry: TimelineEntry = self.entries[i]
        self.cfg = apply_changes(self.cfg, entry.changes)
        self._reconfigure(self.cfg)
        label = entry.label or ", ".join(f"{k}={v}" for k, v in entry.changes.items())
        self.ledger.log(self.env.now, -1, TIMELINE_KIND, 0.0, f"timeline.{i}: {label}", "")
        self.ledger.timeline_changes += 1

    def end_of_day(self, now: float) -> None:
        """Fire (at time ``now``, the end of the day just sampled, which the clock may not
        show yet) the triggers whose condition holds on that day."""
        if not self._triggers:
            return
        daily = self.ledger.daily
        for i in list(self._triggers):
            when = self.entries[i].when
            assert when is not None
            j = TIMESERIES_COLUMNS.index(when.series)
            value = daily[-1][j]
            if when.series in FLOW_COLUMNS and len(daily) > 1:
                value -= daily[-2][j]
            if when.holds(value):
                self._triggers.remove(i)
                call_later(self.env, now - self.env.now, lambda i=i: self.fire(i))  # type: ignore[misc]
