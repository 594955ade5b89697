"""Build one replication from a validated config, run it, and collect a Replication."""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
import math
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import simpy

from sim.config import STATUSES, Config, Dist
from sim.metrics import METRIC_KEYS, STRANDED_DAYS, stranded_day_key
from sim.model.behaviour import Owners
from sim.model.court import Court
from sim.model.ledger import TIMESERIES_COLUMNS, Ledger, event_frame, timeseries_frame
from sim.model.navy import Navy
from sim.model.streams import Streams
from sim.model.tanker import Tanker, lifecycle
from sim.model.terminal import Terminal

SeedLike = int | np.random.SeedSequence

# A replication stops with ZeroTimeLoop when its clock stands still this many steps. A valid
# config does at most ~40 steps per tanker at one instant (MAX_TANKERS = 50,000), far below.
ZERO_TIME_STEPS = 2_000_000
CLOCK_CHECK_EVERY = 10_000  # steps between looks at the clock (a look per step would cost)


class ZeroTimeLoop(RuntimeError):
    """The simulation clock stopped advancing: some loop of the model takes no time."""


@dataclass(frozen=True)
class Replication:
    """What one replication produced: metrics, a daily time series and the event log."""

    metrics: dict[str, float]
    daily: np.ndarray  # days x TIMESERIES_COLUMNS, the raw form of ``timeseries``
    start_date: pd.Timestamp
    event_rows: list[tuple[float, int, str, float, str, str]]

    # DataFrames are built on first access: experiments only need ``metrics`` and ``daily``.
    @cached_property
    def timeseries(self) -> pd.DataFrame:
        """One row per day: ``day``, ``date`` and every time-series column."""
        return timeseries_frame(self.daily, self.start_date)

    @cached_property
    def events(self) -> pd.DataFrame:
        """The event log: time, tanker, kind, bbl, status, tanker_class."""
        return event_frame(self.event_rows)


def seed_sequence(seed: SeedLike, replication: int | None = None) -> np.random.SeedSequence:
    """The SeedSequence of ``replication`` of root ``seed`` (or of ``seed`` itself)."""
    if isinstance(seed, np.random.SeedSequence):
        if replication is None:
            return seed
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, replication))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: must be a non-negative integer (got {seed!r})")
    if replication is None:
        return np.random.SeedSequence(int(seed))
    if replication < 0:
        raise ValueError(f"replication: must be a non-negative integer (got {replication!r})")
    return np.random.SeedSequence(int(seed), spawn_key=(int(replication),))


