"""Build one replication from a validated config, run it, and collect a Replication."""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
import simpy

from sim import uncertain
from sim.config import Config
from sim.metrics import FLOATING_DAYS, FLOATING_KEY, METRIC_KEYS, STRANDED_DAYS, stranded_day_key
from sim.model.behaviour import Owners
from sim.model.changes import Changes
from sim.model.court import Court
from sim.model.fleet import Fleet
from sim.model.ledger import TIMESERIES_COLUMNS, Ledger, event_frame, timeseries_frame
from sim.model.navy import Navy
from sim.model.simpy_internals import events_processed
from sim.model.streams import Streams
from sim.model.tanker import Tanker
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
    parameters: dict[str, float] = field(default_factory=dict)  # the uncertain keys' draws
    net_usd_per_bbl: float = math.nan  # what a barrel exported earned (market, as drawn)

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
    """The environment and every actor of one replication: build, connect, run, collect."""

    def __init__(self, cfg: Config, seed: np.random.SeedSequence, record_events: bool) -> None:
        self.cfg = cfg
        self.horizon = cfg.horizon_days
        env = self.env = simpy.Environment()
        streams = self.streams = Streams(seed)
        self.ledger = Ledger(record_events=record_events)
        self.terminal = Terminal(env, cfg.terminal, cfg.production, self.ledger, self.horizon)
        self.owners = Owners(
            env,
            cfg.behaviour,
            known_seizures=cfg.initial.known_seizures,
            known_escapes=cfg.initial.known_escapes,
        )
        self.court = Court(env, cfg.court, streams)
        self.navy = Navy(env, cfg.navy, cfg.policy, streams)
        self.fleet = Fleet(env, cfg, streams)
        self.changes = Changes(env, cfg, self.reconfigure)
        self._connect()
        self.changes.start()
        self.fleet.launch(self.cfg)
        self._floating = math.nan  # the floating-storage metric, set at its day

    def _connect(self) -> None:
        """Name each actor's neighbours, and check that none is missing."""
        ledger = self.ledger
        self.changes.connect(ledger=ledger)
        self.court.connect(ledger=ledger)
        self.owners.connect(terminal=self.terminal, navy=self.navy, ledger=ledger)
        self.navy.connect(court=self.court, fleet=self.fleet, ledger=ledger)
        self.fleet.connect(
            terminal=self.terminal,
            owners=self.owners,
            court=self.court,
            navy=self.navy,
            ledger=ledger,
        )
        for actor in (self.changes, self.court, self.owners, self.navy, self.fleet):
            actor.check_connected()

    @property
    def tankers(self) -> list[Tanker]:
        """Every tanker created so far."""
        return self.fleet.tankers

    def reconfigure(self, cfg: Config) -> None:
        """Hand each actor the sections of ``cfg`` that changed (a timeline entry fired)."""
        old, self.cfg = self.cfg, cfg
        if cfg.production != old.production:
            self.terminal.reconfigure(cfg.production)
        if cfg.court != old.court:
            self.court.reconfigure(cfg.court)
        if cfg.navy != old.navy or cfg.policy != old.policy:
            self.navy.reconfigure(cfg.navy, cfg.policy)
        if cfg.fleet != old.fleet:
            self.fleet.reconfigure(cfg.fleet)
        if cfg.behaviour != old.behaviour:
            self.owners.reconfigure(cfg.behaviour)
        if cfg.fleet != old.fleet or cfg.navy != old.navy:
            self.owners.retarget()

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
                self.owners.end_of_day(t_day)
                self.changes.end_of_day(t_day)
                if day == FLOATING_DAYS[1] + 1:  # the end of the window's last day
                    self._floating = self.owners.floating_since(FLOATING_DAYS[0])
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
        net = self.cfg.market.net_usd_per_bbl  # arithmetic only: no stream, no barrel moved
        metrics = {
            "exported_bbl": ledger.exported_bbl,
            "exported_licensed_bbl": ledger.exported_licensed_bbl,
            "exported_bpd": ledger.exported_bbl / self.horizon,
            "revenue_usd": ledger.exported_bbl * net,
            "loaded_bbl": ledger.loaded_bbl,
            "produced_bbl": ledger.produced_bbl,
            "shut_in_bbl": ledger.shut_in_bbl,
            "cut_bbl": ledger.cut_bbl,
            "seizures": ledger.seizures,
            "seized_bbl": ledger.seized_bbl,
            "seizures_in_waters": ledger.seizures_in_waters,
            "seizures_pursued": ledger.seizures_pursued,
            "dark_departures": ledger.dark_departures,
            "breakouts": ledger.breakouts,
            "escapes": ledger.escapes,
            "departures": ledger.departures,
            "turnbacks": ledger.turnbacks,
            "board_refusals": ledger.board_refusals,
            "stranded_bbl": ledger.stranded_bbl,
            "stranded_peak_bbl": ledger.stranded_peak_bbl,
            **self._stranded_by_day(daily),
            FLOATING_KEY: self._floating,
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
            "simpy_events": events_processed(self.env),
        }
        return Replication(
            metrics={k: float(metrics[k]) for k in METRIC_KEYS},
            daily=daily,
            start_date=pd.Timestamp(self.cfg.start_date),
            event_rows=ledger.events,
            net_usd_per_bbl=net,
        )

    def _stranded_by_day(self, daily: np.ndarray) -> dict[str, float]:
        """The stranded level at the end of each of :data:`STRANDED_DAYS`."""
        return {
            stranded_day_key(d): self._level_at(daily, "stranded_bbl", d) for d in STRANDED_DAYS
        }

    def _level_at(self, daily: np.ndarray, column: str, day: int) -> float:
        """The level of ``column`` at the end of ``day`` (NaN if past the horizon)."""
        if day + 1 > self.horizon:
            return math.nan
        return float(daily[day, TIMESERIES_COLUMNS.index(column)])


def simulate(
    cfg: Config, seed: SeedLike = 0, replication: int | None = None, record_events: bool = True
) -> Replication:
    """Run one replication of ``cfg``: a pure function of (config, seed, replication)."""
    if not isinstance(cfg, Config):
        raise TypeError(
            f"cfg must be a sim.Config (from sim.load_config), got {type(cfg).__name__}"
        )
    ss = seed_sequence(seed, replication)
    drawn, values = draw(cfg, ss)
    return run_world(drawn, ss, values, record_events)


def draw(cfg: Config, ss: np.random.SeedSequence) -> tuple[Config, dict[str, float]]:
    """Replication ``ss``'s config, every uncertain key drawn, and the draws."""
    if not cfg.uncertain:
        return cfg, {}
    return uncertain.realise(cfg, ss)


def run_world(
    drawn: Config, ss: np.random.SeedSequence, values: dict[str, float], record_events: bool
) -> Replication:
    """Run the world of a :func:`draw`n config (or its ``baseline()``) with seed ``ss``."""
    with _gc_paused():
        rep = World(drawn, ss, record_events).run()
    return replace(rep, parameters=values) if values else rep


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
