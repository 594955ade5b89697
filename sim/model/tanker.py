"""A tanker and its lifecycle: arrive, queue, load, wait, depart, transit, clear or be seized."""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import simpy

if TYPE_CHECKING:
    from sim.model.world import World


@dataclass(eq=False, slots=True)
class Tanker:
    """One tanker: its fixed traits and its mutable voyage state."""

    id: int
    tanker_class: str
    capacity_bbl: float
    status: str
    targeted: bool
    voyage_days: Callable[[], float] | None  # None: leaves after one visit (open fleet)
    patience_days: Callable[[], float]
    cargo_bbl: float = 0.0
    in_theatre: bool = False  # in port, waiting, or crossing the zone (not away or gone)
    visit: int = 0  # port visits begun; an application belongs to the visit it was filed in
    warrant_until: float = -math.inf
    warrant_pending: simpy.Process | None = None  # this visit's application, if undecided
    warrant_denied: bool = False
    warrant_used: bool = False
    in_waters_tried: bool = False
    wake: simpy.Event | None = None
    left_port: simpy.Event | None = None

    def new_visit(self) -> None:
        """Forget per-visit state when the tanker comes back to port."""
        self.visit += 1
        self.warrant_pending = None
        self.warrant_denied = False
        self.in_waters_tried = False


def lifecycle(w: World, t: Tanker, start: str, delay: float = 0.0) -> Generator:
    """The tanker's process, starting in state ``start`` after ``delay`` days."""
    env = w.env
    if delay > 0:
        yield env.timeout(delay)
    state = start
    while True:
        if state == "arriving":
            t.new_visit()
            w.log(t, "arrive")
            if t.targeted and w.owners.turns_back():
                w.ledger.turnbacks += 1
                w.log(t, "turnback")
                if t.voyage_days is None:
                    return
                yield env.timeout(t.voyage_days())
                continue
            if t.targeted and w.court.cfg.policy == "blanket":
                w.court.apply(t)
            state = "waiting_berth"
        t.in_theatre = True
        if state == "waiting_berth":
            arrived = env.now
            berths = w.terminal.berths
            turn = berths.acquire(w.terminal.berth_priority(t.status))
            if turn is not None:
                yield turn
            w.ledger.berth_waits.append(env.now - arrived)
            w.log(t, "berth")
            if t.targeted and w.court.cfg.policy == "on_loading":
                w.court.apply(t)
            cargo = w.terminal.take(t.capacity_bbl)
            if cargo is not None:  # not in storage now, or others queued first
                yield cargo
            t.cargo_bbl = t.capacity_bbl
            w.ledger.loaded_bbl += t.cargo_bbl
            w.log(t, "load", t.cargo_bbl)
            yield env.timeout(w.terminal.loading_days(t.cargo_bbl))
            berths.release()
            state = "loaded"
        elif state == "loading":  # initial state: cargo already on board, berth held
            berths = w.terminal.berths
            turn = berths.acquire(w.terminal.berth_priority(t.status))
            if turn is not None:
                yield turn
            w.log(t, "berth")
            yield env.timeout(w.terminal.loading_days(t.cargo_bbl) * w.initial_fraction())
            berths.release()
            state = "loaded"
        if state == "loaded":
            w.log(t, "loaded", t.cargo_bbl)
            if t.targeted:
                reason = yield from w.owners.wait_in_port(t)
                if reason == "seized":
                    return
            state = "departing"
        if state == "departing":
            outcome = yield from depart(w, t)
            if outcome == "seized" or t.voyage_days is None:
                return
            yield env.timeout(t.voyage_days())
            state = "arriving"


def depart(w: World, t: Tanker) -> Generator:
    """Leave port, cross the territorial sea and the interdiction zone; returns the outcome."""
    env = w.env
    w.ledger.departures += 1
    w.log(t, "depart", t.cargo_bbl)
    detected = t.targeted and w.navy.detects()
    if detected:
        w.log(t, "detected")
        if w.court.cfg.policy == "on_departure":
            w.court.apply(t)
    transit, exposure = w.transit_days(), w.exposure_days()
    if detected:
        yield env.timeout(transit)
        deadline = env.now + exposure
        if (yield from w.navy.intercept(t, deadline)):
            return "seized"
        if env.now < deadline:
            yield env.timeout(deadline - env.now)
    else:  # nobody is after it: one event for the whole crossing
        yield env.timeout(transit + exposure)
    w.clear(t)
    return "exported"