class World:
    """The environment and every actor of one replication."""

    def __init__(self, cfg: Config, seed: np.random.SeedSequence, record_events: bool) -> None:
        self.cfg = cfg
        self.horizon = cfg.horizon_days
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        self.record_events = record_events
        self.ledger = Ledger()
        self.terminal = Terminal(self.env, cfg.terminal, cfg.production, self.ledger, self.horizon)
        self.owners = Owners(
            self.env,
            cfg.behaviour,
            self.ledger,
            known_seizures=cfg.initial.known_seizures,
            known_escapes=cfg.initial.known_escapes,
        )
        self.court = Court(self.env, cfg.court, self.streams, self.ledger)
        self.navy = Navy(self, cfg.navy, cfg.policy, self.streams)
        self.owners.on_wait = self.navy.on_wait if cfg.navy.enabled else None
        self.transit_days = self.streams.sampler(
            "voyage.transit", cfg.navy.territorial_transit_days
        )
        self.exposure_days = self.streams.sampler("voyage.exposure", cfg.navy.exposure_days)
        self.initial_fraction = self.streams.uniform("initial.loading_left")
        self.tankers: list[Tanker] = []
        self._capacity = dict(cfg.fleet.classes)
        self._targeted = {s: cfg.navy.targets_status(s) for s in STATUSES}
        self._place_fleet()
        if cfg.court.policy == "blanket":  # every target in theatre at day 0; arrivals later
            for t in self.tankers:
                if t.targeted and t.in_theatre:
                    self.court.apply(t)

    # ------------------------------------------------------------------ building

    def new_tanker(
        self, tanker_class: str, status: str, voyage: Callable[[], float] | None
    ) -> Tanker:
        """Create and register a tanker; ``voyage`` None: it leaves after one visit."""
        k = len(self.tankers)
        patience = (
            self._patience.sampler(k)
            if self._patience is not None
            else self.streams.sampler(f"tanker{k}.patience", self.cfg.behaviour.patience_days, 4)
        )
        t = Tanker(
            k,
            tanker_class,
            self._capacity[tanker_class],
            status,
            self._targeted[status],
            voyage,
            patience,
        )
        self.tankers.append(t)
        return t

    def _place_fleet(self) -> None:
        """Create the day-0 fleet: the ``initial`` placements, then (closed) the rest at sea.

        Placements of a (class, status) are charged to its fleet groups in config order: the
        first group until its count is used up, then the next. Every group keeps exactly its
        count, and every tanker draws its voyages from its own group's distribution.
        """
        cfg = self.cfg
        closed = cfg.fleet.mode == "closed"
        size = sum(g.count for g in cfg.fleet.tankers) if closed else cfg.initial_count()
        # Closed fleets know every tanker in advance: per-tanker draws come from one block
        # per purpose (and per voyage group), so tanker k's draws match across worlds.
        self._patience = self.streams.family(
            "fleet.patience", cfg.behaviour.patience_days, size, depth=2
        )
        self._voyages = [
            self.streams.family(f"fleet.voyage.{i}", g.voyage_days, g.count, depth=4)
            for i, g in enumerate(cfg.fleet.tankers)
        ]
        self._voyage_used = [0] * len(self._voyages)
        left = [g.count for g in cfg.fleet.tankers] if closed else []
        for state, g in cfg.initial.groups():
            for _ in range(g.count):
                group = self._take_group(left, g.tanker_class, g.status)
                t = self.new_tanker(g.tanker_class, g.status, self._voyage(group))
                if state in ("loaded_waiting", "loading"):
                    t.cargo_bbl = t.capacity_bbl * g.cargo_fraction
                    self.ledger.afloat_init_bbl += t.cargo_bbl
                start = {"loaded_waiting": "loaded"}.get(state, state)
                t.in_theatre = True
                self.env.process(lifecycle(self, t, start))
        if closed:
            # Tankers at sea at day 0 arrive somewhere within their first voyage.
            first_arrival = self.streams.uniform("fleet.first_arrival", batch=size or 1)
            for i, g in enumerate(cfg.fleet.tankers):
                for _ in range(left[i]):
                    t = self.new_tanker(g.tanker_class, g.status, self._voyage(i))
                    first = first_arrival() * t.voyage_days()  # type: ignore[misc]
                    self.env.process(lifecycle(self, t, "arriving", first))
        else:
            self._patience = None  # arrivals get their own streams, created as they come
            self.env.process(self._arrivals())

    def _take_group(self, left: list[int], tanker_class: str, status: str) -> int | None:
        """The first fleet group of (class, status) with tankers left, one fewer; None if none."""
        for i, g in enumerate(self.cfg.fleet.tankers):
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
        fleet = self.cfg.fleet
        if fleet.arrival_rate_per_day <= 0:
            return
        gap = self.streams.sampler(
            "arrivals.gap",
            Dist(dist="exponential", mean=1.0 / fleet.arrival_rate_per_day),
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
            self.env.process(lifecycle(self, t, "arriving"))

    # ------------------------------------------------------------------ shared actions

    def log(self, t: Tanker, kind: str, bbl: float = 0.0) -> None:
        """Record an event of tanker ``t`` (a no-op unless events are recorded)."""
        if self.record_events:
            self.ledger.events.append((self.env.now, t.id, kind, bbl, t.status, t.tanker_class))

    def clear(self, t: Tanker) -> None:
        """``t`` left the interdiction zone: its cargo is exported."""
        ledger = self.ledger
        ledger.exported_bbl += t.cargo_bbl
        if t.status == "licensed":
            ledger.exported_licensed_bbl += t.cargo_bbl
        if t.targeted:
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
        self.log(t, "seized_in_waters" if in_waters else "seized", t.cargo_bbl)
        t.cargo_bbl = 0.0

    def _leave(self, t: Tanker) -> None:
        """``t`` leaves the theatre: any application still undecided for it is withdrawn."""
        t.in_theatre = False
        self.court.withdraw(t)

    def _periodic_work(self) -> Generator[float, None, None]:
        """End-of-day snapshots and production steps, in time order, without SimPy events.

        Yields the time of the next piece of work and does it when resumed. At a time that
        is both, the day's snapshot comes before the step's production. :meth:`_run` resumes
        it before any event at or after that time, so the work at time d comes before
        anything else at d (as an URGENT event would).
        """
        terminal, ledger = self.terminal, self.ledger
        step = self.cfg.production.step_days
        n_days, n_steps = math.ceil(self.horizon - 1e-12), terminal.n_steps
        day, k = 1, 0
        while day <= n_days or k < n_steps:
            t_day = min(day, self.horizon) if day <= n_days else math.inf
            t_step = k * step if k < n_steps else math.inf
            due = min(t_day, t_step)
            yield due
            if t_day == due:
                ledger.sample_day(terminal.level())
                day += 1
            if t_step == due:
                terminal.produce_step(k)
                k += 1
        yield math.inf

    def _run(self) -> None:
        """``env.run(until=horizon)``, with the periodic work done between events.

        Every :data:`CLOCK_CHECK_EVERY` iterations it checks that the clock moved, and raises
        :class:`ZeroTimeLoop` once it stood still for :data:`ZERO_TIME_STEPS` of them.
        """
        env, horizon, periodic = self.env, self.horizon, self._periodic_work()
        peek, step = env.peek, env.step
        due = next(periodic)
        last, stalled = -math.inf, 0
        while True:
            for _ in itertools.repeat(None, CLOCK_CHECK_EVERY):
                now = peek()
                if due <= now:
                    if due >= horizon:
                        return
                    due = next(periodic)  # may schedule events: look again before stepping
                elif now < horizon:
                    step()
                else:
                    return
            stalled = stalled + CLOCK_CHECK_EVERY if env.now == last else 0
            last = env.now
            if stalled >= ZERO_TIME_STEPS:
                raise ZeroTimeLoop(
                    f"the clock stood at day {env.now:g} for {stalled:,} steps: some loop "
                    "takes no time (check for zero durations: fleet.tankers[*].voyage_days, "
                    "court.validity_days with court.renew, production.step_days)"
                )

    # ------------------------------------------------------------------ running

    def run(self) -> Replication:
        """Run to the horizon, check the ledger and collect the results."""
        self._run()
        ledger = self.ledger
        storage_end = self.terminal.level()
        while len(ledger.daily) < math.ceil(self.horizon - 1e-12):  # the tick at the horizon
            ledger.sample_day(storage_end)
        afloat_end = sum(t.cargo_bbl for t in self.tankers)
        daily = ledger.daily_array()
        ledger.check_balance(storage_end, afloat_end, daily)
        waits = ledger.berth_waits
        teams = self.cfg.navy.boarding_teams
        metrics = {
            "exported_bbl": ledger.exported_bbl,
            "exported_licensed_bbl": ledger.exported_licensed_bbl,
            "exported_bpd": ledger.exported_bbl / self.horizon,
            "loaded_bbl": ledger.loaded_bbl,
            "produced_bbl": ledger.produced_bbl,
            "shut_in_bbl": ledger.shut_in_bbl,
            "cut_bbl": ledger.cut_bbl,
            "seizures": ledger.seizures,
            "seized_bbl": ledger.seized_bbl,
            "seizures_in_waters": ledger.seizures_in_waters,
            "escapes": ledger.escapes,
            "departures": ledger.departures,
            "turnbacks": ledger.turnbacks,
            "board_refusals": ledger.board_refusals,
            "stranded_bbl": ledger.stranded_bbl,
            "stranded_peak_bbl": ledger.stranded_peak_bbl,
            **self._stranded_by_day(daily),
            "afloat_end_bbl": afloat_end,
            "storage_end_bbl": storage_end,
            "days_to_storage_full": ledger.storage_full_day,
            "days_to_first_seizure": ledger.first_seizure_day,
            "warrants_requested": ledger.warrants_requested,
            "warrants_issued": ledger.warrants_issued,
            "warrants_denied": ledger.warrants_denied,
            "warrants_expired": ledger.warrants_expired,
            "warrants_withdrawn": ledger.warrants_withdrawn,
            "team_utilization": (
                ledger.team_busy_days / (teams * self.horizon) if teams else math.nan
            ),
            "mean_berth_wait_days": float(np.mean(waits)) if waits else math.nan,
            "berth_visits": len(waits),
            # SimPy keeps no public counter: events scheduled minus those still queued.
            "events": next(self.env._eid) - len(self.env._queue),  # type: ignore[attr-defined]
        }
        return Replication(
            metrics={k: float(metrics[k]) for k in METRIC_KEYS},
            daily=daily,
            start_date=pd.Timestamp(self.cfg.start_date),
            event_rows=ledger.events,
        )

    def _stranded_by_day(self, daily: np.ndarray) -> dict[str, float]:
        """The stranded level at the end of each of :data:`STRANDED_DAYS` (NaN if past the
        horizon)."""
        col = TIMESERIES_COLUMNS.index("stranded_bbl")
        return {
            stranded_day_key(d): float(daily[d, col]) if d + 1 <= self.horizon else math.nan
            for d in STRANDED_DAYS
        }


def simulate(
    cfg: Config, seed: SeedLike = 0, replication: int | None = None, record_events: bool = True
) -> Replication:
    """Run one replication of ``cfg``: a pure function of (config, seed, replication)."""
    if not isinstance(cfg, Config):
        raise TypeError(
            f"cfg must be a sim.Config (from sim.load_config), got {type(cfg).__name__}"
        )
    with _gc_paused():
        return World(cfg, seed_sequence(seed, replication), record_events).run()


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during one replication.

    A replication allocates many short-lived events, none of which are freed by the cyclic
    collector (reference counts free them), yet its generation-0 passes took ~25% of the
    run time. The world's own cycles are collected as usual after the replication.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)
