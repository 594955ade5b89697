"""The tankers and their lifecycle: arrive, queue, load, wait, depart, transit, clear or be
seized."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Generator
from functools import partial
from typing import Any, ClassVar

import numpy as np
import simpy

from sim.config import Config, Exponential, Uniform
from sim.config import Fleet as FleetConfig
from sim.model.actor import Actor
from sim.model.behaviour import Owners
from sim.model.court import Court
from sim.model.ledger import Ledger
from sim.model.navy import Navy
from sim.model.streams import Family, Streams
from sim.model.tanker import Tanker, Traits
from sim.model.terminal import Terminal

UNIT = Uniform(low=0.0, high=1.0)
#: The lifecycle state a tanker placed at day 0 starts in (others start in their own name).
_INITIAL_START = {"loaded_waiting": "loaded", "waiting_outside": "arriving"}
#: What a lifecycle step returns: the next state, or None when the tanker is gone.
Step = Generator[simpy.Event, Any, "str | None"]


class Fleet(Actor):
    """Every tanker of one replication, each a SimPy process of its own."""

    NEIGHBOURS = ("terminal", "owners", "court", "navy", "ledger")
    terminal: Terminal
    owners: Owners
    court: Court
    navy: Navy
    ledger: Ledger

    def __init__(self, env: simpy.Environment, cfg: Config, streams: Streams) -> None:
        self.env = env
        self.cfg = cfg.fleet
        self.horizon = cfg.horizon_days
        self.streams = streams
        self.tankers: list[Tanker] = []
        self.initial_fraction = streams.uniform("initial.loading_left")
        self._families: dict[str, Family] = {}

    # ------------------------------------------------------------------ building

    def launch(self, cfg: Config) -> None:
        """Create the day-0 fleet and start every tanker (and, open, the arrivals)."""
        closed = self.cfg.mode == "closed"
        size = sum(g.count for g in self.cfg.tankers) if closed else cfg.initial_count()
        self._make_families(size)
        left = [g.count for g in self.cfg.tankers] if closed else []
        self._place_initial(cfg, left)
        if cfg.court.policy == "blanket":  # every target in theatre at day 0
            for t in self.tankers:
                if t.in_theatre and self.targeted(t):
                    self.court.at(t, "arrival")
        if closed:
            self._start_at_sea(left, size)
        else:
            self.env.process(self._arrivals())

    def _make_families(self, size: int) -> None:
        """Per-tanker draws come from one block per purpose, so tanker k's draws match
        across worlds (common random numbers) whatever the config."""
        for purpose, depth in (("traits", 2), ("patience", 4), ("outside", 4), ("dark", 8)):
            self._families[purpose] = self.streams.family(f"fleet.{purpose}", UNIT, size, depth)
        self._voyages = [
            self.streams.family(f"fleet.voyage.{i}", g.voyage_days, g.count, depth=4)
            for i, g in enumerate(self.cfg.tankers)
        ]
        self._voyage_used = [0] * len(self._voyages)

    def _place_initial(self, cfg: Config, left: list[int]) -> None:
        """The tankers in theatre at day 0 (``cfg.initial``), taken from the fleet groups."""
        for j, (state, g) in enumerate(cfg.initial.groups()):
            waited = self.streams.sampler(f"initial.waited.{j}", g.waited_days)
            for _ in range(g.count):
                group = self._take_group(left, g.tanker_class, g.status)
                t = self.new_tanker(g.tanker_class, g.status, group)
                if state in ("loaded_waiting", "loading"):
                    t.cargo_bbl = t.capacity_bbl * g.cargo_fraction
                    self.ledger.afloat_init_bbl += t.cargo_bbl
                if state == "loaded_waiting":
                    t.waited_before = waited()
                start = _INITIAL_START.get(state, state)
                t.in_theatre = start != "arriving"
                self.env.process(self._life(t, start))

    def _start_at_sea(self, left: list[int], size: int) -> None:
        """The rest of a closed fleet is at sea at day 0: each arrives somewhere within its
        first voyage."""
        first_arrival = self.streams.uniform("fleet.first_arrival", batch=size or 1)
        for i, g in enumerate(self.cfg.tankers):
            for _ in range(left[i]):
                t = self.new_tanker(g.tanker_class, g.status, i)
                voyage = t.voyage_days
                assert voyage is not None  # a fleet group's tanker makes voyages
                self.env.process(self._life(t, "arriving", first_arrival() * voyage()))

    def new_tanker(self, tanker_class: str, status: str, group: int | None) -> Tanker:
        """Create and register a tanker of fleet ``group`` (None: it leaves after one visit)."""
        k = len(self.tankers)
        t = Tanker(
            k,
            tanker_class,
            self.cfg.classes[tanker_class],
            status,
            group,
            self._voyage(group),
            self._traits(k),
        )
        self.tankers.append(t)
        self.owners.join(t)
        return t

    def _traits(self, k: int) -> Traits:
        """Tanker ``k``'s draws: from the fleet's blocks, or (open-fleet arrivals) its own."""
        fam = self._families
        if k < fam["traits"].size:
            pick = fam["traits"].draw
            return Traits(
                pick(k),
                pick(k),
                partial(fam["patience"].draw, k),
                partial(fam["outside"].draw, k),
                partial(fam["dark"].draw, k),
            )
        own = {p: self.streams.uniform(f"tanker{k}.{p}", batch=4) for p in fam}
        return Traits(
            own["traits"](), own["traits"](), own["patience"], own["outside"], own["dark"]
        )

    def _take_group(self, left: list[int], tanker_class: str, status: str) -> int | None:
        """The first fleet group of (class, status) with tankers left, one fewer; None if none."""
        for i, g in enumerate(self.cfg.tankers):
            if left and left[i] > 0 and (g.tanker_class, g.status) == (tanker_class, status):
                left[i] -= 1
                return i
        return None

    def _voyage(self, group: int | None) -> Callable[[], float] | None:
        """The voyage sampler of the next tanker of fleet ``group`` (None: one visit only)."""
        if group is None:
            return None
        self._voyage_used[group] += 1
        return self._voyages[group].sampler(self._voyage_used[group] - 1)

    def _arrivals(self) -> Any:
        fleet = self.cfg
        if fleet.arrival_rate_per_day <= 0:
            return
        gap = self.streams.sampler(
            "arrivals.gap",
            Exponential(mean=1.0 / fleet.arrival_rate_per_day),
            batch=256,
        )
        pick = self.streams.uniform("arrivals.mix", batch=256)
        weights = np.cumsum([m.weight for m in fleet.arrival_mix])
        cum = (weights / weights[-1]).tolist()
        last = len(cum) - 1
        while True:
            yield self.env.timeout(gap())
            mix = fleet.arrival_mix[min(bisect.bisect_right(cum, pick()), last)]
            t = self.new_tanker(mix.tanker_class, mix.status, None)
            self.env.process(self._life(t, "arriving"))

    def reconfigure(self, cfg: FleetConfig) -> None:
        """Take new fleet settings from a timeline entry: a group's status (a licence)."""
        for i, (old, new) in enumerate(zip(self.cfg.tankers, cfg.tankers, strict=True)):
            if old.status != new.status:
                for t in self.tankers:
                    if t.fleet_group == i:
                        t.status = new.status
                        self.owners.assign(t)
        self.cfg = cfg

    # ------------------------------------------------------------------ shared actions

    def targeted(self, t: Tanker) -> bool:
        """Whether the navy is after ``t`` now."""
        return self.navy.targets(t.status)

    def log(self, t: Tanker, kind: str, bbl: float = 0.0) -> None:
        """Record an event of tanker ``t`` (the check first: most runs record nothing)."""
        self.ledger.tanker_event(self.env.now, t, kind, bbl)

    def clear(self, t: Tanker, targeted: bool) -> None:
        """``t`` is clear of the navy: its cargo is exported, and owners hear of it if it
        was a target when it sailed (``targeted``: an escape)."""
        ledger = self.ledger
        ledger.exported_bbl += t.cargo_bbl
        if t.status == "licensed":
            ledger.exported_licensed_bbl += t.cargo_bbl
        if targeted:
            ledger.escapes += 1
            self.owners.hear(seized=False)
        self.log(t, "exported", t.cargo_bbl)
        t.cargo_bbl = 0.0
        self._leave(t)

    def seize(self, t: Tanker, in_waters: bool) -> None:
        """``t`` and its cargo are seized; it leaves the fleet for good."""
        ledger = self.ledger
        ledger.seizures += 1
        ledger.seizures_in_waters += in_waters
        ledger.seized_bbl += t.cargo_bbl
        if math.isnan(ledger.first_seizure_day):
            ledger.first_seizure_day = self.env.now
        t.warrant_used = True
        self._leave(t)
        self.owners.hear(seized=True)
        if in_waters:
            self.owners.release(t, "seized")
        self.log(t, "seized_in_waters" if in_waters else "seized", t.cargo_bbl)
        t.cargo_bbl = 0.0

    def _leave(self, t: Tanker) -> None:
        """``t`` leaves the theatre: any application still undecided for it is withdrawn."""
        t.in_theatre = False
        self.court.withdraw(t)

    # ------------------------------------------------------------------ the lifecycle

    def _life(self, t: Tanker, start: str, delay: float = 0.0) -> Generator[simpy.Event, Any, None]:
        """The tanker's process, starting in state ``start`` after ``delay`` days."""
        if delay > 0:
            yield self.env.timeout(delay)
        state: str | None = start
        while state is not None:
            state = yield from self._STEPS[state](self, t)

    def _arriving(self, t: Tanker) -> Step:
        """Arrive; owners of a target may turn it back for another voyage."""
        t.new_visit()
        self.log(t, "arrive")
        if self.targeted(t) and not (yield from self.owners.arrive(t)):
            self.ledger.turnbacks += 1
            self.log(t, "turnback")
            return (yield from self._voyage_out(t))
        t.in_theatre = True
        if self.targeted(t):
            self.court.at(t, "arrival")
        return "waiting_berth"

    def _waiting_berth(self, t: Tanker) -> Step:
        """Queue for a berth and load."""
        yield from self._load(t)
        return "loaded"

    def _loading(self, t: Tanker) -> Step:
        """Initial state: cargo already on board, berth held."""
        yield from self._finish_loading(t)
        return "loaded"

    def _loaded(self, t: Tanker) -> Step:
        """Loaded: a target waits in port until it sails or is seized."""
        self.log(t, "loaded", t.cargo_bbl)
        if self.targeted(t):
            reason = yield from self.owners.wait_in_port(t)
            if reason == "seized":
                return None
        return "departing"

    def _departing(self, t: Tanker) -> Step:
        """Sail and cross; a tanker that clears makes its next voyage."""
        outcome = yield from self._depart(t)
        if outcome == "seized":
            return None
        return (yield from self._voyage_out(t))

    def _voyage_out(self, t: Tanker) -> Step:
        """The voyage away and back (a one-visit tanker is gone instead)."""
        if t.voyage_days is None:
            return None
        yield self.env.timeout(t.voyage_days())
        return "arriving"

    _STEPS: ClassVar[dict[str, Callable[[Fleet, Tanker], Step]]] = {
        "arriving": _arriving,
        "waiting_berth": _waiting_berth,
        "loading": _loading,
        "loaded": _loaded,
        "departing": _departing,
    }

    def _load(self, t: Tanker) -> Generator[simpy.Event, Any, None]:
        """Queue for a berth, take a cargo from storage, load it, free the berth."""
        env, terminal = self.env, self.terminal
        arrived = env.now
        turn = terminal.berths.acquire(terminal.berth_priority(t.status))
        if turn is not None:
            yield turn
        self.ledger.berth_waits.append(env.now - arrived)
        self.log(t, "berth")
        if self.targeted(t):
            self.court.at(t, "berth")
        cargo = terminal.take(t.capacity_bbl)
        if cargo is not None:  # not in storage now, or others queued first
            yield cargo
        t.cargo_bbl, t.cargo_new, t.loaded_at = t.capacity_bbl, True, env.now
        self.ledger.loaded_bbl += t.cargo_bbl
        self.log(t, "load", t.cargo_bbl)
        yield env.timeout(terminal.loading_days(t.cargo_bbl))
        terminal.berths.release()

    def _finish_loading(self, t: Tanker) -> Generator[simpy.Event, Any, None]:
        """A tanker placed at a berth at day 0 with its cargo aboard finishes loading."""
        terminal = self.terminal
        turn = terminal.berths.acquire(terminal.berth_priority(t.status))
        if turn is not None:
            yield turn
        self.log(t, "berth")
        yield self.env.timeout(terminal.loading_days(t.cargo_bbl) * self.initial_fraction())
        terminal.berths.release()

    def _depart(self, t: Tanker) -> Generator[simpy.Event, Any, str]:
        """Leave port, cross the territorial sea and the zone; returns the outcome."""
        env = self.env
        self.ledger.departures += 1
        self.log(t, "depart", t.cargo_bbl)
        detected = False
        targeted = self.targeted(t)  # an escape if it clears, whatever its status by then
        if targeted:
            group = self.owners.group(t)
            dark = t.traits.dark_u() < (group.go_dark_prob if group is not None else 0.0)
            self.ledger.dark_departures += dark
            detected = self.navy.detects(dark)
        if detected:
            self.log(t, "detected")
            self.court.at(t, "detected")
        transit, exposure = self.navy.transit_days(), self.navy.exposure_days()
        if detected:
            yield env.timeout(transit)
            clear_at = yield from self.navy.intercept(t, env.now + exposure)
            if clear_at is None:
                return "seized"
            if env.now < clear_at:
                yield env.timeout(clear_at - env.now)
        else:  # nobody is after it: one event for the whole crossing
            yield env.timeout(transit + exposure)
        self.clear(t, targeted)
        return "exported"
